"""Repetition counts on real clips against hand counts in a ``labels.csv``.

The folder holds videos and a ``labels.csv`` with at least the columns ``file`` (a video path
relative to the folder), ``exercise`` and ``reps`` (the hand count of whole repetitions); any
other column (``partial``, ``notes``…) is ignored. Keypoints come from ``KEYPOINTS/<stem>.npz``
when such a file exists (``sportslens pose`` writes them), else MediaPipe extracts them and,
when a keypoint folder is given, saves them there for the next run.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sportslens.pose.form import analyze_form
from sportslens.pose.keypoints import Keypoints, load_keypoints, save_keypoints
from sportslens.shots import find_shot_changes, video_thumbnails

REQUIRED_COLUMNS = ("file", "exercise", "reps")


@dataclass(frozen=True)
class LabelledClip:
    """One row of ``labels.csv``: the video, its exercise and its hand count."""

    video: Path
    exercise: str
    reps: int


def is_labelled_folder(data: str | os.PathLike[str]) -> bool:
    """Whether ``data`` is a folder whose ``labels.csv`` has the ``file``/``exercise``/``reps``
    columns (the synthetic athletes' ``labels.csv`` has ``path``/``label`` instead)."""
    labels = Path(data) / "labels.csv"
    if not labels.is_file():
        return False
    with labels.open(newline="", encoding="utf-8") as file:
        header = next(csv.reader(file), [])
    return all(column in header for column in REQUIRED_COLUMNS)


def read_rep_labels(folder: str | os.PathLike[str]) -> list[LabelledClip]:
    """The rows of ``folder/labels.csv``; a missing column, video or bad count is an error."""
    labels = Path(folder) / "labels.csv"
    with labels.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    missing = [c for c in REQUIRED_COLUMNS if rows and c not in rows[0]]
    if not rows or missing:
        raise ValueError(f"{labels}: needs rows with columns {', '.join(REQUIRED_COLUMNS)}")
    clips = []
    for line, row in enumerate(rows, start=2):
        video = Path(folder) / row["file"]
        if not video.is_file():
            raise ValueError(f"{labels}:{line}: no video {video}")
        try:
            reps = int(row["reps"])
        except ValueError as error:
            raise ValueError(
                f"{labels}:{line}: reps must be a whole number, got {row['reps']!r}"
            ) from error
        clips.append(LabelledClip(video, row["exercise"], reps))
    return clips


def _keypoints(video: Path, keypoints_dir: Path | None) -> Keypoints:
    cached = None if keypoints_dir is None else keypoints_dir / f"{video.stem}.npz"
    if cached is not None and cached.is_file():
        return load_keypoints(cached)
    from sportslens.pose.backends import extract_keypoints  # loads MediaPipe on use

    kp = extract_keypoints(str(video), "mediapipe", layout="blazepose33", progress=False)
    if cached is not None:
        save_keypoints(cached, kp, backend="mediapipe", smoothing="none")
    return kp


def benchmark_labelled(
    folder: str | os.PathLike[str],
    *,
    use_exercise: bool = False,
    keypoints_dir: str | os.PathLike[str] | None = None,
    find_shots: bool = True,
) -> dict[str, Any]:
    """Exact rate, within-one rate and mean absolute error of the counts against the hand counts.

    ``use_exercise`` counts on each clip's labelled exercise; by default the counter picks the
    signal itself; ``find_shots`` splits the signal at the shot changes found in each video's
    frames (:mod:`sportslens.shots`). Returns the totals and one row per clip.
    """
    cache = None if keypoints_dir is None else Path(keypoints_dir)
    rows = []
    for clip in read_rep_labels(folder):
        kp = _keypoints(clip.video, cache)
        shots = find_shot_changes(video_thumbnails(clip.video), kp.fps) if find_shots else []
        analysis = analyze_form(kp, clip.exercise if use_exercise else None, shots=shots)
        report = analysis.repetitions
        rows.append(
            {
                "file": clip.video.name,
                "exercise": clip.exercise,
                "true": clip.reps,
                "counted": report.count,
                "partial": len(report.partial),
                "shot_changes": len(shots),
                "signal": report.signal,
                "error": report.count - clip.reps,
            }
        )
    errors = np.array([row["error"] for row in rows])  # (N,)
    return {
        "clips": len(rows),
        "exact_rate": float((errors == 0).mean()),
        "within_one_rate": float((np.abs(errors) <= 1).mean()),
        "mean_abs_error": float(np.abs(errors).mean()),
        "per_clip": rows,
    }
