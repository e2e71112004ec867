"""The annotated video: skeleton, joint angles at their joints and the running repetition count.

:func:`annotate_frame` draws on one frame (pure); :func:`write_annotated_video` streams the video
through it once, keeping copies of the key frames asked for (a repetition's bottom) on the way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from sportslens.pose.angles import ANGLE_JOINTS
from sportslens.pose.form import FormAnalysis
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.layouts import layout_edges
from sportslens.pose.overlay import bundled_font, draw_pose, pad_even
from sportslens.pose.reps import candidate_signals
from sportslens.video import Source, iter_frames
from sportslens.writer import VideoWriter

SHOWN_ANGLES = tuple(n for n in ANGLE_JOINTS if n.endswith(("_knee", "_hip", "_elbow")))
"""Angles written beside their joint (shoulders left out: four labels crowd the upper body)."""


def running_counts(analysis: FormAnalysis) -> NDArray[np.int64]:
    """(T,) repetitions completed by each frame: a repetition counts from its last frame on."""
    counts = np.zeros(analysis.angles.num_frames, dtype=np.int64)
    for rep in analysis.repetitions.repetitions:
        counts[rep.end :] += 1
    return counts


@dataclass(frozen=True, eq=False)
class Annotations:
    """What is drawn on each frame, computed once for the clip (not once a frame)."""

    kp: Keypoints
    coco: Keypoints  # kp in COCO-17, where the angles' joints are
    analysis: FormAnalysis
    signal: NDArray[np.float64]  # (T,) the counted signal, degrees
    counts: NDArray[np.int64]  # (T,) repetitions completed by each frame

    @classmethod
    def of(cls, analysis: FormAnalysis, kp: Keypoints) -> Annotations:
        signal = candidate_signals(analysis.angles)[analysis.repetitions.signal]
        return cls(kp, kp.to_coco17(), analysis, signal, running_counts(analysis))


def annotate_frame(frame: NDArray[Any], notes: Annotations, index: int) -> NDArray[np.uint8]:
    """A copy of ``frame`` (H, W, 3) with the pose, the angles and "reps N" drawn on it."""
    kp, coco = notes.kp, notes.coco
    scale = np.array(frame.shape[1::-1], dtype=np.float32) / np.array(kp.size)  # (2,) x, y
    drawn = draw_pose(frame, kp.keypoints[index] * scale, kp.scores[index], layout_edges(kp.layout))
    image = Image.fromarray(drawn)
    draw = ImageDraw.Draw(image)
    height = frame.shape[0]
    small = bundled_font(max(9, height // 32))
    for name in SHOWN_ANGLES:
        degrees = notes.analysis.angles[name][index]
        vertex = ANGLE_JOINTS[name][1]
        if not np.isfinite(degrees) or coco.scores[index, vertex] <= 0:
            continue
        x, y = (coco.keypoints[index, vertex] * scale).tolist()
        _label(draw, (x + 4, y - 4), f"{degrees:.0f}°", small)
    value = notes.signal[index]
    shown = f"{value:.0f}°" if np.isfinite(value) else "–"
    name = notes.analysis.repetitions.signal
    banner = f"reps {notes.counts[index]}   {name} {shown}   {index / kp.fps:.1f} s"
    _label(draw, (4, 4), banner, bundled_font(max(10, height // 18)))
    return np.asarray(image, dtype=np.uint8)


def _label(draw: ImageDraw.ImageDraw, at: tuple[float, float], text: str, font: Any) -> None:
    """White text on a black box, readable on any background."""
    left, top, right, bottom = draw.textbbox(at, text, font=font)
    draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=(0, 0, 0))
    draw.text(at, text, fill=(255, 255, 255), font=font)


def write_annotated_video(
    video: Source,
    analysis: FormAnalysis,
    kp: Keypoints,
    out: str | os.PathLike[str],
    key_frames: Sequence[int] = (),
) -> dict[int, NDArray[np.uint8]]:
    """Write ``video`` annotated to ``out`` (H.264 mp4, atomically); return the ``key_frames``
    as annotated (H, W, 3) images by frame index."""
    out = Path(out)
    notes = Annotations.of(analysis, kp)
    wanted, kept = set(key_frames), {}
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.mp4")
    try:
        with VideoWriter(tmp, kp.fps) as writer:
            for index, frame in iter_frames(video):  # (H, W, 3) uint8
                if index >= kp.num_frames:
                    break
                drawn = annotate_frame(frame, notes, index)
                if index in wanted:
                    kept[index] = drawn
                writer.write(pad_even(drawn))
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return kept
