"""Body keypoints: the keypoint file, layouts, extraction backends, smoothing and overlays."""

from __future__ import annotations

from sportslens.pose.keypoints import FORMAT_VERSION, Keypoints, load_keypoints, save_keypoints
from sportslens.pose.layouts import (
    BLAZEPOSE33_EDGES,
    BLAZEPOSE33_NAMES,
    BLAZEPOSE_TO_COCO,
    COCO17_EDGES,
    COCO17_NAMES,
    LAYOUTS,
)

__all__ = [
    "BLAZEPOSE33_EDGES",
    "BLAZEPOSE33_NAMES",
    "BLAZEPOSE_TO_COCO",
    "COCO17_EDGES",
    "COCO17_NAMES",
    "FORMAT_VERSION",
    "LAYOUTS",
    "Keypoints",
    "load_keypoints",
    "save_keypoints",
]
