"""The input contract: how a model's input is made, one adapter per kind of input.

Every registry entry and every built model carry an :class:`InputAdapter`. It answers each question
that depends on what a model reads (video frames or body keypoints), so training, evaluation,
prediction, timelines, serving and benchmarks ask the adapter and never branch on the family:

* a catalog record → a dataset item (:meth:`~InputAdapter.read_catalog`,
  :meth:`~InputAdapter.create_dataset`), an uploaded or streamed source → one model input
  (:meth:`~InputAdapter.prepare`, :meth:`~InputAdapter.timeline_scoring`);
* the model's :class:`InputSpec` read back from a checkpoint (:meth:`~InputAdapter.read_spec`): a
  :class:`~sportslens.transforms.Preprocess` for video, a
  :class:`~sportslens.models.keypoint_input.KeypointSpec` for keypoints;
* an example batch of the right shape (:meth:`~InputAdapter.example_batch`) and a description of
  the input for tables (:meth:`~InputAdapter.describe`);
* the class names that ship with public weights (:meth:`~InputAdapter.pretrained_classes`) and the
  compatibility shims of old checkpoints (:meth:`~InputAdapter.checkpoint_kwargs`).

`sportslens.models.video_input` and `sportslens.models.keypoint_input` hold the two adapters. The
functions at the end take a built model and ask its adapter (`registry.read_model_catalog` asks a
registered name's).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, TypeAlias, TypeVar

import torch

if TYPE_CHECKING:
    from sportslens.data import Catalog, ClipConfig, ClipDataset, Record
    from sportslens.models.base import VideoClassifier
    from sportslens.pose.keypoints import Keypoints
    from sportslens.pose.people import PeopleChoice
    from sportslens.timeline import Timeline, WindowScorer
    from sportslens.video import Source

InputKind = Literal["video", "keypoints"]
KeypointSource: TypeAlias = "str | os.PathLike[str] | Keypoints"
"""A whole video's keypoints for a timeline: a keypoint file, or keypoints already read."""
ClassNames = Callable[[str, str | Path], list[str]]
"""``(model name, weights) -> class names`` read from the weights' metadata ([] when none)."""


class InputSpec(Protocol):
    """What a model's input is: a :class:`~sportslens.transforms.Preprocess` (video) or a
    :class:`~sportslens.models.keypoint_input.KeypointSpec` (keypoints); its adapter reads it."""

    @property
    def clip_frames(self) -> int:
        """Frames (or keypoint frames) per clip the model sees."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-able dict, as config.json stores it and /v1/model shows it."""
        ...


Spec = TypeVar("Spec", bound=InputSpec)


def spec_as(spec: InputSpec, expected: type[Spec]) -> Spec:
    """``spec`` as the kind of spec an adapter reads, or an error naming both (a model built with
    another family's spec)."""
    if not isinstance(spec, expected):
        raise TypeError(f"this model's input needs a {expected.__name__}, not {spec!r}")
    return spec


class ModelInput(NamedTuple):
    """One source made into one model input, without a batch axis."""

    clip: torch.Tensor
    """float ``(C, T, H, W)`` for a video model, ``(C, T, V, M)`` for a keypoint model."""
    frames: list[int]
    """The source frames the input was made from."""
    extras: dict[str, Any]
    """What a prediction reports besides labels, JSON-ready (a keypoint model's ``pose``)."""


class ScoringModel(Protocol):
    """What a timeline scorer uses of a :class:`~sportslens.predict.Predictor`."""

    @property
    def model(self) -> VideoClassifier: ...
    @property
    def classes(self) -> list[str]: ...
    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """Probabilities ``(B, K)`` for a batch of model inputs."""
        ...


class PeopleUnsupportedError(ValueError):
    """Answers per person asked of a model that reads whole frames (one answer per video)."""


class PeopleInputs(NamedTuple):
    """Each chosen person of one source as one model input, in track order."""

    track_ids: list[int]
    inputs: list[ModelInput]
    main: int
    """Position of the person seen largest: the one a single-person answer describes."""


@dataclass(frozen=True)
class TimelineRequest:
    """A whole video to score windows of, as :meth:`InputAdapter.timeline_scoring` takes it."""

    video: Source
    keypoints: KeypointSource | None = None
    """A keypoint model's pose of ``video`` (else extracted); a video model refuses it."""
    batch_size: int = 8
    show_progress: bool = False
    """A progress bar over slow preparation (pose extraction)."""
    people: PeopleChoice = "largest"
    """Which people get a lane (:meth:`InputAdapter.timeline_lanes`)."""


@dataclass(frozen=True)
class TimelineScoring:
    """A scorer ready for one video, and what the finished timeline gets added (repetitions)."""

    scorer: WindowScorer
    finish: Callable[[Timeline], Timeline]


class InputAdapter(Protocol):
    """How one kind of model input is made; see the module docstring."""

    @property
    def kind(self) -> InputKind:
        """``video`` or ``keypoints``: for messages and tables, never to branch on."""
        ...

    def read_catalog(self, data: str | os.PathLike[str]) -> Catalog:
        """The catalog such a model trains on (videos, or each video's keypoint file)."""
        ...

    def read_spec(self, data: Mapping[str, Any]) -> InputSpec:
        """The input spec stored in a checkpoint's config.json (older layouts included)."""
        ...

    def create_dataset(
        self, records: Sequence[Record], spec: InputSpec, config: ClipConfig
    ) -> ClipDataset:
        """A dataset of ``records``; its items are :class:`~sportslens.data.ClipSample`."""
        ...

    def example_batch(self, spec: InputSpec, batch: int = 1) -> torch.Tensor:
        """A random batch of the model's input shape, ``(B, C, T, ...)``."""
        ...

    def describe(self, spec: InputSpec) -> str:
        """One frame of the input, for tables: ``112x112`` or ``17 joints``."""
        ...

    def prepare(self, spec: InputSpec, source: Source) -> ModelInput:
        """One source (a video, or a keypoint file) as one evaluation input, deterministic."""
        ...

    def prepare_people(self, spec: InputSpec, source: Source, people: PeopleChoice) -> PeopleInputs:
        """Each of ``people`` in ``source`` as one input; a model of whole frames refuses."""
        ...

    def timeline_lanes(
        self, predictor: ScoringModel, request: TimelineRequest
    ) -> tuple[list[int], list[TimelineScoring], int]:
        """A scoring per person of ``request.people``: track ids, scorings and the main one."""
        ...

    def preview(self, source: str, count: int, size: int) -> torch.Tensor | None:
        """``count`` frames of a catalog source, uint8 ``(T, C, H, W)``; None when not a video."""
        ...

    def timeline_scoring(
        self, predictor: ScoringModel, request: TimelineRequest
    ) -> TimelineScoring:
        """A scorer of windows over a whole video; slow preparation (pose) happens here."""
        ...

    def reuse_pose(self, keypoints: KeypointSource) -> KeypointSource | None:
        """What :meth:`timeline_scoring` should get of a pose already found for the video: the
        keypoints for a model that reads them (no second extraction), None for one that does not.
        """
        ...

    def pretrained_classes(self, name: str, pretrained: str | Path) -> list[str]:
        """The classes the weights ``pretrained`` of model ``name`` were trained on, or []."""
        ...

    def checkpoint_kwargs(self, build_kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """A checkpoint's build kwargs, with what older checkpoints lack filled in."""
        ...


@dataclass(frozen=True)
class WeightsInfo:
    """What an adapter knows of its family's weights: their class names, old checkpoints' gaps.

    The adapters extend it, so a family makes its own with e.g. ``VideoInput(class_names=...)``.
    """

    class_names: ClassNames | None = None
    checkpoint_defaults: Mapping[str, Any] | None = None
    """Build kwargs that checkpoints written before they existed lack, at their old value."""

    def pretrained_classes(self, name: str, pretrained: str | Path) -> list[str]:
        """The classes the weights ``pretrained`` of model ``name`` were trained on, or []."""
        return [] if self.class_names is None else self.class_names(name, pretrained)

    def checkpoint_kwargs(self, build_kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """A checkpoint's build kwargs, with what older checkpoints lack filled in."""
        return {**(self.checkpoint_defaults or {}), **build_kwargs}


# --- asking a model's adapter ---------------------------------------------------------------------


def create_dataset(
    records: Sequence[Record], model: VideoClassifier, config: ClipConfig
) -> ClipDataset:
    """A dataset of ``records`` shaped for ``model``, by its adapter."""
    return model.input_adapter.create_dataset(records, model.preprocess, config)


def example_input(model: VideoClassifier, batch: int = 1) -> torch.Tensor:
    """A random input of ``model``'s default shape, by its adapter."""
    return model.input_adapter.example_batch(model.preprocess, batch)
