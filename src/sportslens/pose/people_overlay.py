"""Draw every tracked person on video frames: each track in its own colour, labelled with its id.

The single-person overlay (:mod:`sportslens.pose.overlay`) colours joints by score; with several
people, colour tells who is who instead, so a track keeps one colour over the whole video and a
label ``#<track id>`` sits above its head (the highest joint seen).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from sportslens.pose.layouts import Edges, layout_edges
from sportslens.pose.overlay import bundled_font, write_drawn
from sportslens.pose.people import People
from sportslens.video import Source

TRACK_COLOURS: tuple[tuple[int, int, int], ...] = (
    (230, 25, 75),
    (60, 180, 75),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (255, 225, 25),
)
"""Eight colours far apart (from Sasha Trubetskoy's list); the playground uses the same."""


def track_colour(track_id: int) -> tuple[int, int, int]:
    """RGB of a track: the same id always gets the same colour."""
    return TRACK_COLOURS[int(track_id) % len(TRACK_COLOURS)]


def draw_people(
    frame: NDArray[Any],
    keypoints: NDArray[Any],
    scores: NDArray[Any],
    track_ids: NDArray[Any],
    edges: Edges,
    *,
    frame_number: int | None = None,
    labels: Sequence[str] | None = None,
) -> NDArray[np.uint8]:
    """A copy of ``frame`` (H, W, 3) with each person of ``keypoints`` (P, V, 2) pixels /
    ``scores`` (P, V) drawn in its track's colour and labelled (``labels``, one text per person,
    or ``#<track id>``); people with no joint seen are skipped."""
    image = Image.fromarray(np.ascontiguousarray(frame, dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    height, width = frame.shape[:2]
    thickness = max(1, round(min(height, width) / 120))
    font = bundled_font(max(10, height // 24))
    ids = track_ids.tolist()
    texts = [f"#{track_id}" for track_id in ids] if labels is None else list(labels)
    for points, seen, track_id, text in zip(keypoints, scores > 0, ids, texts, strict=True):
        if not seen.any():
            continue
        colour = track_colour(track_id)
        for a, b in edges:
            if seen[a] and seen[b]:
                line = [tuple(points[a].tolist()), tuple(points[b].tolist())]
                draw.line(line, fill=colour, width=thickness)
        for x, y in points[seen].tolist():
            r = thickness + 1
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour, outline=(0, 0, 0))
        top = points[seen][np.argmin(points[seen][:, 1])]  # (2,) the highest joint seen
        _label(draw, text, (float(top[0]), float(top[1]) - 4 * thickness), colour, font)
    if frame_number is not None:
        _label(draw, str(frame_number), (4, 4), (0, 0, 0), font, anchor="la")
    return np.asarray(image, dtype=np.uint8)


def _label(
    draw: ImageDraw.ImageDraw,
    text: str,
    at: tuple[float, float],
    background: tuple[int, int, int],
    font: Any,
    anchor: str = "mb",
) -> None:
    """White text on a box of ``background``; ``anchor`` as Pillow's (middle-bottom: above)."""
    left, top, right, bottom = draw.textbbox(at, text, font=font, anchor=anchor)
    draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=background)
    draw.text(at, text, fill=(255, 255, 255), font=font, anchor=anchor)


def write_people_overlay(
    video: Source, people: People, out: str | os.PathLike[str], *, progress: bool = False
) -> Path:
    """Write ``video`` with every person of ``people`` drawn (:func:`draw_people`) to ``out``."""
    edges = layout_edges(people.layout)

    def draw(frame: NDArray[Any], index: int, scale: NDArray[np.float32]) -> NDArray[np.uint8]:
        points = people.keypoints[index] * scale  # (P, V, 2) in this frame's pixels
        return draw_people(
            frame, points, people.scores[index], people.track_ids, edges, frame_number=index
        )

    return write_drawn(video, people, out, draw, progress=progress)
