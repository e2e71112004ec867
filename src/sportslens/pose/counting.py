"""Repetition counting over a clip's spans of steady sight, with partial repetitions apart.

:func:`count_in_spans` runs the counter of :mod:`sportslens.pose.reps` on each
:class:`~sportslens.pose.signal.Span` separately (nothing is interpolated across a break):

1. The signal is the exercise's own (:mod:`sportslens.pose.exercises`) or, with none named, the
   candidate with the widest, most regular clean motion: the mean over spans (weighted by
   length) of range × (1 + periodicity), times the fraction of frames where it was measured.
2. Each span is smoothed and scaled to [0, 1] from rest to the far extreme on its own range (a
   cut to a side view changes an angle's range), and excursions are found with hysteresis. A
   span whose range is under ``min_range`` degrees or under :data:`QUIET_SPAN` of the widest
   span's has no repetitions: someone standing between two takes is not exercising.
3. Rest is the exercise's side; when unknown (no exercise, a deadlift) it is the side that
   brackets the most complete excursions, ties going to the side the clip starts on.
4. An excursion that begins before its span (already away from rest at the first frame) or is
   cut by its end (still away from rest at the last frame) is *partial*: reported apart and not
   counted. So are the first and last whole ones of a span that a coach would not count: half
   the set's range, or ending (starting) with the body elsewhere (:mod:`sportslens.pose.partial`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.angles import JointAngles
from sportslens.pose.exercises import find_exercise
from sportslens.pose.partial import shallow_edges, unfinished_edges
from sportslens.pose.reps import (
    CountConfig,
    Repetition,
    RepetitionReport,
    candidate_signals,
    exercise_signals,
    fill_gaps,
    gaussian_smooth,
    hysteresis_cycles,
    measure_repetition,
    periodicity,
)
from sportslens.pose.signal import Span

QUIET_SPAN = 0.4
"""A span moving less than this fraction of the widest span's range counts no repetitions."""
SET_HIGH = 0.5
"""The far threshold (fraction of the span's range) once the span shows a set: an excursion
past half the set's range is a repetition, as for the set's edges (``MIN_RANGE_FRACTION`` of
:mod:`~sportslens.pose.partial`: half a repetition is not one, more is). The first count, at
``high`` (0.6), finds the set with a margin; repetitions reaching 0.6 confirm that the span's
scale is the set's depth. Estimated keypoints can read one side much shallower (a lunge on the
leg whose knee the pose model puts near the hip-ankle line peaks near 0.57 of the span)."""
MIN_SET_REPS = 2
"""Whole repetitions that make a set: one is no set (on one-repetition clips with 5 px of
keypoint noise, a bump past half its depth counted)."""


@dataclass(frozen=True, eq=False)
class _Piece:
    """One signal inside one span: gap-filled and smoothed degrees, with its range."""

    span: Span
    raw: NDArray[np.float64]  # (S,) degrees, S = span.frames
    smoothed: NDArray[np.float64]  # (S,)
    lo: float  # 2nd percentile of smoothed
    hi: float  # 98th percentile
    periodicity: float
    lag: int | None


@dataclass(frozen=True, eq=False)
class _Track:
    """One candidate signal over every span where it was measured."""

    name: str
    pieces: tuple[_Piece, ...]
    measured: float  # fraction of the spans' frames where the signal was measured

    @property
    def score(self) -> float:
        total = sum(p.span.frames for p in self.pieces)
        if not total:
            return 0.0
        shape = sum(p.span.frames * (p.hi - p.lo) * (1.0 + p.periodicity) for p in self.pieces)
        return shape / total * self.measured


def _track(
    name: str, signal: NDArray[np.float64], spans: Sequence[Span], fps: float, cfg: CountConfig
) -> _Track:
    pieces, seen, frames = [], 0, 0
    min_lag = max(1, round(cfg.min_period_s * fps))
    for span in spans:
        values = signal[span.start : span.end + 1]
        seen, frames = seen + int(np.isfinite(values).sum()), frames + span.frames
        raw = fill_gaps(values)
        if raw is None:
            continue
        smoothed = gaussian_smooth(raw, cfg.smooth_s * fps)
        lo, hi = np.percentile(smoothed, [2, 98])
        height, lag = periodicity(smoothed, min_lag)
        pieces.append(_Piece(span, raw, smoothed, float(lo), float(hi), height, lag))
    return _Track(name, tuple(pieces), seen / max(frames, 1))


@dataclass(frozen=True)
class _Cycle:
    start: int  # frames in the clip's numbering, inclusive
    end: int
    partial: bool


def _cycles(
    track: _Track,
    rest_high: bool,
    cfg: CountConfig,
    signals: dict[str, NDArray[np.float64]] | None = None,
) -> list[_Cycle]:
    """Every excursion from rest in every lively span, in clip frames, partial ones marked:
    cut by the span's ends and, given the ``signals`` (T,), unfinished at its edges."""
    widest = max((p.hi - p.lo for p in track.pieces), default=0.0)
    found = []
    for piece in track.pieces:
        span_range = piece.hi - piece.lo
        if span_range < max(cfg.min_range, QUIET_SPAN * widest):
            continue
        level = np.clip((piece.smoothed - piece.lo) / span_range, 0.0, 1.0)  # (S,)
        level = 1.0 - level if rest_high else level
        cycles = hysteresis_cycles(level, cfg.low, cfg.high)
        relaxed = _set_threshold(_cut_by_span(level, cycles, cfg), span_range, cfg)
        if relaxed < cfg.high:
            cycles = hysteresis_cycles(level, cfg.low, relaxed)
        cut = _cut_by_span(level, cycles, cfg)
        if signals is not None:
            kept = [i for i, c in enumerate(cut) if not c]
            window = slice(piece.span.start, piece.span.end + 1)
            local = {name: signal[window] for name, signal in signals.items()}
            chosen = [cycles[i] for i in kept]
            for i in unfinished_edges(chosen, piece.smoothed, local):
                cut[kept[i]] = True
        for (start, end), partial in zip(cycles, cut, strict=True):
            found.append(_Cycle(piece.span.start + start, piece.span.start + end, partial))
        whole = [c for c, partial in zip(cycles, cut, strict=True) if not partial]
        for start, end in shallow_edges(level, piece.smoothed, cycles, whole, cfg.low):
            found.append(_Cycle(piece.span.start + start, piece.span.start + end, True))
    return sorted(found, key=lambda c: c.start)


def _cut_by_span(
    level: NDArray[np.float64], cycles: list[tuple[int, int]], cfg: CountConfig
) -> list[bool]:
    """Per cycle, whether the span's first or last frame cuts it: away from rest there."""
    last = len(level) - 1
    return [
        (s == 0 and level[0] >= cfg.low) or (e == last and level[last] >= cfg.low)
        for s, e in cycles
    ]


def _set_threshold(cut: list[bool], span_range: float, cfg: CountConfig) -> float:
    """The far threshold of a span whose first count found cycles, ``cut`` or not by the span.

    With :data:`MIN_SET_REPS` whole repetitions, :data:`SET_HIGH`, but never under ``min_range``
    degrees of the span's ``span_range`` (a movement that small is noise, as it is for a whole
    span) nor over ``high``; else ``high``.
    """
    if sum(not c for c in cut) < MIN_SET_REPS:
        return cfg.high
    return min(cfg.high, max(SET_HIGH, cfg.min_range / max(span_range, 1e-9)))


def _rest_high(track: _Track, exercise: str | None, cfg: CountConfig) -> bool:
    """Whether rest is the signal's high side (see step 3 of the module docstring)."""
    known = None if exercise is None else find_exercise(exercise)
    if known is not None and known.rest != "either" and known.signal == track.name:
        return known.rest == "high"
    full = {side: sum(not c.partial for c in _cycles(track, side, cfg)) for side in (True, False)}
    if full[True] != full[False]:
        return full[True] > full[False]
    first = track.pieces[0]
    head = float(first.smoothed[: max(1, len(first.smoothed) // 20)].mean())
    return abs(head - first.hi) < abs(head - first.lo)


def count_in_spans(
    angles: JointAngles,
    spans: Sequence[Span],
    exercise: str | None = None,
    config: CountConfig | None = None,
) -> RepetitionReport:
    """Count the repetitions of ``angles`` inside ``spans`` (see the module docstring)."""
    cfg = config or CountConfig()
    signals = candidate_signals(angles)
    names = exercise_signals(exercise, signals) if exercise is not None else list(signals)
    tracks = [_track(n, signals[n], spans, angles.fps, cfg) for n in names]
    if not any(t.pieces for t in tracks):
        measured = {n: int(np.isfinite(signals[n]).sum()) for n in names}
        if max(measured.values()) < 2:
            raise ValueError(f"no usable angle signal: {', '.join(names)} never measured")
        # Seen, but never steadily enough to count on (every span too short or too patchy).
        nothing = np.full(angles.num_frames, np.nan)
        name = max(measured, key=lambda n: measured[n])
        return RepetitionReport(name, nothing, 0.0, None, (), angles.fps, spans=tuple(spans))
    track = max(tracks, key=lambda t: t.score)
    raw = np.full(angles.num_frames, np.nan)  # (T,) NaN outside the spans
    smoothed = np.full(angles.num_frames, np.nan)
    for piece in track.pieces:
        raw[piece.span.start : piece.span.end + 1] = piece.raw
        smoothed[piece.span.start : piece.span.end + 1] = piece.smoothed
    cycles = _cycles(track, _rest_high(track, exercise, cfg), cfg, signals)

    def repetitions(partial: bool) -> tuple[Repetition, ...]:
        chosen = [c for c in cycles if c.partial == partial]
        return tuple(measure_repetition(signals, raw, angles.fps, c.start, c.end) for c in chosen)

    longest = max(track.pieces, key=lambda p: p.span.frames)
    return RepetitionReport(
        signal=track.name,
        smoothed=smoothed,
        periodicity=longest.periodicity,
        period_s=None if longest.lag is None else longest.lag / angles.fps,
        repetitions=repetitions(False),
        fps=angles.fps,
        partial=repetitions(True),
        spans=tuple(spans),
    )
