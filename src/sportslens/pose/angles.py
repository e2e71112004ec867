"""Joint angles over time from COCO-17 keypoints: knees, hips, elbows, shoulders, trunk lean.

Angles are measured in the image plane, in degrees: a straight knee is 180, a right angle 90.
``trunk_lean`` is the angle between the hip-to-shoulder line and the image's vertical: 0 upright,
90 lying. A 2-D angle is the true angle only when the limb moves in a plane facing the camera;
seen from the side a squat's knee angle is exact, seen from the front it is foreshortened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.keypoints import Keypoints
from sportslens.pose.layouts import COCO17_NAMES
from sportslens.pose.normalize import detected_midpoints

_J = {name: i for i, name in enumerate(COCO17_NAMES)}

ANGLE_JOINTS: dict[str, tuple[int, int, int]] = {
    f"{side}_{joint}": (_J[f"{side}_{a}"], _J[f"{side}_{joint}"], _J[f"{side}_{c}"])
    for joint, a, c in (
        ("knee", "hip", "ankle"),
        ("hip", "shoulder", "knee"),
        ("elbow", "shoulder", "wrist"),
        ("shoulder", "hip", "elbow"),
    )
    for side in ("left", "right")
}
"""Each angle as (outer, vertex, outer) COCO-17 joint indices: the angle sits at the vertex."""

ANGLE_NAMES: tuple[str, ...] = (*ANGLE_JOINTS, "trunk_lean")


def angle_at(
    outer_a: NDArray[np.float32], vertex: NDArray[np.float32], outer_c: NDArray[np.float32]
) -> NDArray[np.float64]:
    """Degrees of the angle a-vertex-c for points (..., 2); NaN where a limb has zero length."""
    u = (outer_a - vertex).astype(np.float64)  # (..., 2)
    v = (outer_c - vertex).astype(np.float64)
    lengths = np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1)  # (...,)
    cosine = (u * v).sum(axis=-1) / np.where(lengths > 0, lengths, np.nan)
    degrees: NDArray[np.float64] = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    return degrees


def lean_from_vertical(
    bottom: NDArray[np.float32], top: NDArray[np.float32]
) -> NDArray[np.float64]:
    """Degrees between the line bottom→top (..., 2) and straight up in the image (y points down)."""
    up = np.broadcast_to(np.array([0.0, -1.0]), np.shape(bottom))
    return angle_at(bottom + up, bottom, top)  # the angle at ``bottom`` between up and the line


@dataclass(frozen=True, eq=False)
class JointAngles:
    """Angles (T, A) in degrees, NaN where a joint they need was not detected, and the fps."""

    names: tuple[str, ...]
    degrees: NDArray[np.float64]  # (T, A)
    fps: float

    def __getitem__(self, name: str) -> NDArray[np.float64]:
        """The (T,) series of angle ``name``."""
        if name not in self.names:
            raise ValueError(f"no angle {name!r}; angles: {', '.join(self.names)}")
        series: NDArray[np.float64] = self.degrees[:, self.names.index(name)]
        return series

    @property
    def num_frames(self) -> int:
        return int(self.degrees.shape[0])


def joint_angles(kp: Keypoints, min_score: float = 0.0) -> JointAngles:
    """Every angle of :data:`ANGLE_NAMES` for every frame of ``kp`` (any layout).

    A joint counts as detected when its score is above ``min_score``; an angle needing an
    undetected joint is NaN in that frame.
    """
    coco = kp.to_coco17()
    points, seen = coco.keypoints, coco.scores > min_score  # (T, V, 2), (T, V)
    columns = []
    for a, b, c in ANGLE_JOINTS.values():
        degrees = angle_at(points[:, a], points[:, b], points[:, c])  # (T,)
        columns.append(np.where(seen[:, a] & seen[:, b] & seen[:, c], degrees, np.nan))
    masked = np.where(seen, coco.scores, 0.0).astype(np.float32)
    hips, hips_seen = detected_midpoints(points, masked, [_J["left_hip"], _J["right_hip"]])
    shoulders, shoulders_seen = detected_midpoints(
        points, masked, [_J["left_shoulder"], _J["right_shoulder"]]
    )
    lean = lean_from_vertical(hips, shoulders)  # (T,)
    columns.append(np.where(hips_seen & shoulders_seen, lean, np.nan))
    return JointAngles(ANGLE_NAMES, np.stack(columns, axis=1), coco.fps)
