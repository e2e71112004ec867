"""Several people in one video: keypoints with a people axis and a track id per person.

:class:`People` holds ``keypoints`` float32 ``(T, P, V, 2)`` in pixels, ``scores`` float32
``(T, P, V)`` (0: that person is not in that frame) and ``track_ids`` ``(P,)``, one stable id per
person (a tracker's identity). Its :meth:`People.person` view is the single-person
:class:`~sportslens.pose.keypoints.Keypoints` every analysis takes, so angles, counts and models
run per person unchanged. Saved as keypoint file version 2 (docs/pose.md); every earlier file
loads as one person with track id 0.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.keypoints import (
    FORMAT_VERSION,
    Keypoints,
    largest_person,
    load_keypoints,
    read_keypoint_arrays,
    seen_area,
    write_arrays,
)
from sportslens.pose.layouts import BLAZEPOSE_TO_COCO, LAYOUTS

PeopleChoice = int | Literal["all", "largest"]
"""Which people to keep: every track, the N largest, or the largest one (``--people``)."""


def parse_people_choice(text: str) -> PeopleChoice:
    """``--people`` as given on the command line or in a query: all, largest or a count N >= 1."""
    if text in ("all", "largest"):
        return "all" if text == "all" else "largest"
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ValueError(f"--people must be all, largest or a count of at least 1, got {text!r}")


@dataclass(frozen=True, eq=False)
class People:
    """Keypoints of every tracked person over the frames of one video (eq=False: arrays)."""

    keypoints: NDArray[np.float32]  # (T, P, V, 2) pixels x, y
    scores: NDArray[np.float32]  # (T, P, V) in [0, 1], 0 = not detected
    track_ids: NDArray[np.int64]  # (P,) distinct
    layout: str
    fps: float
    size: tuple[int, int]  # (width, height)
    source: str

    def __post_init__(self) -> None:
        points = np.asarray(self.keypoints, dtype=np.float32)
        scores = np.asarray(self.scores, dtype=np.float32)
        ids = np.asarray(self.track_ids, dtype=np.int64).reshape(-1)
        if points.ndim != 4 or points.shape[1] != len(ids) or scores.shape != points.shape[:3]:
            raise ValueError(
                "people need keypoints (T, P, V, 2), scores (T, P, V) and track_ids (P,); got "
                f"{points.shape}, {scores.shape} and {len(ids)} track ids"
            )
        if len(set(ids.tolist())) != len(ids):
            raise ValueError(f"track ids must be distinct, got {ids.tolist()}")
        object.__setattr__(self, "keypoints", points)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "track_ids", ids)
        # A Keypoints per person checks layout, shapes, values, fps and size; with no people,
        # an empty person still checks the rest.
        for index in range(len(ids)):
            self.person(index)
        if not len(ids):
            joints = len(LAYOUTS[self.layout][0]) if self.layout in LAYOUTS else 0
            empty = np.zeros((points.shape[0], joints, 2), np.float32)
            Keypoints(empty, empty[..., 0], self.layout, self.fps, self.size, self.source)
        object.__setattr__(self, "fps", float(self.fps))
        object.__setattr__(self, "size", tuple(int(v) for v in self.size))

    @property
    def num_frames(self) -> int:
        """T, the number of frames."""
        return int(self.keypoints.shape[0])

    @property
    def num_people(self) -> int:
        """P, the number of tracks."""
        return int(self.keypoints.shape[1])

    def person(self, index: int) -> Keypoints:
        """The person at position ``index`` (not track id) as single-person Keypoints."""
        return Keypoints(
            self.keypoints[:, index], self.scores[:, index], self.layout, self.fps, self.size,
            self.source,
        )  # fmt: skip

    def track(self, track_id: int) -> Keypoints:
        """The person whose track id is ``track_id``."""
        ids = self.track_ids.tolist()
        if track_id not in ids:
            raise ValueError(f"no track {track_id}; the tracks are {ids}")
        return self.person(ids.index(track_id))

    def largest(self) -> int:
        """Position of the person seen largest over the video (the default single person)."""
        if not self.num_people:
            raise ValueError("no people were found in the video")
        return largest_person(self.keypoints, self.scores)

    def select(self, choice: PeopleChoice) -> People:
        """``"all"``, the ``N`` people seen largest (in track order), or ``"largest"`` (one)."""
        if choice == "all":
            return self
        count = 1 if choice == "largest" else int(choice)
        if count < 1:
            raise ValueError(f"people must be 'all', 'largest' or a count of at least 1: {choice}")
        keep = np.sort(np.argsort(-seen_area(self.keypoints, self.scores), kind="stable")[:count])
        return self._subset(keep)

    def subset_of(self, track_ids: list[int]) -> People:
        """The people with these track ids, in that order; an unknown id is an error."""
        ids = self.track_ids.tolist()
        unknown = [i for i in track_ids if i not in ids]
        if unknown:
            raise ValueError(f"no track {unknown[0]}; the tracks are {ids}")
        return self._subset(np.array([ids.index(i) for i in track_ids], dtype=np.int64))

    def _subset(self, keep: NDArray[Any]) -> People:
        return People(
            self.keypoints[:, keep], self.scores[:, keep], self.track_ids[keep], self.layout,
            self.fps, self.size, self.source,
        )  # fmt: skip

    def map(self, change: Callable[[Keypoints], Keypoints]) -> People:
        """The same tracks with ``change`` applied to each person alone (smoothing, say)."""
        if not self.num_people:
            return self
        each = [change(self.person(p)) for p in range(self.num_people)]
        return People(
            np.stack([kp.keypoints for kp in each], 1), np.stack([kp.scores for kp in each], 1),
            self.track_ids, each[0].layout, each[0].fps, each[0].size, self.source,
        )  # fmt: skip

    def to_coco17(self) -> People:
        """The same people in the COCO-17 layout (itself when already COCO-17)."""
        if self.layout == "coco17":
            return self
        if self.layout != "blazepose33":
            raise ValueError(f"no mapping from layout {self.layout!r} to coco17")
        return People(
            self.keypoints[:, :, BLAZEPOSE_TO_COCO], self.scores[:, :, BLAZEPOSE_TO_COCO],
            self.track_ids, "coco17", self.fps, self.size, self.source,
        )  # fmt: skip

    @staticmethod
    def of(kp: Keypoints, track_id: int = 0) -> People:
        """One person's keypoints as People with one track."""
        return People(
            kp.keypoints[:, None], kp.scores[:, None], np.array([track_id]), kp.layout, kp.fps,
            kp.size, kp.source,
        )  # fmt: skip


def save_people(path: str | os.PathLike[str], people: People, **extra: Any) -> Path:
    """Write ``people`` (and any ``extra`` arrays) as a version 2 keypoint file, atomically."""
    arrays: dict[str, Any] = {
        "keypoints": people.keypoints,  # (T, P, V, 2) float32
        "scores": people.scores,  # (T, P, V) float32
        "track_ids": people.track_ids,  # (P,) int64
        "layout": np.str_(people.layout),
        "fps": np.float64(people.fps),
        "size": np.array(people.size, dtype=np.int64),  # (width, height)
        "source": np.str_(people.source),
        "version": np.int64(FORMAT_VERSION),
    }
    clash = sorted(set(extra) & set(arrays))
    if clash:
        raise ValueError(f"extra arrays may not reuse the keypoint file's own keys: {clash}")
    arrays.update({key: np.asarray(value) for key, value in extra.items()})
    return write_arrays(Path(path), arrays)


def load_people(path: str | os.PathLike[str]) -> People:
    """Every person of a keypoint file; a file of any earlier version is one person, track 0."""
    path = Path(path)
    arrays = read_keypoint_arrays(path)
    if int(arrays.get("version", 0)) < 2:
        return People.of(load_keypoints(path))
    try:
        return People(
            arrays["keypoints"],
            arrays["scores"],
            arrays["track_ids"],
            str(arrays["layout"]),
            float(arrays["fps"]),
            (int(arrays["size"][0]), int(arrays["size"][1])),
            str(arrays["source"]),
        )
    except (KeyError, ValueError, TypeError, IndexError) as error:
        raise ValueError(f"{path}: {error}") from error
