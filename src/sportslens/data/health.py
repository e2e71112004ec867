"""Find videos that cannot be decoded before a training run trips over them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sportslens.data.threads import thread_map
from sportslens.video import VideoDecodeError, verify

if TYPE_CHECKING:
    import pandas as pd


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


def mark_undecodable(frame: pd.DataFrame, problems: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """A copy of :meth:`Catalog.to_dataframe`'s table with every readable row of a video in
    ``problems`` (from :func:`find_undecodable`) set ``readable=False``, its reason in ``error``.

    Probing decodes only the first frame, so a video broken mid-way probes as readable; marked
    here, :func:`class_summary` counts it as unreadable and leaves it out of the durations.
    """
    reasons = dict(problems)
    marked = frame.copy()
    broken = marked["source"].isin(list(reasons)) & marked["readable"].astype(bool)
    marked.loc[broken, "readable"] = False
    marked.loc[broken, "error"] = marked.loc[broken, "source"].map(reasons)
    return marked
