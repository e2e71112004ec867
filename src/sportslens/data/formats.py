"""Readers for public datasets' own formats (Diving48 JSON, Kinetics CSV), and detection.

:func:`read_catalog` looks at what it is given and picks the reader.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from sportslens.data.catalog import SPLIT_ORDER, Catalog, Record, split_name
from sportslens.data.readers import (
    PathLike,
    _absolute,
    _classes,
    _read_csv,
    from_csv,
    from_folder,
)
from sportslens.dive.diving48 import diving48_class_names
from sportslens.messages import preview
from sportslens.sources import VIDEO_EXTENSIONS

DIVING48_CLASSES = 48


# Diving48 -------------------------------------------------------------------------------------


def from_diving48(
    json_path: PathLike,
    video_root: PathLike | None = None,
    *,
    class_names: Sequence[str] | None = None,
) -> Catalog:
    """Read a Diving48 annotation file: a JSON list of ``{vid_name, label, start_frame,
    end_frame}`` objects whose videos are ``<video_root>/<vid_name>.mp4``.

    ``video_root`` defaults to an ``rgb`` folder beside the JSON, else the JSON's folder. Labels
    are class indices; names default to the vocabulary's, each the class's dive number and
    description (``203B Back 1½ somersaults, pike``), in label order. The split comes from the
    file name (``Diving48_V2_train.json`` → train). Start and end frames (inclusive) are kept.
    """
    json_path = Path(json_path)
    entries = _load_json_list(json_path)
    if video_root is None:
        rgb = json_path.parent / "rgb"
        video_root = rgb if rgb.is_dir() else json_path.parent
    video_root = Path(video_root)
    names = tuple(class_names) if class_names is not None else diving48_class_names()
    split = _split_from_file_name(json_path)
    if not video_root.is_dir():
        raise ValueError(f"{video_root}: the Diving48 video folder does not exist")
    present = {child.name for child in video_root.iterdir()}
    records: list[Record] = []
    problems: list[tuple[str, str]] = []
    for position, entry in enumerate(entries):
        vid_name, label, start, end = _diving48_entry(entry, position, json_path, len(names))
        path = video_root / f"{vid_name}.mp4"
        if path.name not in present:
            problems.append((_absolute(path), f"video file not found (listed in {json_path.name})"))
            continue
        records.append(Record(_absolute(path), names[label], label, start, end, split=split))
    return Catalog(tuple(records), names, tuple(problems), name=str(json_path))


def _load_json_list(path: Path) -> list[object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ValueError(f"{path}: no such file") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(data, list):
        raise ValueError(
            f"{path}: expected a JSON list of {{vid_name, label, start_frame, end_frame}} "
            f"objects, got a {type(data).__name__}"
        )
    return data


def _diving48_entry(
    entry: object, position: int, path: Path, num_classes: int
) -> tuple[str, int, int, int]:
    """``(vid_name, label, start_frame, end_frame)`` of one entry, checked."""
    where = f"{path}: entry {position}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} is a {type(entry).__name__}, expected an object")
    missing = [k for k in ("vid_name", "label", "start_frame", "end_frame") if k not in entry]
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}")
    vid_name = entry["vid_name"]
    if not isinstance(vid_name, str) or not vid_name:
        raise ValueError(f"{where}: vid_name must be a non-empty string, got {vid_name!r}")
    where = f"{path}: entry {position} ({vid_name})"
    numbers = []
    for key in ("label", "start_frame", "end_frame"):
        value = entry[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{where}: {key} must be a non-negative integer, got {value!r}")
        numbers.append(value)
    label, start, end = numbers
    if label >= num_classes:
        raise ValueError(f"{where}: label {label} is not below the {num_classes} classes")
    if end < start:
        raise ValueError(f"{where}: end_frame {end} is before start_frame {start}")
    return vid_name, label, start, end


def _split_from_file_name(path: Path) -> str | None:
    """``Diving48_V2_train.json`` → train; None when the name ends in no split name."""
    last = re.split(r"[_\-.\s]", path.stem)[-1]
    name = split_name(last)
    return name if name in SPLIT_ORDER else None


# Kinetics -------------------------------------------------------------------------------------


_YOUTUBE_ID_LENGTH = 11
_TRIMMED_NAME = re.compile(r"(.+)_(\d+)_(\d+)")  # <youtube_id>_<start>_<end>; ids may hold "_"


def from_kinetics_csv(
    path: PathLike, video_root: PathLike, *, class_names: Sequence[str] | None = None
) -> Catalog:
    """Read a Kinetics annotation CSV (``label,youtube_id,time_start,time_end[,split]``).

    Each row is matched to a file below ``video_root`` (searched recursively) named
    ``<youtube_id>_<start:06d>_<end:06d>.<ext>`` or ``<youtube_id>.<ext>``, or else the only file
    whose name starts with ``<youtube_id>_``; rows with no such file (or several candidates)
    go to ``problems``. Downloads are already trimmed, so records carry no start or end frame;
    the YouTube id becomes the record's group. Classes are the labels sorted (or ``class_names``).
    """
    path = Path(path)
    table = _read_csv(path, ["label", "youtube_id", "time_start", "time_end"])
    labels = [label.strip() for label in table["label"]]
    classes = _classes(labels, class_names, str(path))
    index = {name: i for i, name in enumerate(classes)}
    files = _videos_by_id(Path(video_root))
    splits = list(table["split"]) if "split" in table.columns else [""] * len(table)
    records: list[Record] = []
    problems: list[tuple[str, str]] = []
    columns = (table["youtube_id"], table["time_start"], table["time_end"], splits)
    rows = zip(labels, *columns, strict=True)
    for line, (label, youtube_id, start, end, split) in enumerate(rows, start=2):
        where = f"{path}: line {line}"
        youtube_id = youtube_id.strip()
        if not label or not youtube_id:
            raise ValueError(f"{where} has an empty label or youtube_id")
        times = (_seconds(start, "time_start", where), _seconds(end, "time_end", where))
        found, problem = _match_kinetics(files, youtube_id, *times)
        if found is None:
            problems.append((youtube_id, f"{problem} under {video_root} ({where})"))
            continue
        records.append(
            Record(_absolute(found), label, index[label], group=youtube_id, split=split_name(split))
        )
    return Catalog(tuple(records), classes, tuple(problems), name=str(path))


def _seconds(text: str, column: str, where: str) -> int:
    try:
        return round(float(text))
    except ValueError as error:
        raise ValueError(f"{where}: {column} must be a number of seconds, got {text!r}") from error


def _videos_by_id(video_root: Path) -> dict[str, list[Path]]:
    """Video files below ``video_root``, each listed under its name, the id part of a
    ``<id>_<start>_<end>`` name and the name's first 11 characters (a YouTube id's length)."""
    if not video_root.is_dir():
        raise ValueError(f"{video_root}: the Kinetics video folder does not exist")
    files: dict[str, list[Path]] = {}
    for dirpath, dirnames, filenames in os.walk(video_root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for filename in filenames:
            path = Path(dirpath, filename)
            if path.suffix.lower() not in VIDEO_EXTENSIONS:
                continue
            trimmed = _TRIMMED_NAME.fullmatch(path.stem)
            keys = {path.stem, path.stem[:_YOUTUBE_ID_LENGTH]}
            keys |= {trimmed.group(1)} if trimmed else set()
            for key in keys:
                files.setdefault(key, []).append(path)
    return files


def _match_kinetics(
    files: dict[str, list[Path]], youtube_id: str, start: int, end: int
) -> tuple[Path | None, str]:
    """The file for one Kinetics row, or None and why not."""
    candidates = sorted(
        f
        for f in files.get(youtube_id, [])
        if f.stem == youtube_id or f.stem.startswith(f"{youtube_id}_")
    )
    for stem in (f"{youtube_id}_{start:06d}_{end:06d}", youtube_id):
        exact = [f for f in candidates if f.stem == stem]
        if exact:
            return exact[0], ""
    if len(candidates) == 1:
        return candidates[0], ""
    if not candidates:
        return None, "no video whose name starts with this id"
    return None, f"{len(candidates)} videos match ({preview([f.name for f in candidates])})"


# Auto-detection -------------------------------------------------------------------------------


def read_catalog(data: PathLike) -> Catalog:
    """Read whatever ``data`` is: a folder (or its ``labels.csv``), a Diving48 ``.json``, or a
    ``.csv`` (Kinetics when it has a ``youtube_id`` column, videos beside it; else plain).
    """
    path = Path(data)
    if path.is_dir():
        labels = path / "labels.csv"
        return from_csv(labels) if labels.is_file() else from_folder(path)
    if not path.exists():
        raise ValueError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return from_diving48(path)
    if suffix == ".csv":
        header = _read_csv(path, [], header_only=True)
        if "youtube_id" in header.columns:
            return from_kinetics_csv(path, path.parent)
        return from_csv(path)
    raise ValueError(
        f"{path}: cannot tell how to read it; expected a folder, a Diving48 .json or a .csv"
    )
