"""Identities over time: match each frame's people to tracks by keypoint distance (Hungarian).

As in Sports2D, the cost of giving detection ``j`` to track ``i`` is the mean distance between
their joints seen in both; here the track's joints are first moved by its velocity (so two people
crossing are told apart by where each is heading) and the distance is divided by the track's
body size (so the gate means the same near and far from the camera). SciPy's
``linear_sum_assignment`` solves each frame's assignment. A track that finds no detection keeps
its place for ``max_age`` seconds, predicted forward, so a person hidden for a moment behind
another gets their own id back; after that it ends, and a returning person gets a new id.
Once the video is done, :meth:`Tracker.people` stitches fragments, drops second skeletons
fitted to a body already followed (:mod:`sportslens.pose.shadows`), undoes crossings the
frame-by-frame matching got wrong (:mod:`sportslens.pose.crossings`) and fills short gaps.

ByteTrack (the ``trackers`` package) was the other candidate; its wheel needs numpy>=2, which the
pinned MediaPipe 0.10.21 cannot load, and it matches boxes only, which cross exactly when two
people pass each other. docs/pose.md gives the measurements.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.crossings import Box, CrossingSettings, History, uncross
from sportslens.pose.people import People
from sportslens.pose.shadows import Corners, ShadowSettings, find_shadows

__all__ = ["Tracker", "TrackerConfig", "track_people"]

_NEVER = 1e9  # cost of a pair the gate forbids


@dataclass(frozen=True)
class TrackerConfig:
    """How far a person may move between frames and how long a track waits for them."""

    max_distance: float = 0.5
    """Largest mean joint distance (in body sizes, after prediction) of a match."""
    max_age: float = 1.0
    """Seconds a track survives without a detection (occlusions shorter than this keep the id)."""
    max_relink: float = 1.0
    """Largest distance (in body sizes) between a lost track's last body centre and a new
    detection's for the second stage to give it the old id back (see :meth:`Tracker.update`)."""
    max_coast: float = 0.5
    """Seconds a lost track is moved on by its velocity; after that it waits where it was
    heading (a person who stops behind someone does not drift on)."""
    min_joints: int = 4
    """Joints a detection needs above ``min_score`` to count as a person, and a pair in common."""
    min_score: float = 0.3
    """A joint scored at or below this is not seen."""
    min_frames: int = 5
    """Tracks detected in fewer frames are dropped from the result (false detections)."""
    max_stitch: float = 3.0
    """Seconds: once the video is done, a track that starts at most this long after another
    ended, within ``max_relink`` body sizes of where that one was last seen, continues it
    (0: off). See :func:`_stitch`."""
    max_fill: float = 0.0
    """Seconds: once the video is done, a track's gaps at most this long (a person hidden
    or missed for a moment) are filled by interpolating between the frames either side
    (0: off). See :func:`_fill_gaps`."""
    crossings: CrossingSettings | None = field(default_factory=CrossingSettings)
    """Once the video is done, two tracks that met swap their futures when each one's motion
    before the meeting continues into the other's after it (None: off). See
    :mod:`sportslens.pose.crossings`: on the held-out crowd seeds 7, 8 and 9 of
    ``bench tracking --detections blazepose-multi``, IDF1 0.742 -> 0.745 and 15 -> 13
    identity switches (docs/benchmarks.md); no change on simulated detections."""
    shadows: ShadowSettings | None = field(default_factory=ShadowSettings)
    """Once the video is done, a track that is there almost only while a much longer one is,
    with its joints' box inside that one's most of the time, is a second skeleton on that body
    and is dropped (None: off). See :mod:`sportslens.pose.shadows`: a real deadlift clip's lifter
    had three such tracks; on the crowd seeds 1-3, 5 and 7-12 two tracks were dropped, IDF1
    the same or higher (docs/benchmarks.md)."""
    joints: tuple[int, ...] | None = None
    """The joints compared when matching (None: all); the tracks keep every joint. The
    ``blazepose-multi`` backend matches on the COCO-17 subset of its 33 landmarks: the face's
    eleven points and the hands' and feet's eight are small and noisy, and tilt the mean joint
    distance and the body box towards them (seeds 1, 2, 3, 5: identity switches 3.4 -> 2.6
    per person-minute, docs/benchmarks.md)."""


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

    def predicted(self, frame: int, coast: int = 1 << 30) -> NDArray[np.float64]:
        """(V, 2) where the joints should be at ``frame``: last seen moved by the velocity
        for at most ``coast`` frames."""
        return self.points + self.velocity * min(frame - self.frame, coast)

    def centre(self, frame: int, coast: int) -> NDArray[np.float64]:
        """(2,) the middle of the seen joints' box at ``frame`` (predicted)."""
        seen = self.predicted(frame, coast)[self.seen]
        return np.asarray((seen.min(axis=0) + seen.max(axis=0)) / 2, dtype=np.float64)

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
        self.coast = max(1, round(self.config.max_coast * fps))  # frames
        self.short = max(1, round(0.2 * fps))  # frames: see _size_ratio
        self.active: list[_Track] = []
        self.finished: list[_Track] = []
        self._next_id = 0

    def update(
        self, frame: int, points: NDArray[np.float32], scores: NDArray[np.float32]
    ) -> list[int]:
        """Track ids (-1: not a person) for the detections of ``frame``: ``points`` (N, V, 2)
        pixels and ``scores`` (N, V); frames must come in increasing order.

        Two stages, as ByteTrack's: every track against every detection by joint distance;
        then the tracks lost for a while against the detections left, by body centre and
        size only (a pose model's joints jump when a person reappears from behind someone,
        while where they stand and how big they are does not)."""
        cfg = self.config
        self._retire(frame)
        kept = points, scores  # every joint, for the tracks' history
        if cfg.joints is not None:
            points, scores = points[:, cfg.joints], scores[:, cfg.joints]  # (N, J, 2), (N, J)
        seen = scores > cfg.min_score  # (N, J)
        people = np.flatnonzero(seen.sum(axis=1) >= cfg.min_joints)
        ids = [-1] * len(points)
        cost = self._costs(frame, points[people], seen[people])  # (tracks, people)
        pairs = self._match(cost, cfg.max_distance, range(len(self.active)), people.tolist())
        lost = [r for r, t in enumerate(self.active) if frame - t.frame > 1]
        lost = [r for r in lost if r not in dict(pairs)]
        left = [int(d) for d in people.tolist() if d not in {d for _, d in pairs}]
        relink = self._relink_costs(frame, lost, points[left], seen[left])  # (lost, left)
        pairs += self._match(relink, cfg.max_relink, lost, left)
        for row, detection in pairs:
            track = self.active[row]
            self._extend(track, frame, points[detection], scores[detection])
            track.history[frame] = (kept[0][detection], kept[1][detection])
            ids[detection] = track.track_id
        matched = {d for _, d in pairs}
        for detection in people.tolist():
            if detection not in matched:
                track = _Track(self._next_id, points[detection], seen[detection], frame)
                track.history[frame] = (kept[0][detection], kept[1][detection])
                self._next_id += 1
                self.active.append(track)
                ids[detection] = track.track_id
        return ids

    @staticmethod
    def _match(
        cost: NDArray[np.float64], gate: float, rows: Sequence[int], cols: Sequence[int]
    ) -> list[tuple[int, int]]:
        """(track row, detection) pairs of the cheapest assignment of ``cost`` (rows x cols,
        indexed by ``rows`` and ``cols``) whose cost is at most ``gate``."""
        if not cost.size:
            return []
        found, chosen = _assign(cost)
        return [
            (rows[r], cols[c])
            for r, c in zip(found.tolist(), chosen.tolist(), strict=True)
            if cost[r, c] <= gate
        ]

    def _relink_costs(
        self, frame: int, rows: list[int], points: NDArray[np.float32], seen: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """(len(rows), N) distance between body centres in track body sizes; _NEVER where the
        sizes differ by more than :func:`_size_ratio` allows."""
        cost = np.full((len(rows), len(points)), _NEVER)
        for i, row in enumerate(rows):
            track = self.active[row]
            size, ratio = track.size(), _size_ratio(frame - track.frame, self.short)
            for j in range(len(points)):
                xy = points[j][seen[j]]  # (S, 2)
                box = np.concatenate([xy.min(axis=0), xy.max(axis=0)])
                other = max(1.0, float(np.hypot(*(box[2:] - box[:2]))))
                if max(size, other) > ratio * min(size, other):
                    continue
                centre = (box[:2] + box[2:]) / 2
                cost[i, j] = float(np.hypot(*(centre - track.centre(frame, self.coast)))) / size
        return cost

    def _costs(
        self, frame: int, points: NDArray[np.float32], seen: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """(tracks, N) mean distance of common joints in track body sizes; gated pairs _NEVER."""
        cost = np.full((len(self.active), len(points)), _NEVER)
        for row, track in enumerate(self.active):
            common = seen & track.seen  # (N, V)
            gap = np.linalg.norm(points - track.predicted(frame, self.coast), axis=-1)  # (N, V)
            count = common.sum(axis=1)
            mean = (gap * common).sum(axis=1) / np.maximum(count, 1) / track.size()
            cost[row] = np.where(count >= self.config.min_joints, mean, _NEVER)
        return cost

    def _extend(
        self, track: _Track, frame: int, points: NDArray[np.float32], scores: NDArray[np.float32]
    ) -> None:
        """Add a matched detection: update the velocity (smoothed) and the last seen joints
        (the caller records the detection in the track's history)."""
        seen = scores > self.config.min_score
        common = seen & track.seen
        if common.any():
            step = (points[common] - track.points[common]).mean(axis=0) / (frame - track.frame)
            track.velocity = 0.5 * track.velocity + 0.5 * step
        # Joints not seen now keep their predicted place, so the next comparison has them.
        moved = track.predicted(frame, self.coast).astype(np.float32)
        track.points = np.where(seen[:, None], points, moved)
        track.seen = seen | track.seen
        track.frame = frame

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
        if self.config.max_stitch > 0:
            gap = round(self.config.max_stitch * fps)
            tracks = _stitch(tracks, gap, self.config, self.short)
        if self.config.shadows is not None:
            corners = _joint_corners(self.config)
            shadows = find_shadows([t.history for t in tracks], corners, self.config.shadows)
            tracks = [t for i, t in enumerate(tracks) if i not in shadows]
        if self.config.crossings is not None:
            histories = [t.history for t in tracks]
            uncross(histories, _body_box(self.config), self.config.crossings, fps)
        if self.config.max_fill > 0:
            for track in tracks:
                _fill_gaps(track.history, round(self.config.max_fill * fps))
        joints = len(next(iter(tracks[0].history.values()))[1]) if tracks else 17
        points = np.zeros((num_frames, len(tracks), joints, 2), np.float32)  # (T, P, V, 2)
        scores = np.zeros((num_frames, len(tracks), joints), np.float32)  # (T, P, V)
        for p, track in enumerate(tracks):
            for t, (xy, score) in track.history.items():
                points[t, p], scores[t, p] = xy, score
        ids = np.arange(len(tracks), dtype=np.int64)
        return People(points, scores, ids, layout, fps, size, source)


def _corners(
    points: NDArray[np.float32], scores: NDArray[np.float32], min_score: float
) -> NDArray[Any]:
    """(x0, y0, x1, y1) of the joints scored above ``min_score`` (all when under two are)."""
    seen = points[scores > min_score] if (scores > min_score).sum() > 1 else points
    return np.concatenate([seen.min(axis=0), seen.max(axis=0)])


def _joint_corners(config: TrackerConfig) -> Corners:
    """(history, frame) -> box (x0, y0, x1, y1) of the matched joints seen at that frame."""
    joints = slice(None) if config.joints is None else list(config.joints)

    def corners(history: History, frame: int) -> NDArray[Any]:
        points, scores = history[frame]
        return _corners(points[joints], scores[joints], config.min_score)

    return corners


def _body_box(config: TrackerConfig) -> Box:
    """(history, frame) -> (body centre (2,), diagonal) of the matched joints' box."""
    corners = _joint_corners(config)

    def box(history: History, frame: int) -> tuple[NDArray[Any], float]:
        xyxy = corners(history, frame)
        lo, hi = xyxy[:2], xyxy[2:]
        return (lo + hi) / 2, max(1.0, float(np.hypot(*(hi - lo))))

    return box


def _fill_gaps(history: History, max_gap: int) -> None:
    """Fill, in place, each gap of at most ``max_gap`` missing frames between two frames of
    ``history`` by linear interpolation of the points; a filled joint's score is the lower of
    its two ends' (unseen at either end: unseen while filled)."""
    frames = sorted(history)
    for before, after in itertools.pairwise(frames):
        if not 1 < after - before <= max_gap + 1:
            continue
        (a, score_a), (b, score_b) = history[before], history[after]
        score = np.minimum(score_a, score_b)  # (V,)
        for frame in range(before + 1, after):
            w = (frame - before) / (after - before)
            history[frame] = ((1 - w) * a + w * b).astype(np.float32), score


def _together(
    chain: _Track, track: _Track, first: int, last: int, box: Callable[[_Track, int], Any]
) -> bool:
    """Whether two tracks overlapping from ``first`` to ``last`` lie on one body there: body
    centres within half a body size of each other in every frame both have."""
    for frame in range(first, last + 1):
        if frame in chain.history and frame in track.history:
            (a, size), (b, _) = box(chain, frame), box(track, frame)
            if float(np.hypot(*(a - b))) > 0.5 * size:
                return False
    return True


def _size_ratio(gap: int, short: int) -> float:
    """Largest ratio of body sizes (box diagonals) of a lost track and a detection ``gap``
    frames later for them to be one person: 1.5, or 3 within ``short`` frames (0.2 s), as a
    body changes shape faster than it changes size (a somersault's tuck opening on landing
    grows the box 2.6x in 3 frames on the demo clip)."""
    return 3.0 if gap <= short else 1.5


def _stitch(tracks: list[_Track], max_gap: int, config: TrackerConfig, short: int) -> list[_Track]:
    """Tracks (sorted by start) with each fragment joined to the track it continues.

    Offline, with the whole video seen: a track that starts at most ``max_gap`` frames after
    another ended, whose first body centre lies within ``max_distance`` of that track's body
    sizes from where it was last seen (sizes as :func:`_size_ratio`), is the same person lost
    for longer than ``max_age`` (hidden behind someone, or missed by the detector). Each
    fragment takes the nearest such track that no other fragment took yet."""
    max_distance = config.max_relink
    body = _body_box(config)

    def box(track: _Track, frame: int) -> tuple[NDArray[Any], float]:
        return body(track.history, frame)

    chains: list[_Track] = []
    for track in tracks:
        first = min(track.history)
        centre, size = box(track, first)
        best, best_cost = None, max_distance
        for chain in chains:
            last = max(chain.history)
            # A fragment may start up to ``short`` frames before the track ends: for a frame or
            # two the following saw the person twice (a somersault's unsure landmarks).
            if not -short <= first - last <= max_gap or first <= min(chain.history):
                continue
            if first <= last and not _together(chain, track, first, last, box):
                continue
            other, other_size = box(chain, last)
            if max(size, other_size) > _size_ratio(first - last, short) * min(size, other_size):
                continue
            cost = float(np.hypot(*(centre - other))) / other_size
            if cost <= best_cost:
                best, best_cost = chain, cost
        if best is None:
            chains.append(track)
        else:
            best.history.update(track.history)
    return chains


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
