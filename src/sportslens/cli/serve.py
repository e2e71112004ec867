"""``sportslens serve``: the HTTP API and web playground."""

from __future__ import annotations
