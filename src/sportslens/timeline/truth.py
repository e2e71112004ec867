"""The true segments of a video, in files beside it: what a timeline is scored against.

``VIDEO.json`` holds the facts and the segments::

    {"video", "fps", "num_frames", "duration", "classes",
     "segments": [{"label", "start", "end", "start_frame", "end_frame", "reps"}]}

and ``VIDEO.csv`` the same segments, one per row. ``sportslens synth --kind sessions`` writes
them; ``sportslens evaluate-timeline`` reads them.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["TRUTH_COLUMNS", "TrueSegment", "read_true_segments", "write_true_segments"]

TRUTH_COLUMNS = ["label", "start", "end", "start_frame", "end_frame", "reps"]


@dataclass(frozen=True)
class TrueSegment:
    """One set of repetitions in a video, as written beside it."""

    label: str
    start: float  # seconds
    end: float  # seconds, exclusive
    start_frame: int
    end_frame: int  # inclusive
    reps: int = 0


def write_true_segments(
    video_path: Path,
    segments: Sequence[TrueSegment],
    *,
    fps: float,
    num_frames: int,
    classes: Sequence[str],
) -> Path:
    """Write ``VIDEO.json`` and ``VIDEO.csv`` beside ``video_path``, each atomically; returns the
    JSON's path. ``classes`` are every class the video shows, resting ones too."""
    truth = {
        "video": video_path.name,
        "fps": fps,
        "num_frames": num_frames,
        "duration": num_frames / fps,
        "classes": sorted(set(classes)),
        "segments": [vars(s) for s in segments],
    }
    json_path = video_path.with_suffix(".json")
    _write_atomic(json_path, json.dumps(truth, indent=2))
    csv_path = video_path.with_suffix(".csv")
    tmp = csv_path.with_name(f".{csv_path.name}.{os.getpid()}.tmp")
    with tmp.open("w", newline="") as file:
        rows = csv.DictWriter(file, TRUTH_COLUMNS)
        rows.writeheader()
        rows.writerows(vars(s) for s in segments)
    tmp.replace(csv_path)
    return json_path


def read_true_segments(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[TrueSegment]]:
    """A video's truth file (``.json`` beside it): its facts and its segments."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
        segments = [TrueSegment(**row) for row in data["segments"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a session truth file ({error})") from error
    return data, segments


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
