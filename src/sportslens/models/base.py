"""One model contract: a batch ``(B, C, T, ...)`` -> logits ``(B, K)``, with a replaceable head.

Video models take ``float (B, C, T, H, W)``, skeleton models ``float (B, C, T, V, M)``; each model
carries the :class:`~sportslens.models.inputs.InputAdapter` that makes its input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from sportslens.models.inputs import InputAdapter, InputSpec


class VideoClassifier(nn.Module):
    """A backbone that maps a clip to features, and a linear head that maps features to logits.

    Families adapt their networks to this shape in their own module (torchvision's take
    (B, C, T, H, W); transformers' video models take (B, T, C, H, W) and adapt inside
    ``backbone``), and ``input_adapter`` makes their input, so training and serving never branch
    on the model type.
    """

    def __init__(
        self,
        backbone: nn.Module,
        num_features: int,
        num_classes: int,
        preprocess: InputSpec,
        input_adapter: InputAdapter,
    ) -> None:
        super().__init__()
        self.backbone = backbone  # (B, C, T, H, W) or (B, C, T, V, M) -> (B, F)
        self.num_features = num_features
        self.head = nn.Linear(num_features, num_classes)
        self.preprocess = preprocess
        """This instance's input: a video ``Preprocess`` (clip length, sampling, sizes,
        normalisation) or a ``KeypointSpec`` (clip length, layout); its adapter reads it."""
        self.input_adapter = input_adapter
        """How this model's input is made from catalogs, uploads and streams."""
        self.name = ""
        self.build_kwargs: dict[str, object] = {}
        """Keyword arguments that rebuild this architecture (saved with checkpoints)."""
        self.id2label: dict[int, str] = {}
        """Class names that came with pretrained weights whose head was kept (else empty)."""
        self.attribute_heads = nn.ModuleDict()
        """Extra linear heads beside the class head, by name (``--heads attributes``)."""

    @property
    def num_classes(self) -> int:
        return self.head.out_features

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.head(self.backbone(clips))  # (B, F) -> (B, K)
        return logits

    def forward_heads(self, clips: torch.Tensor) -> dict[str, torch.Tensor]:
        """Logits of every head from one backbone pass: ``class`` (B, K), then each attribute."""
        features = self.backbone(clips)  # (B, F)
        logits = {"class": self.head(features)}
        logits |= {name: head(features) for name, head in self.attribute_heads.items()}
        return logits

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the head with a fresh one for ``num_classes`` classes (fine-tuning)."""
        self.head = nn.Linear(self.num_features, num_classes).to(self.head.weight.device)
        self.id2label = {}  # the new head's classes are the caller's

    def backbone_parameters(self) -> Iterator[nn.Parameter]:
        """Everything but the head: what 'freeze the backbone' freezes."""
        return self.backbone.parameters()
