"""Synthetic athletes, part 1: the body — proportions, 3-D forward kinematics and the camera.

Body frame: x to the athlete's left, y up, z forward (where the athlete faces); metres, pelvis at
the origin. A pose is a vector of :data:`ANGLES` in degrees, so a clip's motion is one
``(T, len(ANGLES))`` array and the kinematics run on all frames at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.layouts import COCO17_NAMES

KEYPOINTS = COCO17_NAMES
"""The 17 COCO keypoints, in COCO order (the pose layout's own names)."""

# Points the renderer needs beyond COCO, stored after the 17 keypoints.
HEAD, LEFT_TOE, RIGHT_TOE = 17, 18, 19
NUM_POINTS = 20

ANGLES = (
    "trunk_lean",  # trunk forward flexion at the pelvis
    "hip_flex_l",  # thigh forward from hanging straight down
    "hip_flex_r",
    "hip_abd_l",  # thigh outward (sideways)
    "hip_abd_r",
    "knee_l",  # shank backward relative to the thigh
    "knee_r",
    "shoulder_flex_l",  # arm forward and up, relative to the trunk (180 = overhead)
    "shoulder_flex_r",
    "shoulder_abd_l",  # arm sideways and up, relative to the trunk
    "shoulder_abd_r",
    "shoulder_swing_l",  # arm forward about the vertical axis (horizontal flexion)
    "shoulder_swing_r",
    "elbow_l",  # forearm forward relative to the upper arm
    "elbow_r",
)
"""Joint angles of a pose, in degrees; ``_l``/``_r`` are the athlete's left and right."""

ANGLE_INDEX = {name: i for i, name in enumerate(ANGLES)}


def _twin(name: str) -> str:
    """The angle on the other side (``knee_l`` ↔ ``knee_r``); unsided names map to themselves."""
    sides = {"_l": "_r", "_r": "_l"}
    return name[:-2] + sides[name[-2:]] if name[-2:] in sides else name


MIRROR = np.array([ANGLE_INDEX[_twin(name)] for name in ANGLES])
"""Column order that swaps left and right: ``angles[:, MIRROR]`` mirrors a pose."""

# Segment lengths as fractions of standing height (Drillis & Contini anthropometry, rounded).
_PROPORTIONS = {
    "thigh": 0.245,
    "shank": 0.246,
    "ankle": 0.039,  # ankle joint above the floor
    "foot": 0.13,  # ankle to toes, forward
    "trunk": 0.288,  # hip joints to shoulder joints
    "neck": 0.117,  # shoulder midpoint to head centre
    "head": 0.065,  # head radius
    "hip_half": 0.055,
    "shoulder_half": 0.12,
    "upper_arm": 0.186,
    "forearm": 0.146,
}

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Athlete:
    """One synthetic athlete: segment lengths (metres) and looks, fixed across their clips."""

    height: float
    thigh: float
    shank: float
    ankle: float
    foot: float
    trunk: float
    neck: float
    head: float
    hip_half: float
    shoulder_half: float
    upper_arm: float
    forearm: float
    build: float  # limb thickness multiplier: slim < 1 < broad
    skin: Colour
    hair: Colour
    shirt: Colour
    shorts: Colour
    shoes: Colour
    long_sleeves: bool
    long_pants: bool


_SKIN = ((255, 220, 190), (234, 192, 160), (200, 150, 110), (160, 110, 75), (110, 75, 50))
_HAIR = ((30, 25, 20), (80, 50, 30), (150, 110, 60), (200, 170, 110), (120, 120, 120))


def sample_athlete(seed: int, athlete_id: int) -> Athlete:
    """The athlete ``athlete_id`` of the dataset drawn with ``seed``: same id, same body and kit.

    Seeding from the id alone (not the clip) is what makes a cross-subject split meaningful.
    """
    rng = np.random.default_rng([seed, 0xA7, athlete_id])
    height = float(rng.uniform(1.55, 1.95))
    # Every segment varies by up to ±15 % on its own, so proportions differ, not just size.
    lengths = {
        name: height * fraction * float(rng.uniform(0.85, 1.15))
        for name, fraction in _PROPORTIONS.items()
    }
    return Athlete(
        height=height,
        **lengths,
        build=float(rng.uniform(0.8, 1.25)),
        skin=_SKIN[int(rng.integers(len(_SKIN)))],
        hair=_HAIR[int(rng.integers(len(_HAIR)))],
        shirt=random_colour(rng),
        shorts=random_colour(rng, value=(0.15, 0.7)),
        shoes=random_colour(rng, value=(0.1, 1.0), saturation=(0.0, 0.4)),
        long_sleeves=bool(rng.random() < 0.3),
        long_pants=bool(rng.random() < 0.4),
    )


def random_colour(
    rng: np.random.Generator,
    *,
    value: tuple[float, float] = (0.3, 0.95),
    saturation: tuple[float, float] = (0.2, 0.9),
) -> Colour:
    """An RGB colour from a uniform hue and bounded saturation and brightness."""
    hue = float(rng.uniform(0, 6))
    sat, val = float(rng.uniform(*saturation)), float(rng.uniform(*value))
    channel = np.clip(np.abs((hue + np.array([0.0, 4.0, 2.0])) % 6 - 3) - 1, 0, 1)  # (3,) pure hue
    rgb = val * (1 - sat + sat * channel) * 255
    return int(rgb[0]), int(rgb[1]), int(rgb[2])


def _limb_direction(
    flex: NDArray[Any], abd: NDArray[Any], side: float, swing: NDArray[Any] | None = None
) -> NDArray[Any]:
    """Unit vectors (T, 3) of a limb tilted ``abd`` outward, then swung ``flex`` forward.

    Abducting first keeps the sideways offset constant under flexion, so feet stay put and knees
    track outward in a squat, and a wide grip stays wide overhead. ``swing`` then turns the limb
    forward about the vertical axis, the one freedom left when an arm points straight sideways.
    """
    direction = np.stack(
        [side * np.sin(abd), -np.cos(abd) * np.cos(flex), np.cos(abd) * np.sin(flex)], axis=-1
    )
    if swing is None:
        return direction  # type: ignore[no-any-return]  # np.stack is untyped in numpy 1.26
    c, s = np.cos(swing), np.sin(swing)
    x, y, z = direction[:, 0], direction[:, 1], direction[:, 2]
    return np.stack([c * x - side * s * z, y, side * s * x + c * z], axis=-1)


def _lean(points: NDArray[Any], angle: NDArray[Any]) -> NDArray[Any]:
    """Rotate points (T, P, 3) about the x axis by ``angle`` (T,) radians; up tips forward."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]  # (T, 1)
    y, z = points[..., 1], points[..., 2]
    return np.stack([points[..., 0], c * y - s * z, s * y + c * z], axis=-1)


def forward_kinematics(angles: NDArray[Any], body: Athlete) -> NDArray[Any]:
    """Points (T, NUM_POINTS, 3) in the body frame from joint angles (T, len(ANGLES)) in degrees.

    The first 17 points are the COCO keypoints; then the head centre and the two toes.
    """
    a = {name: np.radians(angles[:, i]) for i, name in enumerate(ANGLES)}  # each (T,)
    t = angles.shape[0]
    points = np.zeros((t, NUM_POINTS, 3))
    for side, suffix, first in ((1.0, "_l", 0), (-1.0, "_r", 1)):
        hip = np.array([side * body.hip_half, 0.0, 0.0])
        flex, abd, knee = a["hip_flex" + suffix], a["hip_abd" + suffix], a["knee" + suffix]
        knee_point = hip + body.thigh * _limb_direction(flex, abd, side)
        ankle = knee_point + body.shank * _limb_direction(flex - knee, abd, side)
        points[:, 11 + first] = hip
        points[:, 13 + first] = knee_point
        points[:, 15 + first] = ankle
        points[:, LEFT_TOE + first] = (
            ankle + np.array([side * 0.2, -body.ankle / body.foot, 1]) * body.foot
        )
    points[:, 5:11] = _lean(_arms(a, body), a["trunk_lean"])
    points[:, [0, 1, 2, 3, 4, HEAD]] = _lean(_head(body, t), a["trunk_lean"])
    return points


def _arms(a: dict[str, NDArray[Any]], body: Athlete) -> NDArray[Any]:
    """Shoulders, elbows and wrists (T, 6, 3) in COCO order, in the trunk frame (before lean)."""
    out = np.zeros((next(iter(a.values())).shape[0], 6, 3))
    for side, suffix, first in ((1.0, "_l", 0), (-1.0, "_r", 1)):
        shoulder = np.array([side * body.shoulder_half, body.trunk, 0.0])
        flex, abd = a["shoulder_flex" + suffix], a["shoulder_abd" + suffix]
        swing = a["shoulder_swing" + suffix]
        elbow = shoulder + body.upper_arm * _limb_direction(flex, abd, side, swing)
        forearm = _limb_direction(flex + a["elbow" + suffix], abd, side, swing)
        wrist = elbow + body.forearm * forearm
        out[:, first] = shoulder
        out[:, 2 + first] = elbow
        out[:, 4 + first] = wrist
    return out


def _head(body: Athlete, frames: int) -> NDArray[Any]:
    """Nose, eyes, ears and head centre (T, 6, 3) in the trunk frame; the head follows the trunk."""
    r = body.head
    centre = np.array([0.0, body.trunk + body.neck, 0.0])
    offsets = np.array(
        [
            [0.0, -0.15, 1.05],  # nose
            [0.38, 0.2, 0.85],  # left eye
            [-0.38, 0.2, 0.85],
            [0.98, 0.0, -0.1],  # left ear
            [-0.98, 0.0, -0.1],
            [0.0, 0.0, 0.0],  # head centre
        ]
    )
    return np.broadcast_to(centre + r * offsets, (frames, 6, 3)).copy()


def pitch_onto_hands(points: NDArray[Any]) -> NDArray[Any]:
    """Tip the whole body forward so hands and toes share one height (a plank), per frame.

    Solving the pitch from the pose keeps both hands and feet on the floor while elbows flex.
    """
    wrists = points[:, 9:11].mean(axis=1)  # (T, 3)
    toes = points[:, [LEFT_TOE, RIGHT_TOE]].mean(axis=1)
    v = wrists - toes
    return _lean(points, np.arctan2(v[:, 1], v[:, 2]))


def planted_left(angles: NDArray[Any]) -> NDArray[Any]:
    """How much the left foot, rather than the right, is the planted one: (T,) in [0, 1].

    The foot whose thigh is flexed less stays put: in a lunge the back foot holds still while
    the front one steps; a symmetric pose weighs both feet equally.
    """
    diff = angles[:, ANGLE_INDEX["hip_flex_l"]] - angles[:, ANGLE_INDEX["hip_flex_r"]]  # (T,) deg
    # Steep: the feet are side by side while the difference is small, so switching is free then.
    weight: NDArray[Any] = 1.0 / (1.0 + np.exp(np.clip(diff / 2.0, -50, 50)))
    return weight


def place_on_floor(
    points: NDArray[Any], body: Athlete, planted: NDArray[Any], *, on_hands: bool
) -> NDArray[Any]:
    """World points (T, P, 3): floor at y = 0 under the lowest support, the planted foot fixed.

    Anchoring a foot (not the pelvis) stops feet sliding while the hips move back in a squat.
    ``planted`` (T,) weighs the left foot against the right; each foot's motion is measured from
    the first frame (always the rest pose), so shifting the weight never moves a foot by itself.
    """
    if on_hands:
        support = points[:, [9, 10, LEFT_TOE, RIGHT_TOE], 1].min(axis=1) - 0.15 * body.ankle
    else:
        support = points[:, 15:17, 1].min(axis=1) - body.ankle  # (T,)
    left, right = points[:, 15], points[:, 16]  # (T, 3) ankles
    w = planted[:, None]  # (T, 1)
    anchor = w * (left - left[0]) + (1 - w) * (right - right[0]) + (left[0] + right[0]) / 2
    offset = np.stack([anchor[:, 0], support, anchor[:, 2]], axis=-1)  # (T, 3)
    placed: NDArray[Any] = points - offset[:, None, :]
    return placed


def project(points: NDArray[Any], yaw: float, roll: float) -> tuple[NDArray[Any], NDArray[Any]]:
    """Orthographic view turned ``yaw`` degrees about the vertical, rolled ``roll`` degrees.

    Returns image-plane coordinates (T, P, 2) in metres (u right, v up) and depth (T, P), larger
    nearer the camera. Yaw 0 faces the camera; a positive yaw turns the athlete to image right.
    """
    cy, sy = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    u, depth = cy * x + sy * z, -sy * x + cy * z
    cr, sr = np.cos(np.radians(roll)), np.sin(np.radians(roll))
    uv = np.stack([cr * u - sr * y, sr * u + cr * y], axis=-1)
    return uv, depth
