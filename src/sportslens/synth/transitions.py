"""Synthetic transitions: clips that cut from a rest to a set, or from a set to a rest.

A session's windows straddle its cuts: part idle athlete in one room, part another athlete
starting or ending a set. Trimmed clips never show a cut, so a model trained on them alone
guesses there. A transition clip is a rest (drawn as a session's rests are,
:func:`sample_rest_spec`) cut to a set block (its own athlete, 0.2-0.8 s of lead, then
repetitions to the end), played backwards half the time to show a set ending in a rest. It is
labelled by what fills most of it: the exercise when repetitions fill at least half, else
``background``, so a model learns to put a segment's edge where the timeline's truth puts it.

Layout added by :func:`make_transitions` (rows appended to ``labels.csv``)::

    OUT_DIR/transitions/<label>/transition_0000.mp4, .npz   label: an exercise or background
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from sportslens.synth.clips import BACKGROUND, DEFAULT_CLASSES, render_frames
from sportslens.synth.files import write_clip_files, write_clips
from sportslens.synth.motion import EXERCISES, Schedule
from sportslens.synth.scene import (
    ClipSpec,
    check_classes,
    clip_keypoints,
    resting_classes,
    sample_clip_spec,
    sample_rest_spec,
)
from sportslens.synth.sessions import SET_MARGIN_SECONDS
from sportslens.synth.settings import DEFAULT_SETTINGS, ClipSettings

REST_SHARE = (0.1, 0.6)  # of the clip's frames before the cut (then the lead, then repetitions)
_REST_INDEX, _SET_INDEX = 200_000, 300_000  # athlete draws apart from every other clip's


@dataclass(frozen=True)
class Transition:
    """A rest cut to a set (``reverse``: a set cut to a rest), and the label it is given."""

    rest: ClipSpec
    set: ClipSpec
    reverse: bool
    label: str  # the set's exercise when its repetitions fill at least half, else background

    @property
    def moving_share(self) -> float:
        """The share of the clip's time in repetitions."""
        frames = self.rest.num_frames + self.set.num_frames
        moving = max(0.0, self.set.num_frames / self.set.fps - self.set.schedule.start)
        return moving * self.set.fps / frames


def sample_transition(
    index: int,
    settings: ClipSettings = DEFAULT_SETTINGS,
    *,
    classes: Sequence[str] = DEFAULT_CLASSES,
) -> Transition:
    """Transition ``index``: the exercises take turns; the same arguments give the same clip."""
    check_classes(classes)
    num_frames, fps = settings.num_frames, settings.fps
    rng = np.random.default_rng([settings.seed, 0x7A, index])
    label = str(classes[index % len(classes)])
    low, high = REST_SHARE
    rest_frames = int(rng.integers(round(low * num_frames), round(high * num_frames) + 1))
    resting = resting_classes(classes)
    rest = sample_rest_spec(
        str(resting[int(rng.integers(len(resting)))]),
        _REST_INDEX + index,
        replace(settings, num_frames=rest_frames),
    )
    period = float(rng.uniform(*EXERCISES[label].period))
    lead = float(rng.uniform(*SET_MARGIN_SECONDS))
    frames = num_frames - rest_frames
    reps = max(1, math.ceil((frames / fps - lead) / period) + 1)  # still going at the end
    spec = sample_clip_spec(label, _SET_INDEX + index, replace(settings, num_frames=frames))
    amplitudes = tuple(float(a) for a in rng.uniform(0.85, 1.0, reps))
    spec = replace(spec, schedule=Schedule(reps, period, lead, amplitudes, spec.schedule.sway))
    reverse = bool(rng.random() < 0.5)
    transition = Transition(rest, spec, reverse, BACKGROUND)
    if transition.moving_share >= 0.5:
        transition = replace(transition, label=label)
    return transition


def write_transition(transition: Transition, video_path: Path) -> Path:
    """Write the transition's mp4 and its ``.npz`` keypoints (class: its label, reps 0)."""
    parts = (transition.rest, transition.set)
    frames = [frame for spec in parts for frame in render_frames(spec)]  # (H, W, 3) uint8 each
    points = [clip_keypoints(spec) for spec in parts]
    keypoints = np.concatenate([k for k, _ in points])  # (T, 17, 2) float32 pixels
    visibility = np.concatenate([v for _, v in points])  # (T, 17) float32
    if transition.reverse:
        frames, keypoints, visibility = frames[::-1], keypoints[::-1], visibility[::-1]
    # reps 0: a transition holds part of a set, and its count is not what the class means.
    extra = {"reps": np.int64(0), "class": np.str_(transition.label)}
    return write_clip_files(video_path, frames, transition.set.fps, keypoints, visibility, **extra)


def make_transitions(
    out_dir: str | os.PathLike[str],
    count: int,
    settings: ClipSettings = DEFAULT_SETTINGS,
    *,
    classes: Sequence[str] = DEFAULT_CLASSES,
    workers: int = 2,
    progress: bool = True,
) -> list[Path]:
    """Write ``count`` transitions under ``OUT_DIR/transitions/`` and add them to its labels.csv
    (made first by :func:`~sportslens.synth.clips.make_dataset`)."""
    if count < 1 or workers < 1:
        raise ValueError(f"count and workers must be at least 1, got {count} and {workers}")
    root = Path(out_dir)
    labels = root / "labels.csv"
    if not labels.is_file():
        raise ValueError(f"{root}: no labels.csv to add transitions to; make the dataset first")
    made = [sample_transition(i, settings, classes=classes) for i in range(count)]
    paths = [root / "transitions" / t.label / f"transition_{i:04d}.mp4" for i, t in enumerate(made)]
    write_clips(write_transition, made, paths, workers, progress)
    with labels.open("a", newline="") as file:
        rows = csv.writer(file)
        for transition, path in zip(made, paths, strict=True):
            rows.writerow(
                [path.relative_to(root).as_posix(), transition.label, transition.set.group]
            )
    return paths
