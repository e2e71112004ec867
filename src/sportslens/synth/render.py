"""Synthetic athletes, part 3: drawing — background, figure, barbell, occluder and camera noise.

Everything is drawn with PIL on the final small image (no supersampling); a slight box blur
stands in for anti-aliasing and lens softness, and sensor noise is added in numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from sportslens.synth.body import HEAD, LEFT_TOE, RIGHT_TOE, Athlete, Colour, random_colour

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) in pixels


@dataclass(frozen=True)
class Look:
    """A clip's appearance apart from the athlete: room, props, occluder and camera quality."""

    wall: tuple[Colour, Colour]  # gradient from one colour to the other
    gradient_angle: float  # radians
    floor: Colour
    texture: Literal["noise", "stripes"]
    texture_strength: float  # grey levels
    stripe_period: float  # pixels
    stripe_angle: float  # radians
    blur: float  # box blur radius in pixels
    noise: float  # sensor noise standard deviation in grey levels
    occluder: Box | None  # a foreground rectangle hiding part of the athlete
    occluder_colour: Colour
    bar: Colour
    plates: Colour
    seed: int  # texture and per-frame sensor noise


def sample_look(rng: np.random.Generator, size: int, figure: Box) -> Look:
    """Random room and camera; with probability 0.15 an occluder over one side of ``figure``.

    The occluder (sized from the figure's height) stands mostly beside the first frame's figure
    box, reaching 10-40 % of its own width over it: it hides part of the athlete, never all.
    """
    occluder: Box | None = None
    if rng.random() < 0.15:
        w, h = rng.uniform(0.2, 0.45, 2) * (figure[3] - figure[1])
        overlap = float(rng.uniform(0.1, 0.4)) * w
        cx = figure[0] - w / 2 + overlap if rng.random() < 0.5 else figure[2] + w / 2 - overlap
        cy = rng.uniform(figure[1], figure[3])
        occluder = (float(cx - w / 2), float(cy - h / 2), float(cx + w / 2), float(cy + h / 2))
    return Look(
        wall=(random_colour(rng), random_colour(rng)),
        gradient_angle=float(rng.uniform(0, 2 * np.pi)),
        floor=random_colour(rng, value=(0.2, 0.7)),
        texture="stripes" if rng.random() < 0.4 else "noise",
        texture_strength=float(rng.uniform(5, 30)),
        stripe_period=float(rng.uniform(0.05, 0.3) * size),
        stripe_angle=float(rng.uniform(0, np.pi)),
        blur=float(rng.uniform(0.3, 0.9)),
        noise=float(rng.uniform(1.0, 6.0)),
        occluder=occluder,
        occluder_colour=random_colour(rng),
        bar=random_colour(rng, saturation=(0.0, 0.1), value=(0.5, 0.8)),
        plates=random_colour(rng, value=(0.1, 0.6)),
        seed=int(rng.integers(2**31)),
    )


def background(look: Look, size: int, floor: tuple[float, float, float]) -> NDArray[Any]:
    """The empty room (H, W, 3) uint8: textured wall, and floor below the line ``floor``.

    ``floor`` is (x, y, roll degrees): a point on the floor line in pixels and its tilt.
    """
    rng = np.random.default_rng(look.seed)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size  # (H, W) each
    ramp = np.cos(look.gradient_angle) * xs + np.sin(look.gradient_angle) * ys
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)  # (H, W) in [0, 1]
    wall0, wall1 = (np.asarray(c, np.float32) for c in look.wall)
    image = wall0 + ramp[..., None] * (wall1 - wall0)  # (H, W, 3)
    if look.texture == "stripes":
        across = np.cos(look.stripe_angle) * xs + np.sin(look.stripe_angle) * ys
        image += (
            look.texture_strength
            * np.sin(2 * np.pi * across * size / look.stripe_period)[..., None]
        )
    else:
        image += look.texture_strength * _smooth_noise(rng, size)
    x0, y0, roll = floor
    r = np.radians(roll)
    # Height above the floor line in pixels, undoing the camera roll.
    height = -np.sin(r) * (xs * size - x0) + np.cos(r) * (y0 - ys * size)  # (H, W)
    below = np.clip(-height / (0.3 * size), 0, 1)[..., None]  # 0 at the line, 1 further down
    floor_colour = np.asarray(look.floor, np.float32) * (1.0 - 0.35 * below)  # darker nearer us
    room: NDArray[Any] = np.where(height[..., None] < 0, floor_colour, image)
    pixels: NDArray[Any] = np.clip(room, 0, 255).astype(np.uint8)
    return pixels


def _smooth_noise(rng: np.random.Generator, size: int) -> NDArray[Any]:
    """Low-frequency colour noise (H, W, 3) in about [-1, 1]: a 4x4 grid upsampled bicubically."""
    grid = rng.uniform(0, 255, (4, 4, 3)).astype(np.uint8)
    upsampled = Image.fromarray(grid).resize((size, size), Image.Resampling.BICUBIC)
    return (np.asarray(upsampled, np.float32) - 127.5) / 127.5


# Limbs: (from point, to point, width as a fraction of height, part that picks the colour).
_SEGMENTS = (
    (11, 13, 0.085, "thigh"),
    (12, 14, 0.085, "thigh"),
    (13, 15, 0.062, "shank"),
    (14, 16, 0.062, "shank"),
    (15, LEFT_TOE, 0.045, "shoes"),
    (16, RIGHT_TOE, 0.045, "shoes"),
    (5, 7, 0.058, "upper_arm"),
    (6, 8, 0.058, "upper_arm"),
    (7, 9, 0.048, "forearm"),
    (8, 10, 0.048, "forearm"),
)
_SEGMENT_ENDS = np.array([(a, b) for a, b, _, _ in _SEGMENTS])  # (S, 2) point indices
_SEGMENT_SIDE = _SEGMENT_ENDS[:, 0] % 2 == 0  # (S,) False for the left side (odd COCO index)
TORSO_WIDTH, NECK_WIDTH = 0.15, 0.05  # fractions of height, like the limbs

PLATE_SIDES = 12
BAR_HALF_LENGTH = 0.8  # metres; shorter than a real 2.2 m bar so it fits small frames
PLATE_OFFSETS = (-0.68, -0.6, 0.6, 0.68)  # metres from the bar centre: two plates a side
PLATE_RADIUS = 0.22  # metres, a full-size bumper plate

Paint = tuple[float, Callable[[], None]]  # (depth, drawing step); far steps are drawn first


def _part_colour(athlete: Athlete, part: str) -> Colour:
    sleeve = athlete.shirt if athlete.long_sleeves else athlete.skin
    colours = {
        "thigh": athlete.shorts,
        "shank": athlete.shorts if athlete.long_pants else athlete.skin,
        "shoes": athlete.shoes,
        "upper_arm": sleeve,
        "forearm": sleeve,
    }
    return colours[part]


def _shade(colour: Colour, factor: float) -> Colour:
    return int(colour[0] * factor), int(colour[1] * factor), int(colour[2] * factor)


def _segment(
    draw: ImageDraw.ImageDraw, a: Sequence[float], b: Sequence[float], width: float, fill: Colour
) -> None:
    """A thick limb with round ends: a wide line capped by two discs."""
    w = max(2, round(width))
    draw.line([a[0], a[1], b[0], b[1]], fill=fill, width=w)
    r = w / 2
    for x, y in (a, b):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)


def _torso(draw: ImageDraw.ImageDraw, p: NDArray[Any], width: float, fill: Colour) -> None:
    """Shoulders and hips as a filled quad plus a spine line, so a side view still has a torso."""
    draw.polygon(p[[5, 6, 12, 11]].ravel().tolist(), fill=fill)
    _segment(draw, p[5:7].mean(axis=0).tolist(), p[11:13].mean(axis=0).tolist(), width, fill)


def _head(draw: ImageDraw.ImageDraw, p: NDArray[Any], radius: float, athlete: Athlete) -> None:
    """Hair disc with the face disc shifted towards the nose, so the head shows where it faces."""
    cx, cy = p[HEAD].tolist()
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=athlete.hair)
    fx, fy = (p[HEAD] + 0.3 * (p[0] - p[HEAD])).tolist()
    r = 0.85 * radius
    draw.ellipse([fx - r, fy - r, fx + r, fy + r], fill=athlete.skin)


@dataclass(frozen=True)
class Frame:
    """One frame's projected geometry, everything in pixels."""

    points: NDArray[Any]  # (NUM_POINTS, 2) body points: 17 COCO keypoints, head centre, toes
    depth: NDArray[Any]  # (NUM_POINTS,) larger is nearer the camera
    bar: NDArray[Any] | None  # (2 + 4 * PLATE_SIDES, 2) bar ends then plate rims, or None
    bar_depth: NDArray[Any] | None  # (2 + 4 * PLATE_SIDES,)


def draw_figure(
    image: Image.Image, frame: Frame, athlete: Athlete, scale: float, far_side: int, look: Look
) -> None:
    """Draw the athlete (and barbell), far parts first; ``far_side`` (0 left, 1 right) is shaded."""
    draw = ImageDraw.Draw(image)
    p, depth = frame.points, frame.depth
    px = scale * athlete.height * athlete.build  # pixels per unit of width fraction
    ends = p[_SEGMENT_ENDS].tolist()  # (S, 2, 2) as nested lists: PIL wants Python floats
    segment_depth = depth[_SEGMENT_ENDS].mean(axis=1).tolist()  # (S,)
    items: list[Paint] = []
    for (a, b), d, far, (_, _, width, part) in zip(
        ends, segment_depth, bool(far_side) == _SEGMENT_SIDE, _SEGMENTS, strict=True
    ):
        colour = _shade(_part_colour(athlete, part), 0.72 if far else 1.0)
        items.append((d, partial(_segment, draw, a, b, width * px, colour)))
    torso_depth = float(depth[[5, 6, 11, 12]].mean())
    items.append((torso_depth, partial(_torso, draw, p, TORSO_WIDTH * px, athlete.shirt)))
    neck = (p[5:7].mean(axis=0).tolist(), p[HEAD].tolist())
    items.append(
        (torso_depth + 1e-3, partial(_segment, draw, *neck, NECK_WIDTH * px, athlete.skin))
    )
    head_radius = scale * athlete.head * 1.05
    items.append((float(depth[HEAD]), partial(_head, draw, p, head_radius, athlete)))
    if frame.bar is not None and frame.bar_depth is not None:
        items += _barbell(draw, frame.bar, frame.bar_depth, scale, look)
    for _, paint in sorted(items, key=lambda item: item[0]):
        paint()
    if look.occluder is not None:
        draw.rectangle(look.occluder, fill=look.occluder_colour)


def barbell_points(centre: NDArray[Any], plate_radius: float = PLATE_RADIUS) -> NDArray[Any]:
    """Bar ends and plate rims (T, 2 + 4 * PLATE_SIDES, 3) for a bar along x through ``centre``.

    ``centre`` (T, 3) is the midpoint of the hands in world coordinates; plates stand in the
    (y, z) plane, so they show as ellipses once the camera turns.
    """
    angle = np.linspace(0, 2 * np.pi, PLATE_SIDES, endpoint=False)
    rim = np.stack([np.zeros_like(angle), np.sin(angle), np.cos(angle)], axis=-1) * plate_radius
    offsets = [np.array([[-BAR_HALF_LENGTH, 0, 0], [BAR_HALF_LENGTH, 0, 0]])]
    offsets += [rim + np.array([x, 0.0, 0.0]) for x in PLATE_OFFSETS]
    local = np.concatenate(offsets)  # (Q, 3)
    points: NDArray[Any] = centre[:, None, :] + local[None]
    return points


def _barbell(
    draw: ImageDraw.ImageDraw, bar: NDArray[Any], depth: NDArray[Any], scale: float, look: Look
) -> list[Paint]:
    """The bar and each plate as depth-sorted drawing steps."""
    width = max(2.0, 0.03 * scale)
    ends = bar[:2].tolist()
    items: list[Paint] = [
        (float(depth[:2].mean()), partial(_segment, draw, ends[0], ends[1], width, look.bar))
    ]
    rims = bar[2:].reshape(len(PLATE_OFFSETS), -1).tolist()  # (plates, 2 * PLATE_SIDES)
    rim_depth = depth[2:].reshape(len(PLATE_OFFSETS), -1).mean(axis=1).tolist()  # (plates,)
    for k, (rim, d) in enumerate(zip(rims, rim_depth, strict=True)):
        shade = 0.8 if k in (0, len(rims) - 1) else 1.0  # outer plates darker: reads as a stack
        fill = _shade(look.plates, shade)
        items.append((d, partial(draw.polygon, rim, fill=fill, outline=(20, 20, 20))))
    return items


def noise_bank(look: Look, size: int) -> NDArray[Any]:
    """Sensor noise int16 (2H, 2W, 3) for a whole clip; each frame adds a random crop of it.

    Cropping one field at random offsets costs a slice per frame instead of fresh Gaussian
    samples (the single largest cost of a frame otherwise), and still changes every frame.
    """
    rng = np.random.default_rng([look.seed, 2])
    field = rng.standard_normal((2 * size, 2 * size, 3), dtype=np.float32) * look.noise
    noise: NDArray[Any] = np.round(field).astype(np.int16)
    return noise


def finish(
    image: Image.Image, look: Look, bank: NDArray[Any], rng: np.random.Generator
) -> NDArray[Any]:
    """Lens blur and sensor noise on a drawn frame: (H, W, 3) uint8."""
    blurred = np.asarray(image.filter(ImageFilter.BoxBlur(look.blur)), np.int16)  # (H, W, 3)
    height, width = blurred.shape[:2]
    dy, dx = rng.integers(0, bank.shape[0] - height), rng.integers(0, bank.shape[1] - width)
    noisy = blurred + bank[dy : dy + height, dx : dx + width]
    frame: NDArray[Any] = np.clip(noisy, 0, 255).astype(np.uint8)
    return frame
