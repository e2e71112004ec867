"""Compositional dive recognition: one head per dive attribute beside the class head.

A flat classifier only knows its trained classes. With ``--heads attributes`` a video model also
predicts the takeoff direction, the half somersaults, the half twists and the position, each with
its own linear head on the shared features, trained jointly (a weighted sum of cross-entropies).
Composing the four answers gives a dive number, which may be one the model never saw as a class.

Any catalog whose class labels are dive numbers works (``101B``, or names that start with one,
as the Diving48 reader gives): each class's attribute targets come from its number, so datasets
need no extra columns. Flying and armstand dives are refused: the four heads cannot say them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from sportslens.dive.diving48 import dive_number_of
from sportslens.dive.numbers import DIRECTIONS, POSITIONS, Dive, compose, parse

__all__ = [
    "ATTRIBUTES",
    "HEAD_NAMES",
    "AttributeObjective",
    "DivePrediction",
    "attribute_targets",
    "compose_prediction",
    "compose_values",
    "dive_attribute_values",
    "head_weights",
]

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "direction": DIRECTIONS,
    "half_somersaults": tuple(str(n) for n in range(1, 10)),
    "half_twists": tuple(str(n) for n in range(10)),
    "position": POSITIONS,
}
"""Each attribute head's values, in output order; every value a dive number can hold, so a
composed number may use values no training class had."""

HEAD_NAMES = ("class", *ATTRIBUTES)


def dive_attribute_values(dive: Dive) -> dict[str, str]:
    """The value of each attribute for ``dive``; a ValueError for what the heads cannot say."""
    if dive.flying or dive.armstand:
        kind = "flying" if dive.flying else "armstand"
        raise ValueError(
            f"dive {dive.number} is a {kind} dive; the attribute heads cover groups 1-5 without "
            "a flying action"
        )
    return {
        "direction": dive.direction,
        "half_somersaults": str(dive.half_somersaults),
        "half_twists": str(dive.half_twists),
        "position": dive.position,
    }


def attribute_targets(classes: Sequence[str]) -> torch.Tensor:
    """Value indices int64 (K, len(ATTRIBUTES)) of every class's attributes, from its number."""
    rows = []
    for name in classes:
        values = dive_attribute_values(parse(dive_number_of(name)))
        rows.append([ATTRIBUTES[a].index(values[a]) for a in ATTRIBUTES])
    return torch.tensor(rows, dtype=torch.int64)


def head_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Every head's loss weight: the given ones, 1.0 for the rest; a ValueError for unknown or
    negative ones."""
    unknown = sorted(set(weights) - set(HEAD_NAMES))
    if unknown:
        raise ValueError(f"unknown head weights {unknown}; heads are {', '.join(HEAD_NAMES)}")
    negative = {k: v for k, v in weights.items() if v < 0}
    if negative:
        raise ValueError(f"head weights must be non-negative, got {negative}")
    return {name: float(weights.get(name, 1.0)) for name in HEAD_NAMES}


@dataclass
class AttributeObjective:
    """Weighted sum of the class and attribute cross-entropies; targets come from the labels."""

    targets: torch.Tensor  # (K, len(ATTRIBUTES)) value index of each class's attributes
    weights: dict[str, float] = field(default_factory=lambda: head_weights({}))
    label_smoothing: float = 0.0

    def __call__(
        self, outputs: Mapping[str, torch.Tensor], labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss, class logits (B, K)) for every head's logits and class labels (B,)."""
        loss_fn = nn.CrossEntropyLoss(label_smoothing=self.label_smoothing)
        values = self.targets.to(labels.device)[labels]  # (B, len(ATTRIBUTES))
        loss = self.weights["class"] * loss_fn(outputs["class"], labels)
        for column, name in enumerate(ATTRIBUTES):
            loss = loss + self.weights[name] * loss_fn(outputs[name], values[:, column])
        return loss, outputs["class"]


@dataclass(frozen=True)
class DivePrediction:
    """The dive composed from the attribute heads' answers, each with its probability."""

    number: str
    description: str
    values: dict[str, str]
    probabilities: dict[str, float]
    seen: bool
    """Whether the number is one of the model's trained classes; unseen ones are what a flat
    classifier could never answer."""

    @property
    def probability(self) -> float:
        """The product of the attribute probabilities (the heads are read as independent)."""
        product = 1.0
        for p in self.probabilities.values():
            product *= p
        return product

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "description": self.description,
            "seen": self.seen,
            "probability": self.probability,
            "attributes": {
                name: {"value": value, "probability": self.probabilities[name]}
                for name, value in self.values.items()
            },
        }


def compose_values(values: Mapping[str, str]) -> Dive:
    """The dive four attribute values compose (each a value of :data:`ATTRIBUTES`)."""
    return compose(
        values["direction"],  # type: ignore[arg-type]  # a value of DIRECTIONS
        int(values["half_somersaults"]),
        values["position"],  # type: ignore[arg-type]  # a value of POSITIONS
        int(values["half_twists"]),
    )


def compose_prediction(
    probabilities: Mapping[str, torch.Tensor], trained_numbers: Sequence[str]
) -> DivePrediction:
    """The most likely value of each attribute from their probabilities (each (values,)), and
    the dive number they compose, marked seen when it is among ``trained_numbers``."""
    values, chosen = {}, {}
    for name, names in ATTRIBUTES.items():
        best = int(probabilities[name].argmax())
        values[name] = names[best]
        chosen[name] = float(probabilities[name][best])
    dive = compose_values(values)
    return DivePrediction(
        dive.number, dive.describe(), values, chosen, dive.number in set(trained_numbers)
    )
