"""Timeline files: JSON and CSV written atomically, and each action segment cut to its own clip.

Every file appears under its final name only once complete, so an interrupted run leaves either
nothing or a whole, valid file.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

from sportslens.timeline.build import Segment, Timeline
from sportslens.video import Source, iter_frames
from sportslens.writer import VideoWriter

SEGMENT_COLUMNS = [
    "index",
    "label",
    "start",
    "end",
    "duration",
    "start_frame",
    "end_frame",
    "mean_score",
    "peak_score",
    "background",
    "repetitions",
]


def write_json(timeline: Timeline, path: str | os.PathLike[str]) -> Path:
    """The whole timeline (segments and windows) as JSON."""
    return write_atomic(Path(path), json.dumps(timeline.to_dict(), indent=2))


def write_csv(timeline: Timeline, path: str | os.PathLike[str]) -> Path:
    """One row per segment, background included; ``repetitions`` is the count where counted."""
    text = io.StringIO()
    rows = csv.DictWriter(text, SEGMENT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    rows.writeheader()
    for index, segment in enumerate(timeline.segments):
        reps = "" if segment.repetitions is None else segment.repetitions.count
        rows.writerow({"index": index, **segment.to_dict(), "repetitions": reps})
    return write_atomic(Path(path), text.getvalue())


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def write_clips(
    timeline: Timeline,
    source: Source,
    out_dir: str | os.PathLike[str],
    *,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Cut every action segment to ``OUT/<label>/<video>_<nnn>.mp4`` and list them in labels.csv.

    ``labels.csv`` (``path,label,group``, the video's name as group) makes the folder a dataset
    that ``sportslens catalog`` and ``train`` read as it is. ``progress`` gets the clips done.
    """
    root = Path(out_dir)
    stem = Path(timeline.source).stem or "video"
    written: list[tuple[Path, Segment]] = []
    for number, segment in enumerate(timeline.actions, start=1):  # numbered from 1, as shown
        path = root / segment.label / f"{stem}_{number:03d}.mp4"
        written.append((_cut(source, segment, path, timeline.fps), segment))
        if progress is not None:
            progress(number)
    lines = ["path,label,group"] + [
        f"{p.relative_to(root).as_posix()},{s.label},{stem}" for p, s in written
    ]
    write_atomic(root / "labels.csv", "\n".join(lines) + "\n")
    return [p for p, _ in written]


def _cut(source: Source, segment: Segment, path: Path, fps: float) -> Path:
    """Re-encode the segment's frames (frame-exact, unlike a keyframe-bound stream copy)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.mp4")
    with VideoWriter(tmp, fps) as writer:
        for _, frame in iter_frames(source, start=segment.start_frame, end=segment.end_frame):
            writer.write(even_size(frame))
    tmp.replace(path)
    return path


def even_size(frame: NDArray[Any]) -> NDArray[Any]:
    """Drop a last odd row or column: H.264 in yuv420p needs an even width and height."""
    height, width = frame.shape[:2]
    return frame[: height - height % 2, : width - width % 2]
