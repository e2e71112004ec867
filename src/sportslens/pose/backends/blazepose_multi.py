"""The ``blazepose-multi`` backend: every person, with MediaPipe's own models run standalone.

MediaPipe's ``Pose`` solution follows one person. Its wheel (0.10.21) ships the two models
behind it, which the LiteRT interpreter (``ai-edge-litert``) runs on their own:

1. the person detector (224x224) every ``detect_every`` frames, on overlapping square tiles
   (it was trained on near, upright people and misses small ones in a letterboxed wide frame),
   its detections merged by non-maximum suppression;
2. the landmark model (256x256) on each person's rotated square region, which also gives the
   region for the next frame: between detections each person is followed from their own
   landmarks, as MediaPipe does, and a new detection only adds people not followed yet;
3. :class:`~sportslens.pose.tracking.Tracker` gives the people of each frame their track ids.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.backends import blazepose_geometry as geo
from sportslens.pose.keypoints import MIN_DETECTED_SCORE
from sportslens.pose.layouts import BLAZEPOSE_TO_COCO
from sportslens.pose.people import People
from sportslens.pose.tracking import Tracker, TrackerConfig
from sportslens.progress import progress_bar
from sportslens.video import Source, describe_source, iter_frames, probe

# Matched on the COCO-17 landmarks; gaps up to 1 s (a presence dip, a moment hidden: as long as
# a track waits) filled once the video is done (docs/benchmarks.md: fewer switches and more
# exact repetition counts on crowd seeds than 0.5 s); a person lost for a while may come back
# up to 1.5 body sizes from where they were last seen (1.0: more switches).
TRACKING = TrackerConfig(joints=tuple(BLAZEPOSE_TO_COCO.tolist()), max_fill=1.0, max_relink=1.5)
"""How :func:`extract_blazepose_multi` tracks the people it follows."""

_DETECTOR = "modules/pose_detection/pose_detection.tflite"
_LANDMARKS = "modules/pose_landmark/pose_landmark_full.tflite"


@dataclass(frozen=True)
class MultiPoseSettings:
    """How often and how finely to look for people, and when a person counts as found."""

    tile: float = 0.7
    """Side of the detector's square tiles, as a fraction of the frame's shorter side: the
    detector was trained on people filling about half its input, and misses smaller ones."""
    tiles_per_frame: int = 1
    """Detector tiles run per frame, in turn, so a full sweep of a frame cut into ``n`` tiles
    takes ``n / tiles_per_frame`` frames (the first frame is swept whole). People already
    followed are followed from their landmarks, so the sweep only has to find newcomers."""
    min_detection: float = 0.5
    """Detector score a person needs (MediaPipe's own threshold)."""
    weak_detection: float = 0.5
    """Detector score from which a person is a candidate, followed only once the landmark model
    confirms them (``confirm_presence``, ``confirm_overlap``); at ``min_detection`` (the
    default) there are no weak detections. People near a tile's border (a lifter standing
    20 px from the frame's edge) score between 0.3 and 0.5 tile after tile. Off by default: at
    0.3 the four crowd seeds gained little (person-frames covered 0.849 against 0.841, IDF1
    0.845 against 0.841, switches unchanged; docs/benchmarks.md), and in the test suite's
    crossing video the person passing behind is found for three more frames on each side of
    the crossing, and the tracker then swaps the two."""
    min_presence: float = 0.1
    """Landmark model's person-presence score below which a followed person is dropped. Lower
    than MediaPipe's 0.5: on people seen side-on or bent over (a deadlift) the score swings
    below 0.5 for frames at a time while the landmarks stay on the body."""
    max_people: int = 8
    """At most this many people are followed at once (each costs one landmark pass a frame)."""
    same_person: float = 0.3
    """Two followed regions whose COCO-17 landmarks lie this close (mean distance, in body
    sizes) have converged on one person, and the later is dropped. Regions alone do not tell:
    a person half hidden behind a nearer one has a region centred near theirs."""
    same_region: float = 0.25
    """A detection centred within this fraction of a followed region's side is that person."""
    hold_s: float = 0.33
    """Seconds a followed person's last region is tried again after their presence score fell
    below ``min_presence``, before they are given up (0: dropped at once): a bent-over
    lifter's score dips for a few frames, and the detector rarely finds them again. In seconds,
    not frames, so 10-fps video holds 3 frames where 30-fps holds 10."""
    hold_match: float = 0.15
    """A held region counts again only when its COCO-17 landmarks lie within this many body
    sizes (mean distance) of the person's last landmarks: at 10 fps a region held without
    this check came back on a barbell plate beside the lifter (the test suite's two-person
    video: a third track at 0.2 or 0.5, two tracks at 0.15)."""
    fine_tile: float = 0.0
    """Side of a second sweep's finer tiles, as a fraction of the frame's shorter side (0, the
    default: no second sweep), one tile a frame beside the coarse sweep's; what it finds is a
    candidate, as a weak detection. The detector misses some small or lying people at the
    coarse scale (a 40-px push-up, a lifter beside another) and finds them in tiles about
    twice their height. Off by default: at 0.5, with weak detections, the four crowd seeds'
    people were found twice as soon (5.6 frames after they appear against 13.6), but what it
    adds is followed worse (a lying figure's landmarks slide onto a neighbour, two regions on
    one lying body): IDF1 0.832 against 0.841, 2.7 identity switches per person-minute
    against 2.1 (docs/benchmarks.md)."""
    confirm_presence: float = 0.5
    """Presence score the landmark model must give a candidate (a weak detection, or one of the
    finer sweep's) on their first frame (MediaPipe's own threshold): a region on part of a
    body, or on nobody, scores lower."""
    confirm_overlap: float = 0.5
    """A candidate is dropped when more than this fraction of their COCO-17 joints lie inside
    someone already followed (their joints' box): weak detections and finer tiles see parts of
    a followed body (an upper body, a pair of legs) as people of their own."""


class _Models:
    """The two LiteRT interpreters, loaded from MediaPipe's wheel."""

    def __init__(self, threads: int | None = None) -> None:
        self.detector = _interpreter(_DETECTOR, threads)
        self.landmarks = _interpreter(_LANDMARKS, threads)
        self.anchors = geo.ssd_anchors()

    def detect(
        self, frame: NDArray[np.uint8], tiles: list[tuple[int, int, int]], min_score: float
    ) -> list[tuple[NDArray[np.float64], float]]:
        """Regions (cx, cy, side, angle) of the people the detector finds in ``tiles`` of
        ``frame`` (squares ``(x, y, side)`` in pixels), with their scores, best first."""
        import cv2

        faces, hips, ends, scores = [], [], [], []
        for x, y, side in tiles:
            crop = cv2.resize(frame[y : y + side, x : x + side], (geo.DETECTOR_SIZE,) * 2)
            tensor = crop[None].astype(np.float32) / 127.5 - 1.0  # (1, 224, 224, 3) in [-1, 1]
            raw, logits = _run(self.detector, tensor)  # (1, 2254, 12), (1, 2254, 1)
            found, score = geo.decode_detections(raw[0], logits[0, :, 0], self.anchors, min_score)
            scale, origin = np.float32(side), np.array([x, y], np.float32)
            faces.append(np.concatenate([found[:, :2] * scale + origin, found[:, 2:4] * scale], 1))
            hips.append(found[:, 4:6] * scale + origin)  # keypoint 0: the middle of the hips
            ends.append(found[:, 6:8] * scale + origin)  # keypoint 1: size and rotation
            scores.append(score)
        face, score = np.concatenate(faces), np.concatenate(scores)
        hip, end = np.concatenate(hips), np.concatenate(ends)
        kept = geo.non_max_suppression(face, score)
        return [(geo.region_from_points(hip[i], end[i]), float(score[i])) for i in kept]

    def landmarks_in(
        self, frame: NDArray[np.uint8], region: NDArray[np.float64]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32], float, NDArray[np.float64]]:
        """Landmarks of the person in ``region``: (33, 2) frame pixels, (33,) visibility, the
        presence score and the region to follow them into the next frame."""
        import cv2

        matrix = geo.crop_matrix(region)
        size = geo.LANDMARK_SIZE
        crop = cv2.warpAffine(
            frame, matrix, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        )  # (256, 256, 3): the region's square, upright
        tensor = crop[None].astype(np.float32) / 255.0  # (1, 256, 256, 3) in [0, 1]
        outputs = _run(self.landmarks, tensor)
        raw = outputs[0].reshape(39, 5)  # x, y, z (crop pixels), visibility, presence logits
        presence = float(outputs[1].reshape(-1)[0])
        points = geo.to_frame(raw[:, :2], matrix)  # (39, 2) frame pixels
        # a sigmoid of the logits, clipped: exp overflows (a RuntimeWarning) past about 88
        visibility = 1.0 / (1.0 + np.exp(-np.clip(raw[:33, 3], -60.0, 60.0)))
        # Landmarks 33 and 34 are the model's own alignment points for the next region.
        follow = geo.region_from_points(points[33], points[34])
        return points[:33], visibility.astype(np.float32), presence, follow


def _interpreter(relative: str, threads: int | None) -> Any:
    try:
        import mediapipe  # type: ignore[import-untyped]
        from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-untyped]
    except ImportError as error:
        raise ImportError(
            "the blazepose-multi backend needs MediaPipe 0.10.21 (its models) and LiteRT: "
            "pip install 'sportslens[pose,people]'"
        ) from error
    path = Path(mediapipe.__file__).parent / relative
    if not path.is_file():
        raise FileNotFoundError(f"MediaPipe's wheel has no {relative} (expected at {path})")
    threads = threads or int(os.environ.get("OMP_NUM_THREADS", "0")) or None
    interpreter = Interpreter(model_path=str(path), num_threads=threads)
    interpreter.allocate_tensors()
    return interpreter


def _run(interpreter: Any, tensor: NDArray[np.float32]) -> list[NDArray[np.float32]]:
    """Outputs in name order (Identity, Identity_1, ...), as the graphs list them."""
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor)
    interpreter.invoke()
    details = sorted(interpreter.get_output_details(), key=lambda d: (len(d["name"]), d["name"]))
    return [interpreter.get_tensor(d["index"]) for d in details]


@dataclass
class _Followed:
    """A person followed from frame to frame."""

    region: NDArray[np.float64]
    """(cx, cy, side, angle): where to run the landmark model on the next frame."""
    missed: int = 0
    """Frames missed in a row (their region held)."""
    last: NDArray[np.float32] | None = None
    """Their last landmarks (33, 2); None before the first."""
    unsure: bool = False
    """Found by a weak detection or the finer sweep alone, not yet confirmed
    (:func:`_confirmed`)."""


def _is_new(
    region: NDArray[np.float64], followed: list[NDArray[np.float64]], limit: float = 0.25
) -> bool:
    """Whether a region is someone not followed yet: no followed region is centred within a
    quarter of its side (regions are large squares, so two people side by side overlap a lot
    while their hips stay apart)."""
    return all(
        np.hypot(*(region[:2] - other[:2])) > limit * max(region[2], other[2]) for other in followed
    )


def _same_person(
    points: NDArray[np.float32], others: list[NDArray[np.float32]], limit: float
) -> bool:
    """Whether ``points`` (33, 2) are landmarks of a person in ``others``: their COCO-17 joints
    lie within ``limit`` of that person's body size (the box diagonal) on average."""
    mine = points[BLAZEPOSE_TO_COCO]  # (17, 2)
    for other in others:
        theirs = other[BLAZEPOSE_TO_COCO]
        size = max(1.0, float(np.hypot(*np.ptp(theirs, axis=0))))
        if float(np.linalg.norm(mine - theirs, axis=1).mean()) < limit * size:
            return True
    return False


def follow_people(
    frames: Any, settings: MultiPoseSettings, models: _Models, fps: float = 30.0
) -> Any:
    """For each ``(index, frame)``: (N, 33, 2) pixels and (N, 33) scores of its people."""
    hold = round(settings.hold_s * fps)  # frames
    followed: list[_Followed] = []
    coarse, fine = _Sweep(settings.tile), _Sweep(settings.fine_tile)
    for _index, frame in frames:  # (H, W, 3) uint8 RGB
        found = _detect(models, frame, coarse.next(frame, settings), settings)
        extra = _detect(models, frame, fine.next(frame, settings), settings)
        sure = [r for r, score in found if score >= settings.min_detection]
        # weak coarse detections and the finer sweep's need the landmark model's confirmation
        height, width = frame.shape[:2]  # a region centred off the frame: no one
        unsure = [r for r, score in found if score < settings.min_detection] + [
            r for r, score in extra if score >= settings.min_detection
        ]
        unsure = [r for r in unsure if 0 <= r[0] < width and 0 <= r[1] < height]
        seen = [f.region for f in followed if not f.missed]
        new = [r for r in sure if _is_new(r, seen, settings.same_region)]
        newer = [r for r in unsure if _is_new(r, seen + new, settings.same_region)]
        newer = [r for k, r in enumerate(newer) if _is_new(r, newer[:k], settings.same_region)]
        # A detection where a lost person's region waits replaces that region.
        waiting = [f for f in followed if not f.missed or all(_is_new(f.region, [n]) for n in new)]
        followed = waiting + [_Followed(r) for r in new]
        followed = (followed + [_Followed(r, unsure=True) for r in newer])[: settings.max_people]
        points, scores, followed = _landmarks_step(frame, followed, settings, models, hold)
        yield (
            np.array(points, np.float32).reshape(-1, 33, 2),
            np.array(scores, np.float32).reshape(-1, 33),
        )


def _detect(
    models: _Models,
    frame: NDArray[np.uint8],
    tiles: list[tuple[int, int, int]],
    settings: MultiPoseSettings,
) -> list[tuple[NDArray[np.float64], float]]:
    """Regions and scores of the people the detector finds in ``tiles``, from the weak score."""
    return models.detect(frame, tiles, settings.weak_detection) if tiles else []


class _Sweep:
    """Detector tiles of one size (``tile``: a fraction of the frame's shorter side; 0: none),
    one a frame in turn, the first frame's whole grid at once."""

    def __init__(self, tile: float) -> None:
        self.tile = tile
        self.grid: list[tuple[int, int, int]] = []  # squares (x, y, side), made on the first frame
        self.turn = -1  # the next tile of the sweep (-1: none run yet)

    def next(
        self, frame: NDArray[np.uint8], settings: MultiPoseSettings
    ) -> list[tuple[int, int, int]]:
        if self.tile <= 0:
            return []
        if not self.grid:
            height, width = frame.shape[:2]
            self.grid = geo.tiles(width, height, round(self.tile * min(width, height)))
        count = len(self.grid) if self.turn < 0 else settings.tiles_per_frame
        start, size = max(self.turn, 0), len(self.grid)
        chosen = [self.grid[(start + k) % size] for k in range(min(count, size))]
        self.turn = (start + len(chosen)) % size
        return chosen


def _landmarks_step(
    frame: NDArray[np.uint8],
    followed: list[_Followed],
    settings: MultiPoseSettings,
    models: _Models,
    hold: int,
) -> tuple[list[NDArray[np.float32]], list[NDArray[np.float32]], list[_Followed]]:
    """Landmarks (33, 2) and scores (33,) of the people in ``followed``, and the regions to
    look in next frame. A region whose presence score falls is tried again, unmoved, for up
    to ``hold`` frames: bending over (a deadlift, a snatch) drops the score for a few frames,
    and the detector rarely finds a bent-over person to start again. What a held region finds
    counts only when it looks like the person last seen there (:func:`_held_back`); a
    candidate, only when :func:`_confirmed`."""
    points: list[NDArray[np.float32]] = []
    scores: list[NDArray[np.float32]] = []
    kept: list[_Followed] = []
    for person in followed:
        xy, visibility, presence, follow = models.landmarks_in(frame, person.region)
        if _same_person(xy, points, settings.same_person):
            continue  # two regions converged on one person
        if person.unsure and not _confirmed(xy, presence, points, settings):
            continue
        back = presence >= settings.min_presence and _held_back(
            xy, person.missed, person.last, settings
        )
        if not back:
            if person.missed < hold:
                kept.append(_Followed(person.region, person.missed + 1, person.last))
            continue
        points.append(xy)
        scores.append(np.clip(visibility, MIN_DETECTED_SCORE, 1.0))
        kept.append(_Followed(follow, 0, xy))
    return points, scores, kept


def _confirmed(
    points: NDArray[np.float32],
    presence: float,
    others: list[NDArray[np.float32]],
    settings: MultiPoseSettings,
) -> bool:
    """Whether a candidate's landmarks (33, 2) are a person not followed yet: a
    presence of at least ``confirm_presence``, and at most ``confirm_overlap`` of their COCO-17
    joints inside the joints' box of a person in ``others`` (each (33, 2)), grown by a tenth of
    their body size."""
    if presence < settings.confirm_presence:
        return False
    mine = points[BLAZEPOSE_TO_COCO]  # (17, 2)
    for other in others:
        theirs = other[BLAZEPOSE_TO_COCO]
        low, high = theirs.min(axis=0), theirs.max(axis=0)
        margin = 0.1 * float(np.hypot(*(high - low)))  # a side-on body's box is narrow
        low, high = low - margin, high + margin
        inside = np.all((mine >= low) & (mine <= high), axis=1)  # (17,)
        if float(inside.mean()) > settings.confirm_overlap:
            return False
    return True


def _held_back(
    points: NDArray[np.float32],
    missed: int,
    last: NDArray[np.float32] | None,
    settings: MultiPoseSettings,
) -> bool:
    """Whether landmarks (33, 2) found in a region held for ``missed`` frames are the person
    last seen there (``last``, (33, 2)): always for a region not held."""
    return not missed or last is None or _same_person(points, [last], settings.hold_match)


def extract_blazepose_multi(
    source: Source,
    settings: MultiPoseSettings | None = None,
    *,
    progress: bool = False,
    models: _Models | None = None,
) -> People:
    """BlazePose-33 keypoints of every person in every frame of ``source``, with track ids
    (``models``: interpreters already loaded, to reuse them over several videos)."""
    settings = settings or MultiPoseSettings()
    models = models or _Models()
    info = probe(source)
    name = describe_source(source)
    tracker = Tracker(info.fps, TRACKING)
    with progress_bar(enabled=progress) as bar:
        task = bar.add_task(f"pose {Path(name).name}", total=info.num_frames)
        frames = iter_frames(source)
        for index, (points, scores) in enumerate(follow_people(frames, settings, models, info.fps)):
            tracker.update(index, points, scores)
            bar.advance(task)
    return tracker.people(info.num_frames, "blazepose33", info.fps, (info.width, info.height), name)


class MultiPoseStream:
    """:func:`follow_people` one frame at a time, for a live source: ``stream(frame, index)``
    gives that (H, W, 3) uint8 RGB frame's people, (N, 33, 2) pixels and (N, 33) scores.

    It drives the very generator a whole video goes through (fed one frame, it yields that
    frame's people: follow_people must keep taking one frame per answer), so the detector's
    tile sweep and the following of each person from their landmarks are the offline ones; the
    caller tracks identities (a live :class:`Tracker`).
    """

    def __init__(
        self,
        settings: MultiPoseSettings | None = None,
        models: _Models | None = None,
        fps: float = 30.0,
    ) -> None:
        self.settings, self.models = settings or MultiPoseSettings(), models or _Models()
        self._frame: tuple[int, NDArray[np.uint8]] | None = None
        # fps: how many frames ``hold_s`` is, as for a whole video
        self._steps = follow_people(self._frames(), self.settings, self.models, fps)

    def at_rate(self, fps: float) -> MultiPoseStream:
        """A new stream for a source of ``fps`` frames a second, on the models loaded here."""
        return MultiPoseStream(self.settings, self.models, fps)

    def _frames(self) -> Any:
        while True:
            assert self._frame is not None, "follow_people took a frame before answering one"
            yield self._frame

    def __call__(
        self, frame: NDArray[np.uint8], index: int = 0
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        self._frame = (index, frame)
        points, scores = next(self._steps)
        self._frame = None  # taken: a second take before the next call is caught above
        return points, scores
