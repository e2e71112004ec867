"""Body keypoints: the keypoint file, layouts, extraction backends, smoothing and overlays."""

from __future__ import annotations

from sportslens.pose.backends import (
    BACKENDS,
    Backend,
    Layout,
    VitPoseSettings,
    extract_keypoints,
    import_keypoints,
)
from sportslens.pose.keypoints import FORMAT_VERSION, Keypoints, load_keypoints, save_keypoints
from sportslens.pose.layouts import (
    BLAZEPOSE33_EDGES,
    BLAZEPOSE33_NAMES,
    BLAZEPOSE_TO_COCO,
    COCO17_EDGES,
    COCO17_NAMES,
    LAYOUTS,
)
from sportslens.pose.overlay import draw_pose, write_overlay
from sportslens.pose.smoothing import SmoothMethod, one_euro, savgol, smooth_keypoints

__all__ = [
    "BACKENDS",
    "BLAZEPOSE33_EDGES",
    "BLAZEPOSE33_NAMES",
    "BLAZEPOSE_TO_COCO",
    "COCO17_EDGES",
    "COCO17_NAMES",
    "FORMAT_VERSION",
    "LAYOUTS",
    "Backend",
    "Keypoints",
    "Layout",
    "SmoothMethod",
    "VitPoseSettings",
    "draw_pose",
    "extract_keypoints",
    "import_keypoints",
    "load_keypoints",
    "one_euro",
    "save_keypoints",
    "savgol",
    "smooth_keypoints",
    "write_overlay",
]
