"""Keypoint layouts: joint names, skeleton edges and the BlazePose-33 → COCO-17 mapping.

A layout is named by a string (``"coco17"``, ``"blazepose33"``) stored in every keypoint file;
:data:`LAYOUTS` maps each name to its joint names and edges. Left and right are the athlete's own.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Edges = tuple[tuple[int, int], ...]

# Body joints both layouts name alike, in the same order: the BlazePose-33 -> COCO-17 mapping
# below goes by name, so a joint has one spelling.
_ARMS = (
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
)
_LEGS = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")

COCO17_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    *_ARMS,
    *_LEGS,
)
"""The 17 COCO keypoints in COCO order."""

COCO17_EDGES: Edges = (
    # face
    (0, 1),
    (0, 2),
    (1, 3),
    (2, 4),
    # ears to shoulders, as in the COCO skeleton
    (3, 5),
    (4, 6),
    # arms
    (5, 7),
    (7, 9),
    (6, 8),
    (8, 10),
    # trunk
    (5, 6),
    (5, 11),
    (6, 12),
    (11, 12),
    # legs
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
)
"""Bones of the COCO skeleton (the 19 COCO limbs less the two eye-to-shoulder duplicates)."""

BLAZEPOSE33_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    *_ARMS,
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    *_LEGS,
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
"""MediaPipe's 33 BlazePose landmarks in landmark order."""

BLAZEPOSE33_EDGES: Edges = (
    # face (MediaPipe's POSE_CONNECTIONS)
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 7),
    (0, 4),
    (4, 5),
    (5, 6),
    (6, 8),
    (9, 10),
    # trunk
    (11, 12),
    (11, 23),
    (12, 24),
    (23, 24),
    # left arm and hand
    (11, 13),
    (13, 15),
    (15, 17),
    (15, 19),
    (15, 21),
    (17, 19),
    # right arm and hand
    (12, 14),
    (14, 16),
    (16, 18),
    (16, 20),
    (16, 22),
    (18, 20),
    # left leg and foot
    (23, 25),
    (25, 27),
    (27, 29),
    (27, 31),
    (29, 31),
    # right leg and foot
    (24, 26),
    (26, 28),
    (28, 30),
    (28, 32),
    (30, 32),
)
"""Bones of the BlazePose skeleton, as MediaPipe draws them."""

BLAZEPOSE_TO_COCO: NDArray[np.intp] = np.array(
    [BLAZEPOSE33_NAMES.index(name) for name in COCO17_NAMES], dtype=np.intp
)
"""For each COCO joint, its BlazePose index: ``blaze[:, BLAZEPOSE_TO_COCO]`` is COCO-17.

Every COCO joint has a BlazePose landmark of the same name, so the mapping is a plain selection.
"""
BLAZEPOSE_TO_COCO.setflags(write=False)

LAYOUTS: dict[str, tuple[tuple[str, ...], Edges]] = {
    "coco17": (COCO17_NAMES, COCO17_EDGES),
    "blazepose33": (BLAZEPOSE33_NAMES, BLAZEPOSE33_EDGES),
}
"""Every layout a keypoint file may name: ``LAYOUTS[layout] = (joint names, edges)``."""


def layout_names(layout: str) -> tuple[str, ...]:
    """The joint names of ``layout``; a ValueError names the known layouts."""
    return _layout(layout)[0]


def layout_edges(layout: str) -> Edges:
    """The skeleton edges of ``layout``; a ValueError names the known layouts."""
    return _layout(layout)[1]


def _layout(layout: str) -> tuple[tuple[str, ...], Edges]:
    try:
        return LAYOUTS[layout]
    except KeyError:
        known = ", ".join(sorted(LAYOUTS))
        raise ValueError(f"unknown keypoint layout {layout!r}; expected one of: {known}") from None
