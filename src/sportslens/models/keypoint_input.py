"""Keypoint input: a person's body keypoints over a clip, normalised to ``float (C, T, V, M)``.

A skeleton model maps ``(B, C, T, V, M)`` to logits: C = 3 channels (x, y, score), T =
``clip_frames``, V = 17 COCO joints, M people (:data:`~sportslens.pose.normalize.SKELETON_INPUT`
defines the layout once; one person today, and :func:`~sportslens.pose.normalize.normalize_people`
already stacks more). A catalog record is a keypoint ``.npz`` file; an uploaded video goes through
pose extraction first (MediaPipe by default, the ``pose`` extra). A skeleton model's input is
described by a :class:`KeypointSpec` (frames per clip and the layout), not a video
:class:`~sportslens.transforms.Preprocess`: keypoints are resampled to the clip length, never
cropped or colour-normalised.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from sportslens.models.inputs import (
    InputKind,
    InputSpec,
    KeypointSource,
    ModelInput,
    PeopleInputs,
    ScoringModel,
    TimelineRequest,
    TimelineScoring,
    WeightsInfo,
    spec_as,
)
from sportslens.pose.normalize import SKELETON_INPUT, SkeletonLayout, normalize_people
from sportslens.video import Source, describe_source

if TYPE_CHECKING:
    from sportslens.data import Catalog, ClipConfig, ClipDataset, Record
    from sportslens.pose.keypoints import Keypoints
    from sportslens.pose.people import People, PeopleChoice

__all__ = ["KEYPOINT_INPUT", "KeypointInput", "KeypointSpec"]

# What config.json files of skeleton checkpoints written before KeypointSpec hold besides the clip
# length: a video Preprocess's fields, never read for keypoints (their values are dropped).
_OLD_VIDEO_KEYS = frozenset(
    {"sampling", "sampling_rate", "crop_size", "resize", "train_scale", "mean", "std"}
)


@dataclass(frozen=True)
class KeypointSpec:
    """What a skeleton model reads: clips of ``clip_frames`` keypoint frames in ``layout``.

    The sequence of a clip is resampled to ``clip_frames`` frames by linear interpolation over the
    whole span (``sampling`` says so), so there is no frame step, crop or colour normalisation.
    """

    clip_frames: int = 64
    """Keypoint frames per clip: any length works (the networks pool over time)."""
    layout: SkeletonLayout = SKELETON_INPUT
    """Channels (x, y, score), joints (COCO-17) and people per frame: ``(C, T, V, M)``."""
    sampling: Literal["resample"] = "resample"

    def __post_init__(self) -> None:
        if isinstance(self.clip_frames, bool) or not isinstance(self.clip_frames, int):
            raise ValueError(f"KeypointSpec.clip_frames must be an int, got {self.clip_frames!r}")
        if self.clip_frames < 1:
            raise ValueError(f"KeypointSpec.clip_frames must be >= 1, got {self.clip_frames}")

    def with_clip_frames(self, clip_frames: int | None) -> KeypointSpec:
        """This spec for clips of ``clip_frames`` frames (None: as is)."""
        return self if clip_frames is None else dataclasses.replace(self, clip_frames=clip_frames)

    def to_dict(self) -> dict[str, Any]:
        """What config.json and ``/v1/model`` hold: ``num_frames`` as a video Preprocess names
        the clip length, then the layout."""
        return {
            "input": "keypoints",
            "num_frames": self.clip_frames,
            "sampling": self.sampling,
            **dataclasses.asdict(self.layout),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeypointSpec:
        """Rebuild from `to_dict` output, or from an older skeleton checkpoint's video fields."""
        layout_keys = {f.name for f in dataclasses.fields(SkeletonLayout)}
        known = {"input", "num_frames", "clip_frames"} | layout_keys | _OLD_VIDEO_KEYS
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown KeypointSpec field(s) {unknown}; known: {sorted(known)}")
        if data.get("input", "keypoints") != "keypoints":
            raise ValueError(f"KeypointSpec: input={data['input']!r}, expected 'keypoints'")
        frames = data.get("num_frames", data.get("clip_frames", cls.clip_frames))
        layout = SkeletonLayout(**{k: v for k, v in data.items() if k in layout_keys})
        return cls(clip_frames=frames, layout=layout)


@dataclass(frozen=True)
class KeypointInput(WeightsInfo):
    """The :class:`~sportslens.models.inputs.InputAdapter` of skeleton models."""

    @property
    def kind(self) -> InputKind:
        return "keypoints"

    def read_catalog(self, data: str | os.PathLike[str]) -> Catalog:
        from sportslens.data.keypoint_dataset import read_keypoint_catalog

        return read_keypoint_catalog(data)

    def read_spec(self, data: Mapping[str, Any]) -> KeypointSpec:
        return KeypointSpec.from_dict(data)

    def create_dataset(
        self, records: Sequence[Record], spec: InputSpec, config: ClipConfig
    ) -> ClipDataset:
        from sportslens.data.keypoint_dataset import KeypointDataset

        return KeypointDataset(records, spec_as(spec, KeypointSpec).clip_frames, config)

    def example_batch(self, spec: InputSpec, batch: int = 1) -> torch.Tensor:
        shape = spec_as(spec, KeypointSpec).layout.shape(spec.clip_frames)  # (C, T, V, M)
        return torch.randn(batch, *shape)  # (B, C, T, V, M)

    def describe(self, spec: InputSpec) -> str:
        return f"{spec_as(spec, KeypointSpec).layout.joints} joints"

    def prepare(self, spec: InputSpec, source: Source) -> ModelInput:
        """A keypoint file's (or a video's extracted) keypoints, resampled to the clip; the
        prediction's extras are the ``pose`` read and the ``form`` counted in it."""
        from sportslens.pose.form import keypoints_from

        path = str(source)  # a keypoint file or a video file
        return _person_input(spec, keypoints_from(path), path)

    def prepare_people(self, spec: InputSpec, source: Source, people: PeopleChoice) -> PeopleInputs:
        """:meth:`prepare` for each chosen person: a keypoint file's tracks, or those
        blazepose-multi finds in a video. A track with no shoulder and hip ever seen together
        cannot be normalised and is left out."""
        from sportslens.pose.people_form import people_from

        path = str(source)
        found = people_from(path, people)
        ids: list[int] = []
        inputs: list[ModelInput] = []
        main = 0
        largest = found.largest() if found.num_people else -1
        for index, track_id in enumerate(found.track_ids.tolist()):
            try:
                made = _person_input(spec, found.person(index), path)
            except ValueError:  # never a body in view: nothing a skeleton model can read
                continue
            main = len(ids) if index == largest else main
            ids.append(int(track_id))
            inputs.append(made)
        if not inputs:
            raise ValueError(f"{path}: no person with a body in view was found")
        return PeopleInputs(ids, inputs, main)

    def preview(self, source: str, count: int, size: int) -> torch.Tensor | None:
        return None  # catalog sources are keypoint files: no frames to show

    def reuse_pose(self, keypoints: KeypointSource) -> KeypointSource | None:
        return keypoints

    def timeline_scoring(
        self, predictor: ScoringModel, request: TimelineRequest
    ) -> TimelineScoring:
        """Windows over the whole video's keypoints (given, read, or extracted here once, with a
        progress bar when ``show_progress``); segments of known exercises get repetitions."""
        from sportslens.timeline.skeleton import SkeletonScorer, add_repetitions

        kp = whole_video_keypoints(
            request.video, request.keypoints, show_progress=request.show_progress
        )
        length = spec_as(predictor.model.preprocess, KeypointSpec).clip_frames
        scorer = SkeletonScorer(
            kp, length, predictor.forward, predictor.classes, batch_size=request.batch_size
        )
        return TimelineScoring(scorer, finish=lambda timeline: add_repetitions(timeline, kp))

    def timeline_lanes(
        self, predictor: ScoringModel, request: TimelineRequest
    ) -> tuple[list[int], list[TimelineScoring], int]:
        """:meth:`timeline_scoring` for each person of ``request.people``, on their own
        keypoints (a version 2 file's tracks, or blazepose-multi's on the video)."""
        found = whole_video_people(
            request.video, request.keypoints, request.people, show_progress=request.show_progress
        )
        scorings = [
            self.timeline_scoring(
                predictor, dataclasses.replace(request, keypoints=found.person(p))
            )
            for p in range(found.num_people)
        ]
        return found.track_ids.tolist(), scorings, found.largest() if found.num_people else 0


def _person_input(spec: InputSpec, kp: Keypoints, path: str) -> ModelInput:
    """One person's keypoints as one model input, with the ``pose`` and ``form`` extras."""
    from sportslens.pose.summary import pose_extras

    length, layout = spec.clip_frames, spec_as(spec, KeypointSpec).layout
    try:
        clip = normalize_people([kp], length, layout=layout)  # (C, T, V, M)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
    frames = [int(i) for i in np.rint(np.linspace(0, kp.num_frames - 1, length))]
    return ModelInput(torch.from_numpy(clip), frames, pose_extras(kp))


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


def whole_video_people(
    video: Source,
    keypoints: KeypointSource | None,
    people: PeopleChoice,
    *,
    show_progress: bool = False,
) -> People:
    """:func:`whole_video_keypoints` for several people: a keypoint file's tracks (any
    version), given keypoints as one person, or blazepose-multi's tracks of the video."""
    from sportslens.pose import extract_people, load_people
    from sportslens.pose.people import People
    from sportslens.video import probe

    name = describe_source(video)
    if keypoints is None and name.lower().endswith(".npz"):
        raise ValueError(f"{name}: a timeline needs the video; give its keypoint file as keypoints")
    if keypoints is None:
        return extract_people(video, "blazepose-multi", people=people, progress=show_progress)
    if not isinstance(keypoints, str | os.PathLike):  # one person's Keypoints, already read
        return People.of(whole_video_keypoints(video, keypoints))
    found = load_people(keypoints)
    frames = probe(video).num_frames
    if found.num_frames != frames:
        raise ValueError(
            f"{keypoints}: {found.num_frames} keypoint frames, but {name} has {frames}; give "
            "the keypoint file of this video"
        )
    return found.select(people) if found.num_people else found


KEYPOINT_INPUT = KeypointInput()
"""Keypoint input: COCO-17, one person, no public weights."""
