"""Models behind one registry: small CPU 3-D CNNs, torchvision video nets, transformers."""

from sportslens.models.base import VideoClassifier
from sportslens.models.registry import (
    ModelEntry,
    create_model,
    get_entry,
    list_models,
    register_model,
)

__all__ = [
    "ModelEntry",
    "VideoClassifier",
    "create_model",
    "get_entry",
    "list_models",
    "register_model",
]
