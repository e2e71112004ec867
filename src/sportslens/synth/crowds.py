"""Synthetic crowds: 2-4 athletes in one scene, each with its own exercise, path and true track.

Each person is a synthetic athlete (:func:`~sportslens.synth.scene.sample_clip_spec`) placed on a
shared floor at their own depth (nearer people stand lower in the frame, are drawn larger and are
painted over the people behind). A person walks along a path of waypoints in the rest pose (the
figure glides: legs do not step) and does their repetitions only while standing still at their
station. Scenes draw, from ``(seed, index)``:

* two people who swap stations (crossing paths; the nearer one passes in front of the other),
* people who enter from a side before exercising, or leave after it,
* with 3-4 people, sometimes a passer-by who walks across the whole frame doing no exercise.

Layout written by :func:`make_crowds`::

    OUT_DIR/crowd_000.mp4   H.264, settings.size x settings.size
    OUT_DIR/crowd_000.npz   keypoint file version 2 (docs/pose.md): keypoints (T, P, 17, 2),
                            scores (T, P, 17) (1 inside the frame, 0 outside), track_ids (P,),
                            plus boxes (T, P, 4) x0, y0, x1, y1 clipped to the frame, present
                            (T, P) (at least 5 keypoints inside the frame), reps (P,), labels (P,)
    OUT_DIR/crowd_000.json  {"video", "fps", "num_frames", "size", "people": [{"track_id",
                            "label", "reps", "first_frame", "last_frame"}]}

Keypoints hidden behind a nearer person keep score 1: the truth says where each body is, as
MOT ground truth does, not what a camera could see.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from sportslens.pose.people import People, save_people
from sportslens.synth.clips import DEFAULT_CLASSES
from sportslens.synth.files import ENCODER_OPTIONS
from sportslens.synth.motion import EXERCISES, Schedule
from sportslens.synth.render import background, draw_figure, finish, noise_bank
from sportslens.synth.scene import (
    REFERENCE_HEIGHT,
    ClipSpec,
    Geometry,
    check_classes,
    clip_geometry,
    resting_classes,
    sample_clip_spec,
)
from sportslens.synth.settings import ClipSettings
from sportslens.writer import VideoWriter

__all__ = ["CrowdPerson", "CrowdSpec", "crowd_truth", "make_crowds", "sample_crowd", "write_crowd"]

MIN_SECONDS = 6.0
"""A crowd needs time to walk in, exercise and walk out."""
WALK_SPEED = 0.3  # frame widths per second
MIN_WORK_SECONDS = 2.5  # the shortest stretch of exercise a person who leaves gets
MIN_PRESENT_JOINTS = 5  # keypoints inside the frame for a person to count as present


@dataclass(frozen=True)
class CrowdPerson:
    """One person of a crowd: their clip (body, exercise, reps, depth) and their path."""

    track_id: int
    spec: ClipSpec  # origin_x 0, no occluder; floor_y and scale give their depth
    times: tuple[float, ...]  # waypoint times in seconds, increasing
    xs: tuple[float, ...]  # the figure's centre x in pixels at each waypoint
    reps: int  # repetitions done (0 for a passer-by)


@dataclass(frozen=True)
class CrowdSpec:
    """Everything random about one crowd scene; rendering it is deterministic."""

    index: int
    num_frames: int
    fps: float
    size: int
    people: tuple[CrowdPerson, ...]
    room: ClipSpec  # whose look gives the room, camera blur and noise


def sample_crowd(
    index: int,
    settings: ClipSettings,
    *,
    people: int | None = None,
    classes: Sequence[str] = DEFAULT_CLASSES,
) -> CrowdSpec:
    """Draw crowd ``index`` with ``people`` athletes (default 2-4 at random); deterministic."""
    check_classes(classes)
    seconds = settings.num_frames / settings.fps
    if seconds < MIN_SECONDS:
        raise ValueError(f"a crowd needs at least {MIN_SECONDS} s; these settings give {seconds} s")
    rng = np.random.default_rng([settings.seed, 0xC40D, index])
    count = int(rng.integers(2, 5)) if people is None else people
    if not 1 <= count <= 6:
        raise ValueError(f"a crowd has 1 to 6 people, got {count}")
    size = float(settings.size)
    stations = (np.arange(count) + 0.5) / count * size + rng.uniform(-0.04, 0.04, count) * size
    rng.shuffle(stations)
    resting = resting_classes(classes)
    passer = count >= 3 and rng.random() < 0.5
    crossing = count >= 2 and rng.random() < 0.8
    members = []
    for k in range(count):
        label = str(classes[int(rng.integers(len(classes)))])
        depth = float(rng.uniform(0.0, 1.0))  # 0 far, 1 near
        if passer and k == count - 1:  # walks across in front of everyone, no exercise
            label = str(resting[int(rng.integers(len(resting)))])
            start, end = (-0.15 * size, 1.15 * size)[:: 1 if rng.random() < 0.5 else -1]
            t0 = float(rng.uniform(0.2, seconds - 1.0 / WALK_SPEED - 0.2))
            path = ((t0, t0 + 1.3 / WALK_SPEED), (start, end))
            members.append(_person(rng, k, label, 1.0, path, None, index, settings))
            continue
        x = float(stations[k])
        times, xs = [0.0], [x]
        if crossing and k < 2:  # people 0 and 1 swap stations early on
            other = float(stations[1 - k])
            times, xs = [0.3, 0.3 + abs(other - x) / size / WALK_SPEED], [x, other]
        elif rng.random() < 0.5:  # enters from the nearer side
            edge = -0.15 * size if x < size / 2 else 1.15 * size
            arrive = abs(x - edge) / size / WALK_SPEED
            times, xs = [0.0, arrive], [edge, x]
        work = (times[-1] + 0.3, seconds - 0.3)
        edge = -0.15 * size if xs[-1] < size / 2 else 1.15 * size
        away = abs(xs[-1] - edge) / size / WALK_SPEED  # seconds to walk out
        leave = seconds - away - float(rng.uniform(0.2, 1.0))  # gone before the end
        if rng.random() < 0.4 and leave - 0.3 - work[0] >= MIN_WORK_SECONDS:
            work = (work[0], leave - 0.3)  # leaves after exercising, towards the nearer side
            times, xs = [*times, leave, leave + away], [*xs, xs[-1], edge]
        members.append(
            _person(rng, k, label, depth, (tuple(times), tuple(xs)), work, index, settings)
        )
    room = sample_clip_spec(str(classes[0]), index, replace(settings, num_frames=2))
    return CrowdSpec(index, settings.num_frames, settings.fps, settings.size, tuple(members), room)


def _person(
    rng: np.random.Generator,
    k: int,
    label: str,
    depth: float,
    path: tuple[tuple[float, ...], tuple[float, ...]],
    work: tuple[float, float] | None,
    index: int,
    settings: ClipSettings,
) -> CrowdPerson:
    """A person at ``depth`` (0 far, 1 near) on ``path``; reps fill the ``work`` window."""
    spec = sample_clip_spec(label, index * 16 + k, settings)
    height = (0.3 + 0.12 * depth) * settings.size  # pixels tall: nearer is larger
    floor_y = (0.8 + 0.15 * depth) * settings.size
    reps, schedule = 0, replace(spec.schedule, start=1e6)  # a passer-by never starts
    if work is not None:
        exercise = EXERCISES[label]
        window = work[1] - work[0]
        period = min(float(rng.uniform(*exercise.period)), window / 2)
        reps = int(rng.integers(2, max(2, min(5, int(window // period))) + 1))
        start = work[0] + float(rng.uniform(0, window - reps * period))
        amplitudes = tuple(float(a) for a in rng.uniform(0.9, 1.0, reps))
        schedule = Schedule(reps, period, start, amplitudes, spec.schedule.sway)
    spec = replace(
        spec, schedule=schedule, roll=0.0, scale=height / REFERENCE_HEIGHT, origin_x=0.0,
        floor_y=floor_y, look=replace(spec.look, occluder=None),
    )  # fmt: skip
    return CrowdPerson(k, spec, *path, reps)


def _placed(person: CrowdPerson, num_frames: int, fps: float) -> Geometry:
    """The person's geometry in the scene: their clip's figure moved along their path."""
    geometry = clip_geometry(replace(person.spec, num_frames=num_frames))
    centre = geometry.points[0, :17, 0].mean()
    x = np.interp(np.arange(num_frames) / fps, person.times, person.xs)  # (T,) pixels
    shift = (x - centre)[:, None]  # (T, 1)
    points = geometry.points.copy()  # (T, NUM_POINTS, 2)
    points[..., 0] += shift
    bar = None
    if geometry.bar is not None:
        bar = geometry.bar.copy()
        bar[..., 0] += shift
    return Geometry(points, geometry.depth, bar, geometry.bar_depth)


def render_crowd(crowd: CrowdSpec) -> Iterator[NDArray[Any]]:
    """Yield the scene's frames, (H, W, 3) uint8 RGB; far people are painted first."""
    look = crowd.room.look
    horizon = 0.72 * crowd.size
    room = Image.fromarray(background(look, crowd.size, (crowd.size / 2, horizon, 0.0)))
    order = sorted(crowd.people, key=lambda p: p.spec.floor_y)
    geometries = [_placed(p, crowd.num_frames, crowd.fps) for p in order]
    far_sides = [0 if g.depth[0, 11] < g.depth[0, 12] else 1 for g in geometries]
    bank = noise_bank(look, crowd.size)
    offsets = np.random.default_rng([look.seed, 1])
    for t in range(crowd.num_frames):
        image = room.copy()
        for person, geometry, far in zip(order, geometries, far_sides, strict=True):
            spec = person.spec
            draw_figure(image, geometry.frame(t), spec.athlete, spec.scale, far, spec.look)
        yield finish(image, look, bank, offsets)


@dataclass(frozen=True, eq=False)
class CrowdTruth:
    """Where everyone is: keypoints as People, boxes (T, P, 4), presence (T, P), reps (P,)."""

    people: People
    boxes: NDArray[np.float32]  # (T, P, 4) x0, y0, x1, y1 in pixels, clipped to the frame
    present: NDArray[np.bool_]  # (T, P)
    reps: NDArray[np.int64]  # (P,)
    labels: tuple[str, ...]  # (P,) the exercise (a passer-by's is their unused class)


def crowd_truth(crowd: CrowdSpec) -> CrowdTruth:
    """The true tracks of the scene, in track id order, without drawing."""
    geometries = [_placed(p, crowd.num_frames, crowd.fps) for p in crowd.people]
    body = np.stack([g.points for g in geometries], axis=1)  # (T, P, NUM_POINTS, 2)
    keypoints = body[:, :, :17].astype(np.float32)  # (T, P, 17, 2)
    limit = crowd.size - 1
    inside = ((keypoints >= 0) & (keypoints <= limit)).all(axis=-1)  # (T, P, 17)
    present = inside.sum(axis=-1) >= MIN_PRESENT_JOINTS  # (T, P)
    lo = np.clip(body.min(axis=2), 0, limit)  # (T, P, 2)
    hi = np.clip(body.max(axis=2), 0, limit)
    boxes = np.concatenate([lo, hi], axis=-1).astype(np.float32)  # (T, P, 4)
    scores = (inside & present[..., None]).astype(np.float32)
    ids = np.array([p.track_id for p in crowd.people], dtype=np.int64)
    people = People(
        keypoints, scores, ids, "coco17", crowd.fps, (crowd.size, crowd.size), "crowd.mp4"
    )
    reps = np.array([p.reps for p in crowd.people], dtype=np.int64)
    labels = tuple(p.spec.label for p in crowd.people)
    return CrowdTruth(people, boxes, present, reps, labels)


def write_crowd(crowd: CrowdSpec, video_path: Path) -> Path:
    """Write the scene's mp4 and, beside it, its true tracks (.npz) and people (.json)."""
    video_path.parent.mkdir(parents=True, exist_ok=True)
    truth = crowd_truth(crowd)
    people = replace(truth.people, source=video_path.name)
    save_people(
        video_path.with_suffix(".npz"), people, boxes=truth.boxes, present=truth.present,
        reps=truth.reps, labels=np.array(truth.labels),
    )  # fmt: skip
    summary = {
        "video": video_path.name, "fps": crowd.fps, "num_frames": crowd.num_frames,
        "size": [crowd.size, crowd.size], "people": [
            {"track_id": int(tid), "label": label, "reps": int(reps),
             "first_frame": int(np.flatnonzero(seen)[0]) if seen.any() else None,
             "last_frame": int(np.flatnonzero(seen)[-1]) if seen.any() else None}
            for tid, label, reps, seen in zip(
                people.track_ids, truth.labels, truth.reps, truth.present.T, strict=True)
        ],
    }  # fmt: skip
    video_path.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n")
    tmp = video_path.with_name(f".{video_path.stem}.{os.getpid()}.tmp.mp4")
    with VideoWriter(tmp, crowd.fps, options=ENCODER_OPTIONS) as writer:
        for frame in render_crowd(crowd):
            writer.write(frame)
    tmp.replace(video_path)
    return video_path


def make_crowds(
    out_dir: str | os.PathLike[str],
    settings: ClipSettings,
    *,
    count: int = 10,
    people: int | None = None,
    classes: Sequence[str] = DEFAULT_CLASSES,
    workers: int = 2,
) -> list[Path]:
    """Write ``count`` crowd scenes (one process per scene) and return their video paths."""
    if count < 1 or workers < 1:
        raise ValueError(f"count and workers must be at least 1, got {count} and {workers}")
    crowds = [sample_crowd(i, settings, people=people, classes=classes) for i in range(count)]
    paths = [Path(out_dir) / f"crowd_{i:03d}.mp4" for i in range(count)]
    if workers == 1:
        return [write_crowd(c, p) for c, p in zip(crowds, paths, strict=True)]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(write_crowd, crowds, paths))
