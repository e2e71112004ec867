"""``sportslens pose`` and ``pose-extract``: body keypoints from videos."""

from __future__ import annotations
