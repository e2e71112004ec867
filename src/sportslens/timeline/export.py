"""Timeline files: JSON and CSV written atomically, and each action segment cut to its own clip.

Every file appears under its final name only once complete, so an interrupted run leaves either
nothing or a whole, valid file. A :class:`~sportslens.timeline.lanes.TimelineLanes` (a lane per
person) gets the same files: one CSV with a ``track_id`` column first, and clips whose names
carry the track id.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numpy.typing import NDArray

from sportslens.timeline.build import Segment, Timeline
from sportslens.video import Source, iter_frames
from sportslens.writer import VideoWriter

if TYPE_CHECKING:
    from sportslens.timeline.lanes import TimelineLanes

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
    rows.writerows(_segment_rows(timeline))
    return write_atomic(Path(path), text.getvalue())


def write_lanes_csv(lanes: TimelineLanes, path: str | os.PathLike[str]) -> Path:
    """Every lane's rows of :func:`write_csv` in track order, each led by its ``track_id``."""
    text = io.StringIO()
    columns = ["track_id", *SEGMENT_COLUMNS]
    rows = csv.DictWriter(text, columns, extrasaction="ignore", lineterminator="\n")
    rows.writeheader()
    for track_id, lane in zip(lanes.track_ids, lanes.lanes, strict=True):
        rows.writerows({"track_id": track_id, **row} for row in _segment_rows(lane))
    return write_atomic(Path(path), text.getvalue())


def _segment_rows(timeline: Timeline) -> list[dict[str, Any]]:
    """One CSV row per segment (numbered from 0); ``repetitions`` is the count where counted."""
    rows = []
    for index, segment in enumerate(timeline.segments):
        reps = "" if segment.repetitions is None else segment.repetitions.count
        rows.append({"index": index, **segment.to_dict(), "repetitions": reps})
    return rows


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
    written = _cut_actions(timeline, source, root, stem, progress=progress)
    _write_labels(root, written, stem)
    return [p for p, _ in written]


def write_lane_clips(
    lanes: TimelineLanes,
    source: Source,
    out_dir: str | os.PathLike[str],
    *,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """:func:`write_clips` for every lane: ``OUT/<label>/<video>_p<track id>_<nnn>.mp4``.

    All of a video's clips share its name as ``group`` in labels.csv, whoever is in them: they
    come from one recording, so a split must keep them together. ``progress`` gets the clips
    done over all lanes.
    """
    root = Path(out_dir)
    stem = Path(lanes.source).stem or "video"
    written: list[tuple[Path, Segment]] = []
    for track_id, lane in zip(lanes.track_ids, lanes.lanes, strict=True):
        done = len(written)
        step = None if progress is None else (lambda n, done=done: progress(done + n))
        written += _cut_actions(lane, source, root, f"{stem}_p{track_id}", progress=step)
    _write_labels(root, written, stem)
    return [p for p, _ in written]


def _cut_actions(
    timeline: Timeline,
    source: Source,
    root: Path,
    name: str,
    *,
    progress: Callable[[int], None] | None,
) -> list[tuple[Path, Segment]]:
    """Cut each action segment to ``root/<label>/<name>_<nnn>.mp4``, numbered from 1 as shown."""
    written: list[tuple[Path, Segment]] = []
    for number, segment in enumerate(timeline.actions, start=1):
        path = root / segment.label / f"{name}_{number:03d}.mp4"
        written.append((_cut(source, segment, path, timeline.fps), segment))
        if progress is not None:
            progress(number)
    return written


def _write_labels(root: Path, written: list[tuple[Path, Segment]], group: str) -> None:
    """``root/labels.csv``: ``path,label,group``, a catalog's dataset layout."""
    lines = ["path,label,group"] + [
        f"{p.relative_to(root).as_posix()},{s.label},{group}" for p, s in written
    ]
    write_atomic(root / "labels.csv", "\n".join(lines) + "\n")


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
