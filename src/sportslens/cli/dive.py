"""``sportslens dive``: dive numbers decoded into their parts."""

from __future__ import annotations
