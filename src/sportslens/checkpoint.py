"""Checkpoints: a folder with ``model.safetensors`` and ``config.json``, written atomically.

``config.json`` holds the model name, its build kwargs, its preprocessing, the class names, the
training config and the metrics: enough to predict with nothing else. A ``last`` checkpoint
also holds ``training_state.pt`` (optimiser, scheduler, scaler, RNG, epoch) for ``--resume``.

A file that cannot be read (truncated, overwritten, from another model) raises
:class:`CheckpointError`, which names the file, what is wrong with it and what to do.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from sportslens.messages import preview
from sportslens.models import VideoClassifier, create_model, get_entry
from sportslens.models.heads import ExtraHeads, add_heads, create_heads
from sportslens.models.inputs import InputSpec
from sportslens.permissions import give_default_mode

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
STATE_FILE = "training_state.pt"
STATE_KEYS = ("epoch", "best", "history", "optimizer", "scheduler", "scaler", "torch_rng")

DAMAGED = "retrain, or point at another checkpoint (a run folder's best/ or last/)"
"""What to do about a damaged checkpoint file."""


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: a damaged file, or a run resumed as another model."""


def damaged(file: Path, problem: str, advice: str = DAMAGED) -> CheckpointError:
    """``FILE: PROBLEM; ADVICE``: the one form every unreadable checkpoint file is reported in."""
    return CheckpointError(f"{file}: {problem}; {advice}")


@dataclass
class CheckpointInfo:
    """Everything in ``config.json``."""

    model: str
    classes: list[str]
    preprocess: InputSpec
    """The model's input (a video ``Preprocess`` or a ``KeypointSpec``), read by its adapter."""
    build_kwargs: dict[str, Any] = field(default_factory=dict)
    train_config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    heads: dict[str, list[str]] = field(default_factory=dict)
    """Extra heads beside the class head: each head's value names (empty: none). Their kind is
    ``train_config["heads"]``."""
    data_domain: str | None = None
    """Where the training data came from: "synthetic athletes" or "user data: <folder>"."""
    clip_seconds: float | None = None
    """Median length of the training videos: a much longer video holds more than one action."""

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "classes": self.classes,
            "preprocess": self.preprocess.to_dict(),
            "build_kwargs": self.build_kwargs,
            "train_config": self.train_config,
            "metrics": self.metrics,
            "heads": self.heads,
            "data_domain": self.data_domain,
            "clip_seconds": self.clip_seconds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckpointInfo:
        return cls(
            model=data["model"],
            classes=list(data["classes"]),
            # The family's adapter reads its own spec (and older checkpoints' layouts of it).
            preprocess=get_entry(data["model"]).input_adapter.read_spec(data["preprocess"]),
            build_kwargs=dict(data.get("build_kwargs", {})),
            train_config=dict(data.get("train_config", {})),
            metrics=dict(data.get("metrics", {})),
            heads={k: list(v) for k, v in data.get("heads", {}).items()},
            data_domain=data.get("data_domain"),
            clip_seconds=data.get("clip_seconds"),
        )


def save_checkpoint(
    folder: Path,
    model: VideoClassifier,
    info: CheckpointInfo,
    training_state: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint folder atomically: build it beside ``folder``, then swap it in.

    A run killed at any moment, the machine included, leaves either the previous checkpoint or
    the new one complete: the files and the folder reach the disk (fsync) before the renames,
    and the renames before the previous copy is deleted. :func:`resolve_checkpoint` also finds
    the previous one if the kill fell between the renames.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    give_default_mode(staging, directory=True)  # mkdtemp's 0700 would stay after the rename
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, staging / MODEL_FILE, metadata={"model": info.model})
    (staging / CONFIG_FILE).write_text(json.dumps(info.to_json(), indent=2, default=str))
    if training_state is not None:
        torch.save(training_state, staging / STATE_FILE)
    for file in staging.iterdir():
        give_default_mode(file)  # safetensors writes model.safetensors 0600
        _fsync(file)
    _fsync(staging)  # the folder's entries for those files
    previous = folder.with_name(f"{folder.name}.previous")
    if folder.exists():
        shutil.rmtree(previous, ignore_errors=True)
        folder.replace(previous)
    staging.replace(folder)
    _fsync(folder.parent)  # the renames, before the only other complete copy goes
    shutil.rmtree(previous, ignore_errors=True)
    return folder


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to the disk."""
    if path.is_dir() and os.name == "nt":
        return  # Windows cannot open a folder for fsync; its renames are journaled anyway
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def resolve_checkpoint(path: Path) -> Path:
    """The checkpoint folder for a run folder (its ``best``, else ``last``) or a checkpoint."""
    path = Path(path)
    for candidate in (path, path / "best", path / "last", path.with_name(f"{path.name}.previous")):
        if (candidate / MODEL_FILE).is_file() and (candidate / CONFIG_FILE).is_file():
            return candidate
    raise CheckpointError(f"{path}: no checkpoint here (expected {MODEL_FILE} and {CONFIG_FILE})")


def read_info(path: Path) -> CheckpointInfo:
    """The ``config.json`` of a checkpoint (or of a run folder's best checkpoint)."""
    file = resolve_checkpoint(path) / CONFIG_FILE
    try:
        return CheckpointInfo.from_json(json.loads(file.read_text()))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise damaged(file, f"not readable JSON ({error})") from error
    except KeyError as error:
        raise damaged(file, f"lacks the key {error}") from error
    except (ValueError, TypeError, AttributeError) as error:
        raise damaged(file, f"not a checkpoint description ({error})") from error


def load_checkpoint(
    path: Path, device: str | torch.device = "cpu"
) -> tuple[VideoClassifier, CheckpointInfo]:
    """Rebuild the model of a checkpoint and load its weights (safetensors: no unpickling)."""
    folder = resolve_checkpoint(path)
    info = read_info(folder)
    # The family's shims fill in what older checkpoints lack (small models: motion channels).
    kwargs = get_entry(info.model).input_adapter.checkpoint_kwargs(info.build_kwargs)
    try:
        model = create_model(info.model, len(info.classes), **kwargs)
    except (ValueError, TypeError) as error:
        raise damaged(
            folder / CONFIG_FILE, f"names a model that cannot be built ({error})"
        ) from error
    if info.heads:
        add_heads(model, info.heads)
    load_weights(model, folder, device, made_as=f"the {info.model} model of its {CONFIG_FILE}")
    # The preprocessing it was trained with, as recorded (its sizes may be any the run chose).
    model.preprocess = info.preprocess
    return model.to(device), info


def load_weights(
    model: nn.Module, folder: Path, device: str | torch.device, *, made_as: str
) -> None:
    """Load ``folder``'s weights into ``model`` (``made_as`` says what it is), or say why not."""
    file = folder / MODEL_FILE
    try:
        weights = load_file(file, device=str(device))
    except (SafetensorError, OSError) as error:
        raise damaged(file, f"not a readable safetensors file ({error})") from error
    mismatch = describe_mismatch(model.state_dict(), weights)
    if mismatch:
        raise damaged(file, f"its weights do not fit {made_as}: {mismatch}")
    model.load_state_dict(weights)


def describe_mismatch(
    expected: Mapping[str, torch.Tensor], weights: Mapping[str, torch.Tensor]
) -> str:
    """Briefly, what keeps ``weights`` from loading into a model of ``expected``; "" if nothing."""
    missing = [name for name in expected if name not in weights]
    unexpected = [name for name in weights if name not in expected]
    reshaped = [
        f"{name} {tuple(weights[name].shape)} instead of {tuple(tensor.shape)}"
        for name, tensor in expected.items()
        if name in weights and weights[name].shape != tensor.shape
    ]
    found = (("missing", missing), ("unexpected", unexpected), ("other shapes", reshaped))
    return "; ".join(f"{what}: {preview(names, 3)}" for what, names in found if names)


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
        raise CheckpointError(f"{folder}: no {STATE_FILE}, so this run cannot be resumed")
    advice = "this run cannot resume: train again into a new --out folder"
    try:
        state = torch.load(state_file, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, pickle.UnpicklingError) as error:
        # torch goes on for sentences about corruption; an empty file gives no message at all
        problem = str(error).split(". ")[0] or "the file ends early"
        raise damaged(state_file, f"not a readable training state ({problem})", advice) from error
    lacking = [key for key in STATE_KEYS if not isinstance(state, dict) or key not in state]
    if lacking:
        raise damaged(state_file, f"lacks {', '.join(lacking)}", advice)
    return dict(state)
