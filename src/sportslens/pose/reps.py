"""Repetition counting from joint-angle signals: choose a signal, smooth it, count with hysteresis.

A repetition is an excursion from the rest pose and back: the knees bend and straighten, the arms
rise and fall. Counting runs on one signal:

1. Candidates are the joint angles and the mean of each left/right pair (``knees``, ``elbows``…):
   the mean of both knees beats once per lunge even though each knee beats every other lunge.
2. Each is gap-filled (undetected frames interpolated) and smoothed with a Gaussian.
3. The signal counted is the one most like a repetitive excursion: its range in degrees times
   (1 + its periodicity), the periodicity being the height of the autocorrelation's first peak.
   A single repetition has no peak (periodicity 0), so there the widest swing wins; with several,
   a regular swing beats a wider irregular one. ``--exercise`` names the signal instead.
4. The signal is scaled to [0, 1] between its rest level (where the clip starts) and the far
   extreme, and a repetition is counted each time it rises above ``high`` after having been
   below ``low`` (hysteresis: jitter around one threshold cannot count twice).

Each repetition reports its start and end frame (where the excursion begins and ends), duration
and the extreme angles reached, e.g. squat depth as the smallest knee angle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.angles import JointAngles
from sportslens.pose.exercises import EXERCISES, find_exercise
from sportslens.pose.signal import Span

PAIRS = ("knee", "hip", "elbow", "shoulder")

EXERCISE_SIGNALS: dict[str, str] = {name: e.signal for name, e in EXERCISES.items()}
"""The signal that best shows each known exercise's repetitions."""


@dataclass(frozen=True)
class CountConfig:
    """Settings of the counter; the defaults suit exercises of 0.5-5 s per repetition."""

    smooth_s: float = 0.1
    """Gaussian smoothing sigma in seconds: removes keypoint jitter, keeps a 0.5 s repetition."""
    low: float = 0.3
    high: float = 0.6
    """Hysteresis thresholds on the signal scaled to [0, 1] from rest to extreme."""
    min_range: float = 20.0
    """Degrees: a signal moving less than this has no repetitions (idle sway, noise)."""
    min_period_s: float = 0.4
    """The shortest repetition the periodicity search considers."""


@dataclass(frozen=True)
class Repetition:
    """One repetition: frames (inclusive, in the report's numbering), duration and the angle
    extremes reached in it."""

    start: int
    end: int
    duration_s: float
    angle_min: float
    angle_max: float
    """Extremes of the counted signal (raw, not smoothed) during the repetition."""
    extremes: dict[str, tuple[float, float]] = field(default_factory=dict)
    """(min, max) of every candidate signal during the repetition (angles and left/right
    means such as ``knees``; frames where it was undetected are left out)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "duration_s": round(self.duration_s, 3),
            "angle_min": round(self.angle_min, 1),
            "angle_max": round(self.angle_max, 1),
            "extremes": {k: [round(lo, 1), round(hi, 1)] for k, (lo, hi) in self.extremes.items()},
        }


@dataclass(frozen=True, eq=False)
class RepetitionReport:
    """What the counter found: the signal it used, its smoothed curve and the repetitions.

    One result type for a whole clip (:func:`count_repetitions`) and for a stretch of a longer
    video (a timeline segment, :mod:`sportslens.timeline.repetitions`): there, repetition frames
    are the video's and ``first_frame`` is the video frame of ``smoothed[0]``.
    """

    signal: str
    smoothed: NDArray[np.float64]  # (T,) degrees
    periodicity: float
    period_s: float | None
    repetitions: tuple[Repetition, ...]
    fps: float
    """Frames per second of the frame numbers, for times in seconds."""
    first_frame: int = 0
    partial: tuple[Repetition, ...] = ()
    """Excursions cut by the start or end of a span (a half repetition): not in ``count``."""
    spans: tuple[Span, ...] = ()
    """The spans of steady sight counted separately (:mod:`sportslens.pose.signal`); empty
    when the whole clip was counted as one signal."""

    @property
    def count(self) -> int:
        return len(self.repetitions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "count": self.count,
            "periodicity": round(self.periodicity, 3),
            "period_s": None if self.period_s is None else round(self.period_s, 3),
            "repetitions": [rep.to_dict() for rep in self.repetitions],
            "partial": [rep.to_dict() for rep in self.partial],
            "spans": [span.to_dict() for span in self.spans],
        }


def candidate_signals(angles: JointAngles) -> dict[str, NDArray[np.float64]]:
    """Every angle (T,) plus the mean of each left/right pair, named ``knees``, ``hips``…"""
    signals = {name: angles[name] for name in angles.names}
    for joint in PAIRS:
        pair = np.stack([angles[f"left_{joint}"], angles[f"right_{joint}"]])  # (2, T)
        seen = np.isfinite(pair)
        total = np.where(seen, pair, 0.0).sum(axis=0)
        count = seen.sum(axis=0)
        # One side hidden: the other side stands in (a lunge still shows in one knee).
        signals[f"{joint}s"] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return signals


def fill_gaps(signal: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """The (T,) signal with NaN frames linearly interpolated; None when under half is known."""
    known = np.isfinite(signal)
    if known.sum() < max(2, len(signal) // 2):
        return None
    frames = np.arange(len(signal))
    filled: NDArray[np.float64] = np.interp(frames, frames[known], signal[known])
    return filled


def gaussian_smooth(signal: NDArray[np.float64], sigma: float) -> NDArray[np.float64]:
    """The (T,) signal convolved with a Gaussian of ``sigma`` frames (edges reflected)."""
    if sigma <= 0 or len(signal) < 3:
        return signal.copy()
    radius = min(int(3 * sigma + 0.5), len(signal) - 1)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    padded = np.pad(signal, radius, mode="reflect")
    smoothed: NDArray[np.float64] = np.convolve(padded, taps / taps.sum(), mode="valid")
    return smoothed


def periodicity(signal: NDArray[np.float64], min_lag: int) -> tuple[float, int | None]:
    """Height (0-1) and lag of the first autocorrelation peak past ``min_lag`` frames.

    The autocorrelation is normalised per lag by the overlap length, so it does not fall
    off with the lag; a signal with one repetition or none has no peak and scores 0.
    """
    centred = signal - signal.mean()
    energy = float((centred**2).mean())
    frames = len(signal)
    if energy <= 0 or frames < 2 * min_lag + 2:
        return 0.0, None
    lags = np.arange(frames // 2 + 1)
    acf = np.array([(centred[: frames - k] * centred[k:]).mean() / energy for k in lags])
    best, best_lag = 0.0, None
    for k in range(max(min_lag, 1), len(acf) - 1):
        if acf[k] >= acf[k - 1] and acf[k] >= acf[k + 1] and acf[k] > best:
            best, best_lag = float(acf[k]), k
            break  # the first peak is the period; later ones are its multiples
    return best, best_lag


def hysteresis_cycles(level: NDArray[np.float64], low: float, high: float) -> list[tuple[int, int]]:
    """Excursions of a (T,) signal in [0, 1] rest-to-extreme: (start, end) frames of each.

    An excursion starts where the signal last rose above ``low`` before it passed ``high``, and
    ends where it next falls below ``low`` (or at the last frame). Each is then widened to the
    quiet frames on either side: to where the signal stops falling towards rest.
    """
    cycles: list[tuple[int, int]] = []
    armed, rise = True, 0
    for t, value in enumerate(level):
        if value < low:
            if not armed:
                cycles.append((rise, t))
            armed = True
            rise = t + 1
        elif value >= high and armed:
            armed = False
    if not armed:
        cycles.append((rise, len(level) - 1))
    return [_widen(level, start, end) for start, end in cycles]


def _widen(level: NDArray[np.float64], start: int, end: int, rest: float = 0.1) -> tuple[int, int]:
    """Move ``start`` back and ``end`` forward while the signal sinks towards rest.

    Each stops on reaching ``rest`` (within 10% of the rest level: the body is back at rest
    and only smoothing's tail remains) or where the signal turns up again.
    """
    while start > 0 and level[start] > rest and level[start - 1] < level[start]:
        start -= 1
    while end < len(level) - 1 and level[end] > rest and level[end + 1] < level[end]:
        end += 1
    return start, end


def rest_scaled(signal: NDArray[np.float64]) -> NDArray[np.float64]:
    """(T,) 0 at the rest level, 1 at the far extreme, between robust 2nd/98th percentiles.

    Rest is the side the clip starts on (the mean of its first 5% of frames): a set begins
    standing, hanging or in the plank, and the counter needs to know which way is "out".
    """
    lo, hi = np.percentile(signal, [2, 98])
    head = float(signal[: max(1, len(signal) // 20)].mean())
    scaled = (signal - lo) / max(hi - lo, 1e-9)
    if abs(head - hi) < abs(head - lo):
        scaled = 1.0 - scaled
    clipped: NDArray[np.float64] = np.clip(scaled, 0.0, 1.0)
    return clipped


@dataclass(frozen=True, eq=False)
class SignalCandidate:
    """One signal the counter could count on, smoothed, with its range and periodicity."""

    name: str
    raw: NDArray[np.float64]  # (T,) gap-filled degrees
    smoothed: NDArray[np.float64]  # (T,)
    span: float  # degrees between the 2nd and 98th percentiles
    periodicity: float
    lag: int | None

    @property
    def score(self) -> float:
        # Range alone picks a wide single swing; periodicity alone can pick a small jittery
        # joint. Their product favours the joint that swings wide and regularly.
        return self.span * (1.0 + self.periodicity)


def _candidate(
    name: str, signal: NDArray[np.float64], fps: float, cfg: CountConfig
) -> SignalCandidate | None:
    raw = fill_gaps(signal)
    if raw is None:
        return None
    smoothed = gaussian_smooth(raw, cfg.smooth_s * fps)
    lo, hi = np.percentile(smoothed, [2, 98])
    height, lag = periodicity(smoothed, max(1, round(cfg.min_period_s * fps)))
    return SignalCandidate(name, raw, smoothed, float(hi - lo), height, lag)


def signal_of(exercise: str, signals: dict[str, NDArray[np.float64]]) -> str:
    """The signal an exercise (any spelling or alias, see :mod:`.exercises`) or angle names."""
    if exercise in signals:
        return exercise
    known = find_exercise(exercise)
    if known is None:
        names = ", ".join(sorted(EXERCISES))
        raise ValueError(f"unknown exercise {exercise!r}; known: {names} (or an angle name)")
    return known.signal


def exercise_signals(exercise: str, signals: dict[str, NDArray[np.float64]]) -> list[str]:
    """The signals an exercise's repetitions show in: its own, then those a camera facing the
    athlete leaves (:attr:`~sportslens.pose.exercises.Exercise.also`); an angle name alone."""
    main = signal_of(exercise, signals)
    known = None if exercise in signals else find_exercise(exercise)
    return [main, *(known.also if known is not None else ())]


def choose_signal(
    angles: JointAngles, exercise: str | None = None, config: CountConfig | None = None
) -> SignalCandidate:
    """The signal to count on: the exercise's own, or the most repetitive-looking candidate."""
    cfg = config or CountConfig()
    signals = candidate_signals(angles)
    names = [signal_of(exercise, signals)] if exercise is not None else list(signals)
    found = [c for n in names if (c := _candidate(n, signals[n], angles.fps, cfg)) is not None]
    if not found:
        raise ValueError(f"no usable angle signal: {', '.join(names)} undetected in most frames")
    return max(found, key=lambda c: c.score)


def count_repetitions(
    angles: JointAngles, exercise: str | None = None, config: CountConfig | None = None
) -> RepetitionReport:
    """Count the repetitions in ``angles`` (see the module docstring for the method)."""
    cfg = config or CountConfig()
    chosen = choose_signal(angles, exercise, cfg)
    period = None if chosen.lag is None else chosen.lag / angles.fps
    reps: tuple[Repetition, ...] = ()
    if chosen.span >= cfg.min_range:
        cycles = hysteresis_cycles(rest_scaled(chosen.smoothed), cfg.low, cfg.high)
        signals = candidate_signals(angles)
        reps = tuple(measure_repetition(signals, chosen.raw, angles.fps, s, e) for s, e in cycles)
    return RepetitionReport(
        chosen.name, chosen.smoothed, chosen.periodicity, period, reps, angles.fps
    )


def measure_repetition(
    signals: dict[str, NDArray[np.float64]],
    raw: NDArray[np.float64],
    fps: float,
    start: int,
    end: int,
) -> Repetition:
    """The repetition over frames ``start``..``end`` of ``raw`` and every candidate signal."""
    window = slice(start, end + 1)
    extremes = {}
    for name, signal in signals.items():
        values = signal[window]
        values = values[np.isfinite(values)]
        if values.size:
            extremes[name] = (float(values.min()), float(values.max()))
    return Repetition(
        start=start,
        end=end,
        duration_s=(end - start + 1) / fps,
        angle_min=float(raw[window].min()),
        angle_max=float(raw[window].max()),
        extremes=extremes,
    )
