"""The dive attributes as extra heads: what ``--heads attributes`` plugs into the generic core.

:func:`sportslens.models.heads.create_heads` builds one for a model's classes; training, a
checkpoint, prediction and evaluation then call it through the
:class:`~sportslens.models.heads.ExtraHeads` interface and never name dives themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from sportslens.dive.attributes import (
    ATTRIBUTES,
    AttributeObjective,
    DivePrediction,
    attribute_targets,
    compose_prediction,
    head_weights,
)
from sportslens.dive.diving48 import dive_number_of
from sportslens.dive.evaluation import AttributeRecorder

__all__ = ["DiveAttributeHeads"]


class DiveAttributeHeads:
    """A head per dive attribute beside the class head, for classes labelled by dive number."""

    def __init__(self, classes: Sequence[str]) -> None:
        self.classes = list(classes)
        self.targets = attribute_targets(classes)  # (K, len(ATTRIBUTES)); refuses non-dives
        self.trained_numbers = [dive_number_of(name) for name in classes]
        """The dive numbers of the classes: a composed number among them is "seen"."""

    @property
    def values(self) -> Mapping[str, Sequence[str]]:
        """Each attribute head's values, in output order."""
        return ATTRIBUTES

    def objective(self, weights: Mapping[str, float], label_smoothing: float) -> AttributeObjective:
        """The weighted sum of the class and attribute cross-entropies."""
        return AttributeObjective(self.targets, head_weights(weights), label_smoothing)

    def postprocess(self, probabilities: Mapping[str, torch.Tensor]) -> DivePrediction:
        """The dive the attribute heads' most likely values compose, for one video."""
        return compose_prediction(probabilities, self.trained_numbers)

    def recorder(self) -> AttributeRecorder:
        """Per-attribute metrics and the composed numbers' accuracy over an evaluation pass."""
        return AttributeRecorder(self.classes)
