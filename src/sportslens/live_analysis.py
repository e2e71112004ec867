"""What ``live`` does with one frame: one person (MediaPipe or a keypoint file) or every person.

Both analyses take a frame and give an :class:`Analysed`: the events it ended (JSON lines), the
people to draw and what the live line shows, so :func:`~sportslens.live.run_live`'s loop, its
events and its annotated video are the same for one person and for several.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sportslens.live_label import LiveLabeler
from sportslens.live_people import LivePeople, PersonStatus
from sportslens.live_times import StreamTimes
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.live_counter import LiveCounter, LiveRepetition

PoseFn = Callable[[int, NDArray[np.uint8]], Keypoints]
"""(frame index, (H, W, 3) uint8 frame) → that frame's (1, V, 2) keypoints."""

PeopleFn = Callable[[NDArray[np.uint8], int], tuple[NDArray[np.float32], NDArray[np.float32]]]
"""((H, W, 3) uint8 frame, its index) → its people, (N, 33, 2) pixels and (N, 33) scores
(BlazePose-33)."""


@dataclass(frozen=True)
class Analysed:
    """One analysed frame."""

    events: list[dict[str, Any]]
    points: NDArray[np.float32]  # (P, V, 2) pixels of the people drawn
    scores: NDArray[np.float32]  # (P, V)
    track_ids: NDArray[np.int64]  # (P,)
    layout: str
    people: tuple[PersonStatus, ...]
    count: int  # one person: the counted signal's count; several: all repetitions so far
    angle: float | None = None
    signal: str | None = None
    label: str | None = None


class FrameAnalysis(Protocol):
    several: bool

    def push(self, index: int, image: NDArray[np.uint8]) -> Analysed: ...

    def finish(self) -> list[dict[str, Any]]: ...

    def repetitions(self) -> tuple[LiveRepetition, ...]: ...

    def people(self) -> tuple[tuple[int, int], ...] | None: ...


class OnePerson:
    """One person's pose, counter and (optionally) action label."""

    several = False

    def __init__(
        self, pose: PoseFn, fps: float, exercise: str | None, labeler: LiveLabeler | None
    ) -> None:
        self.pose, self.fps, self.labeler = pose, fps, labeler
        self.counter = LiveCounter(fps, exercise)
        self.times = StreamTimes()  # frames dropped: the counter's numbers run behind the stream's

    def push(self, index: int, image: NDArray[np.uint8]) -> Analysed:
        kp = self.pose(index, image)
        self.times.push(index, index / self.fps)
        events = [self.times.place(rep).to_dict() for rep in self.counter.push(kp)]
        if self.labeler is not None:
            events += _label(self.labeler, kp, index / self.fps)
        counter = self.counter
        status = PersonStatus(0, counter.count, counter.angle, counter.signal)
        return Analysed(
            events, kp.keypoints, kp.scores, np.zeros(1, np.int64), kp.layout, (status,),
            counter.count, counter.angle, counter.signal,
            None if self.labeler is None else self.labeler.label,
        )  # fmt: skip

    def finish(self) -> list[dict[str, Any]]:
        return [self.times.place(rep).to_dict() for rep in self.counter.finish()]

    def repetitions(self) -> tuple[LiveRepetition, ...]:
        return tuple(self.counter.repetitions)

    def people(self) -> None:
        return None


def _label(labeler: LiveLabeler, keypoints: Keypoints, time_s: float) -> list[dict[str, Any]]:
    """Feed the labeler; a ``label`` event when the label changes."""
    before = labeler.label
    if not labeler.push(keypoints) or labeler.label == before:
        return []
    score = None if labeler.score is None else round(labeler.score, 3)
    return [{"event": "label", "label": labeler.label, "score": score, "time_s": round(time_s, 3)}]


class Everyone:
    """Every person's pose (``find``), tracks and counters (:class:`LivePeople`)."""

    several = True

    def __init__(self, find: PeopleFn, fps: float, exercise: str | None) -> None:
        self.find, self.fps, self.exercise = find, fps, exercise
        self.tracks: LivePeople | None = None  # made on the first frame, which gives the size

    def push(self, index: int, image: NDArray[np.uint8]) -> Analysed:
        if self.tracks is None:
            size = (image.shape[1], image.shape[0])
            self.tracks = LivePeople(self.fps, self.exercise, size=size)
        points, scores = self.find(image, index)  # (N, 33, 2), (N, 33)
        frame = self.tracks.push(index, points, scores)
        return Analysed(
            frame.events, frame.points, frame.scores, frame.track_ids, self.tracks.layout,
            self.tracks.statuses(), len(self.tracks.repetitions),
        )  # fmt: skip

    def finish(self) -> list[dict[str, Any]]:
        return [] if self.tracks is None else self.tracks.finish()

    def repetitions(self) -> tuple[LiveRepetition, ...]:
        return () if self.tracks is None else tuple(rep for _, rep in self.tracks.repetitions)

    def people(self) -> tuple[tuple[int, int], ...]:
        return () if self.tracks is None else tuple(self.tracks.finished)
