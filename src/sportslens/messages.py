"""Text for error messages, shared by every layer: a leaf that imports nothing of sportslens."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["preview"]


def preview(items: Sequence[str], limit: int = 5) -> str:
    """``a, b, c`` or ``a, b, c and 7 more``: names for an error message, never thousands."""
    shown = ", ".join(str(item) for item in items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more"
