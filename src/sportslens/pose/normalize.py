"""Keypoint sequences to skeleton-model input: resample, centre, scale, flip, stack channels.

A skeleton model sees ``float32 (C=3, T, V, M)`` (:data:`SKELETON_INPUT`): channels x, y, score for
``V`` COCO-17 joints over ``T`` frames of ``M`` people (one today; :func:`normalize_people` stacks
more). The sequence is resampled to ``T`` frames by linear
interpolation over time, never padded: the reference project found that padding short clips with
their last frame taught its model the padding. Coordinates are centred on the hips' midpoint and
divided by the torso length, so the input does not depend on where the athlete stands, how far
away the camera is or the frame size. All functions are pure; flipping takes an explicit rng.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.keypoints import Keypoints
from sportslens.pose.layouts import COCO17_NAMES

LEFT_SHOULDER, RIGHT_SHOULDER = 5, 6
LEFT_HIP, RIGHT_HIP = 11, 12


@dataclass(frozen=True)
class SkeletonLayout:
    """The skeleton-model input of one clip: ``float32 (C, T, V, M)``."""

    channels: int = 3  # C: x, y and the detection score
    joints: int = len(COCO17_NAMES)  # V: every pose is mapped to COCO-17 first
    persons: int = 1  # M: people per frame; the models average their features over M

    def shape(self, clip_frames: int) -> tuple[int, int, int, int]:
        """``(C, T, V, M)`` for clips of ``clip_frames`` frames."""
        return self.channels, clip_frames, self.joints, self.persons


SKELETON_INPUT = SkeletonLayout()
"""The one definition of the skeleton input: 3 channels, 17 COCO joints, 1 person."""


def _mirror_permutation(names: tuple[str, ...]) -> NDArray[np.int64]:
    """For each joint, the index of its mirror image (left ↔ right; centre joints stay)."""
    index = {name: i for i, name in enumerate(names)}
    swapped = []
    for name in names:
        if name.startswith("left_"):
            name = "right_" + name.removeprefix("left_")
        elif name.startswith("right_"):
            name = "left_" + name.removeprefix("right_")
        swapped.append(index[name])
    return np.asarray(swapped, dtype=np.int64)


COCO17_MIRROR = _mirror_permutation(COCO17_NAMES)
"""``COCO17_MIRROR[j]`` is the joint that ``j`` becomes in a left-right mirrored pose."""


def resample(
    keypoints: NDArray[np.float32], scores: NDArray[np.float32], length: int
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Resample (T, V, 2) keypoints and (T, V) scores to ``length`` frames by interpolation.

    Output frame ``i`` sits at time ``i * (T - 1) / (length - 1)`` of the input, so the first
    and last frames are kept and a repetition keeps its share of the sequence whatever ``T``.
    """
    if length < 1:
        raise ValueError(f"the resampled length must be at least 1, got {length}")
    frames = keypoints.shape[0]
    if frames == 0:
        raise ValueError("cannot resample a sequence of 0 frames")
    positions = np.linspace(0.0, frames - 1, length)  # (L,) fractional input frames
    before = np.floor(positions).astype(np.int64)
    after = np.minimum(before + 1, frames - 1)
    weight = (positions - before).astype(np.float32)  # (L,)
    points = (1 - weight)[:, None, None] * keypoints[before] + weight[:, None, None] * keypoints[
        after
    ]  # (L, V, 2)
    conf = (1 - weight)[:, None] * scores[before] + weight[:, None] * scores[after]  # (L, V)
    return points.astype(np.float32), conf.astype(np.float32)


def body_frame(
    keypoints: NDArray[np.float32], scores: NDArray[np.float32]
) -> tuple[NDArray[np.float32], float]:
    """The centre (2,) and scale of a COCO-17 sequence: median hip midpoint and torso length.

    Frames count where at least one shoulder and one hip were detected; a side that is hidden
    (one hip behind the other, or under an occluder) is left out of its midpoint. The median
    over frames ignores a few frames of a wrong detection. The centre is one point for the whole
    sequence, not one per frame, so the hips' own motion (down in a squat, up in a jump) stays in
    the input.
    """
    hips, hips_seen = detected_midpoints(keypoints, scores, [LEFT_HIP, RIGHT_HIP])  # (T, 2), (T,)
    shoulders, shoulders_seen = detected_midpoints(
        keypoints, scores, [LEFT_SHOULDER, RIGHT_SHOULDER]
    )
    seen = hips_seen & shoulders_seen  # (T,)
    if not seen.any():
        raise ValueError("no frame has a shoulder and a hip detected")
    hips, shoulders = hips[seen], shoulders[seen]  # (T', 2)
    torso = float(np.median(np.linalg.norm(shoulders - hips, axis=1)))
    if not torso > 1e-6:
        raise ValueError("the torso has zero length (shoulders and hips at the same point)")
    return np.median(hips, axis=0).astype(np.float32), torso


def detected_midpoints(
    keypoints: NDArray[np.float32], scores: NDArray[np.float32], joints: list[int]
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Per frame, the mean (T, 2) of the detected ``joints`` and whether any was detected (T,)."""
    weights = (scores[:, joints] > 0).astype(np.float32)  # (T, J)
    count = weights.sum(axis=1)  # (T,)
    total = (keypoints[:, joints] * weights[..., None]).sum(axis=1)  # (T, 2)
    mean: NDArray[np.float32] = total / np.maximum(count, 1.0)[:, None]
    return mean, count > 0


def mirror(
    points: NDArray[np.float32], scores: NDArray[np.float32]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Mirror centred COCO-17 (T, V, 2) points left-right: negate x and swap left and right."""
    flipped = points[:, COCO17_MIRROR].copy()
    flipped[..., 0] *= -1
    return flipped, scores[:, COCO17_MIRROR]


def normalize_sequence(
    kp: Keypoints,
    length: int,
    *,
    flip: bool = False,
) -> NDArray[np.float32]:
    """Model input ``float32 (3, length, 17, 1)`` from one person's keypoints of any layout.

    Steps: map to COCO-17, centre on the median hip midpoint and divide by the torso length,
    zero the coordinates of undetected joints (score 0, so the model reads "absent" from both
    channels), resample to ``length`` frames, optionally mirror left-right.
    """
    coco = kp.to_coco17()
    centre, torso = body_frame(coco.keypoints, coco.scores)
    points = (coco.keypoints - centre) / torso  # (T, V, 2) in torso lengths
    points = np.where(coco.scores[..., None] > 0, points, 0.0).astype(np.float32)
    points, scores = resample(points, coco.scores, length)  # (L, V, 2), (L, V)
    if flip:
        points, scores = mirror(points, scores)
    stacked = np.concatenate([points, scores[..., None]], axis=-1)  # (L, V, 3)
    return np.ascontiguousarray(stacked.transpose(2, 0, 1)[..., None])  # (3, L, V, 1)


def normalize_people(
    people: Sequence[Keypoints],
    length: int,
    *,
    layout: SkeletonLayout = SKELETON_INPUT,
    flip: bool = False,
) -> NDArray[np.float32]:
    """Model input ``float32 (C, length, V, M)`` for up to M people seen in one clip.

    Each person goes through :func:`normalize_sequence` (centred on their own hips, scaled by
    their own torso); person ``m`` fills ``[..., m]`` and missing people stay zero, which reads
    as "nothing detected". With one person and ``M = 1`` this is ``normalize_sequence``.
    """
    if len(people) > layout.persons:
        raise ValueError(f"{len(people)} people for an input of at most {layout.persons}")
    stacked = np.zeros(layout.shape(length), dtype=np.float32)  # (C, L, V, M)
    for m, kp in enumerate(people):
        stacked[..., m] = normalize_sequence(kp, length, flip=flip)[..., 0]
    return stacked
