"""A table of every registered model, for ``sportslens models``."""

from __future__ import annotations

from typing import Any

import torch

from sportslens.models.registry import create_model, get_entry, list_models


def count_parameters(name: str) -> int:
    """Parameters of the default architecture (built on the meta device: no memory, no time)."""
    with torch.device("meta"):
        model = create_model(name, 400)
    return sum(p.numel() for p in model.parameters())


def model_table() -> list[dict[str, Any]]:
    """One row per model: name, family, parameters (M), frames, crop size, public weights."""
    rows = []
    for name in list_models():
        entry = get_entry(name)
        try:
            params_m: float = count_parameters(name) / 1e6
        except ImportError:
            params_m = float("nan")  # the family's optional extra is not installed
        rows.append(
            {
                "model": name,
                "family": entry.family,
                "params_m": params_m,
                "frames": entry.preprocess.clip_frames,
                # None for keypoint input: it has no pixel size.
                "crop_size": entry.preprocess.to_dict().get("crop_size"),
                "weights": list(entry.weights),
                "description": entry.description,
            }
        )
    return rows


def describe_input(name: str) -> str:
    """The default input of model ``name`` for tables: ``112x112`` or ``17 joints``."""
    entry = get_entry(name)
    return entry.input_adapter.describe(entry.preprocess)
