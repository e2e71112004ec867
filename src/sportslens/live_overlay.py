"""The annotated video of a live run: each analysed frame with its skeletons, angle and count.

Frames are drawn and encoded as they are analysed (nothing is kept); each is written at its
stream time (index / fps), so a frame the analysis dropped is simply not in the file and the
file still plays at the source's pace. One person is drawn as ``sportslens pose --overlay``
draws (:func:`~sportslens.pose.overlay.draw_pose`, joints coloured by score), several as the
people overlay draws (:func:`~sportslens.pose.people_overlay.draw_people`, a colour and a
``#id`` per track); the counts and angles are written in the top-left corner.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from types import TracebackType

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from sportslens.live_people import PersonStatus
from sportslens.pose.layouts import layout_edges
from sportslens.pose.overlay import bundled_font, draw_pose, pad_even
from sportslens.pose.people_overlay import draw_people, track_colour
from sportslens.writer import VideoWriter


def status_text(person: PersonStatus, several: bool) -> str:
    """``#0 count 3  knees 95°`` (no ``#id`` for the one person of a single-person run)."""
    angle = "-" if person.angle is None else f"{person.angle:.0f}°"
    head = f"#{person.track_id} " if several else ""
    return f"{head}count {person.count}  {person.signal or ''} {angle}"


def draw_live_frame(
    image: NDArray[np.uint8],
    points: NDArray[np.float32],
    scores: NDArray[np.float32],
    track_ids: NDArray[np.int64],
    layout: str,
    people: Sequence[PersonStatus],
    several: bool,
) -> NDArray[np.uint8]:
    """A copy of ``image`` (H, W, 3) with the people of ``points`` (P, V, 2) / ``scores``
    (P, V) drawn and one status line per person of ``people``."""
    edges = layout_edges(layout)
    if several:
        drawn = draw_people(image, points, scores, track_ids, edges)
    elif len(points):
        drawn = draw_pose(image, points[0], scores[0], edges)
    else:
        drawn = np.array(image, dtype=np.uint8)
    canvas = Image.fromarray(drawn)
    draw = ImageDraw.Draw(canvas)
    font = bundled_font(max(10, image.shape[0] // 24))
    y = 4.0
    for person in people:
        text = status_text(person, several)
        left, top, right, bottom = draw.textbbox((4, y), text, font=font)
        fill = track_colour(person.track_id) if several else (0, 0, 0)
        draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=fill)
        draw.text((4, y), text, fill=(255, 255, 255), font=font)
        y = bottom + 6
    return np.asarray(canvas, dtype=np.uint8)


class AnnotatedVideo:
    """An mp4 the analysed frames are written to one by one (a context manager: closed cleanly
    on the end, a stall or Ctrl-C, so the file is always playable)."""

    def __init__(self, path: str | os.PathLike[str], fps: float) -> None:
        self.fps = fps
        self.frames = 0
        self._writer = VideoWriter(path, fps)

    def write(self, index: int, frame: NDArray[np.uint8]) -> None:
        """Append drawn frame ``index`` (H, W, 3) at its stream time."""
        self._writer.write(pad_even(frame), timestamp=index / self.fps)
        self.frames += 1

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> AnnotatedVideo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
