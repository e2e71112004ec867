"""Smoothing, the background decision, runs, merging and matching on hand-made scores."""

from __future__ import annotations

import numpy as np
import pytest

from sportslens.timeline import TimelineOptions, WindowSize, assemble_timeline
from sportslens.timeline.evaluate import frame_labels, match_segments, temporal_iou
from sportslens.timeline.segments import (
    BACKGROUND,
    Run,
    find_runs,
    merge_short_runs,
    smooth_scores,
    window_edges,
    window_labels,
)
from sportslens.timeline.windows import WindowPlan


def test_smoothing_is_a_centred_mean_that_shrinks_at_the_edges() -> None:
    scores = np.array([[0.0], [3.0], [6.0], [0.0], [9.0]])
    expected = [[1.5], [3.0], [3.0], [5.0], [4.5]]  # edges average two windows, others three
    assert np.allclose(smooth_scores(scores, 3), expected)
    assert np.allclose(smooth_scores(scores, 1), scores)
    assert np.allclose(smooth_scores(scores, 5)[2], [3.6])
    with pytest.raises(ValueError, match="odd"):
        smooth_scores(scores, 2)


def test_smoothing_removes_a_one_window_flicker() -> None:
    a, b = [0.9, 0.1], [0.2, 0.8]
    labels = window_labels(smooth_scores(np.array([a, a, b, a, a]), 3), threshold=0.5)
    assert labels.tolist() == [0, 0, 0, 0, 0]


def test_window_labels_threshold_and_background_class() -> None:
    scores = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25], [0.1, 0.1, 0.8], [0.1, 0.6, 0.3]])
    assert window_labels(scores, 0.5).tolist() == [0, BACKGROUND, 2, 1]
    assert window_labels(scores, 0.5, background=2).tolist() == [0, BACKGROUND, BACKGROUND, 1]
    assert window_labels(scores, 0.0).tolist() == [0, 0, 2, 1]


def test_find_runs() -> None:
    assert find_runs(np.array([1, 1, -1, -1, -1, 0, 1])) == [
        Run(1, 0, 1),
        Run(-1, 2, 4),
        Run(0, 5, 5),
        Run(1, 6, 6),
    ]
    assert find_runs(np.array([], dtype=np.int64)) == []


def test_window_edges_are_midpoints_between_centres() -> None:
    edges = window_edges(np.array([1.0, 2.0, 4.0]), duration=5.0)
    assert edges.tolist() == [0.0, 1.5, 3.0, 5.0]


EDGES = np.arange(11, dtype=float)  # ten windows of one second each


@pytest.mark.parametrize(
    ("labels", "min_length", "expected"),
    [
        # A one-second blip between two runs of one label joins them.
        ([0, 0, 0, 1, 0, 0, 0, 0, 0, 0], 2.0, [Run(0, 0, 9)]),
        # A short run goes into its longer neighbour.
        ([0, 0, 0, 0, 1, 2, 2, 2, 2, 2], 2.0, [Run(0, 0, 3), Run(2, 4, 9)]),
        # Equal neighbours: the earlier one takes it.
        ([0, 0, 0, 1, 2, 2, 2, -1, -1, -1], 1.5, [Run(0, 0, 3), Run(2, 4, 6), Run(-1, 7, 9)]),
        # Shortest first: the 1 s run joins its longer (4 s) neighbour; the 2 s run is not short.
        ([0, 0, 0, 1, 1, 2, 3, 3, 3, 3], 2.0, [Run(0, 0, 2), Run(1, 3, 4), Run(3, 5, 9)]),
        # Nothing shorter than the minimum: unchanged.
        ([0, 0, 1, 1, 1, 1, 2, 2, 2, 2], 2.0, [Run(0, 0, 1), Run(1, 2, 5), Run(2, 6, 9)]),
        # A lone short run stays.
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 20.0, [Run(1, 0, 9)]),
    ],
)
def test_merge_short_runs(labels: list[int], min_length: float, expected: list[Run]) -> None:
    runs = find_runs(np.array(labels))
    assert merge_short_runs(runs, EDGES, min_length) == expected


def _plan(count: int, fps: float = 10.0) -> WindowPlan:
    """Windows of 10 frames every 10 frames: window i covers [i, i + 1) seconds."""
    starts = np.arange(count, dtype=np.int64) * 10
    indices = starts[:, None] + np.array([2, 7])
    return WindowPlan(count * 10, fps, WindowSize(10, 10, 5), starts, starts + 9, indices)


def test_assemble_turns_scores_into_timed_segments() -> None:
    a, b, idle = [0.9, 0.1, 0.0], [0.1, 0.8, 0.1], [0.34, 0.33, 0.33]
    scores = np.array([idle, idle, a, a, a, idle, b, b, b, b])  # (10, 3)
    options = TimelineOptions(smooth=1, threshold=0.5, min_segment=0.5)
    timeline = assemble_timeline("v.mp4", _plan(10), scores, ["a", "b", "c"], options)
    got = [(s.label, s.start, s.end, s.start_frame, s.end_frame) for s in timeline.segments]
    assert got == [
        ("background", 0.0, 2.0, 0, 19),
        ("a", 2.0, 5.0, 20, 49),
        ("background", 5.0, 6.0, 50, 59),
        ("b", 6.0, 10.0, 60, 99),
    ]
    first_a = timeline.segments[1]
    assert first_a.mean_score == pytest.approx(0.9)
    assert timeline.segments[0].mean_score == pytest.approx(1 - 0.34)  # no background class
    assert [w.labels[0] for w in timeline.windows[2:4]] == ["a", "a"]
    assert timeline.segment_at(5.5).background and timeline.segment_at(99.0).label == "b"


def test_assemble_uses_the_models_background_class_and_peak() -> None:
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.6, 0.4], [0.2, 0.8]])
    options = TimelineOptions(smooth=1, threshold=0.0, min_segment=0.0)
    timeline = assemble_timeline("v", _plan(4), scores, ["jump", "no_action"], options)
    assert [(s.label, s.background) for s in timeline.segments] == [
        ("background", True),
        ("jump", False),
        ("background", True),
    ]
    assert timeline.segments[1].peak_score == pytest.approx(0.8)
    assert timeline.segments[1].mean_score == pytest.approx(0.7)
    assert timeline.segments[0].mean_score == pytest.approx(0.9)  # the no_action probability


def test_temporal_iou() -> None:
    assert temporal_iou((0, 4), (2, 6)) == pytest.approx(2 / 6)
    assert temporal_iou((0, 1), (2, 3)) == 0.0
    assert temporal_iou((1, 3), (1, 3)) == 1.0


class _Seg:
    def __init__(self, label: str, start: float, end: float) -> None:
        self.label, self.start, self.end = label, start, end


def test_matching_is_one_to_one_same_label_and_best_first() -> None:
    true = [_Seg("a", 0, 10), _Seg("b", 20, 30)]
    predicted = [
        _Seg("a", 1, 9),  # IoU 0.8 with the true "a"
        _Seg("a", 0, 10),  # IoU 1.0: takes the true "a" first
        _Seg("a", 20, 30),  # right place, wrong label
        _Seg("b", 24, 40),  # IoU 6 / 20 = 0.3: too little overlap
    ]
    assert match_segments(predicted, true, 0.5) == [(1, 0, 1.0)]
    assert [(p, t) for p, t, _ in match_segments(predicted, true, 0.25)] == [(1, 0), (3, 1)]


def test_frame_labels() -> None:
    labels = frame_labels([_Seg("a", 0.5, 1.0), _Seg("background", 1.0, 2.0)], 8, fps=4.0)
    assert labels.tolist() == ["background", "background", "a", "a"] + ["background"] * 4
