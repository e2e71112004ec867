"""Keypoint input: a person's body keypoints over a clip, normalised to ``float (C, T, V, M)``.

A skeleton model maps ``(B, C, T, V, M)`` to logits: C = 3 channels (x, y, score), T =
``clip_frames``, V = 17 COCO joints, M people (:data:`~sportslens.pose.normalize.SKELETON_INPUT`
defines the layout once; one person today, and :func:`~sportslens.pose.normalize.normalize_people`
already stacks more). A catalog record is a keypoint ``.npz`` file; an uploaded video goes through
pose extraction first (MediaPipe by default, the ``pose`` extra). Of the model's
:class:`~sportslens.transforms.Preprocess` only ``clip_frames`` applies: keypoints are resampled to
it, never cropped or colour-normalised.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from sportslens.models.inputs import (
    InputKind,
    KeypointSource,
    ModelInput,
    ScoringModel,
    TimelineScoring,
    WeightsInfo,
)
from sportslens.pose.normalize import SKELETON_INPUT, SkeletonLayout, normalize_people
from sportslens.transforms import Preprocess
from sportslens.video import Source, describe_source

if TYPE_CHECKING:
    from sportslens.data import Catalog, ClipConfig, ClipDataset, Record
    from sportslens.pose.keypoints import Keypoints

__all__ = ["KEYPOINT_INPUT", "KeypointInput"]


@dataclass(frozen=True)
class KeypointInput(WeightsInfo):
    """The :class:`~sportslens.models.inputs.InputAdapter` of skeleton models."""

    layout: SkeletonLayout = SKELETON_INPUT

    @property
    def kind(self) -> InputKind:
        return "keypoints"

    def read_catalog(self, data: str | os.PathLike[str]) -> Catalog:
        from sportslens.data.keypoint_dataset import read_keypoint_catalog

        return read_keypoint_catalog(data)

    def create_dataset(
        self, records: Sequence[Record], preprocess: Preprocess, config: ClipConfig
    ) -> ClipDataset:
        from sportslens.data.keypoint_dataset import KeypointDataset

        return KeypointDataset(records, preprocess.clip_frames, config)

    def example_batch(self, preprocess: Preprocess, batch: int = 1) -> torch.Tensor:
        return torch.randn(batch, *self.layout.shape(preprocess.clip_frames))  # (B, C, T, V, M)

    def describe(self, preprocess: Preprocess) -> str:
        return f"{self.layout.joints} joints"

    def prepare(self, preprocess: Preprocess, source: Source) -> ModelInput:
        """A keypoint file's (or a video's extracted) keypoints, resampled to the clip; the
        prediction's extras are the ``pose`` read and the ``form`` counted in it."""
        from sportslens.pose.form import keypoints_from
        from sportslens.pose.summary import pose_extras

        path = str(source)  # a keypoint file or a video file
        kp = keypoints_from(path)  # read once: the model and the summary share it
        length = preprocess.clip_frames
        try:
            clip = normalize_people([kp], length, layout=self.layout)  # (C, T, V, M)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error
        frames = [int(i) for i in np.rint(np.linspace(0, kp.num_frames - 1, length))]
        return ModelInput(torch.from_numpy(clip), frames, pose_extras(kp))

    def preview(self, source: str, count: int, size: int) -> torch.Tensor | None:
        return None  # catalog sources are keypoint files: no frames to show

    def reuse_pose(self, keypoints: KeypointSource) -> KeypointSource | None:
        return keypoints

    def timeline_scoring(
        self,
        predictor: ScoringModel,
        video: Source,
        *,
        keypoints: KeypointSource | None = None,
        batch_size: int = 8,
        show_progress: bool = False,
    ) -> TimelineScoring:
        """Windows over the whole video's keypoints (given, read, or extracted here once, with a
        progress bar when ``show_progress``); segments of known exercises get repetitions."""
        from sportslens.timeline.skeleton import SkeletonScorer, add_repetitions

        kp = whole_video_keypoints(video, keypoints, show_progress=show_progress)
        scorer = SkeletonScorer(
            kp,
            predictor.model.preprocess.clip_frames,
            predictor.forward,
            predictor.classes,
            batch_size=batch_size,
        )
        return TimelineScoring(scorer, finish=lambda timeline: add_repetitions(timeline, kp))


def whole_video_keypoints(
    video: Source, keypoints: KeypointSource | None, *, show_progress: bool = False
) -> Keypoints:
    """The whole video's keypoints for a timeline: given, read from a file, or extracted with
    MediaPipe (the ``pose`` extra); checked to have one row per frame of ``video``."""
    from sportslens.pose import extract_keypoints
    from sportslens.timeline.skeleton import video_keypoints
    from sportslens.video import probe

    name = describe_source(video)
    if keypoints is None and name.lower().endswith(".npz"):
        raise ValueError(f"{name}: a timeline needs the video; give its keypoint file as keypoints")
    info = probe(video)
    if keypoints is None:
        # The keyword only when a bar is wanted, so drop-in extractors need not take it.
        return (
            extract_keypoints(video, progress=True) if show_progress else extract_keypoints(video)
        )
    if isinstance(keypoints, str | os.PathLike):
        return video_keypoints(keypoints, info)
    if keypoints.num_frames != info.num_frames:
        raise ValueError(
            f"{keypoints.source}: {keypoints.num_frames} keypoint frames for {name}'s "
            f"{info.num_frames} frames"
        )
    return keypoints


KEYPOINT_INPUT = KeypointInput()
"""Keypoint input: COCO-17, one person, no public weights."""
