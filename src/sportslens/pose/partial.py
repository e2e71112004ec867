"""Whether a repetition at the start or end of a span is whole, as a coach would judge it.

A repetition counts when the athlete goes from the set's position through the movement and back
to that position. The hysteresis counter (:mod:`sportslens.pose.reps`) sees one signal only, so
at the edges of a set it can count a movement a coach would not: the last descent of a push-up
set that ends with a push up onto the knees (the elbows extend, as in every repetition, but the
body never returns to the plank), or a shallow first dip while the athlete settles in. So the
first and the last whole repetition of each span, compared with the others of the same span
(at least :data:`MIN_SET` of them, else there is no set to compare with), are *partial* when

- their range of motion on the counted signal is under :data:`MIN_RANGE_FRACTION` of the set's
  median range (half a repetition is not a repetition), or
- the body is not back where the set's repetitions return to: at the last repetition's end (the
  first one's start) a posture joint pair (the mean of both ``knees`` or both ``hips``) is more
  than :data:`MIN_POSE_CHANGE` degrees, and more than :data:`SPREAD_FACTOR` times its
  usual scatter, from the median of the other repetitions' ends (starts).

Inner repetitions are never judged here: the set itself is what they define. A movement before
the first repetition or after the last that leaves rest but never reaches the counter's far
threshold is a half repetition too (:func:`shallow_edges`) when it moves at least
:data:`MIN_PARTIAL_FRACTION` of the set's median range (smaller ones are settling in) and comes
back inside the span (one cut by the footage's edge may have been anything).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

MIN_SET = 3
"""Whole repetitions besides the one judged that a span needs before its edges are judged."""
MIN_RANGE_FRACTION = 0.5
"""An edge repetition moving under half the set's median range is a half repetition."""
MIN_POSE_CHANGE = 25.0
"""Degrees a joint pair must be away from where the set's repetitions end to count as another
position. MediaPipe's angles of a still joint scatter by 5-10°, repetitions end a little
higher or lower than each other; 25° is a visible change of posture (knees going down to the
floor, a trunk coming up)."""
SPREAD_FACTOR = 3.0
"""... and this many times the scatter (1.4826 × median absolute deviation) of that joint pair
among the set's other repetitions, so a joint that ends anywhere in a loose set is not judged."""
MIN_PARTIAL_FRACTION = 1 / 3
"""A movement at a set's edge short of a repetition is reported as a half one from a third of the
set's median range up (a lifter setting up, a last shuffle move less)."""
POSE_JOINTS = ("knees", "hips")
"""The candidate signals (left/right means) that say where the body is: standing, kneeling, in
the plank or lying. The counted signal already says the moving limb came back; the arms'
angles at rest vary too much between repetitions (and with keypoint noise) to judge by."""
_POSE_WINDOW = 3
"""Frames either side of a repetition's start or end whose median is its position there."""


def unfinished_edges(
    cycles: Sequence[tuple[int, int]],
    counted: NDArray[np.float64],
    signals: dict[str, NDArray[np.float64]],
) -> set[int]:
    """Indices into ``cycles`` (whole repetitions of one span, in order, as (start, end) frames)
    of the first and last that are partial (see the module docstring).

    ``counted`` is the (T,) signal counted on; ``signals`` every candidate signal (T,), NaN where
    unmeasured; frames are the same numbering as ``cycles``.
    """
    if len(cycles) < MIN_SET + 1:
        return set()
    ranges = np.array([np.ptp(counted[s : e + 1]) for s, e in cycles])  # (N,)
    partial = set()
    for index, edge in ((0, 0), (len(cycles) - 1, 1)):
        others = [i for i in range(len(cycles)) if i != index]
        if ranges[index] < MIN_RANGE_FRACTION * float(np.median(ranges[others])):
            partial.add(index)
            continue
        frames = [cycles[i][edge] for i in range(len(cycles))]
        if _elsewhere(frames, index, signals):
            partial.add(index)
    return partial


def _elsewhere(frames: list[int], index: int, signals: dict[str, NDArray[np.float64]]) -> bool:
    """Whether the body at ``frames[index]`` is away from where it is at the other frames."""
    for name in POSE_JOINTS:
        if name not in signals:
            continue
        values = np.array([_position(signals[name], f) for f in frames])  # (N,)
        others = np.delete(values, index)
        others = others[np.isfinite(others)]
        if not np.isfinite(values[index]) or len(others) < MIN_SET:
            continue
        centre = float(np.median(others))
        spread = 1.4826 * float(np.median(np.abs(others - centre)))
        if abs(values[index] - centre) > max(MIN_POSE_CHANGE, SPREAD_FACTOR * spread):
            return True
    return False


def _position(signal: NDArray[np.float64], frame: int) -> float:
    window = signal[max(0, frame - _POSE_WINDOW) : frame + _POSE_WINDOW + 1]
    window = window[np.isfinite(window)]
    return float(np.median(window)) if window.size else float("nan")


def shallow_edges(
    level: NDArray[np.float64],
    degrees: NDArray[np.float64],
    cycles: Sequence[tuple[int, int]],
    whole: Sequence[tuple[int, int]],
    low: float,
) -> list[tuple[int, int]]:
    """(start, end) of the deepest movement away from rest before a span's first repetition
    and after its last one that is a half repetition (see the module docstring).

    ``level`` (S,) is the span's signal scaled 0 at rest to 1 at the far extreme, ``degrees``
    (S,) the same signal in degrees, ``cycles`` its excursions in order (cut ones included),
    ``whole`` those not cut by the span, the set measured against; ``low`` is the level that
    leaves rest. Without a whole repetition there is no set, and nothing is judged.
    """
    if not whole:
        return []
    set_range = float(np.median([np.ptp(degrees[s : e + 1]) for s, e in whole]))
    found = []
    for first, last in ((0, cycles[0][0] - 1), (cycles[-1][1] + 1, len(level) - 1)):
        if last - first < 2:
            continue
        away = level[first : last + 1] >= low  # (R,)
        edges = np.diff(np.r_[0, away.astype(np.int8), 0])
        runs = [
            (first + int(s), first + int(e))
            for s, e in zip(
                np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True
            )
        ]
        if not runs:
            continue
        start, end = max(runs, key=lambda r: float(level[r[0] : r[1] + 1].max()))
        # The whole movement: out to where the signal stops sinking towards rest either side.
        while start > first and level[start - 1] < level[start]:
            start -= 1
        while end < last and level[end + 1] < level[end]:
            end += 1
        inside = start > 0 and end < len(level) - 1  # cut by the footage: depth unknown
        if inside and np.ptp(degrees[start : end + 1]) >= MIN_PARTIAL_FRACTION * set_range:
            found.append((start, end))
    return found
