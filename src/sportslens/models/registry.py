"""The model registry: a dict of named entries, a decorator to fill it, and ``create_model``.

Every entry carries its preprocessing (frames, sampling, sizes, mean, std), so training,
evaluation and serving build their transforms from the model and never hard-code them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sportslens.models.base import VideoClassifier
from sportslens.transforms import Preprocess

Family = Literal["small", "torchvision", "hf", "skeleton"]
Builder = Callable[..., VideoClassifier]
"""``builder(num_classes, pretrained, **kwargs) -> VideoClassifier``; ``pretrained`` is None,
a public weights name such as ``"kinetics400"``, or a local file/folder."""


@dataclass(frozen=True)
class ModelEntry:
    name: str
    family: Family
    builder: Builder
    preprocess: Preprocess
    weights: tuple[str, ...] = ()
    """Names of public pretrained weights this entry can load (``"kinetics400"``, a hub id…)."""
    description: str = ""


_MODELS: dict[str, ModelEntry] = {}


def register_model(
    name: str,
    *,
    family: Family,
    preprocess: Preprocess,
    weights: tuple[str, ...] = (),
    description: str = "",
) -> Callable[[Builder], Builder]:
    """Decorator adding a builder under ``name``; registering a name twice is an error."""

    def add(builder: Builder) -> Builder:
        if name in _MODELS:
            raise ValueError(f"model {name!r} is already registered")
        _MODELS[name] = ModelEntry(name, family, builder, preprocess, weights, description)
        return builder

    return add


def _load_families() -> None:
    # Importing a family module registers its models; heavy imports stay inside the builders.
    from sportslens.models import families  # noqa: F401


def list_models(family: Family | None = None) -> list[str]:
    """Registered model names, sorted, optionally of one family."""
    _load_families()
    return sorted(n for n, e in _MODELS.items() if family is None or e.family == family)


def get_entry(name: str) -> ModelEntry:
    """The registry entry for ``name``; an unknown name lists the known ones."""
    _load_families()
    if name not in _MODELS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(sorted(_MODELS))}")
    return _MODELS[name]


def create_model(
    name: str,
    num_classes: int,
    *,
    pretrained: str | Path | None = None,
    **kwargs: Any,
) -> VideoClassifier:
    """Build model ``name`` with a ``num_classes`` head, optionally from pretrained weights."""
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    entry = get_entry(name)
    model = entry.builder(num_classes, pretrained, **kwargs)
    model.name = name
    return model
