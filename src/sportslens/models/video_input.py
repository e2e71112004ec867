"""Video input: frames sampled by the model's policy, resized, cropped, normalised.

A video model maps float ``(B, C, T, H, W)`` to logits. One clip is ``clip_frames`` indices picked
by :func:`~sportslens.sampling.clip_indices`, decoded at the eval short side by
:func:`~sportslens.video.read_frames` (uint8 ``(T, C, H, W)``) and turned into ``(C, T, H, W)`` by
the model's :class:`~sportslens.transforms.Preprocess` transforms.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from sportslens import sampling
from sportslens.models.inputs import (
    InputKind,
    InputSpec,
    KeypointSource,
    ModelInput,
    PeopleInputs,
    PeopleUnsupportedError,
    ScoringModel,
    TimelineRequest,
    TimelineScoring,
    WeightsInfo,
    spec_as,
)
from sportslens.transforms import Preprocess, eval_transform
from sportslens.video import Source, frame_count, read_frames

if TYPE_CHECKING:
    from sportslens.data import Catalog, ClipConfig, ClipDataset, Record
    from sportslens.pose.people import PeopleChoice
    from sportslens.timeline import Timeline

__all__ = ["VIDEO_INPUT", "VideoInput"]


@dataclass(frozen=True)
class VideoInput(WeightsInfo):
    """The :class:`~sportslens.models.inputs.InputAdapter` of video models."""

    @property
    def kind(self) -> InputKind:
        return "video"

    def read_catalog(self, data: str | os.PathLike[str]) -> Catalog:
        from sportslens.data import read_catalog

        return read_catalog(data)

    def read_spec(self, data: Mapping[str, Any]) -> Preprocess:
        return Preprocess.from_dict(data)

    def create_dataset(
        self, records: Sequence[Record], spec: InputSpec, config: ClipConfig
    ) -> ClipDataset:
        from sportslens.data import VideoDataset

        return VideoDataset(records, spec_as(spec, Preprocess), config)

    def example_batch(self, spec: InputSpec, batch: int = 1) -> torch.Tensor:
        side = spec_as(spec, Preprocess).crop_size
        return torch.randn(batch, 3, spec.clip_frames, side, side)  # (B, C, T, H, W)

    def describe(self, spec: InputSpec) -> str:
        side = spec_as(spec, Preprocess).crop_size
        return f"{side}x{side}"

    def prepare(self, spec: InputSpec, source: Source) -> ModelInput:
        preprocess = spec_as(spec, Preprocess)
        indices = sampling.clip_indices(preprocess, frame_count(source))  # deterministic: eval
        frames = read_frames(source, indices, size=preprocess.resize)  # (T, C, H, W) uint8
        clip = eval_transform(preprocess)(frames)  # (C, T, crop, crop) float
        return ModelInput(clip, indices.tolist(), {})

    def prepare_people(self, spec: InputSpec, source: Source, people: PeopleChoice) -> PeopleInputs:
        raise PeopleUnsupportedError(_WHOLE_FRAMES)

    def timeline_lanes(
        self, predictor: ScoringModel, request: TimelineRequest
    ) -> tuple[list[int], list[TimelineScoring], int]:
        raise PeopleUnsupportedError(_WHOLE_FRAMES)

    def preview(self, source: str, count: int, size: int) -> torch.Tensor | None:
        indices = sampling.uniform(frame_count(source), count)
        return read_frames(source, indices, size=size)  # (count, C, H, W) uint8

    def reuse_pose(self, keypoints: KeypointSource) -> KeypointSource | None:
        return None  # a video model reads frames, not a pose

    def timeline_scoring(
        self, predictor: ScoringModel, request: TimelineRequest
    ) -> TimelineScoring:
        from sportslens.timeline import VideoScorer

        if request.keypoints is not None:
            raise ValueError(f"keypoints are for skeleton models; {predictor.model.name} is not")
        pre = spec_as(predictor.model.preprocess, Preprocess)
        scorer = VideoScorer(
            pre,
            eval_transform(pre),
            predictor.forward,
            predictor.classes,
            batch_size=request.batch_size,
        )
        return TimelineScoring(scorer, finish=_as_scored)


_WHOLE_FRAMES = (
    "people all or N answers per person with a skeleton model; a video model reads whole "
    "frames, so it gives one answer per video (people largest)"
)


def _as_scored(timeline: Timeline) -> Timeline:
    return timeline


VIDEO_INPUT = VideoInput()
"""Video input with no class names from weights and no checkpoint shims."""
