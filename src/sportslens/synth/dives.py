"""Synthetic dives, part 2: a dive clip's random draw, its drawing, and a labelled dataset.

The athletes, their drawing, the room texture and the camera noise are the synthetic athletes'
(:mod:`body`, :mod:`render`); the motion is :mod:`dive_motion`. The camera
looks at the dive from the side (yaw 90 ± 25 degrees, either side), so somersaults turn in the
image plane and a twist shows as the shoulders' projected width narrowing and widening. Like a
broadcast camera it follows the diver, close enough that the body fills about half the frame
height, and stops at the water; a fixed camera wide enough for the whole dive left the diver a
dozen pixels tall, too small for a video model to see which way it turns. The floor of the room
becomes water: everything below its surface is hidden, and a splash rises where the diver goes
in.

Layout written by :func:`make_dive_dataset` (class folders are dive numbers)::

    OUT_DIR/labels.csv              path,label,group (label: the dive number; group: the athlete)
    OUT_DIR/<number>/<number>_0000.mp4
    OUT_DIR/<number>/<number>_0000.npz   a keypoint file (docs/pose.md), plus visibility and class
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from sportslens.dive import Dive, parse
from sportslens.synth.body import Athlete, Colour, project, random_colour, sample_athlete
from sportslens.synth.dive_motion import Flight, dive_world_points
from sportslens.synth.files import write_clip_files, write_clips, write_labels
from sportslens.synth.render import Frame, Look, background, draw_figure, finish, noise_bank
from sportslens.synth.render import sample_look as sample_room
from sportslens.synth.settings import DIVE_SETTINGS, ClipSettings

__all__ = [
    "CAMERAS",
    "DEFAULT_DIVES",
    "Camera",
    "DiveSpec",
    "dive_keypoints",
    "make_dive_dataset",
    "render_dive",
    "sample_dive_spec",
    "write_dive_clip",
]

DEFAULT_DIVES = ("101B", "103C", "201C", "203B", "301B", "303C", "401C", "403B", "5132D", "5231D")
"""What ``sportslens synth --kind dives`` generates unless told otherwise."""

Camera = Literal["follow", "fixed"]
CAMERAS: tuple[Camera, ...] = ("follow", "fixed")
_SPLASH_FRAMES = 0.2  # fraction of the clip the splash lasts after entry


@dataclass(frozen=True)
class DiveSpec:
    """Everything random about one dive clip, drawn up front; rendering it is deterministic."""

    number: str
    index: int
    athlete_id: int
    athlete: Athlete
    num_frames: int
    fps: float
    size: int
    flight: Flight
    yaw: float  # degrees; about ±90, a side view
    scale: float  # pixels per metre
    framing: tuple[float, float]  # where the camera holds the diver: offset from the frame's
    # centre as a fraction of its size, (x right, y down)
    fixed_corner: tuple[float, float] | None  # a fixed camera's top-left corner in scene
    # pixels; None: the camera follows the diver
    board_colour: Colour
    look: Look

    @property
    def dive(self) -> Dive:
        return parse(self.number)

    @property
    def group(self) -> str:
        return f"athlete_{self.athlete_id:02d}"

    @property
    def camera(self) -> Camera:
        return "follow" if self.fixed_corner is None else "fixed"


def sample_dive_spec(
    number: str,
    index: int,
    settings: ClipSettings = DIVE_SETTINGS,
    *,
    camera: Camera = "follow",
) -> DiveSpec:
    """Draw clip ``index`` of dive ``number``; the same arguments always give the same clip.

    ``camera`` "follow" pans with the diver close up, as broadcasts do; "fixed" holds a wide
    shot of the whole dive, where the diver is small.
    """
    dive = parse(number)
    if camera not in CAMERAS:
        raise ValueError(f"unknown camera {camera!r}; expected one of {', '.join(CAMERAS)}")
    if index < 0:
        raise ValueError(f"index must be non-negative, got {index}")
    seed, size = settings.seed, settings.size
    rng = np.random.default_rng([seed, zlib.crc32(dive.number.encode()), index])
    athlete_id = int(rng.integers(settings.athletes))
    # Divers wear swimsuits: bare arms and legs, bare feet.
    base = sample_athlete(seed, athlete_id)
    athlete = replace(base, long_sleeves=False, long_pants=False, shoes=base.skin)
    flight = Flight(
        board_height=float(rng.uniform(0.8, 2.5)),
        apex=float(rng.uniform(0.5, 1.0)),
        travel=float(rng.uniform(0.8, 1.6)),
        takeoff=float(rng.uniform(0.12, 0.22)),
        entry=float(rng.uniform(0.72, 0.82)),
    )
    yaw = float(rng.choice([-1.0, 1.0]) * rng.uniform(65, 115))
    scale = float(rng.uniform(0.36, 0.46)) * size / athlete.height  # stretched: ~40% of the frame
    framing = (float(rng.uniform(-0.1, 0.1)), float(rng.uniform(-0.1, 0.1)))
    look = sample_room(rng, size, (0.0, 0.0, 1.0, 1.0))
    water = (int(rng.uniform(20, 70)), int(rng.uniform(90, 160)), int(rng.uniform(150, 230)))
    look = replace(look, floor=water, occluder=None)
    board_colour = random_colour(rng, saturation=(0.0, 0.3), value=(0.6, 0.95))
    fixed_corner = None
    if camera == "fixed":
        fixed_corner, scale = _wide_shot(rng, flight, athlete, yaw, size)
    return DiveSpec(
        dive.number, index, athlete_id, athlete, settings.num_frames, settings.fps, size, flight,
        yaw, scale, framing, fixed_corner, board_colour, look,
    )  # fmt: skip


def _wide_shot(
    rng: np.random.Generator, flight: Flight, athlete: Athlete, yaw: float, size: int
) -> tuple[tuple[float, float], float]:
    """A fixed camera's top-left corner in scene pixels and its scale in pixels per metre,
    framing the dive's whole height: the water below, arms overhead at the top."""
    top = flight.board_height + flight.apex + 1.3 * athlete.height
    scale = float(rng.uniform(0.78, 0.9)) * size / (top + 0.8)
    water_y = float(size - rng.uniform(0.4, 0.8) * scale)  # the surface's row in the frame
    side = np.sign(np.sin(np.radians(yaw)))  # +1: the dive travels to image right
    board_x = float(size / 2 - side * scale * rng.uniform(0.3, 0.7))  # the board end's column
    return (-board_x, -water_y), scale


def _world_pixels(spec: DiveSpec, points: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """World points (..., 3) to scene pixels (..., 2) and depth (...).

    Scene pixels are image pixels before the camera pans: x right, y down, the origin at the
    board's end on the water surface.
    """
    uv, depth = project(points, spec.yaw, 0.0)  # (..., 2) metres, v up
    return spec.scale * uv * np.array([1.0, -1.0]), depth


def camera_corners(spec: DiveSpec, points: NDArray[Any]) -> NDArray[Any]:
    """Each frame's top-left corner (T, 2) in scene pixels, whole pixels.

    ``points`` (T, P, 2) are the body in scene pixels. A following camera aims at the centre of
    the body's box, smoothed over neighbouring frames as a camera operator would, and stops
    going down once the water is in the lower third of the frame; a fixed one never moves.
    """
    if spec.fixed_corner is not None:
        return np.tile(np.rint(spec.fixed_corner), (len(points), 1))
    box_centre = (points.min(axis=1) + points.max(axis=1)) / 2  # (T, 2)
    padded = np.pad(box_centre, ((1, 1), (0, 0)), mode="edge")
    aim = (padded[:-2] + 2 * padded[1:-1] + padded[2:]) / 4  # (T, 2)
    aim = aim - np.asarray(spec.framing) * spec.size
    aim[:, 1] = np.minimum(aim[:, 1], -0.2 * spec.size)  # the water 0.7 of the way down
    corners: NDArray[Any] = np.rint(aim - spec.size / 2)
    return corners


def dive_geometry(spec: DiveSpec) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Body points (T, NUM_POINTS, 2) in each frame's pixels, their depth (T, NUM_POINTS), and
    the frames' corners (T, 2) in scene pixels (:func:`camera_corners`)."""
    world = dive_world_points(spec.dive, spec.flight, spec.athlete, spec.num_frames)
    scene, depth = _world_pixels(spec, world)  # (T, P, 2), (T, P)
    corners = camera_corners(spec, scene)
    return scene - corners[:, None, :], depth, corners


def dive_keypoints(spec: DiveSpec) -> tuple[NDArray[Any], NDArray[Any]]:
    """Keypoints float32 (T, 17, 2) in pixels and visibility float32 (T, 17): 1 when inside the
    frame and above the water."""
    points, _, corners = dive_geometry(spec)
    keypoints = points[:, :17].astype(np.float32)
    x, y = keypoints[..., 0], keypoints[..., 1]
    water_row = -corners[:, 1:2]  # (T, 1) the surface's row in each frame
    visible = (x >= 0) & (x <= spec.size - 1) & (y >= 0) & (y < water_row)
    return keypoints, visible.astype(np.float32)


def _room(spec: DiveSpec, corners: NDArray[Any]) -> tuple[Image.Image, NDArray[Any]]:
    """The scene every frame is cut from: the background, the water and the board (a slab from
    far behind to z = 0); and the scene pixel of its top-left corner (2,)."""
    origin = corners.min(axis=0)  # (2,)
    side = int((corners.max(axis=0) - origin).max()) + spec.size
    room = Image.fromarray(background(spec.look, side, (-origin[0], -origin[1], 0.0)))
    h = spec.flight.board_height
    slab = np.array([[0, h, -20.0], [0, h, 0.0], [0, h - 0.12, 0.0], [0, h - 0.12, -20.0]])
    pillar = np.array([[0, h, -2.2], [0, h, -1.7], [0, -1, -1.7], [0, -1, -2.2]])
    draw = ImageDraw.Draw(room)
    for shape, shade in ((pillar, 0.7), (slab, 1.0)):
        pixels, _ = _world_pixels(spec, shape)  # (4, 2)
        fill = tuple(int(c * shade) for c in spec.board_colour)
        draw.polygon((pixels - origin).ravel().tolist(), fill=fill)
    return room, origin


def render_dive(spec: DiveSpec) -> Iterator[NDArray[Any]]:
    """Yield the clip's frames, (H, W, 3) uint8 RGB, one at a time."""
    points, depth, corners = dive_geometry(spec)
    room, origin = _room(spec, corners)
    bank = noise_bank(spec.look, spec.size)
    offsets = np.random.default_rng([spec.look.seed, 1])
    splash = np.random.default_rng([spec.look.seed, 3]).uniform(-1, 1, (12, 3))  # (drops, 3)
    entry_frame = spec.flight.entry * (spec.num_frames - 1)
    for t in range(spec.num_frames):
        left, top = (corners[t] - origin).astype(int)
        view = room.crop((left, top, left + spec.size, top + spec.size))
        image = view.copy()
        far_side = 0 if depth[t, 11] < depth[t, 12] else 1  # a twist brings the other side near
        frame = Frame(points[t], depth[t], None, None)
        draw_figure(image, frame, spec.athlete, spec.scale, far_side, spec.look)
        water_y = -float(corners[t, 1])  # the surface's row in this frame
        pixels = np.array(image)
        below = np.arange(spec.size) >= water_y  # (H,) rows the water hides
        pixels[below] = np.asarray(view)[below]  # under the surface: only water shows
        image = Image.fromarray(pixels)
        since = (t - entry_frame) / max(spec.num_frames - 1, 1)
        if 0 <= since <= _SPLASH_FRAMES:
            _draw_splash(image, spec, points[t], water_y, since / _SPLASH_FRAMES, splash)
        yield finish(image, spec.look, bank, offsets)


def _draw_splash(
    image: Image.Image,
    spec: DiveSpec,
    points: NDArray[Any],
    water_y: float,
    age: float,
    drops: NDArray[Any],
) -> None:
    """White drops thrown up around the entry point; ``age`` runs 0 → 1 over the splash."""
    draw = ImageDraw.Draw(image)
    x = float(np.median(points[:, 0]))
    height = spec.scale * 0.9 * np.sin(np.pi * min(age * 1.2, 1.0))  # pixels; rises then falls
    for dx, dy, r in drops.tolist():
        cx = x + dx * 0.35 * spec.scale
        cy = water_y - (0.5 + 0.5 * dy) * height
        radius = max(1.0, (0.06 + 0.04 * r) * spec.scale)
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=(235, 245, 250))


def write_dive_clip(spec: DiveSpec, video_path: Path) -> Path:
    """Write the clip's mp4 and its ``.npz`` keypoints beside it, each appearing atomically.

    The keypoints are in the keypoint file format (sportslens.pose), so skeleton models train
    on dives too; a keypoint is visible inside the frame and above the water.
    """
    keypoints, visibility = dive_keypoints(spec)
    return write_clip_files(
        video_path, render_dive(spec), spec.fps, keypoints, visibility,
        **{"class": np.str_(spec.number)},
    )  # fmt: skip


def make_dive_dataset(
    out_dir: str | os.PathLike[str],
    settings: ClipSettings = DIVE_SETTINGS,
    *,
    dives: Sequence[str] = DEFAULT_DIVES,
    per_class: int = 50,
    camera: Camera = "follow",
    workers: int = 2,
    progress: bool = True,
) -> Path:
    """Write ``per_class`` clips of each dive number and ``labels.csv``; returns ``out_dir``."""
    if isinstance(dives, str) or not dives:
        raise ValueError(f"dives must be a non-empty list of dive numbers, got {dives!r}")
    numbers = [parse(number).number for number in dives]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"dives contains a duplicate: {numbers}")
    if per_class < 1 or workers < 1:
        raise ValueError(f"per_class and workers must be at least 1, got {per_class}, {workers}")
    specs = [
        sample_dive_spec(number, index, settings, camera=camera)
        for number in numbers
        for index in range(per_class)
    ]
    root = Path(out_dir)
    paths = [root / spec.number / f"{spec.number}_{spec.index:04d}.mp4" for spec in specs]
    write_clips(write_dive_clip, specs, paths, workers, progress)
    write_labels(root, [(spec.number, spec.group) for spec in specs], paths)
    return root
