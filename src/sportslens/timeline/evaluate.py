"""How good a timeline is: segment precision, recall and F1 at a temporal IoU, and frame accuracy.

A predicted action segment is a hit when it has the true segment's label and their temporal
intersection over union reaches the threshold (0.5, as in ActivityNet and THUMOS); each true
segment is matched at most once, best overlaps first. Frame accuracy compares the label shown at
every frame, background included.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sportslens.timeline.build import BACKGROUND_LABEL, Timeline


class Span(Protocol):
    """Anything with a label and a time span: predicted and true segments alike."""

    @property
    def label(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


@dataclass(frozen=True)
class SegmentScores:
    """Counts and rates of one or more videos.

    ``counted`` is the hits whose predicted segment has a repetition count (skeleton models)
    and whose true segment knows its repetitions; ``counts_exact`` of them match the true count
    and ``count_error`` sums the absolute differences.
    """

    hits: int
    predicted: int
    true: int
    frames_right: int
    frames: int
    counted: int = 0
    counts_exact: int = 0
    count_error: int = 0

    @property
    def precision(self) -> float:
        return self.hits / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.true if self.true else 0.0

    @property
    def f1(self) -> float:
        both = self.precision + self.recall
        return 2 * self.precision * self.recall / both if both else 0.0

    @property
    def frame_accuracy(self) -> float:
        return self.frames_right / self.frames if self.frames else 0.0

    @property
    def count_exact_rate(self) -> float | None:
        """The share of counted hits with the true repetition count (None: none counted)."""
        return self.counts_exact / self.counted if self.counted else None

    @property
    def count_mean_abs_error(self) -> float | None:
        return self.count_error / self.counted if self.counted else None

    def __add__(self, other: SegmentScores) -> SegmentScores:
        return SegmentScores(*(a + b for a, b in zip(_counts(self), _counts(other), strict=True)))

    def to_dict(self) -> dict[str, Any]:
        rates = (
            "precision", "recall", "f1", "frame_accuracy", "count_exact_rate",
            "count_mean_abs_error",
        )  # fmt: skip
        return {**asdict(self), **{name: getattr(self, name) for name in rates}}


def temporal_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Intersection over union of two ``(start, end)`` time spans."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


def match_segments(
    predicted: Sequence[Span], true: Sequence[Span], threshold: float = 0.5
) -> list[tuple[int, int, float]]:
    """One-to-one ``(predicted, true, iou)`` matches of equal labels at IoU >= ``threshold``."""
    pairs = [
        (temporal_iou((p.start, p.end), (t.start, t.end)), i, j)
        for i, p in enumerate(predicted)
        for j, t in enumerate(true)
        if p.label == t.label
    ]
    used_p: set[int] = set()
    used_t: set[int] = set()
    matches = []
    for iou, i, j in sorted(pairs, key=lambda x: (-x[0], x[1], x[2])):
        if iou >= threshold and i not in used_p and j not in used_t:
            matches.append((i, j, iou))
            used_p.add(i)
            used_t.add(j)
    return sorted(matches)


def frame_labels(segments: Sequence[Span], num_frames: int, fps: float) -> NDArray[Any]:
    """The label at each frame's start time, (N,) object array; background where none."""
    labels = np.full(num_frames, BACKGROUND_LABEL, dtype=object)
    times = np.arange(num_frames) / fps  # (N,)
    for segment in segments:
        if segment.label != BACKGROUND_LABEL:
            labels[(times >= segment.start) & (times < segment.end)] = segment.label
    return labels


def score_timeline(
    timeline: Timeline, true: Sequence[Span], threshold: float = 0.5
) -> SegmentScores:
    """Compare one timeline with the true action segments of its video."""
    predicted = timeline.actions
    matches = match_segments(predicted, true, threshold)
    shown = frame_labels(predicted, timeline.num_frames, timeline.fps)
    wanted = frame_labels(true, timeline.num_frames, timeline.fps)
    right = int((shown == wanted).sum())
    errors = [
        abs(reps.count - true_reps)
        for i, j, _ in matches
        if (reps := predicted[i].repetitions) is not None
        and (true_reps := int(getattr(true[j], "reps", 0))) > 0
    ]
    return SegmentScores(
        len(matches), len(predicted), len(true), right, timeline.num_frames,
        len(errors), errors.count(0), sum(errors),
    )  # fmt: skip


def evaluate_sessions(
    make_timeline: Callable[[Path], Timeline],
    folder: str | Path,
    *,
    threshold: float = 0.5,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Score a timeline of every session video (``*.mp4`` with a truth ``.json`` beside it).

    Returns per-video rows and the totals (micro-averaged over all segments and frames), with
    the processing speed as a multiple of real time.
    """
    from sportslens.timeline.truth import read_true_segments

    root = Path(folder)
    videos = sorted(p for p in root.glob("*.mp4") if p.with_suffix(".json").is_file())
    if not videos:
        raise ValueError(f"{root}: no session videos (*.mp4 with a .json of true segments beside)")
    rows, total, seconds, elapsed = [], SegmentScores(0, 0, 0, 0, 0), 0.0, 0.0
    for video in videos:
        if progress is not None:
            progress(video.name)
        _, true = read_true_segments(video.with_suffix(".json"))
        started = time.perf_counter()
        timeline = make_timeline(video)
        elapsed += time.perf_counter() - started
        seconds += timeline.duration
        scores = score_timeline(timeline, true, threshold)
        total = total + scores
        rows.append({"video": video.name, "duration": timeline.duration, **scores.to_dict()})
    return {
        "iou_threshold": threshold,
        "videos": rows,
        "total": total.to_dict(),
        "seconds_of_video": seconds,
        "seconds_taken": elapsed,
        "realtime": seconds / elapsed if elapsed else 0.0,
    }


def _counts(scores: SegmentScores) -> tuple[int, ...]:
    return tuple(getattr(scores, f.name) for f in fields(scores))
