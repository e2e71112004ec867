"""Models behind one registry: small CPU 3-D CNNs, torchvision video nets, transformers, skeletons.

Importing this package imports every family module, which registers its models (heavy libraries
such as transformers are imported inside the builders, on first use).
"""

from sportslens.models import hf, skeleton, small, torchvision_video
from sportslens.models.base import VideoClassifier
from sportslens.models.inputs import InputAdapter, ModelInput
from sportslens.models.registry import (
    ModelEntry,
    create_model,
    get_entry,
    list_models,
    register_model,
)

__all__ = [
    "InputAdapter",
    "ModelEntry",
    "ModelInput",
    "VideoClassifier",
    "create_model",
    "get_entry",
    "hf",
    "list_models",
    "register_model",
    "skeleton",
    "small",
    "torchvision_video",
]
