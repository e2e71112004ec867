"""Extra heads beside the class head: one hook that training, prediction and evaluation call.

A kind of extra heads (``--heads attributes``: one head per dive attribute,
:mod:`sportslens.dive.heads`) is an :class:`ExtraHeads`: it names its heads' values, brings its
own training objective, turns one video's head outputs into an answer, and records an evaluation
pass into a report section. Train, predict, evaluate and checkpoint only call this interface,
so none of them names a kind. Kinds are a ``Literal`` and a ``match`` in :func:`create_heads`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

import torch
from torch import nn

from sportslens.models.base import VideoClassifier

if TYPE_CHECKING:
    from sportslens.report import ReportSection

__all__ = [
    "HEADS_KINDS",
    "ExtraHeads",
    "HeadsAnswer",
    "HeadsKind",
    "HeadsRecorder",
    "Objective",
    "WithHeads",
    "add_heads",
    "class_objective",
    "create_heads",
]

HeadsKind = Literal["class", "attributes"]
"""``class``: the class head alone; ``attributes``: a head per dive attribute beside it."""
HEADS_KINDS: tuple[HeadsKind, ...] = get_args(HeadsKind)

Objective = Callable[[Any, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""(network outputs, labels (B,)) -> (loss, class logits (B, K)); training's one loss seam."""


class HeadsAnswer(Protocol):
    """What extra heads make of one video's outputs, such as the dive their answers compose."""

    def to_dict(self) -> dict[str, Any]: ...


class HeadsRecorder(Protocol):
    """Collects the extra heads' outputs during the one evaluation pass; then its report section."""

    def add(self, probabilities: Mapping[str, torch.Tensor], labels: torch.Tensor) -> None:
        """One batch: each head's probabilities (B, values), views averaged; class labels (B,)."""
        ...

    def section(self) -> ReportSection:
        """The report section (and metrics.json entry) of everything added."""
        ...


class ExtraHeads(Protocol):
    """A kind of extra heads, bound to a model's class names."""

    @property
    def values(self) -> Mapping[str, Sequence[str]]:
        """Each head's value names, in output order."""
        ...

    def objective(self, weights: Mapping[str, float], label_smoothing: float) -> Objective:
        """The joint loss of the class head and these heads (``weights`` by head name)."""
        ...

    def postprocess(self, probabilities: Mapping[str, torch.Tensor]) -> HeadsAnswer:
        """One video's answer from each head's probabilities (values,)."""
        ...

    def recorder(self) -> HeadsRecorder:
        """An empty recorder for one evaluation pass."""
        ...


def create_heads(kind: str, classes: Sequence[str]) -> ExtraHeads | None:
    """The extra heads of ``kind`` for a model of ``classes``; None for the class head alone.

    A ValueError names a bad kind, or classes the heads cannot learn from.
    """
    match kind:
        case "class":
            return None
        case "attributes":
            # Loaded only for runs that use it; the dive package imports nothing from models.
            from sportslens.dive.heads import DiveAttributeHeads

            return DiveAttributeHeads(classes)
    raise ValueError(f"heads must be one of {HEADS_KINDS}, got {kind!r}")


def add_heads(model: VideoClassifier, values: Mapping[str, Sequence[str]]) -> VideoClassifier:
    """Give ``model`` one fresh linear head per entry of ``values`` (the class head stays)."""
    device = model.head.weight.device
    for name, names in values.items():
        model.attribute_heads[name] = nn.Linear(model.num_features, len(names)).to(device)
    return model


class WithHeads(nn.Module):
    """Training view of a model with extra heads: ``forward`` returns every head's logits.

    Training wraps this (not the model) for DistributedDataParallel, so all heads get gradients
    through the one forward call DDP watches; checkpoints save the model inside.
    """

    def __init__(self, model: VideoClassifier) -> None:
        super().__init__()
        self.model = model

    def forward(self, clips: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.model.forward_heads(clips)  # each (B, values)


def class_objective(label_smoothing: float) -> Objective:
    """The flat classifier's loss: cross-entropy of the class logits."""
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)

    def objective(outputs: Any, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return loss_fn(outputs, labels), outputs

    return objective
