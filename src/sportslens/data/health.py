"""Find videos that cannot be decoded before a training run trips over them."""

from __future__ import annotations

from collections.abc import Sequence

from sportslens.data.threads import thread_map
from sportslens.video import VideoDecodeError, verify


def _problem(source: str) -> str | None:
    try:
        verify(source)
    except VideoDecodeError as error:
        return str(error)
    return None


def find_undecodable(
    sources: Sequence[str], *, workers: int = 4, progress: bool = True
) -> list[tuple[str, str]]:
    """``(source, reason)`` for every video that does not decode from start to end."""
    problems = thread_map(
        _problem, sources, workers=workers, description="decoding videos", progress=progress
    )
    return [(s, p) for s, p in zip(sources, problems, strict=True) if p is not None]
