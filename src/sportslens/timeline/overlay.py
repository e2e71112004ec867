"""The annotated video: the current label, its score and a bar of the segments burned in.

Frames stream from the decoder through the drawing into :class:`VideoWriter` one at a time, so
memory stays flat; if the run is interrupted the writer is closed and the file stays playable up
to the last frame written. Each label has a colour (:func:`palette`), drawn as a swatch in a
fixed box (:func:`swatch_box`), so a program can read the label back from the pixels.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from sportslens.pose.keypoints import Keypoints
from sportslens.pose.layouts import layout_edges
from sportslens.pose.overlay import draw_pose
from sportslens.timeline.build import BACKGROUND_LABEL, Segment, Timeline, background_index
from sportslens.timeline.export import even_size
from sportslens.timeline.segments import background_scores
from sportslens.video import Source, iter_frames
from sportslens.writer import VideoWriter

Colour = tuple[int, int, int]

# Ten well-separated colours (matplotlib's tab10), far enough apart to survive H.264.
_COLOURS: tuple[Colour, ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207), (255, 255, 255),
)  # fmt: skip
BACKGROUND_COLOUR: Colour = (90, 90, 90)


def palette(classes: Sequence[str]) -> dict[str, Colour]:
    """A colour per class name (cycling after ten) and grey for background."""
    colours = {name: _COLOURS[i % len(_COLOURS)] for i, name in enumerate(classes)}
    return {**colours, BACKGROUND_LABEL: BACKGROUND_COLOUR}


def swatch_box(height: int, width: int) -> tuple[int, int, int, int]:
    """``(top, left, bottom, right)`` of the label's colour swatch in a frame of this size."""
    band = _band(height)
    return 2, 2, band - 2, min(width, band - 2)


def write_overlay(
    timeline: Timeline,
    source: Source,
    path: str | os.PathLike[str],
    *,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Write the annotated video for the frames the timeline covers; returns its path.

    A skeleton model's timeline carries the video's keypoints; the skeleton is drawn under the
    label band, each joint coloured by its score (:func:`sportslens.pose.overlay.draw_pose`).
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    colours = palette(timeline.classes)
    shown = shown_scores(timeline)  # (W,) score of each window's displayed label
    with VideoWriter(out, timeline.fps) as writer:
        for index, frame in iter_frames(source, end=timeline.num_frames - 1):
            seconds = index / timeline.fps
            segment, score = label_at(timeline, shown, seconds)
            if timeline.keypoints is not None:
                frame = _draw_skeleton(frame, timeline.keypoints, index)
            writer.write(draw_overlay(even_size(frame), timeline, segment, score, seconds, colours))
            if progress is not None:
                progress(index + 1)
    return out


def draw_overlay(
    frame: NDArray[Any],
    timeline: Timeline,
    segment: Segment,
    score: float,
    seconds: float,
    colours: dict[str, Colour],
) -> NDArray[Any]:
    """One annotated frame (H, W, 3) uint8: a dark band with swatch, label and score on top, the
    segments bar with a cursor at the bottom."""
    height, width = frame.shape[:2]
    band = _band(height)
    out = frame.copy()
    out[:band] = (out[:band] * 0.3).astype(np.uint8)  # darken behind the text
    top, left, bottom, right = swatch_box(height, width)
    out[top:bottom, left:right] = colours[segment.label]
    bar = max(3, round(height * 0.04))
    for part in timeline.segments:
        x0, x1 = _x(part.start, timeline, width), max(_x(part.end, timeline, width), 1)
        out[height - bar :, x0:x1] = colours[part.label]
    cursor = min(_x(seconds, timeline, width), width - 1)
    out[height - bar - 2 :, max(cursor - 1, 0) : cursor + 1] = (255, 255, 255)
    image = Image.fromarray(out)
    ImageDraw.Draw(image).text(
        (right + 3, band / 2), f"{segment.label} {score:.2f}", fill=(255, 255, 255),
        font=_font(max(8, band - 4)), anchor="lm",
    )  # fmt: skip
    return np.asarray(image)


def _draw_skeleton(frame: NDArray[Any], kp: Keypoints, index: int) -> NDArray[Any]:
    """``frame`` (H, W, 3) with frame ``index``'s pose, scaled when taken at another size."""
    scale = np.array(frame.shape[1::-1], dtype=np.float32) / np.array(kp.size)  # (2,) x, y
    points = kp.keypoints[index] * scale  # (V, 2) pixels of this frame
    return draw_pose(frame, points, kp.scores[index], layout_edges(kp.layout))


def label_at(
    timeline: Timeline, shown: dict[str, NDArray[Any]], seconds: float
) -> tuple[Segment, float]:
    """The segment at ``seconds`` and its label's score in the nearest window; ``shown`` is
    :func:`shown_scores` of ``timeline``."""
    segment = timeline.segment_at(seconds)
    nearest = int(np.abs(timeline.centres - seconds).argmin())  # centres: (W,)
    return segment, float(shown[segment.label][nearest])


def shown_scores(timeline: Timeline) -> dict[str, NDArray[Any]]:
    """For every label, its smoothed score per window, (W,) each; background as in segments."""
    smoothed = timeline.smoothed  # (W, K)
    shown = {name: smoothed[:, i] for i, name in enumerate(timeline.classes)}
    own = background_index(timeline.classes, timeline.options.background_classes)
    shown[BACKGROUND_LABEL] = background_scores(smoothed, own)
    return shown


def _band(height: int) -> int:
    return max(12, round(height * 0.1))


def _x(seconds: float, timeline: Timeline, width: int) -> int:
    return int(seconds / timeline.duration * width) if timeline.duration > 0 else 0


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)
