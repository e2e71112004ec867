"""Timelines for skeleton models: windows over a whole video's keypoints, not over its frames.

Pose is extracted once for the whole video (or read from its keypoint file) before scoring;
:class:`SkeletonScorer` then slides windows over the keypoints. Each window is the frame span a
trimmed training clip was: its keypoints are cut out and go through
:func:`~sportslens.pose.normalize.normalize_sequence` exactly as
:class:`~sportslens.data.keypoint_dataset.KeypointDataset` prepares a training clip (centred on
that span's own hips, scaled by its torso, resampled to the model's length, never padded).

Windows are placed by the same arithmetic as a video model's
(:func:`~sportslens.timeline.windows.window_starts`, the last partial window included), so a
skeleton timeline and a video timeline with the same window and stride have the same windows.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from sportslens.pose.keypoints import Keypoints, load_keypoints
from sportslens.pose.normalize import (
    LEFT_HIP,
    LEFT_SHOULDER,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    SKELETON_INPUT,
    normalize_sequence,
)
from sportslens.timeline.build import Timeline
from sportslens.timeline.repetitions import count_span_repetitions
from sportslens.timeline.scoring import Progress
from sportslens.timeline.windows import WindowPlan, WindowSize, window_starts
from sportslens.video import Source, VideoInfo

SKELETON_WINDOW_SECONDS = 3.0
"""Default window of a skeleton model: 3 s, the length of the synthetic-athlete clips the
skeleton models are trained on (their 64-frame input is such a clip resampled). A skeleton
model's :class:`~sportslens.transforms.Preprocess` records the sequence length only, not how
long the clips were, so pass ``window=`` for models trained on clips of another length."""


def skeleton_window(fps: float, seconds: float = SKELETON_WINDOW_SECONDS) -> WindowSize:
    """``seconds`` in frames at ``fps``, and a quarter of it as the stride.

    Keypoints are resampled by interpolation, so no frame lattice constrains the stride (step 1).
    """
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    window = max(1, round(seconds * fps))
    return WindowSize(window, max(1, round(window / 4)), 1)


def plan_skeleton_windows(num_frames: int, fps: float, size: WindowSize, length: int) -> WindowPlan:
    """Place windows over ``num_frames`` keypoint frames; ``indices`` are the ``length`` frames
    (rounded) at which each window's sequence is resampled, for reporting."""
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    starts = window_starts(num_frames, size.window, size.stride)  # (W,)
    ends = np.minimum(starts + size.window - 1, num_frames - 1)  # (W,)
    positions = np.linspace(starts, ends, length, axis=1)  # (W, T) fractional frames
    return WindowPlan(num_frames, fps, size, starts, ends, np.rint(positions).astype(np.int64))


def window_sequence(kp: Keypoints, start: int, end: int, length: int) -> NDArray[np.float32]:
    """Model input ``(3, length, 17, 1)`` for frames ``start..end`` (inclusive) of ``kp``, as a
    training clip of those frames is prepared. Raises ValueError when no body is seen there."""
    span = replace(kp, keypoints=kp.keypoints[start : end + 1], scores=kp.scores[start : end + 1])
    try:
        return normalize_sequence(span, length)  # (3, T, 17, 1)
    except ValueError as error:
        raise ValueError(f"{kp.source}, frames {start}-{end}: {error}") from error


class SkeletonScorer:
    """Scores windows of a video with a skeleton model, on keypoints of the whole video.

    ``forward`` maps a batch ``(B, 3, T, 17, 1)`` to probabilities ``(B, K)`` (a
    :class:`~sportslens.predict.Predictor`'s). A window in which no frame shows a shoulder and a
    hip (nobody in view) cannot be normalised; it scores 0 for every class, so it is background
    at any positive threshold.
    """

    def __init__(
        self,
        keypoints: Keypoints,
        length: int,
        forward: Callable[[torch.Tensor], torch.Tensor],
        classes: Sequence[str],
        *,
        batch_size: int = 8,
        window_seconds: float = SKELETON_WINDOW_SECONDS,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.keypoints = keypoints.to_coco17()
        self.length = length
        self.forward = forward
        self._classes = list(classes)
        self.batch_size = batch_size
        self.window_seconds = window_seconds

    @property
    def classes(self) -> Sequence[str]:
        return self._classes

    def default_window(self, fps: float) -> WindowSize:
        return skeleton_window(fps, self.window_seconds)

    def plan(self, num_frames: int, fps: float, size: WindowSize) -> WindowPlan:
        if num_frames != self.keypoints.num_frames:
            raise ValueError(
                f"{self.keypoints.source}: {self.keypoints.num_frames} keypoint frames for a "
                f"video of {num_frames} frames; the keypoints must be of this video"
            )
        return plan_skeleton_windows(num_frames, fps, size, self.length)

    def score(
        self, source: Source, plan: WindowPlan, progress: Progress | None = None
    ) -> Iterator[NDArray[Any]]:
        """Probabilities per batch of windows; ``source`` is not decoded, the keypoints are."""
        empty = np.zeros(SKELETON_INPUT.shape(self.length), np.float32)  # (C, T, V, M)
        for first in range(0, len(plan), self.batch_size):
            rows = range(first, min(first + self.batch_size, len(plan)))
            spans = [(int(plan.starts[i]), int(plan.ends[i])) for i in rows]
            seen = np.array([body_in_view(self.keypoints, a, b) for a, b in spans])  # (B,)
            inputs = [
                window_sequence(self.keypoints, a, b, self.length) if body else empty
                for (a, b), body in zip(spans, seen, strict=True)
            ]  # B x (3, T, 17, 1)
            probs = self.forward(torch.from_numpy(np.stack(inputs))).numpy()  # (B, K)
            probs[~seen] = 0.0
            yield probs
            if progress is not None:
                progress(spans[-1][1] + 1)


def body_in_view(kp: Keypoints, start: int, end: int) -> bool:
    """Whether some frame of ``start..end`` shows a shoulder and a hip, which normalising needs."""
    scores = kp.scores[start : end + 1]  # (n, 17) COCO-17
    shoulder = (scores[:, [LEFT_SHOULDER, RIGHT_SHOULDER]] > 0).any(axis=1)  # (n,)
    hip = (scores[:, [LEFT_HIP, RIGHT_HIP]] > 0).any(axis=1)
    return bool((shoulder & hip).any())


def video_keypoints(path: str | os.PathLike[str], info: VideoInfo) -> Keypoints:
    """The keypoint file of the video ``info`` describes, checked to have one row per frame.

    Session files written before they recorded their frame size take the video's.
    """
    kp = load_keypoints(path, size=(info.width, info.height))
    if kp.num_frames != info.num_frames:
        raise ValueError(
            f"{path}: {kp.num_frames} keypoint frames, but {info.source} has {info.num_frames}; "
            "give the keypoint file of this video"
        )
    return kp


def add_repetitions(timeline: Timeline, kp: Keypoints) -> Timeline:
    """The timeline with repetitions counted in each action segment of a known exercise, and
    the keypoints kept (for the overlay)."""
    segments = [
        segment
        if segment.background
        else replace(
            segment,
            repetitions=count_span_repetitions(
                kp, segment.start_frame, segment.end_frame, segment.label, timeline.fps
            ),
        )
        for segment in timeline.segments
    ]
    return replace(timeline, segments=segments, keypoints=kp)


__all__ = [
    "SKELETON_WINDOW_SECONDS",
    "SkeletonScorer",
    "add_repetitions",
    "body_in_view",
    "plan_skeleton_windows",
    "skeleton_window",
    "video_keypoints",
    "window_sequence",
]
