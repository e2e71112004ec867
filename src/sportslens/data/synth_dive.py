"""Synthetic dives, part 2: a dive clip's random draw, its drawing, and a labelled dataset.

The athletes, their drawing, the room texture and the camera noise are the synthetic athletes'
(:mod:`synth_body`, :mod:`synth_render`); the motion is :mod:`synth_dive_motion`. The camera
looks at the dive from the side (yaw 90 ± 25 degrees, either side), so somersaults turn in the
image plane and a twist shows as the shoulders' projected width narrowing and widening. The
floor of the room becomes water: everything below its surface is hidden, and a splash rises
where the diver goes in.

Layout written by :func:`make_dive_dataset` (class folders are dive numbers)::

    OUT_DIR/labels.csv              path,label,group (label: the dive number; group: the athlete)
    OUT_DIR/<number>/<number>_0000.mp4
    OUT_DIR/<number>/<number>_0000.npz   keypoints (T, 17, 2) px, visibility (T, 17), fps, class
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from sportslens.data.synth_body import Athlete, Colour, project, random_colour, sample_athlete
from sportslens.data.synth_dive_motion import Flight, dive_world_points
from sportslens.data.synth_render import Frame, Look, background, draw_figure, finish, noise_bank
from sportslens.data.synth_render import sample_look as sample_room
from sportslens.data.synth_scene import check_clip_settings
from sportslens.dive import Dive, parse
from sportslens.writer import VideoWriter

__all__ = [
    "DEFAULT_DIVES",
    "DiveSpec",
    "dive_keypoints",
    "make_dive_dataset",
    "render_dive",
    "sample_dive_spec",
    "write_dive_clip",
]

DEFAULT_DIVES = ("101B", "103C", "201C", "203B", "301B", "303C", "401C", "403B", "5132D", "5231D")
"""What ``sportslens synth --kind dives`` generates unless told otherwise."""

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
    origin_x: float  # pixel column of the board's end
    water_y: float  # pixel row of the water surface
    board_colour: Colour
    look: Look

    @property
    def dive(self) -> Dive:
        return parse(self.number)

    @property
    def group(self) -> str:
        return f"athlete_{self.athlete_id:02d}"


def sample_dive_spec(
    number: str,
    index: int,
    *,
    seed: int = 0,
    num_frames: int = 30,
    fps: float = 15.0,
    size: int = 112,
    athletes: int = 20,
) -> DiveSpec:
    """Draw clip ``index`` of dive ``number``; the same arguments always give the same clip."""
    dive = parse(number)
    check_clip_settings(num_frames=num_frames, fps=fps, size=size, athletes=athletes, seed=seed)
    if index < 0:
        raise ValueError(f"index must be non-negative, got {index}")
    rng = np.random.default_rng([seed, zlib.crc32(dive.number.encode()), index])
    athlete_id = int(rng.integers(athletes))
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
    # Fit the dive's whole height (water below, arms overhead at the top) into the frame.
    top = flight.board_height + flight.apex + 1.3 * athlete.height
    scale = float(rng.uniform(0.78, 0.9)) * size / (top + 0.8)
    water_y = float(size - rng.uniform(0.4, 0.8) * scale)
    side = np.sign(np.sin(np.radians(yaw)))  # +1: the dive travels to image right
    origin_x = float(size / 2 - side * scale * rng.uniform(0.3, 0.7))
    look = sample_room(rng, size, (0.0, 0.0, 1.0, 1.0))
    water = (int(rng.uniform(20, 70)), int(rng.uniform(90, 160)), int(rng.uniform(150, 230)))
    look = replace(look, floor=water, occluder=None)
    board_colour = random_colour(rng, saturation=(0.0, 0.3), value=(0.6, 0.95))
    return DiveSpec(
        dive.number, index, athlete_id, athlete, num_frames, fps, size, flight,
        yaw, scale, origin_x, water_y, board_colour, look,
    )  # fmt: skip


def _to_pixels(spec: DiveSpec, uv: NDArray[Any]) -> NDArray[Any]:
    """Image-plane metres (..., 2), v up, to pixels (..., 2), y down."""
    return np.stack(
        [spec.origin_x + spec.scale * uv[..., 0], spec.water_y - spec.scale * uv[..., 1]], axis=-1
    )


def dive_geometry(spec: DiveSpec) -> tuple[NDArray[Any], NDArray[Any]]:
    """Body points (T, NUM_POINTS, 2) in pixels and their depth (T, NUM_POINTS)."""
    world = dive_world_points(spec.dive, spec.flight, spec.athlete, spec.num_frames)
    uv, depth = project(world, spec.yaw, 0.0)  # (T, P, 2) metres, (T, P)
    return _to_pixels(spec, uv), depth


def dive_keypoints(spec: DiveSpec) -> tuple[NDArray[Any], NDArray[Any]]:
    """Keypoints float32 (T, 17, 2) in pixels and visibility float32 (T, 17): 1 when inside the
    frame and above the water."""
    points, _ = dive_geometry(spec)
    keypoints = points[:, :17].astype(np.float32)
    x, y = keypoints[..., 0], keypoints[..., 1]
    visible = (x >= 0) & (x <= spec.size - 1) & (y >= 0) & (y < spec.water_y)
    return keypoints, visible.astype(np.float32)


def _room(spec: DiveSpec) -> Image.Image:
    """The background with the water and the board (a slab from the frame's edge to z = 0)."""
    room = Image.fromarray(background(spec.look, spec.size, (spec.origin_x, spec.water_y, 0.0)))
    h = spec.flight.board_height
    corners = np.array([[[0, h, -20.0], [0, h, 0.0], [0, h - 0.12, 0.0], [0, h - 0.12, -20.0]]])
    pillar = np.array([[[0, h, -2.2], [0, h, -1.7], [0, -1, -1.7], [0, -1, -2.2]]])
    draw = ImageDraw.Draw(room)
    for shape, shade in ((pillar, 0.7), (corners, 1.0)):
        uv, _ = project(shape, spec.yaw, 0.0)
        fill = tuple(int(c * shade) for c in spec.board_colour)
        draw.polygon(_to_pixels(spec, uv)[0].ravel().tolist(), fill=fill)
    return room


def render_dive(spec: DiveSpec) -> Iterator[NDArray[Any]]:
    """Yield the clip's frames, (H, W, 3) uint8 RGB, one at a time."""
    points, depth = dive_geometry(spec)
    room = _room(spec)
    water_rows = np.arange(spec.size) >= spec.water_y  # (H,) rows the water hides
    room_pixels = np.asarray(room)
    bank = noise_bank(spec.look, spec.size)
    offsets = np.random.default_rng([spec.look.seed, 1])
    splash = np.random.default_rng([spec.look.seed, 3]).uniform(-1, 1, (12, 3))  # (drops, 3)
    entry_frame = spec.flight.entry * (spec.num_frames - 1)
    for t in range(spec.num_frames):
        image = room.copy()
        far_side = 0 if depth[t, 11] < depth[t, 12] else 1  # a twist brings the other side near
        frame = Frame(points[t], depth[t], None, None)
        draw_figure(image, frame, spec.athlete, spec.scale, far_side, spec.look)
        pixels = np.array(image)
        pixels[water_rows] = room_pixels[water_rows]  # under the surface: only water shows
        image = Image.fromarray(pixels)
        since = (t - entry_frame) / max(spec.num_frames - 1, 1)
        if 0 <= since <= _SPLASH_FRAMES:
            _draw_splash(image, spec, points[t], since / _SPLASH_FRAMES, splash)
        yield finish(image, spec.look, bank, offsets)


def _draw_splash(
    image: Image.Image, spec: DiveSpec, points: NDArray[Any], age: float, drops: NDArray[Any]
) -> None:
    """White drops thrown up around the entry point; ``age`` runs 0 → 1 over the splash."""
    draw = ImageDraw.Draw(image)
    x = float(np.median(points[:, 0]))
    height = spec.scale * 0.9 * np.sin(np.pi * min(age * 1.2, 1.0))  # pixels; rises then falls
    for dx, dy, r in drops.tolist():
        cx = x + dx * 0.35 * spec.scale
        cy = spec.water_y - (0.5 + 0.5 * dy) * height
        radius = max(1.0, (0.06 + 0.04 * r) * spec.scale)
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=(235, 245, 250))


def write_dive_clip(spec: DiveSpec, video_path: Path) -> Path:
    """Write the clip's mp4 and its ``.npz`` keypoints beside it, each appearing atomically."""
    video_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_video = video_path.with_name(f".{video_path.stem}.{os.getpid()}.tmp.mp4")
    # The same encoder settings as the athletes (see synth.write_clip for why).
    options = {"threads": "1", "preset": "ultrafast", "x264-params": "cpu-independent=1"}
    with VideoWriter(tmp_video, spec.fps, options=options) as writer:
        for frame in render_dive(spec):
            writer.write(frame)
    keypoints, visibility = dive_keypoints(spec)
    npz_path = video_path.with_suffix(".npz")
    tmp_npz = npz_path.with_name(f".{npz_path.stem}.{os.getpid()}.tmp.npz")
    with tmp_npz.open("wb") as file:
        np.savez_compressed(
            file,
            keypoints=keypoints,  # (T, 17, 2) float32 pixels
            visibility=visibility,  # (T, 17) float32
            fps=np.float64(spec.fps),
            **{"class": np.str_(spec.number)},
        )
    tmp_npz.replace(npz_path)
    tmp_video.replace(video_path)
    return video_path


def make_dive_dataset(
    out_dir: str | os.PathLike[str],
    *,
    dives: Sequence[str] = DEFAULT_DIVES,
    per_class: int = 50,
    num_frames: int | None = None,
    seconds: float = 2.0,
    fps: float = 15.0,
    size: int = 112,
    seed: int = 0,
    athletes: int = 20,
    workers: int = 2,
    progress: bool = True,
) -> Path:
    """Write ``per_class`` clips of each dive number and ``labels.csv``; returns ``out_dir``."""
    from sportslens.data.synth import write_clips, write_labels

    if isinstance(dives, str) or not dives:
        raise ValueError(f"dives must be a non-empty list of dive numbers, got {dives!r}")
    numbers = [parse(number).number for number in dives]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"dives contains a duplicate: {numbers}")
    if per_class < 1 or workers < 1:
        raise ValueError(f"per_class and workers must be at least 1, got {per_class}, {workers}")
    if num_frames is None:
        if seconds <= 0 or fps <= 0:
            raise ValueError(f"seconds and fps must be positive, got {seconds} and {fps}")
        num_frames = round(seconds * fps)
    options = {"num_frames": num_frames, "fps": fps, "size": size, "athletes": athletes}
    specs = [
        sample_dive_spec(number, index, seed=seed, **options)  # type: ignore[arg-type]
        for number in numbers
        for index in range(per_class)
    ]
    root = Path(out_dir)
    paths = [root / spec.number / f"{spec.number}_{spec.index:04d}.mp4" for spec in specs]
    write_clips(write_dive_clip, specs, paths, workers, progress)
    write_labels(root, [(spec.number, spec.group) for spec in specs], paths)
    return root
