"""How well people are followed: identity metrics (py-motmetrics) and reps per person.

Each synthetic crowd (:mod:`sportslens.synth.crowds`) holds its true tracks. The tracker runs on
detections: a pose backend's, or detections *simulated* from the truth, as a multi-person
estimator would give them — keypoints jittered by a fraction of the body's size, people mostly
hidden behind a nearer one missed, a few detections dropped at random, and each frame's people in
random order. Metrics follow MOTChallenge: a track matches a true person in a frame when their
keypoint boxes overlap by IoU >= 0.5; IDF1, MOTA and identity switches come from motmetrics.
Each true person is then paired with the track that matched them most often, and repetitions
are counted on that track alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.form import analyze_form
from sportslens.pose.people import People, load_people
from sportslens.pose.tracking import TrackerConfig, track_people

__all__ = [
    "SimulatedDetections",
    "benchmark_backend_speed",
    "benchmark_tracking",
    "keypoint_boxes",
    "simulate_detections",
]

Detections = list[tuple[NDArray[np.float32], NDArray[np.float32]]]


@dataclass(frozen=True)
class SimulatedDetections:
    """How far simulated detections stray from the truth."""

    noise: float = 0.02  # keypoint jitter, in body sizes (standard deviation)
    miss: float = 0.03  # chance a visible person is not detected in a frame
    hidden: float = 0.5  # a person is missed when this fraction of their joints is behind another


def keypoint_boxes(points: NDArray[Any], scores: NDArray[Any]) -> NDArray[np.float64]:
    """Boxes (..., 4) x0, y0, x1, y1 of the joints scored above 0 (NaN where none are)."""
    seen = (scores > 0)[..., None]  # (..., V, 1)
    lo = np.where(seen, points, np.inf).min(axis=-2)  # (..., 2)
    hi = np.where(seen, points, -np.inf).max(axis=-2)
    boxes: NDArray[np.float64] = np.concatenate([lo, hi], axis=-1).astype(np.float64)
    boxes[~np.isfinite(boxes).all(axis=-1)] = np.nan
    return boxes


def simulate_detections(
    truth: People, rng: np.random.Generator, settings: SimulatedDetections = SimulatedDetections()
) -> Detections:
    """Per frame: (points (N, V, 2), scores (N, V)) of the people a detector would find."""
    boxes = keypoint_boxes(truth.keypoints, truth.scores)  # (T, P, 4)
    frames: Detections = []
    for t in range(truth.num_frames):
        found = []
        for p in np.flatnonzero(truth.scores[t].any(axis=1)).tolist():
            if rng.random() < settings.miss or _hidden(truth, boxes, t, p) >= settings.hidden:
                continue
            size = float(np.hypot(*(boxes[t, p, 2:] - boxes[t, p, :2])))
            noise = rng.normal(0.0, settings.noise * size, truth.keypoints[t, p].shape)
            scores = truth.scores[t, p] * rng.uniform(0.5, 1.0, truth.scores.shape[2])
            found.append((truth.keypoints[t, p] + noise, scores))
        order = rng.permutation(len(found))
        joints = truth.keypoints.shape[2]
        points = np.array([found[i][0] for i in order], np.float32).reshape(-1, joints, 2)
        scores = np.array([found[i][1] for i in order], np.float32).reshape(-1, joints)
        frames.append((points, scores))
    return frames


def _hidden(truth: People, boxes: NDArray[np.float64], t: int, p: int) -> float:
    """Fraction of person ``p``'s joints inside the box of someone nearer (lower feet) at ``t``."""
    seen = truth.scores[t, p] > 0
    xy = truth.keypoints[t, p][seen]  # (S, 2)
    covered = np.zeros(len(xy), bool)
    for q in range(truth.num_people):
        box = boxes[t, q]
        if q == p or np.isnan(box).any() or box[3] <= boxes[t, p, 3]:
            continue
        covered |= (xy >= box[:2]).all(axis=1) & (xy <= box[2:]).all(axis=1)
    return float(covered.mean()) if len(xy) else 1.0


def _identity(truth: People, tracked: People) -> tuple[dict[str, float], dict[int, int]]:
    """motmetrics' IDF1, MOTA and switches, and each true track's most matched estimated track."""
    try:
        import motmetrics as mm
    except ImportError as error:
        raise ImportError(
            "bench tracking needs motmetrics: pip install 'sportslens[people]'"
        ) from error

    accumulator = mm.MOTAccumulator(auto_id=True)
    true_boxes = keypoint_boxes(truth.keypoints, truth.scores)  # (T, P, 4)
    est_boxes = keypoint_boxes(tracked.keypoints, tracked.scores)  # (T, Q, 4)
    for t in range(truth.num_frames):
        gt = np.flatnonzero(~np.isnan(true_boxes[t, :, 0]))
        hyp = np.flatnonzero(~np.isnan(est_boxes[t, :, 0]))
        distance = mm.distances.iou_matrix(
            _xywh(true_boxes[t, gt]), _xywh(est_boxes[t, hyp]), max_iou=0.5
        )
        accumulator.update(truth.track_ids[gt].tolist(), tracked.track_ids[hyp].tolist(), distance)
    metrics = mm.metrics.create().compute(
        accumulator, metrics=["idf1", "mota", "num_switches", "num_frames"], name="all"
    )
    events = accumulator.mot_events
    matched = events[events["Type"].isin(["MATCH", "SWITCH"])]
    best = matched.groupby("OId")["HId"].agg(lambda ids: ids.value_counts().index[0]).to_dict()
    figures = {key: float(metrics[key].iloc[0]) for key in ("idf1", "mota", "num_switches")}
    return figures, {int(k): int(v) for k, v in best.items()}


def _xywh(boxes: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)


def _tracked(
    video: Path,
    truth: People,
    rng: np.random.Generator,
    simulated: SimulatedDetections,
    config: TrackerConfig | None,
    detections: Literal["simulated", "blazepose-multi"],
) -> People:
    """The tracks of one crowd video, from simulated detections or the real backend."""
    if detections == "blazepose-multi":
        from sportslens.pose.backends.blazepose_multi import extract_blazepose_multi

        return extract_blazepose_multi(video).to_coco17()
    return track_people(
        simulate_detections(truth, rng, simulated), num_frames=truth.num_frames,
        layout=truth.layout, fps=truth.fps, size=truth.size, source=truth.source, config=config,
    )  # fmt: skip


def benchmark_tracking(
    videos: Sequence[Path],
    *,
    config: TrackerConfig | None = None,
    simulated: SimulatedDetections = SimulatedDetections(),
    seed: int = 0,
    use_exercise: bool = True,
    detections: Literal["simulated", "blazepose-multi"] = "simulated",
) -> dict[str, Any]:
    """IDF1, MOTA, switches per person-minute and per-person rep exact rate over crowd videos.

    ``detections="blazepose-multi"`` runs that backend on each video (pose, following and
    tracking together, so ``tracker_fps`` is then the whole backend's frames per second)."""
    rng = np.random.default_rng(seed)
    per_video: list[dict[str, Any]] = []
    rep_errors: list[int] = []
    idf1: list[float] = []
    mota: list[float] = []
    switches = person_seconds = tracking_seconds = 0.0
    frames = 0
    for video in videos:
        npz = Path(video).with_suffix(".npz")
        truth = load_people(npz)
        with np.load(npz) as data:
            reps, labels = data["reps"].tolist(), [str(x) for x in data["labels"]]
        start = time.perf_counter()
        tracked = _tracked(Path(video), truth, rng, simulated, config, detections)
        tracking_seconds += time.perf_counter() - start
        frames += truth.num_frames
        figures, best = _identity(truth, tracked)
        for p, true_id in enumerate(truth.track_ids.tolist()):
            if true_id not in best:
                rep_errors.append(reps[p])  # never followed: nothing counted
                continue
            exercise = labels[p] if use_exercise else None
            counted = analyze_form(tracked.track(best[true_id]), exercise).repetitions.count
            rep_errors.append(counted - reps[p])
        switches += figures["num_switches"]
        idf1.append(figures["idf1"])
        mota.append(figures["mota"])
        person_seconds += float((truth.scores.any(axis=2)).sum()) / truth.fps
        per_video.append({"video": Path(video).name, "people": truth.num_people,
                          "tracks": tracked.num_people, **figures})  # fmt: skip
    errors = np.asarray(rep_errors)
    return {
        "videos": len(per_video),
        "people": int(errors.size),
        "idf1": float(np.mean(idf1)),
        "mota": float(np.mean(mota)),
        "id_switches": int(switches),
        "switches_per_person_minute": switches / max(person_seconds / 60.0, 1e-9),
        "rep_exact_rate": float((errors == 0).mean()) if errors.size else 0.0,
        "tracker_fps": frames / max(tracking_seconds, 1e-9),
        "per_video": per_video,
    }


def benchmark_backend_speed(video: Path) -> dict[str, Any]:
    """Frames per second of the ``blazepose-multi`` backend on one video, start-up excluded.

    ``fps`` is frames over wall-clock seconds; ``cpu_fps`` frames over the process's CPU
    seconds, which on one core (``OMP_NUM_THREADS=1 taskset -c 0``) is what a core delivers
    even when other jobs share it. The models are loaded before the clock starts."""
    from sportslens.pose.backends.blazepose_multi import _Models, extract_blazepose_multi
    from sportslens.video import probe

    models = _Models()  # loading the two interpreters is start-up, not per-frame work
    info = probe(video)
    wall, cpu = time.perf_counter(), time.process_time()
    people = extract_blazepose_multi(video, models=models)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    followed = (people.scores > 0).any(axis=2).sum(axis=1)  # (T,) people per frame
    return {
        "video": Path(video).name, "size": [info.width, info.height], "frames": info.num_frames,
        "tracks": people.num_people, "people_per_frame": float(followed.mean()),
        "fps": info.num_frames / max(wall, 1e-9), "cpu_fps": info.num_frames / max(cpu, 1e-9),
    }  # fmt: skip
