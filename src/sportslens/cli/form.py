"""``sportslens form``: joint angles and repetitions from keypoints."""

from __future__ import annotations
