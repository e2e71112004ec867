"""Joint angles on hand-made poses whose angles are known."""

from __future__ import annotations

import numpy as np
import pytest

from sportslens.pose import COCO17_NAMES, Keypoints
from sportslens.pose.angles import ANGLE_NAMES, angle_at, joint_angles, lean_from_vertical

J = {name: i for i, name in enumerate(COCO17_NAMES)}


def point(x: float, y: float) -> np.ndarray:
    return np.array([x, y], dtype=np.float32)


@pytest.mark.parametrize(
    ("a", "c", "expected"),
    [
        ((0, -1), (0, 1), 180.0),  # straight
        ((0, -1), (1, 0), 90.0),  # right angle
        ((0, -1), (1, -1), 45.0),
        ((1, 0), (-1, 1), 135.0),
        ((3, 0), (3, 0), 0.0),  # folded completely
    ],
)
def test_angle_at_the_vertex(
    a: tuple[float, float], c: tuple[float, float], expected: float
) -> None:
    assert float(angle_at(point(*a), point(0, 0), point(*c))) == pytest.approx(expected, abs=1e-4)


def test_a_zero_length_limb_has_no_angle() -> None:
    assert np.isnan(angle_at(point(0, 0), point(0, 0), point(1, 0)))


@pytest.mark.parametrize(
    ("top", "expected"), [((0, -5), 0.0), ((5, -5), 45.0), ((-5, 0), 90.0), ((0, 5), 180.0)]
)
def test_lean_is_measured_from_image_up(top: tuple[float, float], expected: float) -> None:
    assert float(lean_from_vertical(point(0, 0), point(*top))) == pytest.approx(expected, abs=1e-4)


def squat_pose() -> np.ndarray:
    """Side view, facing +x: thighs level (knee at 90°), trunk leaning forward 45°."""
    pose = np.zeros((17, 2), np.float32)
    for side in ("left", "right"):
        pose[J[f"{side}_hip"]] = (100, 200)
        pose[J[f"{side}_knee"]] = (150, 200)  # thigh forward, horizontal
        pose[J[f"{side}_ankle"]] = (150, 250)  # shin straight down: 90° at the knee
        pose[J[f"{side}_shoulder"]] = (140, 160)  # trunk at 45° forward: hip angle 45°
        pose[J[f"{side}_elbow"]] = (190, 160)  # upper arm forward, level
        pose[J[f"{side}_wrist"]] = (190, 110)  # forearm up: 90° at the elbow
    pose[J["nose"]] = (150, 145)
    return pose


def test_joint_angles_of_a_hand_made_squat() -> None:
    standing = squat_pose()
    standing[J["left_knee"]] = (100, 250)  # left leg straight down instead
    standing[J["left_ankle"]] = (100, 300)
    points = np.stack([squat_pose(), standing])  # (2, 17, 2)
    scores = np.ones((2, 17), np.float32)
    scores[1, J["right_wrist"]] = 0  # not detected: its elbow angle is unknown in frame 1
    angles = joint_angles(Keypoints(points, scores, "coco17", 25.0, (320, 320), "hand-made"))
    assert angles.names == ANGLE_NAMES and angles.degrees.shape == (2, len(ANGLE_NAMES))
    assert angles.fps == 25.0 and angles.num_frames == 2
    expected = {
        "left_knee": [90, 180],
        "right_knee": [90, 90],
        "left_hip": [45, 135],  # hip-to-shoulder at 45° forward, thigh straight down
        "right_hip": [45, 45],
        "left_elbow": [90, 90],
        "right_shoulder": [135, 135],  # hip→shoulder→elbow: trunk 45° forward, arm level
        "trunk_lean": [45, 45],
    }
    for name, values in expected.items():
        np.testing.assert_allclose(angles[name], values, atol=1e-3, err_msg=name)
    assert angles["right_elbow"][0] == pytest.approx(90) and np.isnan(angles["right_elbow"][1])
    with pytest.raises(ValueError, match="no angle 'neck'"):
        angles["neck"]
