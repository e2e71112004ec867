"""Checkpoints: a folder with ``model.safetensors`` and ``config.json``, written atomically.

``config.json`` holds the model name, its build kwargs, its preprocessing, the class names, the
training config and the metrics: enough to predict with nothing else. A ``last`` checkpoint
also holds ``training_state.pt`` (optimiser, scheduler, scaler, RNG, epoch) for ``--resume``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from sportslens.models import VideoClassifier, create_model, get_entry
from sportslens.models.heads import ExtraHeads, add_heads, create_heads
from sportslens.transforms import Preprocess

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
STATE_FILE = "training_state.pt"


@dataclass
class CheckpointInfo:
    """Everything in ``config.json``."""

    model: str
    classes: list[str]
    preprocess: Preprocess
    build_kwargs: dict[str, Any] = field(default_factory=dict)
    train_config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    heads: dict[str, list[str]] = field(default_factory=dict)
    """Extra heads beside the class head: each head's value names (empty: none). Their kind is
    ``train_config["heads"]``."""

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "classes": self.classes,
            "preprocess": self.preprocess.to_dict(),
            "build_kwargs": self.build_kwargs,
            "train_config": self.train_config,
            "metrics": self.metrics,
            "heads": self.heads,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckpointInfo:
        return cls(
            model=data["model"],
            classes=list(data["classes"]),
            preprocess=Preprocess.from_dict(data["preprocess"]),
            build_kwargs=dict(data.get("build_kwargs", {})),
            train_config=dict(data.get("train_config", {})),
            metrics=dict(data.get("metrics", {})),
            heads={k: list(v) for k, v in data.get("heads", {}).items()},
        )


def save_checkpoint(
    folder: Path,
    model: VideoClassifier,
    info: CheckpointInfo,
    training_state: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint folder atomically: build it beside ``folder``, then swap it in.

    A run killed at any moment leaves either the previous checkpoint or the new one complete;
    :func:`resolve_checkpoint` also finds the previous one if the kill fell between the renames.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, staging / MODEL_FILE, metadata={"model": info.model})
    (staging / CONFIG_FILE).write_text(json.dumps(info.to_json(), indent=2, default=str))
    if training_state is not None:
        torch.save(training_state, staging / STATE_FILE)
    previous = folder.with_name(f"{folder.name}.previous")
    if folder.exists():
        shutil.rmtree(previous, ignore_errors=True)
        folder.replace(previous)
    staging.replace(folder)
    shutil.rmtree(previous, ignore_errors=True)
    return folder


def resolve_checkpoint(path: Path) -> Path:
    """The checkpoint folder for a run folder (its ``best``, else ``last``) or a checkpoint."""
    path = Path(path)
    for candidate in (path, path / "best", path / "last", path.with_name(f"{path.name}.previous")):
        if (candidate / MODEL_FILE).is_file() and (candidate / CONFIG_FILE).is_file():
            return candidate
    raise ValueError(f"{path}: no checkpoint here (expected {MODEL_FILE} and {CONFIG_FILE})")


def read_info(path: Path) -> CheckpointInfo:
    """The ``config.json`` of a checkpoint (or of a run folder's best checkpoint)."""
    folder = resolve_checkpoint(path)
    return CheckpointInfo.from_json(json.loads((folder / CONFIG_FILE).read_text()))


def load_checkpoint(
    path: Path, device: str | torch.device = "cpu"
) -> tuple[VideoClassifier, CheckpointInfo]:
    """Rebuild the model of a checkpoint and load its weights (safetensors: no unpickling)."""
    folder = resolve_checkpoint(path)
    info = read_info(folder)
    kwargs = dict(info.build_kwargs)
    if get_entry(info.model).family == "small":
        # Small-model checkpoints written before the motion channels existed lack the key.
        kwargs.setdefault("motion", False)
    model = create_model(info.model, len(info.classes), **kwargs)
    if info.heads:
        add_heads(model, info.heads)
    model.load_state_dict(load_file(folder / MODEL_FILE, device=str(device)))
    model.preprocess = info.preprocess
    return model.to(device), info


def checkpoint_heads(info: CheckpointInfo) -> ExtraHeads | None:
    """The extra heads a checkpoint's model carries, of the kind it was trained with; None for
    the class head alone."""
    if not info.heads:
        return None
    return create_heads(str(info.train_config.get("heads", "class")), info.classes)


def load_training_state(path: Path) -> dict[str, Any]:
    """The resumable state of a ``last`` checkpoint (tensors and plain values only)."""
    folder = resolve_checkpoint(path)
    state_file = folder / STATE_FILE
    if not state_file.is_file():
        raise ValueError(f"{folder}: no {STATE_FILE}, so this run cannot be resumed")
    state: dict[str, Any] = torch.load(state_file, map_location="cpu", weights_only=True)
    return state
