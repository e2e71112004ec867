"""Imports every model family so their ``@register_model`` decorators run."""

from sportslens.models import hf, skeleton, small, torchvision_video  # noqa: F401
