"""Identities over time: match each frame's people to tracks by keypoint distance (Hungarian).

As in Sports2D, the cost of giving detection ``j`` to track ``i`` is the mean distance between
their joints seen in both; here the track's joints are first moved by its velocity (so two people
crossing are told apart by where each is heading) and the distance is divided by the track's
body size (so the gate means the same near and far from the camera). SciPy's
``linear_sum_assignment`` solves each frame's assignment. A track that finds no detection keeps
its place for ``max_age`` seconds, predicted forward, so a person hidden for a moment behind
another gets their own id back; after that it ends, and a returning person gets a new id.

ByteTrack (the ``trackers`` package) was the other candidate; its wheel needs numpy>=2, which the
pinned MediaPipe 0.10.21 cannot load, and it matches boxes only, which cross exactly when two
people pass each other. docs/pose.md gives the measurements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.people import People

__all__ = ["Tracker", "TrackerConfig", "track_people"]

_NEVER = 1e9  # cost of a pair the gate forbids


@dataclass(frozen=True)
class TrackerConfig:
    """How far a person may move between frames and how long a track waits for them."""

    max_distance: float = 0.5
    """Largest mean joint distance (in body sizes, after prediction) of a match."""
    max_age: float = 1.0
    """Seconds a track survives without a detection (occlusions shorter than this keep the id)."""
    min_joints: int = 4
    """Joints a detection needs above ``min_score`` to count as a person, and a pair in common."""
    min_score: float = 0.3
    """A joint scored at or below this is not seen."""
    min_frames: int = 5
    """Tracks detected in fewer frames are dropped from the result (false detections)."""


@dataclass
class _Track:
    track_id: int
    points: NDArray[np.float32]  # (V, 2) last seen keypoints
    seen: NDArray[np.bool_]  # (V,) joints seen last time
    frame: int  # last frame seen
    velocity: NDArray[np.float64] = field(default_factory=lambda: np.zeros(2))  # px per frame
    history: dict[int, tuple[NDArray[np.float32], NDArray[np.float32]]] = field(
        default_factory=dict
    )  # frame -> (points (V, 2), scores (V,))

    def predicted(self, frame: int) -> NDArray[np.float64]:
        """(V, 2) where the joints should be at ``frame``: last seen moved by the velocity."""
        return self.points + self.velocity * (frame - self.frame)

    def size(self) -> float:
        """Body size in pixels: the diagonal of the last seen joints' box (at least 1)."""
        seen = self.points[self.seen]
        return max(1.0, float(np.hypot(*np.ptp(seen, axis=0)))) if len(seen) > 1 else 1.0


def _assign(cost: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The rows and columns of the cheapest one-to-one assignment (Hungarian, SciPy)."""
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError as error:
        raise ImportError(
            "tracking people needs SciPy: pip install 'sportslens[people]'"
        ) from error
    rows, cols = linear_sum_assignment(cost)
    return rows, cols


class Tracker:
    """Give each frame's people stable track ids; one tracker follows one video."""

    def __init__(self, fps: float, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self.max_gap = max(1, round(self.config.max_age * fps))  # frames
        self.active: list[_Track] = []
        self.finished: list[_Track] = []
        self._next_id = 0

    def update(
        self, frame: int, points: NDArray[np.float32], scores: NDArray[np.float32]
    ) -> list[int]:
        """Track ids (-1: not a person) for the detections of ``frame``: ``points`` (N, V, 2)
        pixels and ``scores`` (N, V); frames must come in increasing order."""
        cfg = self.config
        self._retire(frame)
        seen = scores > cfg.min_score  # (N, V)
        people = np.flatnonzero(seen.sum(axis=1) >= cfg.min_joints)
        ids = [-1] * len(points)
        cost = self._costs(frame, points[people], seen[people])  # (tracks, people)
        matched: set[int] = set()
        if cost.size:
            rows, cols = _assign(cost)
            for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
                if cost[row, col] <= cfg.max_distance:
                    detection = int(people[col])
                    track = self.active[row]
                    self._extend(track, frame, points[detection], scores[detection])
                    ids[detection] = track.track_id
                    matched.add(detection)
        for detection in people.tolist():
            if detection not in matched:
                track = _Track(self._next_id, points[detection], seen[detection], frame)
                track.history[frame] = (points[detection], scores[detection])
                self._next_id += 1
                self.active.append(track)
                ids[detection] = track.track_id
        return ids

    def _costs(
        self, frame: int, points: NDArray[np.float32], seen: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """(tracks, N) mean distance of common joints in track body sizes; gated pairs _NEVER."""
        cost = np.full((len(self.active), len(points)), _NEVER)
        for row, track in enumerate(self.active):
            common = seen & track.seen  # (N, V)
            gap = np.linalg.norm(points - track.predicted(frame), axis=-1)  # (N, V) pixels
            count = common.sum(axis=1)
            mean = (gap * common).sum(axis=1) / np.maximum(count, 1) / track.size()
            cost[row] = np.where(count >= self.config.min_joints, mean, _NEVER)
        return cost

    def _extend(
        self, track: _Track, frame: int, points: NDArray[np.float32], scores: NDArray[np.float32]
    ) -> None:
        """Add a matched detection: update the velocity (smoothed) and the last seen joints."""
        seen = scores > self.config.min_score
        common = seen & track.seen
        if common.any():
            step = (points[common] - track.points[common]).mean(axis=0) / (frame - track.frame)
            track.velocity = 0.5 * track.velocity + 0.5 * step
        # Joints not seen now keep their predicted place, so the next comparison has them.
        moved = track.predicted(frame).astype(np.float32)
        track.points = np.where(seen[:, None], points, moved)
        track.seen = seen | track.seen
        track.frame = frame
        track.history[frame] = (points, scores)

    def _retire(self, frame: int) -> None:
        """End the tracks unseen for longer than ``max_age``."""
        alive = [t for t in self.active if frame - t.frame <= self.max_gap]
        self.finished += [t for t in self.active if frame - t.frame > self.max_gap]
        self.active = alive

    def people(
        self, num_frames: int, layout: str, fps: float, size: tuple[int, int], source: str
    ) -> People:
        """Every track with at least ``min_frames`` detections, numbered 0, 1, ... by start."""
        tracks = [
            t for t in self.finished + self.active if len(t.history) >= self.config.min_frames
        ]
        tracks.sort(key=lambda t: (min(t.history), t.track_id))
        joints = len(next(iter(tracks[0].history.values()))[1]) if tracks else 17
        points = np.zeros((num_frames, len(tracks), joints, 2), np.float32)  # (T, P, V, 2)
        scores = np.zeros((num_frames, len(tracks), joints), np.float32)  # (T, P, V)
        for p, track in enumerate(tracks):
            for t, (xy, score) in track.history.items():
                points[t, p], scores[t, p] = xy, score
        ids = np.arange(len(tracks), dtype=np.int64)
        return People(points, scores, ids, layout, fps, size, source)


def track_people(
    detections: Iterable[tuple[NDArray[np.float32], NDArray[np.float32]]],
    *,
    num_frames: int,
    layout: str,
    fps: float,
    size: tuple[int, int],
    source: str,
    config: TrackerConfig | None = None,
) -> People:
    """Tracks over a video from each frame's detections, (points (N, V, 2), scores (N, V))."""
    tracker = Tracker(fps, config)
    for frame, (points, scores) in enumerate(detections):
        tracker.update(frame, points, scores)
    return tracker.people(num_frames, layout, fps, size, source)
