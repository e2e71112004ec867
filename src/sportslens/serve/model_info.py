"""What ``GET /v1/model`` reports: the model, its classes and preprocessing, its metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sportslens.checkpoint import CONFIG_FILE, CheckpointError, read_info, resolve_checkpoint
from sportslens.predict import Predictor


def find_metrics(checkpoint: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The run's evaluation ``metrics.json``, else the checkpoint's training metrics, and whence.

    ``checkpoint`` is a run folder or one of its checkpoint folders (``best``, ``last``):
    ``sportslens evaluate`` writes ``metrics.json`` into the run folder.
    """
    try:
        folder = resolve_checkpoint(checkpoint)
        training = read_info(folder).metrics
    except CheckpointError:  # an ONNX export folder: its config.json is the checkpoint's
        folder = checkpoint
        training = json.loads((folder / CONFIG_FILE).read_text()).get("metrics", {})
    for candidate in (checkpoint / "metrics.json", folder.parent / "metrics.json"):
        if candidate.is_file():
            return json.loads(candidate.read_text()), f"{candidate.parent.name}/metrics.json"
    return (training, f"{folder.name}/config.json") if training else (None, None)


def describe_model(predictor: Predictor, checkpoint: Path | None) -> dict[str, Any]:
    """Name, classes, preprocessing and metrics (left out when there is no checkpoint or report)."""
    metrics, source = find_metrics(checkpoint) if checkpoint is not None else (None, None)
    found = {"metrics": metrics, "metrics_source": source} if metrics is not None else {}
    return {
        "name": predictor.model.name,
        "classes": predictor.classes,
        "num_classes": len(predictor.classes),
        "preprocess": predictor.model.preprocess.to_dict(),
        **found,
        "timeline": hasattr(predictor, "timeline"),
    }
