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
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class _Meeting:
    first: int  # first frame of the meeting
    last: int  # last frame of the meeting
    split: int  # the frame from which the futures would be swapped


def uncross(histories: list[History], box: Box, settings: CrossingSettings, fps: float) -> int:
    """Swap, in place, the futures of tracks that crossed and came out on each other's
    track; returns how many swaps were made. The meetings are found first, then judged in
    the order they begin, each on the histories as the swaps before it left them."""
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
    return swaps


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
