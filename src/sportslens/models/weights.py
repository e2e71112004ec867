"""Reading weight files and putting them into a `VideoClassifier`, shared by every model family.

Files are read as tensors only: ``.safetensors`` through safetensors, anything else through
``torch.load(weights_only=True)``, so a weights file can never run code when it is opened.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor

from sportslens.models.base import VideoClassifier

__all__ = [
    "HEAD_KEYS",
    "load_classifier_state",
    "load_state_dict_file",
    "local_weights_path",
    "missing_weights_error",
]

logger = logging.getLogger(__name__)

HEAD_KEYS = ("head.weight", "head.bias")
"""The keys of a `VideoClassifier`'s linear head in its state dict."""

# Checkpoints of training scripts often wrap the weights: torchvision's references save
# {"model": ..., "optimizer": ...}, Lightning {"state_dict": ...}.
_WRAPPER_KEYS = ("model", "state_dict")


def load_state_dict_file(path: str | Path) -> dict[str, Tensor]:
    """Read the tensors of a ``.safetensors`` or torch (``.pth``, ``.pt``) weights file on the CPU.

    A torch file that wraps its weights under ``"model"`` or ``"state_dict"`` is unwrapped. Files
    holding anything but tensors and plain containers are refused rather than unpickled.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} does not exist or is not a file")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(path, device="cpu")
    try:
        loaded: object = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"{path} is not a plain weights file: it holds pickled objects besides tensors, "
            "which sportslens refuses to unpickle; save `model.state_dict()` instead"
        ) from err
    return _tensors_only(loaded, path)


def _tensors_only(loaded: object, path: Path) -> dict[str, Tensor]:
    if isinstance(loaded, Mapping):
        for key in _WRAPPER_KEYS:
            if isinstance(loaded.get(key), Mapping):
                loaded = loaded[key]
                break
    if not isinstance(loaded, Mapping):
        raise ValueError(f"{path} holds a {type(loaded).__name__}, expected a state dict")
    state: dict[str, Tensor] = {}
    for key, value in loaded.items():
        if not isinstance(value, Tensor):
            raise ValueError(
                f"{path} is not a state dict: entry {key!r} is a {type(value).__name__}, "
                "expected a tensor"
            )
        state[str(key)] = value
    return state


def local_weights_path(model_name: str, pretrained: str | Path, known: tuple[str, ...]) -> Path:
    """``pretrained`` as the path of an existing file; anything else names the accepted values."""
    path = Path(pretrained)
    if path.is_file():
        return path
    names = ", ".join(repr(name) for name in known) if known else "none"
    raise ValueError(
        f"pretrained={str(pretrained)!r} for model {model_name!r} is neither one of its public "
        f"weights ({names}) nor an existing weights file (.pth, .pt or .safetensors)"
    )


def missing_weights_error(
    model_name: str, weights_name: str, url: str, cache_path: Path
) -> FileNotFoundError:
    """The error for public weights that are not on this machine: which file, from where, to where.

    sportslens never downloads implicitly, so an offline machine fails at once instead of
    hanging in a download.
    """
    return FileNotFoundError(
        f"the {weights_name!r} weights of {model_name!r} are not on this machine "
        f"(looked for {cache_path}). Download {url} to that path "
        f"(for example `curl -L --create-dirs -o {cache_path} {url}`), "
        f"or save it anywhere and pass it with `--weights PATH` on the command line "
        f'or `pretrained="/path/to/{cache_path.name}"` in Python.'
    )


def load_classifier_state(model: VideoClassifier, state: Mapping[str, Tensor], source: str) -> None:
    """Load a `VideoClassifier` state dict (``backbone.*``, ``head.*``) into ``model``.

    The backbone must match exactly. A head of another shape (other classes, as when fine-tuning
    Kinetics weights on a new label set) is not loaded: ``model`` keeps its fresh head.
    """
    state = dict(state)
    head = {key: state.pop(key) for key in HEAD_KEYS if key in state}
    fresh_head = {key: value for key, value in model.state_dict().items() if key in HEAD_KEYS}
    if {k: v.shape for k, v in head.items()} != {k: v.shape for k, v in fresh_head.items()}:
        logger.info(
            "%s holds no head for %d classes; the model keeps its fresh head",
            source,
            model.num_classes,
        )
        head = fresh_head
    try:
        missing, unexpected = model.load_state_dict(state | head, strict=False)
    except RuntimeError as err:  # shape mismatches: another architecture or configuration
        raise ValueError(f"weights from {source} do not fit the model: {err}") from err
    if missing or unexpected:
        raise ValueError(
            f"weights from {source} do not fit the model: "
            f"{len(missing)} missing key(s) {_preview(missing)}, "
            f"{len(unexpected)} unexpected key(s) {_preview(unexpected)}"
        )


def _preview(keys: list[str], limit: int = 5) -> str:
    shown = ", ".join(keys[:limit])
    return f"[{shown}{', ...' if len(keys) > limit else ''}]"
