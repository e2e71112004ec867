"""Tiny configurations of every registered model: each builds in well under a second on a CPU."""

from __future__ import annotations

from typing import Any

from sportslens.models.torchvision_video import TINY_KWARGS

# Transformers models: hidden 32, one or two layers, 4 frames of 32x32.
_VIT = {"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2}
HF_TINY: dict[str, dict[str, Any]] = {
    "timesformer": {
        **_VIT,
        "intermediate_size": 37,
        "image_size": 32,
        "patch_size": 16,
        "num_frames": 4,
    },
    "videomae": {
        **_VIT,
        "intermediate_size": 37,
        "image_size": 32,
        "patch_size": 16,
        "num_frames": 4,
        "tubelet_size": 2,
    },
    "vivit": {
        **_VIT,
        "intermediate_size": 37,
        "image_size": 32,
        "num_frames": 4,
        "tubelet_size": [2, 16, 16],
    },
    "vjepa2": {
        **_VIT,
        "num_hidden_layers": 1,
        "mlp_ratio": 1.0,
        "crop_size": 32,
        "patch_size": 16,
        "frames_per_clip": 4,
        "tubelet_size": 2,
        "num_pooler_layers": 1,
    },
}

# Video models whose input size is free are built for 8 frames of 32 px (MViT's tiny blocks are
# defined for exactly that); skeleton models for 16 frames.
_SMALL_CLIPS = {"clip_frames": 8, "crop_size": 32}
TINY: dict[str, dict[str, Any]] = {
    "r2plus1d_tiny": {"width": 4, **_SMALL_CLIPS},
    "r2plus1d_small": {"width": 4, **_SMALL_CLIPS},
    **{name: {**kwargs, **_SMALL_CLIPS} for name, kwargs in TINY_KWARGS.items()},
    **HF_TINY,
    "stgcn": {"width": 4, "clip_frames": 16},
    "tcn": {"width": 8, "levels": 2, "clip_frames": 16},
}
"""``create_model(name, k, **TINY[name])`` for every registered model."""
