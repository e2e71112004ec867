"""Folder-per-class and CSV readers, and the helpers every reader shares.

Readers turn a dataset on disk into a :class:`~sportslens.data.catalog.Catalog`; the Diving48
and Kinetics readers and format detection are in :mod:`sportslens.data.formats`.

Every reader resolves local paths to absolute ones, lists files it saw but could not use in
``Catalog.problems`` and raises ``ValueError`` naming the file and the problem for malformed input.
Every reader takes ``class_names``: when given, it fixes the class order (index → name), so a
partial download still indexes classes as the full dataset does; labels outside it are an error.

Split names from folders, file names and columns go through
:func:`~sportslens.data.catalog.split_name`, so ``validation`` reads as ``val`` everywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from sportslens.data.catalog import (
    SPLIT_ORDER,
    Catalog,
    Record,
    default_class_names,
    split_name,
)
from sportslens.messages import preview
from sportslens.sources import VIDEO_EXTENSIONS  # the extensions taken to be videos

_INTEGER = re.compile(r"\d+")

PathLike = str | os.PathLike[str]


def _absolute(path: Path) -> str:
    # Not Path.resolve(): symlinked dataset folders keep the names the user gave them.
    return os.path.abspath(path)  # noqa: PTH100


def _is_url(text: str) -> bool:
    return "://" in text and not text.startswith("file://")


def _classes(
    labels: Iterable[str], class_names: Sequence[str] | None, where: str
) -> tuple[str, ...]:
    """Class names in index order: ``class_names`` when given, else the labels sorted."""
    found = set(labels)
    if class_names is None:
        return tuple(sorted(found))
    unknown = sorted(found - set(class_names))
    if unknown:
        raise ValueError(f"{where}: labels not among the given class_names: {preview(unknown)}")
    return tuple(class_names)


# Folder per class ---------------------------------------------------------------------------


def from_folder(root: PathLike, *, class_names: Sequence[str] | None = None) -> Catalog:
    """Read ``root/<class>/<video>`` or ``root/<split>/<class>/<video>``.

    The split layout is used when every top-level folder is a split name (``train``, ``val``,
    ``test`` or an alias); a mix of split and class folders is an error. Classes are the class
    folder names sorted (across all splits), and a class folder without videos still defines its
    class, so indices stay stable while a folder is empty; it is reported in ``problems``.
    Videos may sit in subfolders of a class folder. Hidden files and folders (``.name``) are
    ignored; any other file that is not a video goes to ``problems``.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder")
    problems: list[tuple[str, str]] = []
    folders = _visible_children(root, problems, "not inside a class folder")
    splits = {folder: split_name(folder.name) for folder in folders}
    split_folders = [f for f in folders if splits[f] in SPLIT_ORDER]
    if split_folders and len(split_folders) != len(folders):
        others = sorted(f.name for f in folders if f not in split_folders)
        raise ValueError(
            f"{root}: mixes split folders ({', '.join(f.name for f in split_folders)}) with class "
            f"folders ({preview(others)}); use root/<class>/<video> or root/<split>/<class>/<video>"
        )
    if split_folders:
        split_folders.sort(key=lambda folder: SPLIT_ORDER.index(str(splits[folder])))
        class_folders = [
            (splits[split_folder], folder)
            for split_folder in split_folders
            for folder in _visible_children(split_folder, problems, "not inside a class folder")
        ]
    else:
        class_folders = [(None, folder) for folder in folders]
    if not class_folders:
        raise ValueError(
            f"{root}: no class folders "
            "(expected root/<class>/<video> or root/train/<class>/<video>)"
        )
    classes = _classes((folder.name for _, folder in class_folders), class_names, str(root))
    index = {name: i for i, name in enumerate(classes)}
    records: list[Record] = []
    for split, folder in class_folders:
        videos = _videos_below(folder, problems)
        if not videos:
            problems.append((_absolute(folder), "class folder holds no videos"))
        label = folder.name
        records += [Record(_absolute(v), label, index[label], split=split) for v in videos]
    return Catalog(tuple(records), classes, tuple(problems), name=str(root))


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(".")


def _visible_children(folder: Path, problems: list[tuple[str, str]], reason: str) -> list[Path]:
    """The visible subfolders of ``folder``, sorted; visible files there go to ``problems``."""
    children = sorted(child for child in folder.iterdir() if not _is_hidden(child))
    problems += [(_absolute(child), reason) for child in children if not child.is_dir()]
    return [child for child in children if child.is_dir()]


def _videos_below(folder: Path, problems: list[tuple[str, str]]) -> list[Path]:
    """Video files anywhere below ``folder`` (hidden parts skipped), sorted; others are problems."""
    videos = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if filename.startswith("."):
                continue
            if path.suffix.lower() in VIDEO_EXTENSIONS:
                videos.append(path)
            else:
                kind = f"extension {path.suffix}" if path.suffix else "no extension"
                problems.append((_absolute(path), f"not a video file ({kind})"))
    return sorted(videos)


# CSV ------------------------------------------------------------------------------------------


def _read_csv(path: Path, required: Sequence[str], *, header_only: bool = False) -> pd.DataFrame:
    """The CSV as strings ("" for empty cells), with the ``required`` columns checked."""
    try:
        table = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            nrows=0 if header_only else None,
        )
    except FileNotFoundError as error:
        raise ValueError(f"{path}: no such file") from error
    except pd.errors.EmptyDataError as error:
        raise ValueError(f"{path}: the file is empty (expected a header row)") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not a readable CSV file ({error})") from error
    table.columns = [str(c).strip() for c in table.columns]
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise ValueError(
            f"{path}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (found: {', '.join(table.columns)})"
        )
    return table


def _optional_int(text: str, column: str, where: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"{where}: {column} must be a non-negative integer, got {text!r}")
    return int(text)


def _label_indices(
    labels: Sequence[str], class_names: Sequence[str] | None, where: str
) -> tuple[tuple[str, ...], list[int]]:
    """Class names and each label's index; all-integer labels are indices themselves."""
    if labels and all(_INTEGER.fullmatch(label) for label in labels):
        indices = [int(label) for label in labels]
        names = tuple(class_names) if class_names is not None else None
        names = names or default_class_names(max(indices) + 1)
        too_big = sorted({i for i in indices if i >= len(names)})
        if too_big:
            raise ValueError(f"{where}: label indices {too_big} exceed the {len(names)} classes")
        return names, indices
    names = _classes(labels, class_names, where)
    index = {name: i for i, name in enumerate(names)}
    return names, [index[label] for label in labels]


def from_csv(
    path: PathLike, root: PathLike | None = None, *, class_names: Sequence[str] | None = None
) -> Catalog:
    """Read a CSV with columns ``path,label`` and optional ``start_frame,end_frame,group,split``.

    Relative paths resolve against ``root`` (default: the CSV's folder); URLs are kept as they
    are. Labels are class names, indexed alphabetically — unless every label is a non-negative
    integer: then they are indices and names are ``class_0``, ``class_1``, … (or
    ``class_names``). Listed local files that do not exist go to ``problems``.
    """
    path = Path(path)
    table = _read_csv(path, ["path", "label"])
    base = Path(root) if root is not None else path.parent
    labels = [label.strip() for label in table["label"]]
    for line, (source, label) in enumerate(zip(table["path"], labels, strict=True), start=2):
        if not source.strip() or not label:
            raise ValueError(f"{path}: line {line} has an empty path or label")
    classes, indices = _label_indices(labels, class_names, str(path))

    def column(name: str) -> list[str]:
        return list(table[name]) if name in table.columns else [""] * len(table)

    records: list[Record] = []
    problems: list[tuple[str, str]] = []
    rows = zip(
        table["path"],
        indices,
        column("start_frame"),
        column("end_frame"),
        column("group"),
        column("split"),
        strict=True,
    )
    for line, (source, index, start, end, group, split) in enumerate(rows, start=2):
        where = f"{path}: line {line}"
        source = source.strip()
        local = None if _is_url(source) else base / source.removeprefix("file://")
        if local is not None:
            source = _absolute(local)
        frames = (
            _optional_int(start, "start_frame", where),
            _optional_int(end, "end_frame", where),
        )
        try:
            record = Record(
                source, classes[index], index, *frames, group.strip() or None, split_name(split)
            )
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from error
        if local is not None and not local.is_file():
            problems.append((source, f"video file not found (listed in {path.name})"))
            continue
        records.append(record)
    return Catalog(tuple(records), classes, tuple(problems), name=str(path))
