"""The timeline's ``window`` and ``stride`` query values: finite, bounded, one frame at least.

Unchecked, ``window=inf`` or ``1e308`` overflowed when turned into frames and ``window=1e-9``
rounded to no frame at all: each was a 500. The bounds that need no video are part of the
query's schema (422 from FastAPI); the frame rule needs the video's fps, so it is checked once
the video is probed, before any window is scored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from sportslens.serve.errors import ApiError

MAX_WINDOW_S = 3600.0
"""Longest window and stride accepted, in seconds: an hour, beyond any action worth a label."""


def seconds_query(description: str) -> Any:
    """A query parameter in seconds: finite, above 0 and at most :data:`MAX_WINDOW_S`."""
    return Query(gt=0, le=MAX_WINDOW_S, allow_inf_nan=False, description=description)


Window = Annotated[float | None, seconds_query("Window length in seconds (default: the model's).")]
Stride = Annotated[float | None, seconds_query("Step between windows in seconds.")]


def check_window_frames(window: float | None, stride: float | None, fps: float) -> None:
    """422 ``invalid_request`` when a given window or stride rounds to no frame at ``fps``."""
    for name, value in (("window", window), ("stride", stride)):
        if value is not None and round(value * fps) < 1:
            raise ApiError(
                422,
                "invalid_request",
                f"query.{name}: {value:g} s is shorter than one frame of this {fps:.4g} fps "
                f"video ({1 / fps:.4g} s)",
            )
