"""The model registry: a dict of named entries, a decorator to fill it, and ``create_model``.

Every entry carries its preprocessing (frames, sampling, sizes, mean, std) and its input adapter,
so training, evaluation and serving build their transforms and inputs from the model and never
hard-code them. This module imports no family: ``sportslens.models`` imports them all (as
torchvision's ``models`` package does), and each registers itself here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sportslens.models.base import VideoClassifier

if TYPE_CHECKING:
    from sportslens.data import Catalog
    from sportslens.models.inputs import InputAdapter, InputSpec

Family = Literal["small", "torchvision", "hf", "skeleton"]
Builder = Callable[..., VideoClassifier]
"""``builder(num_classes, pretrained, *, clip_frames, crop_size, **kwargs) -> VideoClassifier``.

``pretrained`` is None, a public weights name such as ``"kinetics400"``, or a local file/folder;
``clip_frames`` and ``crop_size`` (None: the entry's) are the input the model is built for: the
builder adapts the network to them or refuses them, naming why."""


@dataclass(frozen=True)
class ModelEntry:
    name: str
    family: Family
    builder: Builder
    preprocess: InputSpec
    input_adapter: InputAdapter
    weights: tuple[str, ...] = ()
    """Names of public pretrained weights this entry can load (``"kinetics400"``, a hub id…)."""
    description: str = ""


_MODELS: dict[str, ModelEntry] = {}


def register_model(
    name: str,
    *,
    family: Family,
    preprocess: InputSpec,
    input_adapter: InputAdapter,
    weights: tuple[str, ...] = (),
    description: str = "",
) -> Callable[[Builder], Builder]:
    """Decorator adding a builder under ``name``; registering a name twice is an error."""

    def add(builder: Builder) -> Builder:
        if name in _MODELS:
            raise ValueError(f"model {name!r} is already registered")
        _MODELS[name] = ModelEntry(
            name, family, builder, preprocess, input_adapter, weights, description
        )
        return builder

    return add


def list_models(family: Family | None = None) -> list[str]:
    """Registered model names, sorted, optionally of one family."""
    return sorted(n for n, e in _MODELS.items() if family is None or e.family == family)


def get_entry(name: str) -> ModelEntry:
    """The registry entry for ``name``; an unknown name lists the known ones."""
    if name not in _MODELS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(sorted(_MODELS))}")
    return _MODELS[name]


def create_model(
    name: str,
    num_classes: int,
    *,
    pretrained: str | Path | None = None,
    clip_frames: int | None = None,
    crop_size: int | None = None,
    **kwargs: Any,
) -> VideoClassifier:
    """Build model ``name`` with a ``num_classes`` head, optionally from pretrained weights.

    ``clip_frames`` and ``crop_size`` choose the input the network is built for (default: the
    entry's); the model's ``preprocess`` follows them, its sizes at the entry's own ratios.
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    for label, value in (("clip_frames", clip_frames), ("crop_size", crop_size)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"{label} must be a positive int, got {value!r}")
    entry = get_entry(name)
    model = entry.builder(
        num_classes, pretrained, clip_frames=clip_frames, crop_size=crop_size, **kwargs
    )
    model.name = name
    return model


def read_model_catalog(name: str, data: str | os.PathLike[str]) -> Catalog:
    """The catalog the registered model ``name`` reads from ``data`` (videos or keypoint files)."""
    return get_entry(name).input_adapter.read_catalog(data)
