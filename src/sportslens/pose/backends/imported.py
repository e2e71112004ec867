"""The ``import`` backend: keypoints another tool wrote, as ``.npz``, ``.json`` or ``.csv``.

Accepted shapes, all in pixels:

* ``.npz`` — an array ``keypoints`` (or the file's only array) of shape ``(T, V, 2|3)``, and
  optionally ``scores`` ``(T, V)``; a sportslens keypoint file is read as such.
* ``.json`` — a nested list ``(T, V, 2|3)``, or an object with ``keypoints`` (and optionally
  ``scores``) holding such lists.
* ``.csv`` — one row per frame with ``V × 2`` or ``V × 3`` numbers (``x0, y0[, s0], x1, …``);
  a header row and a leading ``frame`` column are skipped.

``V`` names the layout (17: COCO-17, 33: BlazePose-33). A third channel is the score; without
one, every finite point scores 1. NaN points (a common "missing" mark) become score 0.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.keypoints import Keypoints, largest_person, load_keypoints
from sportslens.pose.layouts import LAYOUTS

_LAYOUT_BY_JOINTS = {len(names): layout for layout, (names, _) in LAYOUTS.items()}


def import_keypoints(
    path: str | os.PathLike[str],
    *,
    fps: float,
    size: tuple[int, int],
    source: str | None = None,
    num_frames: int | None = None,
) -> Keypoints:
    """Read another tool's keypoints from ``path`` for a video of ``fps`` and ``size`` (w, h).

    ``num_frames``, when given, must equal the file's frame count: a keypoint file for another
    cut of the video would silently misalign every overlay and angle.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such keypoint file")
    try:
        points, scores = _read(path)
        kp = _to_keypoints(points, scores, fps, size, source or str(path))
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"{path}: {error}") from error
    if num_frames is not None and kp.num_frames != num_frames:
        raise ValueError(
            f"{path}: holds {kp.num_frames} frames of keypoints but the video has {num_frames}"
        )
    return kp


def _read(path: Path) -> tuple[NDArray[Any], NDArray[Any] | None]:
    """The points array (T, V, 2|3) or (T, V·2|3) and the scores (T, V) if stored apart."""
    match path.suffix.lower():
        case ".npz":
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
            if "keypoints" not in arrays and len(arrays) == 1:
                return next(iter(arrays.values())), None
            if "keypoints" not in arrays:
                raise ValueError(f"no 'keypoints' array among {sorted(arrays)}")
            scores = arrays.get("scores", arrays.get("visibility"))
            if "track_ids" in arrays and scores is not None and arrays["keypoints"].ndim == 4:
                person = largest_person(arrays["keypoints"], scores)  # a version 2 file
                return arrays["keypoints"][:, person], scores[:, person]
            return arrays["keypoints"], scores
        case ".json":
            data = json.loads(path.read_text())
            if isinstance(data, dict):
                scores = data.get("scores")
                return np.asarray(data["keypoints"], dtype=np.float64), (
                    None if scores is None else np.asarray(scores, dtype=np.float64)
                )
            return np.asarray(data, dtype=np.float64), None
        case ".csv":
            return _read_csv(path), None
        case suffix:
            raise ValueError(
                f"cannot import keypoints from a {suffix or 'suffix-less'} file; "
                "expected .npz, .json or .csv"
            )


def _read_csv(path: Path) -> NDArray[Any]:
    with path.open(newline="") as file:
        rows = [row for row in csv.reader(file) if row and any(cell.strip() for cell in row)]
    if rows and not _numeric(rows[0]):
        header, rows = rows[0], rows[1:]
        if header[0].strip().lower() == "frame":
            rows = [row[1:] for row in rows]
    if not rows:
        raise ValueError("no rows of keypoints")
    if not all(_numeric(row) for row in rows):
        raise ValueError("every row after the header must hold numbers only")
    return np.array([[float(cell or "nan") for cell in row] for row in rows], dtype=np.float64)


def _numeric(row: list[str]) -> bool:
    try:
        [float(cell or "nan") for cell in row]
    except ValueError:
        return False
    return True


def _to_keypoints(
    points: NDArray[Any],
    scores: NDArray[Any] | None,
    fps: float,
    size: tuple[int, int],
    source: str,
) -> Keypoints:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim == 2:  # (T, V·C) rows of a table
        points = _unflatten(points)
    if points.ndim != 3 or points.shape[2] not in (2, 3):
        raise ValueError(f"expected keypoints of shape (T, V, 2) or (T, V, 3), got {points.shape}")
    joints = points.shape[1]
    if joints not in _LAYOUT_BY_JOINTS:
        raise ValueError(f"{joints} joints match no known layout (17: coco17, 33: blazepose33)")
    if points.shape[2] == 3:
        scores = points[..., 2]
    elif scores is None:
        scores = np.ones(points.shape[:2])
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != points.shape[:2]:
        raise ValueError(f"scores of shape {scores.shape} do not match keypoints {points.shape}")
    xy = points[..., :2]
    missing = ~np.isfinite(xy).all(axis=2) | ~np.isfinite(scores)  # (T, V)
    scores = np.where(missing, 0.0, np.clip(scores, 0.0, 1.0))
    xy = np.where(missing[..., None], 0.0, xy)
    return Keypoints(xy, scores, _LAYOUT_BY_JOINTS[joints], fps, size, source)


def _unflatten(table: NDArray[Any]) -> NDArray[Any]:
    """(T, V·C) → (T, V, C) for the one (V, C) the column count allows."""
    columns = table.shape[1]
    for joints in _LAYOUT_BY_JOINTS:
        for channels in (2, 3):
            if columns == joints * channels:
                return table.reshape(len(table), joints, channels)
    raise ValueError(
        f"{columns} numbers per row match no layout; expected 34 or 51 (COCO-17 x, y[, score]) "
        "or 66 or 99 (BlazePose-33)"
    )


__all__ = ["import_keypoints", "load_keypoints"]
