"""Every person of a live source: a track id and a repetition counter per person.

Each analysed frame's people (the ``blazepose-multi`` backend's, one frame at a time) go through
the tracker's per-frame matching (:meth:`~sportslens.pose.tracking.Tracker.update`); each track
gets its own :class:`~sportslens.pose.live_counter.LiveCounter`, fed the track's keypoints on the
frames it is matched and an unseen frame (scores 0) on those it is not, as the offline person's
``(T, 17)`` series holds zeros there. Offline drops tracks detected in fewer than
``min_frames`` frames (false detections): here a track's frames wait until it has that many
detections, then its counter gets them all and it takes the next id (0, 1, ... in the order
people are confirmed, which is offline's order by first frame unless two people appear within
``min_frames`` frames of each other). A track the tracker retires (unseen for ``max_age``) is
finished: its last repetitions and a ``person`` summary line are given.

What offline does and live cannot: offline stitches a track lost for longer than ``max_age``
to the one it continues, having seen the whole video (:func:`~sportslens.pose.tracking._stitch`);
live, a person hidden for longer than ``max_age`` comes back with a new id and a new count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.live_times import StreamTimes
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.layouts import LAYOUTS
from sportslens.pose.live_counter import LiveCounter, LiveRepetition
from sportslens.pose.tracking import Tracker


@dataclass(frozen=True)
class PersonStatus:
    """One person on the live line: their track id, count and counted angle."""

    track_id: int
    count: int
    angle: float | None
    signal: str | None


@dataclass
class _Person:
    track_id: int  # the id shown (0, 1, ... in order of confirmation)
    counter: LiveCounter
    times: StreamTimes = field(default_factory=StreamTimes)
    first: int = 0  # stream index of the first frame
    last: int = 0  # stream index of the last frame detected


@dataclass(frozen=True)
class PeopleFrame:
    """One analysed frame: the events it ended and the confirmed people detected in it."""

    events: list[dict[str, Any]]
    points: NDArray[np.float32]  # (P, V, 2) pixels
    scores: NDArray[np.float32]  # (P, V)
    track_ids: NDArray[np.int64]  # (P,) ids shown


class LivePeople:
    """Tracks and counts every person frame by frame (see the module docstring)."""

    def __init__(
        self,
        fps: float,
        exercise: str | None = None,
        *,
        size: tuple[int, int],
        layout: str = "blazepose33",
    ) -> None:
        self.fps, self.exercise, self.layout, self.size = fps, exercise, layout, size
        self.tracker = Tracker(fps)
        self._people: dict[int, _Person] = {}  # by the tracker's own id
        self._waiting: dict[int, list[tuple[int, Keypoints]]] = {}  # unconfirmed tracks' frames
        self._next_id = 0
        self.finished: list[tuple[int, int]] = []  # (track id, count) of people who left
        self.repetitions: list[tuple[int, LiveRepetition]] = []

    def push(
        self, index: int, points: NDArray[np.float32], scores: NDArray[np.float32]
    ) -> PeopleFrame:
        """Feed frame ``index``'s people, (N, V, 2) pixels and (N, V) scores."""
        before = {t.track_id for t in self.tracker.active}
        ids = self.tracker.update(index, points, scores)
        detected = {tid: d for d, tid in enumerate(ids) if tid >= 0}
        events: list[dict[str, Any]] = []
        for track in self.tracker.active:
            d = detected.get(track.track_id)
            kp = self._frame(None if d is None else (points[d], scores[d]))
            if track.track_id in self._people:
                events += self._feed(self._people[track.track_id], index, kp, d is not None)
            else:
                self._waiting.setdefault(track.track_id, []).append((index, kp))
        events += self._confirm()
        gone = before - {t.track_id for t in self.tracker.active}
        for tid in sorted(gone):
            self._waiting.pop(tid, None)
            if tid in self._people:
                events += self._leave(self._people.pop(tid))
        shown = [(d, self._people[t].track_id) for t, d in detected.items() if t in self._people]
        rows = np.array([d for d, _ in shown], np.int64)
        return PeopleFrame(
            events,
            points[rows].reshape(-1, *points.shape[1:]),
            scores[rows].reshape(-1, *scores.shape[1:]),
            np.array([tid for _, tid in shown], np.int64),
        )

    def finish(self) -> list[dict[str, Any]]:
        """End of the source: every person still followed leaves."""
        events: list[dict[str, Any]] = []
        for person in sorted(self._people.values(), key=lambda p: p.track_id):
            events += self._leave(person)
        self._people, self._waiting = {}, {}
        return events

    def statuses(self) -> tuple[PersonStatus, ...]:
        """Every person followed now, by track id."""
        people = sorted(self._people.values(), key=lambda p: p.track_id)
        return tuple(
            PersonStatus(p.track_id, p.counter.count, p.counter.angle, p.counter.signal)
            for p in people
        )

    def _frame(self, found: tuple[NDArray[np.float32], NDArray[np.float32]] | None) -> Keypoints:
        """One person's (1, V, 2) COCO-17 keypoints (all unseen when ``found`` is None)."""
        joints = len(LAYOUTS[self.layout][0])
        xy, score = found or (np.zeros((joints, 2), np.float32), np.zeros(joints, np.float32))
        kp = Keypoints(xy[None], score[None], self.layout, self.fps, self.size, "live")
        return kp.to_coco17()  # as offline: form analyses each person in COCO-17

    def _confirm(self) -> list[dict[str, Any]]:
        """Give an id and a counter to the tracks detected in ``min_frames`` frames."""
        ready = [
            t
            for t in self.tracker.active
            if t.track_id in self._waiting and len(t.history) >= self.tracker.config.min_frames
        ]
        events: list[dict[str, Any]] = []
        for track in sorted(ready, key=lambda t: (min(t.history), t.track_id)):
            frames = self._waiting.pop(track.track_id)
            person = _Person(self._next_id, LiveCounter(self.fps, self.exercise))
            person.first = frames[0][0]
            self._next_id += 1
            self._people[track.track_id] = person
            for index, kp in frames:
                events += self._feed(person, index, kp, index in track.history)
        return events

    def _feed(self, person: _Person, index: int, kp: Keypoints, seen: bool) -> list[dict[str, Any]]:
        person.times.push(index, index / self.fps)
        person.last = index if seen else person.last
        return [self._placed(person, rep) for rep in person.counter.push(kp)]

    def _placed(self, person: _Person, rep: LiveRepetition) -> dict[str, Any]:
        rep = person.times.place(rep)
        self.repetitions.append((person.track_id, rep))
        return {**rep.to_dict(), "track_id": person.track_id}

    def _leave(self, person: _Person) -> list[dict[str, Any]]:
        events = [self._placed(person, rep) for rep in person.counter.finish()]
        count = len(person.counter.repetitions)
        self.finished.append((person.track_id, count))
        events.append(
            {
                "event": "person",
                "track_id": person.track_id,
                "count": count,
                "first_s": round(person.first / self.fps, 3),
                "last_s": round(person.last / self.fps, 3),
            }
        )
        return events
