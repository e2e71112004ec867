"""Crossings undone offline: two tracks that met swap their futures when motion says so.

When two people cross, the pose backend often sees only the nearer one for a few frames, and
which track continues that body is a guess between near-equal costs: the wrong guess hands
one person's future to the other's track (an identity switch while both stay visible). Once the
whole video is seen, each meeting of two tracks can be judged by what came before and after
it: each track's motion up to the moment who is who became a guess (a straight line fitted to
its body centres) is carried across the meeting and compared with each track's first frames
after it. When the other track's future continues that motion and body size clearly better,
the two futures are swapped.

A *meeting* is a run of frames in which the two body centres lie within ``reach`` body sizes of
each other, or one of the two is missing from a frame inside that run (hidden behind the other).

When only one of the two was followed into the crossing, its region can slide onto the other
body, and the person it left is found again a moment later as a new track: that *newcomer*
takes over the track's past when the past's motion leads to the newcomer and not to where the
track went (:func:`_hand_over_to_newcomers`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Box", "CrossingSettings", "History", "uncross"]

History = dict[int, tuple[NDArray[np.float32], NDArray[np.float32]]]
"""frame -> (points (V, 2), scores (V,)) of one track."""
Box = Callable[[History, int], tuple[NDArray[Any], float]]
"""(history, frame) -> (body centre (2,), body size) at that frame."""


@dataclass(frozen=True)
class CrossingSettings:
    """When two tracks have met, and how much better a swap must explain their motion."""

    reach: float = 0.5
    """Body centres within this many body sizes (the smaller of the two) are meeting."""
    window: float = 0.3
    """Seconds of each track looked at before a meeting's split and after the meeting."""
    longest: float = 2.0
    """Meetings longer than this many seconds are left alone (people side by side, not
    crossing: their motion before says nothing about who is who after)."""
    margin: float = 0.15
    """A swap must lower the summed cost (body sizes) by at least this much, and halve it."""
    newcomer: float = 0.7
    """Seconds: a track that starts at most this long after another track's split may take over
    that track's past (:func:`_hand_over_to_newcomers`; 0: off). On the crowd seeds, 0.7 s:
    IDF1 0.835 -> 0.857, 0.715 (same), 0.890 -> 0.912 on the three sets, switches 21 -> 19, 12,
    4 -> 2; 1 s or more adds switches (docs/benchmarks.md, ninth round)."""


@dataclass(frozen=True)
class _Meeting:
    first: int  # first frame of the meeting
    last: int  # last frame of the meeting
    split: int  # the frame from which the futures would be swapped


def uncross(histories: list[History], box: Box, settings: CrossingSettings, fps: float) -> int:
    """Swap, in place, the futures of tracks that crossed and came out on each other's
    track, then hand slid tracks' pasts to their newcomers; returns how many swaps were made.
    The meetings are found first, then judged in the order they begin, each on the histories
    as the swaps before it left them."""
    longest, window = round(settings.longest * fps), max(3, round(settings.window * fps))
    bodies = [{frame: box(h, frame) for frame in h} for h in histories]  # each box once
    meetings = []
    for a in range(len(histories)):
        for b in range(a + 1, len(histories)):
            for meeting in _meetings(bodies[a], bodies[b], settings.reach, longest):
                meetings.append((meeting.first, a, b, meeting))
    swaps = 0
    for _, a, b, meeting in sorted(meetings, key=lambda m: m[:3]):
        if _swap_is_better(histories[a], histories[b], meeting, box, window, settings.margin):
            _swap_from(histories[a], histories[b], meeting.split)
            swaps += 1
    horizon = round(settings.newcomer * fps)
    return swaps + _hand_over_to_newcomers(histories, box, settings.margin, horizon, window)


def _hand_over_to_newcomers(
    histories: list[History], box: Box, margin: float, horizon: int, window: int
) -> int:
    """Give a track's past to a track that starts later where that past was heading, when the
    track itself is then elsewhere: two people crossed while only one of them was followed, the
    region slid onto the other body, and the person it left is found again a moment later (at
    most ``horizon`` frames after the split) as a new track. Both are judged at the newcomer's
    first frames, against the track's motion before each frame of the horizon; the track is
    split at the change point (:func:`_change_point`) from the first frame that passes."""
    if horizon <= 0:
        return 0
    swaps = 0
    for a, b in itertools.permutations(range(len(histories)), 2):
        one, two = histories[a], histories[b]
        start = min(two, default=0)
        if not two or not one or min(one) >= start - window or max(one) < start:
            continue
        newcomer, own = _after(two, start - 1, window, box), _after(one, start - 1, window, box)
        if newcomer is None or own is None:
            continue
        passing = []  # (frame, the motion before it) where the past leads to the newcomer
        for frame in range(start - horizon, start + 1):
            before = _before(one, frame, window, box) if frame in one else None
            if before is None:
                continue
            kept, swapped = _cost(before, own), _cost(before, newcomer)
            if swapped + margin <= kept and swapped <= 0.5 * kept:
                passing.append((frame, before))
        if passing:
            _swap_from(one, two, _change_point(one, passing[0], own, start, box))
            swaps += 1
    return swaps


def _change_point(
    history: History, first: tuple[int, _Span], own: _Span, start: int, box: Box
) -> int:
    """The frame from ``first`` (a split and the motion before it) up to ``start`` at which the
    track's body centres stop following that motion's line and follow the line of its own
    frames from ``start`` on (``own``), carried back: where its region left one body for the
    other, which the two people's overlap before it leaves a guess."""
    split, before = first
    frames = np.array([f for f in range(split, start) if f in history], np.float64)
    if not len(frames):
        return split
    centres = np.array([box(history, int(f))[0] for f in frames])  # (n, 2)
    off_past = np.linalg.norm(centres - _line(before, frames), axis=1)  # (n,)
    off_own = np.linalg.norm(centres - _line(own, frames), axis=1)
    # cost of splitting before frames[k]: frames[:k] on the past's line, the rest on its own
    costs = [off_past[:k].sum() + off_own[k:].sum() for k in range(len(frames) + 1)]
    best = int(np.argmin(costs))
    return int(frames[best]) if best < len(frames) else start


def _line(span: _Span, frames: NDArray[np.float64]) -> NDArray[np.float64]:
    """(n, 2) body centres at ``frames`` on the straight line fitted to ``span``."""
    times, centres, _ = span
    slope, intercept = np.polyfit(times, centres, 1)  # (2,), (2,)
    return np.asarray(intercept + np.outer(frames, slope), np.float64)


_Bodies = dict[int, tuple[NDArray[Any], float]]
"""frame -> (body centre (2,), body size) of one track."""


def _meetings(one: _Bodies, two: _Bodies, reach: float, longest: int) -> list[_Meeting]:
    """The runs of frames where the two tracks meet (see the module's docstring), at most
    ``longest`` frames long. A meeting's split is the first frame one of them is missing in
    (from there on who is who was a guess), or else the frame they came nearest."""
    start, end = max(min(one), min(two)), min(max(one), max(two))
    found: list[_Meeting] = []
    first: int | None = None
    hidden: int | None = None
    nearest = (np.inf, start)  # (distance, frame)
    for frame in range(start, end + 1):
        both = frame in one and frame in two
        distance = np.inf
        if both:
            (a, size_a), (b, size_b) = one[frame], two[frame]
            distance = float(np.hypot(*(a - b))) / min(size_a, size_b)  # body sizes
        if first is None:
            if distance < reach:
                first, hidden, nearest = frame, None, (distance, frame)
            continue
        if both and distance >= reach:
            if frame - first <= longest:
                split = hidden if hidden is not None else nearest[1]
                found.append(_Meeting(first, frame - 1, split))
            first = None
        elif not both:
            hidden = frame if hidden is None else hidden
        else:
            nearest = min(nearest, (distance, frame))
    return found


def _swap_is_better(
    one: History, two: History, meeting: _Meeting, box: Box, window: int, margin: float
) -> bool:
    """Whether each track's motion up to ``meeting``'s split continues into the other's
    future better than into its own (by ``margin`` body sizes, and by half)."""
    one_before, two_before = (_before(h, meeting.split, window, box) for h in (one, two))
    one_after, two_after = (_after(h, meeting.last, window, box) for h in (one, two))
    if one_before is None or two_before is None or one_after is None or two_after is None:
        return False  # too little seen either side to judge
    kept = _cost(one_before, one_after) + _cost(two_before, two_after)
    swapped = _cost(one_before, two_after) + _cost(two_before, one_after)
    return swapped + margin <= kept and swapped <= 0.5 * kept


_Span = tuple[NDArray[np.float64], NDArray[np.float64], float]
"""(frames (n,), body centres (n, 2), median body size) of a track's frames next to a meeting."""


def _span(history: History, frames: list[int], box: Box) -> _Span | None:
    if len(frames) < 3:
        return None
    boxes = [box(history, f) for f in frames]
    centres = np.array([c for c, _ in boxes], np.float64)
    return np.array(frames, np.float64), centres, float(np.median([s for _, s in boxes]))


def _before(history: History, split: int, window: int, box: Box) -> _Span | None:
    """The track's last ``window`` frames seen before ``split``, within 2 windows of it."""
    frames = [f for f in range(split - 2 * window, split) if f in history][-window:]
    return _span(history, frames, box)


def _after(history: History, last: int, window: int, box: Box) -> _Span | None:
    """The track's first ``window`` frames seen after ``last``, within 2 windows of it."""
    frames = [f for f in range(last + 1, last + 1 + 2 * window) if f in history][:window]
    return _span(history, frames, box)


def _cost(before: _Span, after: _Span) -> float:
    """How badly ``after`` continues ``before``: the mean distance (in body sizes) between
    ``after``'s centres and ``before``'s last centre moved on to their frames at the velocity
    of a straight line fitted to ``before``, plus how far the body size changed (|log| of the
    ratio: a nearer person is larger)."""
    frames, centres, size = before
    velocity = np.polyfit(frames - frames[-1], centres, 1)[0]  # (2,) pixels per frame
    later, seen, other_size = after
    expected = centres[-1] + np.outer(later - frames[-1], velocity)  # (n, 2)
    distance = float(np.linalg.norm(seen - expected, axis=1).mean()) / size
    return distance + abs(float(np.log(other_size / size)))


def _swap_from(one: History, two: History, frame: int) -> None:
    """Exchange, in place, the two histories' entries from ``frame`` on."""
    later_one = {f: v for f, v in one.items() if f >= frame}
    later_two = {f: v for f, v in two.items() if f >= frame}
    for f in later_one:
        del one[f]
    for f in later_two:
        del two[f]
    one.update(later_two)
    two.update(later_one)
