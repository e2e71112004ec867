"""Skeleton-model input: resampling, centring, scaling and mirroring on hand-made poses."""

from __future__ import annotations

import numpy as np
import pytest

from sportslens.pose import COCO17_NAMES, Keypoints
from sportslens.pose.normalize import (
    COCO17_MIRROR,
    SKELETON_INPUT,
    SkeletonLayout,
    body_frame,
    mirror,
    normalize_people,
    normalize_sequence,
    resample,
)

J = {name: i for i, name in enumerate(COCO17_NAMES)}


def standing_pose(x: float = 100.0, y: float = 200.0, torso: float = 50.0) -> np.ndarray:
    """A frontal COCO-17 pose (17, 2): hips' midpoint at (x, y), shoulders ``torso`` px above."""
    s = torso / 50.0  # every offset scales with the body
    pose = np.zeros((17, 2), dtype=np.float32)
    for side, dx in (("left", 10.0 * s), ("right", -10.0 * s)):
        pose[J[f"{side}_hip"]] = (x + dx, y)
        pose[J[f"{side}_shoulder"]] = (x + 1.5 * dx, y - torso)
        pose[J[f"{side}_elbow"]] = (x + 2 * dx, y - torso + 25 * s)
        pose[J[f"{side}_wrist"]] = (x + 2 * dx, y - torso + 50 * s)
        pose[J[f"{side}_knee"]] = (x + dx, y + 40 * s)
        pose[J[f"{side}_ankle"]] = (x + dx, y + 80 * s)
        pose[J[f"{side}_eye"]] = (x + 0.3 * dx, y - torso - 20 * s)
        pose[J[f"{side}_ear"]] = (x + 0.6 * dx, y - torso - 18 * s)
    pose[J["nose"]] = (x, y - torso - 15 * s)
    return pose


def sequence(poses: list[np.ndarray], scores: np.ndarray | None = None) -> Keypoints:
    points = np.stack(poses).astype(np.float32)  # (T, 17, 2)
    conf = np.ones(points.shape[:2], np.float32) if scores is None else scores
    return Keypoints(points, conf, "coco17", 30.0, (320, 240), "test")


@pytest.mark.parametrize(
    ("frames", "length", "expected"),
    [
        (3, 5, [0.0, 0.5, 1.0, 1.5, 2.0]),  # upsampling interpolates between frames
        (5, 3, [0.0, 2.0, 4.0]),  # downsampling keeps the first and last frames
        (1, 4, [0.0, 0.0, 0.0, 0.0]),  # a single frame is repeated
        (4, 4, [0.0, 1.0, 2.0, 3.0]),  # the same length is the identity
    ],
)
def test_resample_interpolates_over_time(frames: int, length: int, expected: list[float]) -> None:
    # Frame t holds the value t everywhere, so a resampled value is its fractional input time.
    points = np.broadcast_to(np.arange(frames, dtype=np.float32)[:, None, None], (frames, 17, 2))
    scores = np.ones((frames, 17), np.float32)
    out, conf = resample(points.copy(), scores, length)
    assert out.shape == (length, 17, 2) and conf.shape == (length, 17)
    np.testing.assert_allclose(out[:, 0, 0], expected, atol=1e-6)
    np.testing.assert_allclose(conf, 1.0)


def test_resample_refuses_empty_sequences_and_lengths() -> None:
    with pytest.raises(ValueError, match="0 frames"):
        resample(np.zeros((0, 17, 2), np.float32), np.zeros((0, 17), np.float32), 8)
    with pytest.raises(ValueError, match="at least 1"):
        resample(np.zeros((2, 17, 2), np.float32), np.zeros((2, 17), np.float32), 0)


def test_centre_and_scale_make_the_input_independent_of_position_and_size() -> None:
    near = sequence([standing_pose(100, 200, 50), standing_pose(100, 210, 50)])
    far = sequence([standing_pose(300, 120, 25), standing_pose(300, 125, 25)])  # half the size
    a, b = normalize_sequence(near, 8), normalize_sequence(far, 8)
    assert a.shape == (3, 8, 17, 1) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-5)
    # The hips' midpoint of the median frame is the origin; the torso is one unit long.
    hips = (a[:2, :, J["left_hip"], 0] + a[:2, :, J["right_hip"], 0]) / 2  # (2, T)
    np.testing.assert_allclose(hips[:, 0], [0.0, -0.1], atol=1e-5)  # 5 px above the median
    np.testing.assert_allclose(hips[:, -1], [0.0, 0.1], atol=1e-5)  # the hips' motion stays
    shoulders = (a[:2, 0, J["left_shoulder"], 0] + a[:2, 0, J["right_shoulder"], 0]) / 2
    assert np.linalg.norm(shoulders - hips[:, 0]) == pytest.approx(1.0, abs=1e-5)


def test_body_frame_uses_the_visible_side_and_ignores_undetected_frames() -> None:
    poses = [standing_pose(), standing_pose(), standing_pose()]
    scores = np.ones((3, 17), np.float32)
    scores[:, J["right_hip"]] = 0  # hidden behind the occluder the whole clip
    scores[2] = 0  # nobody in the last frame
    poses[2] = np.zeros((17, 2), np.float32)
    centre, torso = body_frame(np.stack(poses), scores)
    np.testing.assert_allclose(centre, [110.0, 200.0])  # the left hip alone
    assert torso == pytest.approx(np.hypot(10.0, 50.0))  # left hip to the shoulders' midpoint
    scores[:, [J["left_hip"], J["right_hip"]]] = 0
    with pytest.raises(ValueError, match="no frame has a shoulder and a hip"):
        body_frame(np.stack(poses), scores)


def test_undetected_joints_are_zero_in_every_channel() -> None:
    scores = np.ones((2, 17), np.float32)
    scores[:, J["left_wrist"]] = 0
    out = normalize_sequence(sequence([standing_pose(), standing_pose()], scores), 4)
    np.testing.assert_array_equal(out[:, :, J["left_wrist"]], 0.0)
    assert (out[2, :, J["right_wrist"]] == 1).all()


def test_mirror_negates_x_and_swaps_sides() -> None:
    assert [COCO17_NAMES[i] for i in COCO17_MIRROR[:7]] == [
        "nose",
        "right_eye",
        "left_eye",
        "right_ear",
        "left_ear",
        "right_shoulder",
        "left_shoulder",
    ]
    pose = standing_pose(0.0, 0.0)
    pose[J["left_wrist"]] = (40.0, -90.0)  # the left arm raised: no longer symmetric
    plain = normalize_sequence(sequence([pose]), 1)
    flipped = normalize_sequence(sequence([pose]), 1, flip=True)
    np.testing.assert_allclose(flipped[0, :, J["right_wrist"]], -plain[0, :, J["left_wrist"]])
    np.testing.assert_allclose(flipped[1, :, J["right_wrist"]], plain[1, :, J["left_wrist"]])
    twice = mirror(*mirror(plain[:2].transpose(1, 2, 0, 3)[..., 0], plain[2, :, :, 0]))
    np.testing.assert_allclose(twice[0], plain[:2].transpose(1, 2, 0, 3)[..., 0])


def test_blazepose_input_is_mapped_to_coco17() -> None:
    from sportslens.pose import BLAZEPOSE_TO_COCO

    coco = np.stack([standing_pose(), standing_pose(120, 200)])  # (2, 17, 2)
    blaze = np.zeros((2, 33, 2), np.float32)
    blaze[:, BLAZEPOSE_TO_COCO] = coco
    kp = Keypoints(blaze, np.ones((2, 33), np.float32), "blazepose33", 30.0, (320, 240), "b")
    np.testing.assert_allclose(
        normalize_sequence(kp, 2), normalize_sequence(sequence(list(coco)), 2)
    )


def test_the_skeleton_input_is_three_channels_of_17_joints_for_one_person() -> None:
    kp = sequence([standing_pose(), standing_pose(y=210.0)])
    assert normalize_sequence(kp, 5).shape == SKELETON_INPUT.shape(5) == (3, 5, 17, 1)
    np.testing.assert_array_equal(normalize_people([kp], 5), normalize_sequence(kp, 5))


def test_people_of_one_clip_stack_on_the_last_axis_each_in_its_own_frame() -> None:
    near, far = sequence([standing_pose()] * 3), sequence([standing_pose(x=250.0, torso=20.0)] * 3)
    two = SkeletonLayout(persons=2)
    stacked = normalize_people([near, far], 4, layout=two)  # (3, 4, 17, 2)
    assert stacked.shape == two.shape(4)
    # Each person is centred and scaled on their own body, so both read the same.
    np.testing.assert_allclose(stacked[..., 0], stacked[..., 1], atol=1e-5)
    alone = normalize_people([near], 4, layout=two)
    assert not alone[..., 1].any()  # a missing person is all zeros: nothing detected
    with pytest.raises(ValueError, match="3 people for an input of at most 2"):
        normalize_people([near, far, near], 4, layout=two)
