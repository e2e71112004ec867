"""Repetition counting on a stream: one frame's keypoints in, a repetition out as it ends.

:class:`LiveCounter` runs the offline counter's steps (:mod:`sportslens.pose.reps`) frame by
frame, holding only a short window, so it can run for hours on a camera:

1. Each frame's joint angles (:func:`~sportslens.pose.angles.joint_angles`) enter a window of
   ``2 * radius + 1`` frames, ``radius`` being the Gaussian's (3 sigma, 0.3 s by default). The
   centre frame's smoothed value is then exactly the offline one: the same gap filling and the
   same Gaussian over the same neighbours (edges reflected at the start and at :meth:`finish`).
   A repetition is therefore reported ``radius`` frames after it crosses back to rest.
2. Every candidate signal (angles and left/right means) is counted at once by its own
   hysteresis; the count shown is the one of the exercise's signal, or with none named, of the
   signal with the widest range so far (offline: widest × most periodic over the whole clip).
3. Levels are scaled between the running extremes of the smoothed signal, from rest (the
   exercise's side, else the side the stream started on) to the far side; no repetition counts
   before the signal has moved ``min_range`` degrees, and an excursion already under way when
   counting starts is partial, as offline.

Where the counts can differ from :func:`~sportslens.pose.form.analyze_form` on the same
keypoints: offline scales by the 2nd/98th percentiles of a whole span and the running extremes
here are wider (thresholds sit a few degrees further out); offline splits the clip into spans at
cuts and breaks of sight, here a break longer than ``max_gap_s`` only restarts the signal; and
offline may choose another signal when a periodic one beats a wider one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.angles import ANGLE_NAMES, joint_angles
from sportslens.pose.exercises import find_exercise
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.reps import PAIRS, CountConfig, candidate_signals, fill_gaps, signal_of
from sportslens.pose.signal import MAX_SPIKE_DEGREES, MIN_PLAUSIBLE_DEGREES, SpanConfig

_NONE: NDArray[np.float64] = np.empty(0)


@dataclass(frozen=True)
class LiveRepetition:
    """A repetition the stream finished: frames (stream numbering), times and depth."""

    number: int
    signal: str
    start: int
    end: int
    start_s: float
    end_s: float
    angle_min: float
    angle_max: float
    """Extremes of the smoothed signal during the repetition."""

    def to_dict(self) -> dict[str, object]:
        return {
            "event": "repetition",
            "number": self.number,
            "signal": self.signal,
            "start": self.start,
            "end": self.end,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "angle_min": round(self.angle_min, 1),
            "angle_max": round(self.angle_max, 1),
        }


@dataclass
class _Hysteresis:
    """One signal's running extremes and excursion state."""

    name: str
    rest_high: bool | None  # None: decided by the first value
    first: float | None = None
    lo: float = np.inf
    hi: float = -np.inf
    armed: bool = False  # at rest since counting started: the next excursion is whole
    out: bool = False  # away from rest past ``high``
    start: int = 0
    values: list[float] = field(default_factory=list)  # smoothed values since ``start``
    count: int = 0
    scaled: bool = False  # the signal has moved ``min_range``: levels mean something

    def reset(self) -> None:
        self.first, self.lo, self.hi, self.armed, self.out = None, np.inf, -np.inf, False, False
        self.scaled, self.values = False, []

    def level(self, value: float) -> float:
        scaled = (value - self.lo) / max(self.hi - self.lo, 1e-9)
        return 1.0 - scaled if self.rest_side_high() else scaled

    def rest_side_high(self) -> bool:
        if self.rest_high is not None:
            return self.rest_high
        assert self.first is not None
        return abs(self.first - self.hi) < abs(self.first - self.lo)

    def step(
        self, frame: int, value: float, cfg: CountConfig
    ) -> tuple[int, int, float, float] | None:
        """Feed one smoothed value; the (start, end, min, max) of an excursion it ends."""
        if self.first is None:
            self.first, self.start = value, frame
        self.lo, self.hi = min(self.lo, value), max(self.hi, value)
        if self.hi - self.lo < cfg.min_range:
            self.values.append(value)
            return None  # not moving yet: no scale to count on
        if not self.scaled:
            # Offline, an excursion is whole when the span starts at rest: judge the first value
            # on the first scale there is.
            self.scaled = True
            self.armed = self.level(self.first) < cfg.low
        level = self.level(value)
        ended = None
        if level < cfg.low:
            if self.out and self.armed:
                ended = (self.start, frame, min(self.values), max(self.values))
            self.armed, self.out = True, False
            self.start, self.values = frame + 1, []
            return ended
        self.values.append(value)
        if level >= cfg.high:
            self.out = True
        return None


class LiveCounter:
    """Counts repetitions one frame at a time (see the module docstring)."""

    def __init__(
        self,
        fps: float,
        exercise: str | None = None,
        *,
        config: CountConfig | None = None,
        spans: SpanConfig | None = None,
    ) -> None:
        self.fps = fps
        self.exercise = exercise
        self.cfg = config or CountConfig()
        self.spans = spans or SpanConfig()
        names = (*ANGLE_NAMES, *(f"{joint}s" for joint in PAIRS))  # candidate_signals' keys
        # Resolved once: an unknown exercise is an error before the first frame.
        self._fixed = None if exercise is None else signal_of(exercise, dict.fromkeys(names, _NONE))
        sigma = self.cfg.smooth_s * fps
        self.radius = max(1, int(3 * sigma + 0.5))
        taps = np.exp(-0.5 * (np.arange(-self.radius, self.radius + 1) / max(sigma, 1e-9)) ** 2)
        self._taps = taps / taps.sum()  # (2r + 1,)
        self._window: deque[dict[str, float]] = deque(maxlen=2 * self.radius + 3)
        self._frames = 0  # frames fed
        self._emitted = 0  # frames whose smoothed value has been counted
        self._unseen = 0  # consecutive frames with the counted signal unmeasured
        self._counters: dict[str, _Hysteresis] = {}
        self.repetitions: list[LiveRepetition] = []
        self.angle: float | None = None  # the chosen signal's newest raw value (degrees)
        self.signal: str | None = None

    @property
    def count(self) -> int:
        """Repetitions of the signal counted now (a new choice of signal brings its own)."""
        counter = self._counters.get(self.signal or "")
        return len(self.repetitions) if counter is None else counter.count

    @property
    def delay_frames(self) -> int:
        """Frames between a frame arriving and its value being counted."""
        return self.radius + 2  # the Gaussian's radius plus the spike check's neighbours

    def push(self, kp: Keypoints) -> list[LiveRepetition]:
        """Feed one frame's keypoints ((1, V, 2) Keypoints); the repetitions it ended."""
        angles = joint_angles(kp, min_score=self.spans.min_score)
        signals = {k: float(v[0]) for k, v in candidate_signals(angles).items()}
        self._window.append(signals)
        self._frames += 1
        chosen = self._chosen_name(signals)
        self.signal, self.angle = chosen, _finite(signals.get(chosen, np.nan))
        ended: list[LiveRepetition] = []
        while self._emitted < self._frames - self.delay_frames:
            ended += self._emit(self._emitted, at_end=False)
        return ended

    def finish(self) -> list[LiveRepetition]:
        """End of stream: count the frames still in the window (edges reflected, as offline)."""
        ended: list[LiveRepetition] = []
        while self._emitted < self._frames:
            ended += self._emit(self._emitted, at_end=True)
        return ended

    def _emit(self, frame: int, at_end: bool) -> list[LiveRepetition]:
        self._emitted += 1
        first = self._frames - len(self._window)  # stream frame of window[0]
        names = self._names()
        ended = []
        for name in names:
            series = np.array([row.get(name, np.nan) for row in self._window])  # (W,)
            series = _drop_implausible(name, series)
            value = _smoothed_at(series, frame - first, self.radius, self._taps)
            if name == self._chosen_name(self._window[-1]):
                self._unseen = 0 if np.isfinite(value) else self._unseen + 1
            counter = self._counter(name)
            if not np.isfinite(value):
                if self._unseen > self.spans.max_gap_s * self.fps:
                    counter.reset()  # a break of sight: the excursion under way is lost
                continue
            done = counter.step(frame, value, self.cfg)
            if done is not None:
                counter.count += 1
                if name == self._chosen_name(self._window[-1]):
                    ended.append(self._repetition(name, *done))
        return ended

    def _repetition(self, name: str, start: int, end: int, lo: float, hi: float) -> LiveRepetition:
        rep = LiveRepetition(
            self._counters[name].count, name, start, end, start / self.fps, end / self.fps, lo, hi
        )
        self.repetitions.append(rep)
        return rep

    def _names(self) -> list[str]:
        return list(self._window[-1]) if self._fixed is None else [self._fixed]

    def _counter(self, name: str) -> _Hysteresis:
        if name not in self._counters:
            known = None if self.exercise is None else find_exercise(self.exercise)
            rest = None
            if known is not None and known.rest != "either" and known.signal == name:
                rest = known.rest == "high"
            self._counters[name] = _Hysteresis(name, rest)
        return self._counters[name]

    def _chosen_name(self, row: dict[str, float]) -> str:
        if self._fixed is not None:
            return self._fixed
        moving = [c for c in self._counters.values() if np.isfinite(c.hi - c.lo)]
        if not moving:
            return "knees"
        return max(moving, key=lambda c: c.hi - c.lo).name


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def _drop_implausible(name: str, series: NDArray[np.float64]) -> NDArray[np.float64]:
    """NaN where :func:`~sportslens.pose.signal.implausible_angles` would flag a single angle."""
    out = series.copy()
    if name.endswith(("knee", "hip", "knees", "hips")):
        out[out < MIN_PLAUSIBLE_DEGREES] = np.nan
    for t in range(len(out)):
        near = [out[k] for k in (t - 2, t - 1, t + 1, t + 2) if 0 <= k < len(out)]
        near = [v for v in near if np.isfinite(v)]
        if near and np.isfinite(out[t]) and abs(out[t] - np.median(near)) > MAX_SPIKE_DEGREES:
            out[t] = np.nan
    return out


def _smoothed_at(
    series: NDArray[np.float64], index: int, radius: int, taps: NDArray[np.float64]
) -> float:
    """The Gaussian-smoothed value of a (W,) window's ``index``, gaps filled, edges reflected."""
    filled = fill_gaps(series)
    if filled is None or not np.isfinite(series[max(0, index - radius) : index + radius + 1]).any():
        return float("nan")
    padded = np.pad(filled, radius, mode="reflect") if len(filled) > radius else None
    if padded is None:
        return float(filled[index])
    return float(np.dot(padded[index : index + 2 * radius + 1], taps))


def count_stream(kp: Keypoints, exercise: str | None = None) -> list[LiveRepetition]:
    """Feed ``kp`` frame by frame to a :class:`LiveCounter`: the repetitions a live run reports."""
    counter = LiveCounter(kp.fps, exercise)
    found: list[LiveRepetition] = []
    for t in range(kp.num_frames):
        found += counter.push(_frame(kp, t))
    return found + counter.finish()


def _frame(kp: Keypoints, t: int) -> Keypoints:
    return Keypoints(
        kp.keypoints[t : t + 1], kp.scores[t : t + 1], kp.layout, kp.fps, kp.size, kp.source
    )


__all__ = ["LiveCounter", "LiveRepetition", "count_stream"]
