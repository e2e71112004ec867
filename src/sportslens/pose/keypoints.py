"""The keypoint file: body keypoints of one video as a versioned ``.npz``, and one person's view.

A file holds ``keypoints`` float32 in pixels (x right, y down, origin at the top-left corner of
the frame), ``scores`` float32 in [0, 1] with 0 meaning "not detected", ``layout`` (``coco17`` or
``blazepose33``), ``fps``, ``size`` as ``(width, height)``, ``source`` and ``version``; a writer
may add arrays of its own, which readers never load. Frames with no person stay in the file with
scores 0, so frame ``t`` of the file is frame ``t`` of the video.

Version 2 has a people axis: ``keypoints`` ``(T, P, V, 2)``, ``scores`` ``(T, P, V)`` and
``track_ids`` int64 ``(P,)`` (:mod:`sportslens.pose.people` writes and reads it). Version 1
files are one person, ``keypoints`` ``(T, V, 2)`` and ``scores`` ``(T, V)``; :func:`save_keypoints`
still writes one person that way, so the files of single-person runs read as before everywhere.
``docs/pose.md`` documents it.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.permissions import give_default_mode
from sportslens.pose.layouts import BLAZEPOSE_TO_COCO, LAYOUTS

FORMAT_VERSION = 2
"""The newest version this sportslens reads (and :func:`~sportslens.pose.people.save_people`
writes); readers refuse files from a newer version."""

SINGLE_PERSON_VERSION = 1
"""Version written by :func:`save_keypoints`: one person, no people axis."""

MIN_DETECTED_SCORE = 1e-6
"""The lowest score a backend gives a joint in a frame where it found a person, so that score 0
keeps meaning "not detected" even for a joint whose confidence rounds to 0."""

_STANDARD_KEYS = ("keypoints", "scores", "layout", "fps", "size", "source", "version")
KEYPOINT_FILE_KEYS = frozenset((*_STANDARD_KEYS, "visibility", "track_ids"))
"""The arrays :func:`load_keypoints` reads (``visibility``: the unversioned synthetic files'
scores; ``track_ids``: version 2's people); any other array in a file is never read, however
large."""


@dataclass(frozen=True, eq=False)
class Keypoints:
    """Keypoints of one person over the frames of one video (eq=False: arrays have no ``==``)."""

    keypoints: NDArray[np.float32]  # (T, V, 2) pixels x, y
    scores: NDArray[np.float32]  # (T, V) in [0, 1], 0 = not detected
    layout: str  # "coco17" | "blazepose33"
    fps: float
    size: tuple[int, int]  # (width, height)
    source: str

    def __post_init__(self) -> None:
        keypoints = np.asarray(self.keypoints, dtype=np.float32)
        scores = np.asarray(self.scores, dtype=np.float32)
        if self.layout not in LAYOUTS:
            known = ", ".join(sorted(LAYOUTS))
            raise ValueError(f"unknown keypoint layout {self.layout!r}; expected one of: {known}")
        joints = len(LAYOUTS[self.layout][0])
        if keypoints.ndim != 3 or keypoints.shape[1:] != (joints, 2):
            raise ValueError(
                f"keypoints must have shape (T, {joints}, 2) for layout {self.layout!r}, "
                f"got {keypoints.shape}"
            )
        if scores.shape != keypoints.shape[:2]:
            raise ValueError(
                f"scores must have shape {keypoints.shape[:2]} (T, V) to match the keypoints, "
                f"got {scores.shape}"
            )
        if not np.isfinite(keypoints).all():
            raise ValueError("keypoints contain NaN or infinity; mark missing joints with score 0")
        if scores.size and not (np.nanmin(scores) >= 0.0 and np.nanmax(scores) <= 1.0):
            raise ValueError(
                f"scores must lie in [0, 1], got values from {scores.min()} to {scores.max()}"
            )
        fps = float(self.fps)
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be a positive number, got {self.fps!r}")
        size = tuple(int(s) for s in self.size)
        if len(size) != 2 or min(size) <= 0:
            raise ValueError(f"size must be (width, height) in positive pixels, got {self.size!r}")
        object.__setattr__(self, "keypoints", keypoints)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "fps", fps)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "source", str(self.source))

    @property
    def num_frames(self) -> int:
        """T, the number of frames (frames with no person included)."""
        return int(self.keypoints.shape[0])

    @property
    def num_joints(self) -> int:
        """V, the number of joints of the layout."""
        return int(self.keypoints.shape[1])

    @property
    def detected(self) -> NDArray[np.bool_]:
        """(T,) True for frames where at least one joint was detected (score above 0)."""
        found: NDArray[np.bool_] = (self.scores > 0).any(axis=1)
        return found

    def to_coco17(self) -> Keypoints:
        """The same keypoints in the COCO-17 layout (itself when already COCO-17)."""
        if self.layout == "coco17":
            return self
        if self.layout == "blazepose33":
            return Keypoints(
                keypoints=self.keypoints[:, BLAZEPOSE_TO_COCO],
                scores=self.scores[:, BLAZEPOSE_TO_COCO],
                layout="coco17",
                fps=self.fps,
                size=self.size,
                source=self.source,
            )
        raise ValueError(f"no mapping from layout {self.layout!r} to coco17")  # pragma: no cover


def save_keypoints(path: str | os.PathLike[str], kp: Keypoints, **extra: Any) -> Path:
    """Write ``kp`` (and any ``extra`` arrays) to ``path`` as a compressed ``.npz``, atomically.

    The file is written under a temporary name in the same folder and renamed, so a reader never
    sees a half-written file and an interrupted run leaves no file that looks finished.
    """
    path = Path(path)
    clash = sorted(set(extra) & {*_STANDARD_KEYS, "track_ids"})
    if clash:
        raise ValueError(f"extra arrays may not reuse the keypoint file's own keys: {clash}")
    arrays: dict[str, Any] = {
        "keypoints": kp.keypoints,  # (T, V, 2) float32
        "scores": kp.scores,  # (T, V) float32
        "layout": np.str_(kp.layout),
        "fps": np.float64(kp.fps),
        "size": np.array(kp.size, dtype=np.int64),  # (width, height)
        "source": np.str_(kp.source),
        "version": np.int64(SINGLE_PERSON_VERSION),
        **{key: np.asarray(value) for key, value in extra.items()},
    }
    return write_arrays(path, arrays)


def write_arrays(path: Path, arrays: dict[str, Any]) -> Path:
    """Write ``arrays`` as a compressed ``.npz`` at ``path`` atomically (temporary name, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.npz", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        give_default_mode(tmp)  # mkstemp's 0600 would stay after the rename
        with os.fdopen(fd, "wb") as file:
            np.savez_compressed(file, **arrays)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def load_keypoints(
    path: str | os.PathLike[str],
    *,
    size: tuple[int, int] | None = None,
    person: int | None = None,
) -> Keypoints:
    """Read one person of a keypoint file (or a synthetic athlete's ``.npz``).

    Files from before the format was versioned (the synthetic athletes' first files, with
    ``visibility`` in place of ``scores``, no layout and ``size`` as height, width) still load;
    so do the first synthetic sessions' files, which record no size, when ``size`` (width,
    height) is given. A version 2 file with several people gives the track ``person`` (its track
    id), or by default the person seen largest over the video (:func:`largest_person`). Any
    missing key, bad shape, unknown track or newer version raises a ValueError naming the file.
    """
    path = Path(path)
    arrays = read_keypoint_arrays(path, size=size)
    try:
        return _from_arrays(_one_person(arrays, person), path)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: {error}") from error


def read_keypoint_arrays(
    path: Path, *, size: tuple[int, int] | None = None
) -> dict[str, NDArray[Any]]:
    """The arrays of a keypoint file that readers use, checked for version; never unpickles."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such keypoint file")
    try:
        with np.load(path, allow_pickle=False) as data:  # lazy: reads an array when indexed
            arrays = {key: data[key] for key in data.files if key in KEYPOINT_FILE_KEYS}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"{path}: not a readable keypoint .npz file ({error})") from error
    if size is not None and "size" not in arrays and "version" not in arrays:
        arrays["size"] = np.array(size[::-1])  # stored as (height, width) in these files
    version = int(arrays["version"]) if "version" in arrays else 0
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path}: keypoint file version {version} is newer than this sportslens reads "
            f"({FORMAT_VERSION}); upgrade sportslens"
        )
    return arrays


def _one_person(arrays: dict[str, NDArray[Any]], person: int | None) -> dict[str, NDArray[Any]]:
    """A version 2 file's arrays cut to one person (in the version 1 shapes); others unchanged."""
    if int(arrays.get("version", 0)) < 2:
        if person not in (None, 0):
            raise ValueError(f"no track {person}: the file holds one person (track 0)")
        return arrays
    for key in ("keypoints", "scores", "track_ids"):
        if key not in arrays:
            raise ValueError(f"missing key(s) [{key!r}]; found {sorted(arrays)}")
    points, scores = np.asarray(arrays["keypoints"]), np.asarray(arrays["scores"])
    ids = np.asarray(arrays["track_ids"]).reshape(-1).tolist()
    if points.ndim != 4 or points.shape[1] != len(ids) or scores.shape != points.shape[:3]:
        raise ValueError(
            f"a version 2 file needs keypoints (T, P, V, 2), scores (T, P, V) and track_ids (P,);"
            f" got {points.shape}, {scores.shape} and {len(ids)} ids"
        )
    if person is None:
        index = largest_person(points, scores) if ids else None
    elif person in ids:
        index = ids.index(person)
    else:
        raise ValueError(f"no track {person} in the file; its tracks are {ids}")
    one: dict[str, NDArray[Any]] = {**arrays, "version": np.asarray(SINGLE_PERSON_VERSION)}
    if index is None:  # no people at all: an empty person
        one["keypoints"] = np.zeros((points.shape[0], points.shape[2], 2), np.float32)
        one["scores"] = np.zeros((points.shape[0], points.shape[2]), np.float32)
    else:
        one["keypoints"], one["scores"] = points[:, index], scores[:, index]
    return one


def largest_person(points: NDArray[Any], scores: NDArray[Any]) -> int:
    """Index of the person whose detected boxes cover the most pixels summed over the video.

    ``points`` (T, P, V, 2), ``scores`` (T, P, V). The sum favours the person seen both large
    and long: the athlete in front of the camera over a passer-by or a spectator far behind.
    """
    return int(np.argmax(seen_area(points, scores)))


def seen_area(points: NDArray[Any], scores: NDArray[Any]) -> NDArray[np.float64]:
    """(P,) each person's keypoint box area in pixels, summed over the frames they are seen."""
    seen = scores > 0  # (T, P, V)
    lo = np.where(seen[..., None], points, np.inf).min(axis=2)  # (T, P, 2)
    hi = np.where(seen[..., None], points, -np.inf).max(axis=2)
    area = np.where(seen.any(axis=2), np.prod(np.clip(hi - lo, 0, None), axis=-1), 0.0)  # (T, P)
    total: NDArray[np.float64] = area.sum(axis=0, dtype=np.float64)
    return total


def _from_arrays(arrays: dict[str, NDArray[Any]], path: Path) -> Keypoints:
    """Build Keypoints from the arrays of a file, accepting the unversioned synthetic format."""
    version = int(arrays["version"]) if "version" in arrays else 0
    score_key = "scores" if "scores" in arrays or version >= 1 else "visibility"
    required = ["keypoints", score_key, "fps", "size"]
    if version >= 1:
        required += ["layout", "source"]
    missing = [key for key in required if key not in arrays]
    if missing:
        raise ValueError(f"missing key(s) {missing}; found {sorted(arrays)}")
    size = np.asarray(arrays["size"]).reshape(-1)
    if size.shape != (2,):
        raise ValueError(f"size must hold 2 numbers (width, height), got shape {size.shape}")
    if version == 0:
        size = size[::-1]  # the unversioned synthetic files store (height, width)
    layout = str(arrays["layout"]) if "layout" in arrays else "coco17"
    return Keypoints(
        keypoints=arrays["keypoints"],
        scores=arrays[score_key],
        layout=layout,
        fps=float(arrays["fps"]),
        size=(int(size[0]), int(size[1])),
        source=str(arrays["source"]) if "source" in arrays else str(path),
    )
