"""Loading Hugging Face hub models without waiting on a network that is not there.

transformers' ``from_pretrained`` retries an unreachable hub for about half a minute and then
raises a long traceback. Here a hub id loads from the local cache first (no network at all); only
a model missing from the cache goes to the hub, and only after one quick check that the hub
answers. Otherwise :class:`HubModelMissingError` says at once what is missing, where it would come
from, the command that fetches it and the flag that takes a local copy, as a missing torchvision
weights file does (``models.weights.missing_weights_error``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["HubModelMissingError", "hub_offline", "hub_unreachable", "load_from_hub"]

T = TypeVar("T")

_HUB_CHECK_TIMEOUT_S = 3.0  # one metadata request; a slow answer is still an answer


class HubModelMissingError(FileNotFoundError):
    """A hub model is neither in the local cache nor downloadable now."""


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE is set now (huggingface_hub reads it only once, at its import)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def hub_unreachable(repo_id: str) -> str:
    """Why ``repo_id`` cannot be fetched from the hub right now, or "" when it can."""
    if hub_offline():
        return "HF_HUB_OFFLINE is set"
    try:
        from huggingface_hub import model_info

        model_info(repo_id, timeout=_HUB_CHECK_TIMEOUT_S)
    except Exception as error:  # any failure (no network, unknown repo, auth) means no download
        return f"{type(error).__name__}: {error}".splitlines()[0][:200]
    return ""


def load_from_hub(
    loader: Callable[..., T], repo_id: str, *, what: str, flag: str, **options: Any
) -> T:
    """``loader(repo_id, **options)`` from the hub cache, else from the hub if it answers now.

    ``loader`` is a ``from_pretrained``; ``what`` names the model in the error ("the videomae
    weights") and ``flag`` is the option that takes a local folder instead (``--weights``).
    """
    try:
        return loader(repo_id, local_files_only=True, **options)
    except OSError:
        pass  # not (completely) in the cache: only the hub can help
    reason = hub_unreachable(repo_id)
    if reason:
        raise HubModelMissingError(missing_message(repo_id, what=what, flag=flag, reason=reason))
    return loader(repo_id, **options)


def missing_message(repo_id: str, *, what: str, flag: str, reason: str) -> str:
    """What is missing, where it would come from, the command that fetches it, the local flag."""
    folder = repo_id.rsplit("/", 1)[-1]
    return (
        f"{what} {repo_id!r} are not on this machine (looked in the Hugging Face cache "
        f"{_cache_folder()}) and cannot be downloaded now ({reason}). "
        f"They come from https://huggingface.co/{repo_id}: fetch them into the cache with "
        f"`hf download {repo_id}` (then this command finds them by name), or run "
        f"`hf download {repo_id} --local-dir {folder}` anywhere, copy the folder here and pass "
        f"it with `{flag} ./{folder}`."
    )


def _cache_folder() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except ImportError:  # pragma: no cover - transformers always brings huggingface_hub
        return "~/.cache/huggingface/hub"
