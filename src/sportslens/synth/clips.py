"""Synthetic athletes: labelled exercise videos with exact 2-D keypoints, deterministic per seed.

An articulated athlete moves through joint-angle cycles (:mod:`motion`), is posed in 3-D
by forward kinematics and seen by a turned orthographic camera (:mod:`body`), from random
draws gathered in one :class:`ClipSpec` (:mod:`scene`), then drawn into a textured room with
blur and sensor noise (:mod:`render`). This module renders, writes files and datasets.

Every class starts from the same standing pose (the push-up from a plank) under one camera
distribution, so a single frame does not give the label away: only motion does. Each clip draws
all its randomness from one generator seeded by ``(seed, class, index)``, so clips can be made in
any order, in parallel, and again identically.

Layout written by :func:`make_dataset`::

    OUT_DIR/labels.csv                 path,label,group (paths relative to OUT_DIR)
    OUT_DIR/<class>/<class>_0000.mp4   H.264
    OUT_DIR/<class>/<class>_0000.npz   a keypoint file (docs/pose.md: keypoints (T, 17, 2) px,
                                       scores, layout coco17, fps, size (W, H), source, version)
                                       plus visibility (= scores), reps and class
    OUT_DIR/background/background_0000.mp4, .npz   with ``background=N``: athletes standing idle,
                                       drawn like the rests between a session's sets (reps 0)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from sportslens.synth.files import write_clip_files, write_clips, write_labels
from sportslens.synth.motion import CLASSES
from sportslens.synth.render import background, draw_figure, finish, noise_bank
from sportslens.synth.scene import (
    ClipSpec,
    Geometry,
    check_classes,
    clip_geometry,
    clip_keypoints,
    is_rest,
    resting_classes,
    sample_clip_spec,
    sample_rest_spec,
)
from sportslens.synth.settings import DEFAULT_SETTINGS, ClipSettings

__all__ = [
    "BACKGROUND",
    "CLASSES",
    "DEFAULT_CLASSES",
    "ClipSpec",
    "Geometry",
    "SynthClip",
    "clip_geometry",
    "clip_keypoints",
    "make_dataset",
    "render_clip",
    "render_frames",
    "sample_clip_spec",
    "write_clip",
]

DEFAULT_CLASSES = CLASSES[:6]
"""What :func:`make_dataset` generates unless told otherwise (``arm_circles`` is opt-in)."""

BACKGROUND = "background"
"""The no-action class :func:`make_dataset` adds on request; the timeline reads it as no action."""
# Background clips draw their athletes with indices from here on, so clip i of the background
# never shares its athlete, camera and room with clip i of the class it stands in.
_BACKGROUND_INDEX = 100_000


def render_frames(spec: ClipSpec) -> Iterator[NDArray[Any]]:
    """Yield the clip's frames, (H, W, 3) uint8 RGB, one at a time (memory stays flat)."""
    geometry = clip_geometry(spec)
    room = Image.fromarray(
        background(spec.look, spec.size, (spec.origin_x, spec.floor_y, spec.roll))
    )
    # The side turned away from the camera is drawn darker; it stays away for the whole clip.
    far_side = 0 if geometry.depth[0, 11] < geometry.depth[0, 12] else 1
    bank = noise_bank(spec.look, spec.size)  # (2H, 2W, 3) int16
    offsets = np.random.default_rng([spec.look.seed, 1])
    for t in range(spec.num_frames):
        image = room.copy()
        draw_figure(image, geometry.frame(t), spec.athlete, spec.scale, far_side, spec.look)
        yield finish(image, spec.look, bank, offsets)


@dataclass(frozen=True)
class SynthClip:
    """A rendered clip held in memory, for inspection and tests."""

    frames: NDArray[Any]  # (T, H, W, 3) uint8 RGB
    keypoints: NDArray[Any]  # (T, 17, 2) float32 pixels
    visibility: NDArray[Any]  # (T, 17) float32


def render_clip(spec: ClipSpec) -> SynthClip:
    """Render a whole clip into memory with its keypoints."""
    keypoints, visibility = clip_keypoints(spec)
    return SynthClip(np.stack(list(render_frames(spec))), keypoints, visibility)


def write_clip(spec: ClipSpec, video_path: Path, *, label: str | None = None) -> Path:
    """Write the clip's mp4 and, beside it, its ``.npz`` keypoints; each file appears atomically.

    ``label`` is the class written in the keypoint file (default the spec's class; a background
    clip is an idle athlete of some class labelled ``background``); ``reps`` is the clip's count.
    """
    keypoints, visibility = clip_keypoints(spec)
    reps = 0 if is_rest(spec) else spec.schedule.reps
    name = np.str_(spec.label if label is None else label)
    return write_clip_files(
        video_path, render_frames(spec), spec.fps, keypoints, visibility,
        reps=np.int64(reps), **{"class": name},
    )  # fmt: skip


def _write_labelled(item: tuple[ClipSpec, str], video_path: Path) -> Path:
    """:func:`write_clip` for a (spec, label) pair: one picklable task for the process pool."""
    spec, label = item
    return write_clip(spec, video_path, label=label)


def _check_arguments(
    classes: Sequence[str], per_class: int, workers: int, background: int = 0
) -> None:
    """Reject bad dataset arguments before any work starts, naming the bad value."""
    if isinstance(classes, str):
        raise ValueError(f"classes must be a list of class names, got the string {classes!r}")
    if not classes:
        raise ValueError("classes is empty; give at least one class name")
    check_classes(classes)
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes contains a duplicate: {list(classes)}")
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    if background < 0:
        raise ValueError(f"background must be 0 or more, got {background}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")


def make_dataset(
    out_dir: str | os.PathLike[str],
    settings: ClipSettings = DEFAULT_SETTINGS,
    *,
    classes: Sequence[str] = DEFAULT_CLASSES,
    per_class: int = 50,
    background: int = 0,
    workers: int = 2,
    progress: bool = True,
) -> Path:
    """Write ``per_class`` clips of each class, their keypoints and ``labels.csv``; returns out_dir.

    Each clip's athlete is one of ``settings.athletes`` bodies, recorded as the ``group`` column
    so a cross-subject split can keep each athlete on one side. ``background`` adds that many
    clips of a ``background`` class: athletes of the standing classes idle at their rest pose,
    drawn as the rests of ``synth --kind sessions`` are. The other classes' clips do not change.
    """
    _check_arguments(classes, per_class, workers, background)
    root = Path(out_dir)
    clips = [
        sample_clip_spec(label, index, settings) for label in classes for index in range(per_class)
    ]
    items = [(spec, spec.label) for spec in clips]
    paths = [root / spec.label / f"{spec.label}_{spec.index:04d}.mp4" for spec in clips]
    resting = resting_classes(classes)
    for i in range(background):
        # The standing classes take turns, so every rest pose is as common as the others.
        spec = sample_rest_spec(resting[i % len(resting)], _BACKGROUND_INDEX + i, settings)
        items.append((spec, BACKGROUND))
        paths.append(root / BACKGROUND / f"{BACKGROUND}_{i:04d}.mp4")
    write_clips(_write_labelled, items, paths, workers, progress)
    write_labels(root, [(label, spec.group) for spec, label in items], paths)
    return root
