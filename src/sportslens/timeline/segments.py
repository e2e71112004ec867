"""From window scores to segments: smoothing, the background decision, runs and short-run merging.

Pure functions on arrays. Scores are ``(W, K)`` class probabilities of ``W`` windows in time
order; a window label is a class index or :data:`BACKGROUND` (-1). A run is a maximal stretch of
windows sharing a label, given as ``(label, first, last)`` window indices (inclusive). Times come
from window centres: the boundary between two windows is halfway between their centres, the first
window reaches back to 0 s and the last one on to the end of the video.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

BACKGROUND = -1
"""The label of windows where no action is recognised."""


class Run(NamedTuple):
    """Windows ``first`` to ``last`` (inclusive) that share ``label``."""

    label: int
    first: int
    last: int


def smooth_scores(scores: NDArray[Any], size: int) -> NDArray[Any]:
    """Centred moving average over ``size`` windows (odd); edges average what they have.

    Averaging probabilities, not labels, lets a confident neighbour outvote one flickering window.
    """
    if size < 1 or size % 2 == 0:
        raise ValueError(f"the smoothing size must be an odd number of windows, got {size}")
    if scores.ndim != 2:
        raise ValueError(f"expected scores shaped (windows, classes), got {scores.shape}")
    half = size // 2
    padded = np.pad(scores.astype(np.float64), ((1, 0), (0, 0)))  # (W + 1, K), leading zero row
    cumulative = np.cumsum(padded, axis=0)  # (W + 1, K)
    count = len(scores)
    low = np.clip(np.arange(count) - half, 0, count)  # (W,) first window averaged
    high = np.clip(np.arange(count) + half + 1, 0, count)  # (W,) one past the last
    sums = cumulative[high] - cumulative[low]  # (W, K)
    smoothed: NDArray[Any] = sums / (high - low)[:, None]
    return smoothed


def window_labels(
    scores: NDArray[Any], threshold: float, background: int | None = None
) -> NDArray[Any]:
    """Each window's best class, or :data:`BACKGROUND` where it scores below ``threshold`` or is
    the model's own ``background`` class; (W,) int64."""
    best = scores.argmax(axis=1)  # (W,)
    labels: NDArray[Any] = np.where(scores.max(axis=1) < threshold, BACKGROUND, best)
    if background is not None:
        labels[best == background] = BACKGROUND
    return labels.astype(np.int64)


def background_scores(scores: NDArray[Any], background: int | None = None) -> NDArray[Any]:
    """How sure each window is that nothing happens, (W,): the background class's probability if
    the model has one, else one minus the best class's probability."""
    if background is not None:
        own: NDArray[Any] = scores[:, background]
        return own
    rest: NDArray[Any] = 1.0 - scores.max(axis=1)
    return rest


def find_runs(labels: NDArray[Any]) -> list[Run]:
    """Maximal runs of equal labels, in order."""
    if len(labels) == 0:
        return []
    cuts = np.flatnonzero(np.diff(labels)) + 1  # first window of every run after the first
    firsts = np.concatenate([[0], cuts])
    lasts = np.concatenate([cuts - 1, [len(labels) - 1]])
    return [Run(int(labels[a]), int(a), int(b)) for a, b in zip(firsts, lasts, strict=True)]


def window_edges(centres: NDArray[Any], duration: float) -> NDArray[Any]:
    """Time boundaries of the windows' shares of the video, (W + 1,) seconds from 0 to the end."""
    middles = (centres[:-1] + centres[1:]) / 2
    edges: NDArray[Any] = np.concatenate([[0.0], middles, [max(duration, float(centres[-1]))]])
    return edges


def merge_short_runs(runs: list[Run], edges: NDArray[Any], min_length: float) -> list[Run]:
    """Absorb runs shorter than ``min_length`` seconds into a neighbour until none is left.

    The shortest run goes first, into the longer of its neighbours (the earlier one on a tie);
    between two runs of one label it joins them both. A lone run is kept however short.
    """
    merged = list(runs)
    while len(merged) > 1:
        lengths = [edges[r.last + 1] - edges[r.first] for r in merged]
        i = int(np.argmin(lengths))
        if lengths[i] >= min_length:
            break
        left = merged[i - 1] if i > 0 else None
        right = merged[i + 1] if i + 1 < len(merged) else None
        if left is not None and right is not None and left.label == right.label:
            merged[i - 1 : i + 2] = [Run(left.label, left.first, right.last)]
        elif right is None or (left is not None and lengths[i - 1] >= lengths[i + 1]):
            assert left is not None
            merged[i - 1 : i + 1] = [Run(left.label, left.first, merged[i].last)]
        else:
            merged[i : i + 2] = [Run(right.label, merged[i].first, right.last)]
    return merged


def segment_runs(
    scores: NDArray[Any],
    centres: NDArray[Any],
    duration: float,
    *,
    smooth: int = 3,
    threshold: float = 0.5,
    background: int | None = None,
    min_length: float = 1.0,
) -> list[Run]:
    """The whole decision: smooth, label each window, find runs, merge the short ones."""
    smoothed = smooth_scores(scores, smooth)  # (W, K)
    runs = find_runs(window_labels(smoothed, threshold, background))
    return merge_short_runs(runs, window_edges(centres, duration), min_length)
