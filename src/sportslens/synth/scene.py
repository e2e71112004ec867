"""Synthetic athletes, part 4: one clip — its random draw (:class:`ClipSpec`) and its geometry.

A spec holds every random choice for a clip, so rendering is a pure function of it and a test can
change one field (the class, the camera) and see only that change.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.synth.body import (
    Athlete,
    forward_kinematics,
    pitch_onto_hands,
    place_on_floor,
    planted_left,
    project,
    sample_athlete,
)
from sportslens.synth.motion import CLASSES, EXERCISES, Schedule, joint_angles, sample_schedule
from sportslens.synth.render import PLATE_RADIUS, Frame, Look, barbell_points, sample_look
from sportslens.synth.settings import DEFAULT_SETTINGS, ClipSettings

REFERENCE_HEIGHT = 1.75  # metres; zoom is drawn as a fraction of the frame for this height
_NEVER = 1e6  # seconds: a schedule starting this late never starts


@dataclass(frozen=True)
class ClipSpec:
    """Everything random about one clip, drawn up front; rendering it is deterministic."""

    label: str
    index: int
    athlete_id: int
    athlete: Athlete
    num_frames: int
    fps: float
    size: int  # frames are size x size pixels
    schedule: Schedule
    yaw: float  # degrees off frontal; the sign says whether the athlete faces right or left
    roll: float  # degrees of camera roll
    scale: float  # pixels per metre
    origin_x: float  # pixel column of the point between the feet
    floor_y: float  # pixel row of the floor under the feet
    look: Look

    @property
    def group(self) -> str:
        """The athlete's id as a split group, e.g. ``athlete_07``."""
        return f"athlete_{self.athlete_id:02d}"


def _label_key(label: str) -> int:
    """A stable integer for a class name (``hash`` is salted per process)."""
    return zlib.crc32(label.encode())


def sample_clip_spec(label: str, index: int, settings: ClipSettings = DEFAULT_SETTINGS) -> ClipSpec:
    """Draw clip ``index`` of class ``label``; the same arguments always give the same clip."""
    check_classes([label])
    if index < 0:
        raise ValueError(f"index must be non-negative, got {index}")
    exercise = EXERCISES[label]
    num_frames, fps, size = settings.num_frames, settings.fps, settings.size
    rng = np.random.default_rng([settings.seed, _label_key(label), index])
    athlete_id = int(rng.integers(settings.athletes))
    athlete = sample_athlete(settings.seed, athlete_id)
    facing = 1.0 if rng.random() < 0.5 else -1.0
    yaw, roll = facing * float(rng.uniform(20, 70)), float(rng.uniform(-5, 5))
    scale = float(rng.uniform(0.45, 0.68)) * size / REFERENCE_HEIGHT
    floor_y = float(rng.uniform(0.84, 0.96)) * size
    centre_x = float(rng.uniform(0.38, 0.62)) * size
    schedule = sample_schedule(rng, exercise, num_frames / fps)
    # Centre the first frame's figure: the same rule for every class keeps first frames alike.
    uv, _ = _camera_points(label, athlete, schedule, 1, fps, yaw, roll)  # (1, P, 2) metres
    u0, u1 = float(uv[0, :, 0].min()), float(uv[0, :, 0].max())
    origin_x = centre_x - scale * (u0 + u1) / 2
    box = (
        origin_x + scale * u0,
        floor_y - scale * float(uv[0, :, 1].max()),
        origin_x + scale * u1,
        floor_y - scale * float(uv[0, :, 1].min()),
    )
    look = sample_look(rng, size, box)
    return ClipSpec(
        label, index, athlete_id, athlete, num_frames, fps, size, schedule,
        yaw, roll, scale, origin_x, floor_y, look,
    )  # fmt: skip


def sample_rest_spec(label: str, index: int, settings: ClipSettings = DEFAULT_SETTINGS) -> ClipSpec:
    """Clip ``index`` of class ``label`` whose repetitions never start: the athlete stands idle.

    Only the idle sway of the rest pose moves. The rests between a session's sets and the
    ``background`` class of a dataset are both drawn here, so a model trained on the one sees
    the other.
    """
    spec = sample_clip_spec(label, index, settings)
    return replace(spec, schedule=replace(spec.schedule, start=_NEVER))


def is_rest(spec: ClipSpec) -> bool:
    """Whether the clip shows no repetition (they start after it ends)."""
    return spec.schedule.start >= spec.num_frames / spec.fps


def resting_classes(classes: Sequence[str]) -> list[str]:
    """The classes whose rest pose shows no class: standing, empty-handed (a plank or a barbell
    would give one away); all of ``classes`` when none is."""
    standing = [c for c in classes if not (EXERCISES[c].on_hands or EXERCISES[c].barbell)]
    return standing or list(classes)


def _world_points(
    label: str, athlete: Athlete, schedule: Schedule, num_frames: int, fps: float
) -> NDArray[Any]:
    """Body points (T, NUM_POINTS, 3) in the world: floor at y = 0, feet at x = z = 0."""
    exercise = EXERCISES[label]
    angles = joint_angles(label, schedule, num_frames, fps)  # (T, A)
    points = forward_kinematics(angles, athlete)  # (T, P, 3) body frame
    if exercise.on_hands:
        points = pitch_onto_hands(points)
    planted = planted_left(angles)  # (T,)
    return place_on_floor(points, athlete, planted, on_hands=exercise.on_hands)


def _camera_points(
    label: str,
    athlete: Athlete,
    schedule: Schedule,
    num_frames: int,
    fps: float,
    yaw: float,
    roll: float,
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Body points on the image plane (T, P, 2) in metres, v up, and their depth (T, P)."""
    return project(_world_points(label, athlete, schedule, num_frames, fps), yaw, roll)


@dataclass(frozen=True)
class Geometry:
    """A clip's projected geometry in pixels (x right, y down), for every frame."""

    points: NDArray[Any]  # (T, NUM_POINTS, 2): 17 COCO keypoints, head centre, toes
    depth: NDArray[Any]  # (T, NUM_POINTS), larger is nearer the camera
    bar: NDArray[Any] | None  # (T, Q, 2) barbell ends and plate rims, when the class has one
    bar_depth: NDArray[Any] | None  # (T, Q)

    def frame(self, t: int) -> Frame:
        """The geometry of frame ``t`` alone."""
        bar = None if self.bar is None else self.bar[t]
        bar_depth = None if self.bar_depth is None else self.bar_depth[t]
        return Frame(self.points[t], self.depth[t], bar, bar_depth)


def clip_geometry(spec: ClipSpec) -> Geometry:
    """Project the clip's body (and barbell) points to pixels."""
    world = _world_points(spec.label, spec.athlete, spec.schedule, spec.num_frames, spec.fps)
    uv, depth = project(world, spec.yaw, spec.roll)  # (T, P, 2), (T, P)
    bar = bar_depth = None
    if EXERCISES[spec.label].barbell:
        hands = world[:, 9:11].mean(axis=1)  # (T, 3)
        # Smaller plates for a lifter whose hands reach lower, so plates never sink into the floor.
        plates = float(np.clip(hands[:, 1].min() - 0.01, 0.12, PLATE_RADIUS))
        bar_uv, bar_depth = project(barbell_points(hands, plates), spec.yaw, spec.roll)
        bar = _to_pixels(spec, bar_uv)
    return Geometry(_to_pixels(spec, uv), depth, bar, bar_depth)


def _to_pixels(spec: ClipSpec, uv: NDArray[Any]) -> NDArray[Any]:
    """Image-plane metres (..., 2), v up, to pixels (..., 2), y down."""
    x = spec.origin_x + spec.scale * uv[..., 0]
    y = spec.floor_y - spec.scale * uv[..., 1]
    return np.stack([x, y], axis=-1)


def clip_keypoints(spec: ClipSpec) -> tuple[NDArray[Any], NDArray[Any]]:
    """Keypoints float32 (T, 17, 2) in pixels and visibility float32 (T, 17), without drawing.

    A keypoint is visible (1) unless it lies outside the frame or under the occluder.
    """
    keypoints = clip_geometry(spec).points[:, :17].astype(np.float32)  # (T, 17, 2)
    x, y = keypoints[..., 0], keypoints[..., 1]
    inside = (x >= 0) & (x <= spec.size - 1) & (y >= 0) & (y <= spec.size - 1)
    if spec.look.occluder is not None:
        x0, y0, x1, y1 = spec.look.occluder
        inside &= ~((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    return keypoints, inside.astype(np.float32)


def check_classes(classes: Sequence[str]) -> None:
    """Raise a ValueError naming the first unknown class and listing the valid ones."""
    unknown = [name for name in classes if name not in EXERCISES]
    if unknown:
        raise ValueError(f"unknown class {unknown[0]!r}; valid classes are {', '.join(CLASSES)}")
