"""Synthetic sessions: long videos of several exercises with idle stretches, true segments known.

A session concatenates blocks, each one synthetic-athlete clip with its own athlete, camera and
room (so blocks meet at a cut): rests and sets alternate, starting and ending with a rest. A set
block does repetitions of one class with a moment of its own rest pose on either side; a rest
block is an athlete of a standing, empty-handed class (squat, jumping jack, lunge) standing idle,
so a rest does not show a class (a plank or a barbell would). The true segment of a set is from
its first repetition's start to its last one's end.

Layout written by :func:`make_sessions` (truth files: :mod:`sportslens.timeline.truth`)::

    OUT_DIR/session_000.mp4    H.264
    OUT_DIR/session_000.json   the true segments: {"video", "fps", "num_frames", "duration",
                               "classes", "segments": [{"label", "start", "end", ...}]}
    OUT_DIR/session_000.csv    the same segments, one per row
    OUT_DIR/session_000.npz    the whole video's true keypoints, a keypoint file (sportslens.pose)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from sportslens.synth.clips import DEFAULT_CLASSES, render_frames
from sportslens.synth.files import write_clip_files
from sportslens.synth.motion import EXERCISES, Schedule
from sportslens.synth.scene import (
    ClipSpec,
    check_classes,
    clip_keypoints,
    is_rest,
    resting_classes,
    sample_clip_spec,
    sample_rest_spec,
)
from sportslens.synth.settings import DEFAULT_SETTINGS, ClipSettings
from sportslens.timeline.truth import TrueSegment, write_true_segments

__all__ = [
    "REST_SECONDS",
    "SET_MARGIN_SECONDS",
    "SET_SECONDS",
    "make_sessions",
    "sample_session",
    "true_segments",
    "write_session",
]

SET_SECONDS = (4.0, 8.0)  # a set of repetitions lasts about this long
SET_MARGIN_SECONDS = (0.2, 0.8)  # the set's own athlete at rest before and after it
REST_SECONDS = (2.0, 5.0)  # the rest blocks between sets


def sample_session(
    index: int,
    settings: ClipSettings = DEFAULT_SETTINGS,
    *,
    classes: Sequence[str] = DEFAULT_CLASSES,
    seconds: float = 60.0,
) -> list[ClipSpec]:
    """The blocks of session ``index``, alternating rests and sets and starting with a rest.

    Blocks are added until the next set would pass ``seconds``, then a last rest closes the
    session; each block draws its own length (``settings.num_frames`` is not used). The same
    arguments give the same session.
    """
    check_classes(classes)
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    fps = settings.fps
    rng = np.random.default_rng([settings.seed, 0x5E55, index])
    resting = resting_classes(classes)
    blocks = [_rest(rng, resting, index, 0, settings)]
    total = blocks[0].num_frames
    while True:
        label = str(classes[int(rng.integers(len(classes)))])
        low, high = EXERCISES[label].period
        period = float(rng.uniform(low, high))
        reps = max(2, round(float(rng.uniform(*SET_SECONDS)) / period))
        lead, tail = (float(rng.uniform(*SET_MARGIN_SECONDS)) for _ in range(2))
        frames = math.ceil((lead + reps * period + tail) * fps)
        if len(blocks) > 1 and total + frames > seconds * fps:
            break
        number = len(blocks)
        spec = sample_clip_spec(label, index * 1000 + number, replace(settings, num_frames=frames))
        amplitudes = tuple(float(a) for a in rng.uniform(0.85, 1.0, reps))
        blocks.append(
            replace(spec, schedule=Schedule(reps, period, lead, amplitudes, spec.schedule.sway))
        )
        blocks.append(_rest(rng, resting, index, number + 1, settings))
        total += frames + blocks[-1].num_frames
    return blocks


def _rest(
    rng: np.random.Generator,
    resting: Sequence[str],
    index: int,
    number: int,
    settings: ClipSettings,
) -> ClipSpec:
    """A rest block: an athlete of a resting class standing idle for 2-5 s."""
    label = str(resting[int(rng.integers(len(resting)))])
    frames = math.ceil(float(rng.uniform(*REST_SECONDS)) * settings.fps)
    return sample_rest_spec(label, index * 1000 + number, replace(settings, num_frames=frames))


def true_segments(blocks: Sequence[ClipSpec]) -> list[TrueSegment]:
    """Each set of repetitions as a segment of the whole session."""
    segments = []
    offset = 0  # frames before this block
    for spec in blocks:
        schedule = spec.schedule
        if not is_rest(spec):
            start = offset / spec.fps + schedule.start
            end = start + schedule.reps * schedule.period
            segments.append(
                TrueSegment(
                    label=spec.label,
                    start=start,
                    end=end,
                    start_frame=math.ceil(start * spec.fps),
                    end_frame=math.ceil(end * spec.fps) - 1,
                    reps=schedule.reps,
                )
            )
        offset += spec.num_frames
    return segments


def write_session(blocks: Sequence[ClipSpec], video_path: Path) -> Path:
    """Write a session's mp4 and, beside it, its true segments (JSON, CSV) and keypoints."""
    fps = blocks[0].fps
    num_frames = sum(spec.num_frames for spec in blocks)
    write_true_segments(
        video_path, true_segments(blocks), fps=fps, num_frames=num_frames,
        classes=[spec.label for spec in blocks],
    )  # fmt: skip
    points = [clip_keypoints(spec) for spec in blocks]
    frames = (frame for spec in blocks for frame in render_frames(spec))  # (H, W, 3) uint8 each
    keypoints = np.concatenate([k for k, _ in points])  # (T, 17, 2) float32 pixels
    visibility = np.concatenate([v for _, v in points])  # (T, 17) float32
    return write_clip_files(video_path, frames, fps, keypoints, visibility)


def make_sessions(
    out_dir: str | os.PathLike[str],
    settings: ClipSettings = DEFAULT_SETTINGS,
    *,
    count: int = 10,
    classes: Sequence[str] = DEFAULT_CLASSES,
    seconds: float = 60.0,
    workers: int = 2,
) -> list[Path]:
    """Write ``count`` sessions (one process per session) and return their video paths."""
    if count < 1 or workers < 1:
        raise ValueError(f"count and workers must be at least 1, got {count} and {workers}")
    root = Path(out_dir)
    sessions = [sample_session(i, settings, classes=classes, seconds=seconds) for i in range(count)]
    paths = [root / f"session_{i:03d}.mp4" for i in range(count)]
    if workers == 1:
        return [write_session(blocks, path) for blocks, path in zip(sessions, paths, strict=True)]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(write_session, sessions, paths))
