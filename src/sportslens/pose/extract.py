"""Keypoints for many videos (a catalog's): one ``.npz`` per video, resumable, in parallel.

The keypoint files mirror the videos' paths below the dataset root (``root/squat/a.mp4`` →
``out/squat/a.npz``), so a keypoint dataset pairs them with the catalog's labels through
:func:`keypoint_paths`. Each file is written atomically, so a file that exists is finished and a
rerun skips it. A video that cannot be decoded is reported, and the others go on. The videos
run on an engine (:mod:`sportslens.engines`): this process, local processes, or a Ray cluster.

Workers are processes, not threads: MediaPipe runs its own inference threads inside each graph and
its Python calls hold the GIL between frames (two threads ran slower than one after the other), so
each process owns one pose graph (rebuilt per video, as tracking state must not cross videos).
"""

from __future__ import annotations

import functools
import os
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from sportslens.engines import EngineSettings, Worker, run_per_video
from sportslens.messages import preview
from sportslens.pose.backends import (
    Backend,
    Layout,
    VitPoseSettings,
    extract_keypoints,
    extract_people,
)
from sportslens.pose.backends.vitpose import ModelUnavailableError, load_vitpose
from sportslens.pose.keypoints import load_keypoints, save_keypoints
from sportslens.pose.people import PeopleChoice, save_people
from sportslens.pose.smoothing import SmoothMethod, smooth_keypoints
from sportslens.progress import progress_bar

Status = Literal["done", "skipped", "failed"]


@dataclass(frozen=True)
class ExtractSettings:
    """How each video is turned into keypoints."""

    backend: Backend = "mediapipe"
    layout: Layout = "coco17"
    smooth: SmoothMethod = "none"
    vitpose: VitPoseSettings | None = None
    people: PeopleChoice = "largest"
    """Which people each file keeps; anything but "largest" writes version 2 files."""


@dataclass(frozen=True)
class VideoResult:
    """What happened to one video: written now, found finished, or failed (with the reason)."""

    source: str
    keypoints: Path
    status: Status
    frames: int = 0
    detected: float = 0.0  # fraction of frames where a person was found
    error: str = ""


def default_workers(backend: Backend) -> int:
    """Half the cores for MediaPipe (each graph keeps about two busy); one for ViTPose, whose
    torch already uses every core or the one GPU."""
    return 1 if backend == "vitpose" else max(1, (os.cpu_count() or 2) // 2)


def keypoint_paths(
    sources: Iterable[str], root: str | os.PathLike[str], out_dir: Path
) -> dict[str, Path]:
    """Where each video's keypoint file goes: its path below ``root`` under ``out_dir``, ``.npz``.

    Videos outside ``root`` (a CSV may list any path) are placed by their path below the folder
    all of them share. Two videos that would share a file (``a.mp4`` and ``a.avi``) are an error.
    """
    unique = list(dict.fromkeys(sources))
    local = [Path(s).resolve() for s in unique if not _is_url(s)]
    base = Path(root).resolve()
    if not all(path.is_relative_to(base) for path in local):
        base = Path(os.path.commonpath([p.parent for p in local])) if local else base
    paths: dict[str, Path] = {}
    for source in unique:
        if _is_url(source):
            relative = Path(urllib.parse.urlparse(source).path.lstrip("/"))
        else:
            relative = Path(source).resolve().relative_to(base)
        paths[source] = out_dir / relative.with_suffix(".npz")
    clashes = _clashes(paths)
    if clashes:
        raise ValueError(f"videos that would share a keypoint file: {preview(clashes)}")
    return paths


def _is_url(source: str) -> bool:
    return "://" in source and not source.startswith("file://")


def _clashes(paths: dict[str, Path]) -> list[str]:
    seen: dict[Path, str] = {}
    clashes = []
    for source, path in paths.items():
        if path in seen:
            clashes.append(f"{seen[path]} and {source} → {path}")
        seen.setdefault(path, source)
    return clashes


def extract_videos(
    sources: Sequence[str],
    root: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    settings: ExtractSettings = ExtractSettings(),
    *,
    workers: int = 1,
    engine: EngineSettings | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> list[VideoResult]:
    """Write a keypoint file for every video of ``sources`` (each video once, whole, even when
    several records of a catalog cut segments from it); returns one result per distinct video,
    in the order of first appearance.

    ``engine`` runs the videos on a Ray cluster (or in local processes); without it, ``workers``
    local processes. Either way the files are the same, and finished ones are skipped.
    """
    engine = engine or EngineSettings(workers=workers)
    targets = keypoint_paths(sources, root, Path(out_dir))
    results: dict[str, VideoResult] = {}
    todo: list[tuple[str, Path]] = []
    for source, target in targets.items():
        finished = None if overwrite else _finished(source, target)
        if finished is not None:
            results[source] = finished
        else:
            todo.append((source, target))
    with progress_bar(enabled=progress) as bar:
        task = bar.add_task("pose-extract", total=len(targets), completed=len(results))
        make_worker = functools.partial(pose_worker, settings)
        stop_on = (ImportError, ModelUnavailableError)
        for outcome in run_per_video(todo, make_worker, engine, stop_on=stop_on):
            source, target = outcome.item
            results[source] = outcome.result or VideoResult(
                source, target, "failed", error=outcome.error
            )
            bar.advance(task)
    return [results[source] for source in targets]


def pose_worker(settings: ExtractSettings) -> Worker[tuple[str, Path], VideoResult]:
    """Extracts one ``(video, keypoint file)`` item; ViTPose's models load here, once per process
    or actor. MediaPipe's graph is built per video all the same: it tracks the person, and that
    state must not cross videos."""
    if settings.backend == "vitpose":
        load_vitpose(settings.vitpose or VitPoseSettings())
    return functools.partial(_extract_item, settings)


def _extract_item(settings: ExtractSettings, item: tuple[str, Path]) -> VideoResult:
    return extract_one(*item, settings)


def extract_one(source: str, target: Path, settings: ExtractSettings) -> VideoResult:
    """Extract, smooth and save one video's keypoints; any failure becomes a failed result."""
    if settings.people != "largest":
        return _extract_people(source, target, settings)
    try:
        kp = extract_keypoints(
            source, settings.backend, layout=settings.layout, vitpose=settings.vitpose
        )
        kp = smooth_keypoints(kp, settings.smooth)
        save_keypoints(
            target, kp, backend=np.str_(settings.backend), smoothing=np.str_(settings.smooth)
        )
    except (ImportError, ModelUnavailableError):
        raise  # the same for every video: stop at once with the message that fixes it
    except Exception as error:  # reported per video; one bad file must not stop a catalog
        return VideoResult(source, target, "failed", error=f"{type(error).__name__}: {error}")
    return VideoResult(source, target, "done", kp.num_frames, float(kp.detected.mean()))


def _extract_people(source: str, target: Path, settings: ExtractSettings) -> VideoResult:
    """:func:`extract_one` for ``settings.people`` of several: a version 2 file, each person
    smoothed alone; ``detected`` is the fraction of frames with anyone in them."""
    try:
        found = extract_people(
            source, settings.backend, layout=settings.layout, people=settings.people,
            vitpose=settings.vitpose,
        )  # fmt: skip
        found = found.map(lambda kp: smooth_keypoints(kp, settings.smooth))
        save_people(
            target, found, backend=np.str_(settings.backend), smoothing=np.str_(settings.smooth)
        )
    except (ImportError, ModelUnavailableError):
        raise
    except Exception as error:  # as in extract_one: reported per video
        return VideoResult(source, target, "failed", error=f"{type(error).__name__}: {error}")
    seen = (found.scores > 0).any(axis=(1, 2))  # (T,) anyone in the frame
    return VideoResult(source, target, "done", found.num_frames, float(seen.mean()))


def _finished(source: str, target: Path) -> VideoResult | None:
    """The result for a keypoint file a previous run wrote, or None if it must be (re)made."""
    if not target.is_file():
        return None
    try:
        kp = load_keypoints(target)
    except ValueError:
        return None  # unreadable: extract again
    detected = float(kp.detected.mean()) if kp.num_frames else 0.0
    return VideoResult(source, target, "skipped", kp.num_frames, detected)


def few_detections(results: Sequence[VideoResult], threshold: float = 0.5) -> list[VideoResult]:
    """Videos (done or skipped) where a person was found in fewer than ``threshold`` of frames."""
    return [r for r in results if r.status != "failed" and r.detected < threshold]
