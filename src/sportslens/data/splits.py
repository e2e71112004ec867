"""Split a catalog into train/val/test reproducibly, and save or load the assignment.

Saving the split to a CSV and loading it back is how an experiment is repeated exactly, even after
the splitting code or the seed handling changes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sportslens.data.catalog import Catalog
from sportslens.messages import preview

SplitStrategy = Literal["random", "stratified", "group"]

SPLIT_COLUMNS = ("path", "label", "split", "group", "start_frame", "end_frame")
"""Columns :func:`save_splits` writes; ``path`` (with the frame bounds) identifies a record."""


def split_catalog(
    catalog: Catalog,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    *,
    strategy: SplitStrategy = "stratified",
    seed: int = 0,
    names: Sequence[str] = ("train", "val", "test"),
) -> Catalog:
    """A copy of ``catalog`` with every record's split set (existing splits are replaced).

    * ``random``: shuffle all records and cut them at the fractions.
    * ``stratified``: cut each class separately, so each split keeps the class proportions. A class
      with at least as many videos as there are (non-empty) splits appears in every split, and a
      class too small for that still appears in the first split (train).
    * ``group``: every group (subject, scene) goes to exactly one split, chosen so the video
      counts approach the fractions; every record needs a group.

    Counts per split are the fractions times the number of videos, rounded by largest remainder.
    The same ``seed`` gives the same split.
    """
    shares = _check_fractions(fractions, names)
    rng = np.random.default_rng(seed)
    n = len(catalog)
    assignment = np.empty(n, dtype=np.int64)  # (N,) index into names
    match strategy:
        case "random":
            assignment[rng.permutation(n)] = _cut(_allocate(n, shares))
        case "stratified":
            labels = np.array([record.label_index for record in catalog], dtype=np.int64)
            for label in range(len(catalog.classes)):
                members = np.flatnonzero(labels == label)
                counts = _keep_every_split(_allocate(len(members), shares), shares)
                assignment[rng.permutation(members)] = _cut(counts)
        case "group":
            assignment = _assign_groups(catalog, shares, rng)
        case _:
            raise ValueError(f"unknown strategy {strategy!r}; use random, stratified or group")
    return catalog.with_splits([names[int(i)] for i in assignment])


def _check_fractions(fractions: Sequence[float], names: Sequence[str]) -> NDArray[Any]:
    """The fractions as a (S,) float64 array, after checking they make a split."""
    shares = np.asarray(fractions, dtype=np.float64)
    if shares.ndim != 1 or len(shares) != len(names):
        raise ValueError(
            f"fractions {tuple(fractions)} and names {tuple(names)} must have the same length"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"split names repeat: {tuple(names)}")
    if (shares < 0).any() or not np.isfinite(shares).all():
        raise ValueError(f"fractions must be non-negative numbers, got {tuple(fractions)}")
    if abs(shares.sum() - 1) > 1e-6:
        raise ValueError(f"fractions must sum to 1, got {tuple(fractions)} (sum {shares.sum():g})")
    return shares


def _allocate(n: int, shares: NDArray[Any]) -> NDArray[Any]:
    """Split ``n`` items by ``shares`` into integer counts (largest remainder; ties go first)."""
    exact: NDArray[Any] = shares * n
    counts: NDArray[Any] = np.floor(exact).astype(np.int64)
    remainder = n - int(counts.sum())
    # Stable sort on the negated remainders: equal remainders go to the earlier split.
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:remainder]] += 1
    return counts


def _keep_every_split(counts: NDArray[Any], shares: NDArray[Any]) -> NDArray[Any]:
    """Move single items from the largest split into empty wanted splits, first splits first.

    A class of 3 at (0.8, 0.1, 0.1) rounds to (3, 0, 0); it becomes (1, 1, 1) so that validation
    and test see the class too. With fewer items than wanted splits the earlier splits win.
    """
    counts = counts.copy()
    for split in np.flatnonzero(shares > 0):
        if counts[split] == 0 and counts.max() > 1:
            counts[np.argmax(counts)] -= 1
            counts[split] += 1
    return counts


def _cut(counts: NDArray[Any]) -> NDArray[Any]:
    """Split indices for shuffled items: ``counts[0]`` zeros, then ``counts[1]`` ones, …"""
    return np.repeat(np.arange(len(counts)), counts)


def _assign_groups(
    catalog: Catalog, shares: NDArray[Any], rng: np.random.Generator
) -> NDArray[Any]:
    """Each group, in random order, joins the wanted split furthest below its target count."""
    ungrouped = [record.source for record in catalog if record.group is None]
    if ungrouped:
        raise ValueError(
            f"{catalog.name}: a group split needs a group on every record; "
            f"{len(ungrouped)} have none: {preview(ungrouped)}"
        )
    groups = np.array([record.group for record in catalog], dtype=object)
    names, inverse = np.unique(groups, return_inverse=True)  # sorted, so the seed alone decides
    sizes = np.bincount(inverse, minlength=len(names))
    targets = shares * len(catalog)
    wanted = shares > 0
    filled = np.zeros(len(shares))
    group_split = np.empty(len(names), dtype=np.int64)
    for group in rng.permutation(len(names)):
        deficit = np.where(wanted, targets - filled, -np.inf)
        split = int(np.argmax(deficit))
        group_split[group] = split
        filled[split] += sizes[group]
    return np.asarray(group_split[inverse], dtype=np.int64)


def data_root(data: str | os.PathLike[str]) -> Path:
    """The folder a dataset's paths are relative to: ``data`` itself, or the folder holding its
    labels file (``labels.csv``, a Diving48 ``.json``)."""
    path = Path(os.path.abspath(data))  # noqa: PTH100 (resolve() would follow symlinks)
    return path if path.is_dir() or not path.suffix else path.parent


def save_splits(
    catalog: Catalog, path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None
) -> None:
    """Write each record's split to a CSV (``path,label,split,group,start_frame,end_frame``).

    With ``root``, paths below it are written relative to it, so the file still names the same
    videos after the dataset moves (``load_splits(..., root=NEW_ROOT)``).
    """
    table = catalog.to_records_frame().rename(columns={"source": "path"})
    if root is not None:
        table["path"] = [_relative_to(source, Path(root)) for source in table["path"]]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table[list(SPLIT_COLUMNS)].to_csv(path, index=False)


def load_splits(
    catalog: Catalog,
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    moved_from: str | os.PathLike[str] | None = None,
) -> Catalog:
    """A copy of ``catalog`` with the splits saved by :func:`save_splits` applied.

    Relative paths in the file are taken below ``root`` (default: the working folder). Absolute
    paths, as files written before relative paths were, stay as they are, unless they lie below
    ``moved_from`` (where the dataset was): then they are taken below ``root`` too.
    The file must list exactly the catalog's records, matched by path and frame bounds: unknown
    paths and records the file does not mention are both errors, since either means the
    experiment would not be repeated exactly.
    """
    splits = read_split_file(path, root=root, moved_from=moved_from)
    known = {record.key for record in catalog}
    unknown = [key[0] for key in splits if key not in known]
    if unknown:
        raise ValueError(f"{path}: paths not in {catalog.name}: {preview(unknown)}")
    absent = [record.source for record in catalog if record.key not in splits]
    if absent:
        raise ValueError(
            f"{path}: {len(absent)} records of {catalog.name} are not listed: {preview(absent)}"
        )
    return catalog.with_splits([splits[record.key] for record in catalog])


def read_split_file(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    moved_from: str | os.PathLike[str] | None = None,
) -> dict[tuple[str, int | None, int | None], str | None]:
    """The split of each record key (absolute path, start and end frame) a split CSV lists;
    ``root`` and ``moved_from`` as in :func:`load_splits`."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (FileNotFoundError, pd.errors.EmptyDataError, pd.errors.ParserError) as error:
        raise ValueError(f"{path}: not a readable split file ({error})") from error
    missing = [column for column in ("path", "split") if column not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column {', '.join(missing)} (found: {list(table)})")
    starts, ends = (_frame_column(table, column, path) for column in ("start_frame", "end_frame"))
    base = Path(os.path.abspath(root if root is not None else "."))  # noqa: PTH100
    sources = [_source(text, base, moved_from) for text in table["path"]]
    splits: dict[tuple[str, int | None, int | None], str | None] = {}
    rows = zip(sources, starts, ends, table["split"], strict=True)
    for line, (source, start, end, name) in enumerate(rows, start=2):
        split = name or None
        if splits.setdefault((source, start, end), split) != split:
            raise ValueError(f"{path}: line {line} gives {source} a second, different split")
    return splits


def _relative_to(source: str, root: Path) -> str:
    """``source`` relative to ``root`` (POSIX separators) when below it, else unchanged."""
    if "://" in source:
        return source
    relative = Path(os.path.relpath(source, os.path.abspath(root)))  # noqa: PTH100
    return source if relative.parts[:1] == ("..",) else relative.as_posix()


def _source(text: str, root: Path, moved_from: str | os.PathLike[str] | None) -> str:
    """A split file's path as the catalog's records name it: absolute (URLs as written)."""
    if "://" in text:
        return text
    if not Path(text).is_absolute():
        return os.path.abspath(root / text)  # noqa: PTH100
    if moved_from is not None:
        relative = _relative_to(text, Path(moved_from))
        if relative != text:
            return os.path.abspath(root / relative)  # noqa: PTH100
    return text


def _frame_column(
    table: pd.DataFrame, column: str, path: str | os.PathLike[str]
) -> list[int | None]:
    """The integers of an optional frame column ("" → None); None throughout when it is absent."""
    if column not in table.columns:
        return [None] * len(table)
    values: list[int | None] = []
    for line, text in enumerate(table[column], start=2):
        if text and not text.isdigit():
            raise ValueError(f"{path}: line {line}: {column} must be a non-negative integer")
        values.append(int(text) if text else None)
    return values
