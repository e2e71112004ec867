"""Draw keypoints on video frames: the skeleton, each joint coloured by its score, the frame number.

Colours run from red (score near 0) through yellow (0.5) to green (1); joints with score 0 (not
detected) are not drawn, nor are bones touching them. :func:`draw_pose` is a pure function on one
frame; :func:`write_overlay` streams a whole video through it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from sportslens.pose.keypoints import Keypoints
from sportslens.pose.layouts import Edges, layout_edges
from sportslens.pose.people import People
from sportslens.progress import progress_bar
from sportslens.video import Source, describe_source, frame_count, iter_frames
from sportslens.writer import VideoWriter


def score_colour(score: float) -> tuple[int, int, int]:
    """RGB for a score in [0, 1]: red at 0, yellow at 0.5, green at 1."""
    s = float(np.clip(score, 0.0, 1.0))
    return (255, round(255 * 2 * s), 0) if s < 0.5 else (round(255 * 2 * (1 - s)), 255, 0)


def draw_pose(
    frame: NDArray[Any],
    keypoints: NDArray[Any],
    scores: NDArray[Any],
    edges: Edges,
    *,
    frame_number: int | None = None,
) -> NDArray[np.uint8]:
    """A copy of ``frame`` (H, W, 3) uint8 with the pose (V, 2) pixels / (V,) scores drawn."""
    image = Image.fromarray(np.ascontiguousarray(frame, dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    height, width = frame.shape[:2]
    thickness = max(1, round(min(height, width) / 120))
    radius = thickness + 1
    for a, b in edges:
        if scores[a] > 0 and scores[b] > 0:
            line = [tuple(keypoints[a].tolist()), tuple(keypoints[b].tolist())]
            draw.line(line, fill=score_colour(min(scores[a], scores[b])), width=thickness)
    for (x, y), score in zip(keypoints.tolist(), scores.tolist(), strict=True):
        if score > 0:
            box = (x - radius, y - radius, x + radius, y + radius)
            draw.ellipse(box, fill=score_colour(score), outline=(0, 0, 0))
    if frame_number is not None:
        font = bundled_font(max(10, height // 20))
        text = str(frame_number)
        left, top, right, bottom = draw.textbbox((4, 4), text, font=font)
        draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=(0, 0, 0))
        draw.text((4, 4), text, fill=(255, 255, 255), font=font)
    return np.asarray(image, dtype=np.uint8)


@lru_cache(maxsize=8)
def bundled_font(size: int) -> Any:
    """Pillow's bundled font at ``size`` pixels (no system fonts needed)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one small bitmap font
        return ImageFont.load_default()


def write_overlay(
    video: Source,
    kp: Keypoints,
    out: str | os.PathLike[str],
    *,
    progress: bool = False,
) -> Path:
    """Write ``video`` with ``kp`` drawn on every frame to ``out`` (mp4 / H.264), atomically.

    Frames are decoded, drawn and encoded one at a time. Keypoints are scaled when they were
    taken at another size than the video's; odd frame sizes get one black row or column, as
    H.264 needs even sizes.
    """
    edges = layout_edges(kp.layout)

    def draw(frame: NDArray[Any], index: int, scale: NDArray[np.float32]) -> NDArray[np.uint8]:
        points = kp.keypoints[index] * scale  # (V, 2) in this frame's pixels
        return draw_pose(frame, points, kp.scores[index], edges, frame_number=index)

    return write_drawn(video, kp, out, draw, progress=progress)


FrameDrawer = Callable[[NDArray[Any], int, NDArray[np.float32]], NDArray[np.uint8]]
"""Draws on frame ``index`` (H, W, 3); ``scale`` (2,) maps keypoint pixels to this frame's."""


def write_drawn(
    video: Source,
    kp: Keypoints | People,
    out: str | os.PathLike[str],
    draw: FrameDrawer,
    *,
    progress: bool = False,
) -> Path:
    """Decode ``video``, ``draw`` on each frame and encode to ``out`` (mp4), atomically; ``kp``
    gives the frame count, fps and size the keypoints were taken at."""
    out = Path(out)
    name = describe_source(video)
    frames = frame_count(video)
    if frames != kp.num_frames:
        raise ValueError(
            f"{name} has {frames} frames but the keypoints ({kp.source}) have {kp.num_frames}"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp{out.suffix or '.mp4'}")
    try:
        with VideoWriter(tmp, kp.fps) as writer, progress_bar(enabled=progress) as bar:
            task = bar.add_task(f"overlay {out.name}", total=frames)
            for index, frame in iter_frames(video):  # (H, W, 3) uint8
                scale = np.array(frame.shape[1::-1], dtype=np.float32) / np.array(kp.size)
                writer.write(pad_even(draw(frame, index, scale.astype(np.float32))))
                bar.advance(task)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def pad_even(frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Pad an (H, W, 3) frame with black to an even height and width (H.264 in yuv420p needs
    both even)."""
    height, width = frame.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return frame
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)))
