"""``sportslens timeline`` and ``evaluate-timeline``: what happens when in a long video."""

from __future__ import annotations
