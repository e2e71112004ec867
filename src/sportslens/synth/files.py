"""Writing synthetic clips: one clip's files, many clips in parallel, and ``labels.csv``.

Every file appears atomically (written under a temporary name, then renamed), so an interrupted
run never leaves a truncated clip that looks finished.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.keypoints import Keypoints, save_keypoints
from sportslens.progress import progress_bar
from sportslens.writer import VideoWriter

__all__ = ["ENCODER_OPTIONS", "write_clip_files", "write_clips", "write_labels"]

S = TypeVar("S")

ENCODER_OPTIONS = {"threads": "1", "preset": "ultrafast", "x264-params": "cpu-independent=1"}
"""x264 options for every synthetic clip. One encoder thread: the pool already keeps every core
busy with whole clips. "ultrafast" encodes these small frames in 40 % less time than "veryfast"
(files are larger but small). "cpu-independent" makes the bitstream reproducible: without it
x264's SIMD macroblock-tree code reads uninitialised memory, and the same frames encode
differently from run to run."""


def write_clip_files(
    video_path: Path,
    frames: Iterable[NDArray[Any]],
    fps: float,
    keypoints: NDArray[Any],
    visibility: NDArray[Any],
    **extra: Any,
) -> Path:
    """Write ``frames`` (each (H, W, 3) uint8 RGB) as an mp4 and, beside it, the true keypoints
    as a keypoint file (docs/pose.md) with ``extra`` arrays; the video appears last.

    ``keypoints`` are float32 (T, 17, 2) pixels, ``visibility`` float32 (T, 17): 1 visible, 0
    outside the frame or hidden. Visibility is the file's scores, and is also kept under its own
    name for readers of the first files.
    """
    video_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_video = video_path.with_name(f".{video_path.stem}.{os.getpid()}.tmp.mp4")
    height = width = 0
    with VideoWriter(tmp_video, fps, options=ENCODER_OPTIONS) as writer:
        for frame in frames:
            writer.write(frame)
            height, width = frame.shape[:2]
    truth = Keypoints(
        np.ascontiguousarray(keypoints),  # a reversed clip's arrays are views
        np.ascontiguousarray(visibility),
        layout="coco17",
        fps=fps,
        size=(width, height),
        source=video_path.name,  # the video beside the file
    )
    save_keypoints(video_path.with_suffix(".npz"), truth, visibility=truth.scores, **extra)
    tmp_video.replace(video_path)
    return video_path


def write_clips(
    write: Callable[[S, Path], Path],
    specs: Sequence[S],
    paths: Sequence[Path],
    workers: int,
    progress: bool,
) -> None:
    """Write every clip with ``write(spec, path)``, one clip per task; a failing clip stops the
    run and is re-raised. Shared by every kind of synthetic clip."""
    with progress_bar(enabled=progress) as bar:
        task = bar.add_task("synthetic clips", total=len(specs))
        if workers == 1:
            for spec, path in zip(specs, paths, strict=True):
                write(spec, path)
                bar.advance(task)
            return
        with ProcessPoolExecutor(workers) as pool:
            futures = [pool.submit(write, s, p) for s, p in zip(specs, paths, strict=True)]
            try:
                for future in as_completed(futures):
                    future.result()  # a worker's exception surfaces here, unchanged
                    bar.advance(task)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise


def write_labels(root: Path, rows: Sequence[tuple[str, str]], paths: Sequence[Path]) -> None:
    """``labels.csv`` with one ``path,label,group`` row per clip (``rows`` hold label and
    group), paths relative to ``root``."""
    tmp = root / f".labels.{os.getpid()}.tmp.csv"
    with tmp.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["path", "label", "group"])
        for (label, group), path in zip(rows, paths, strict=True):
            writer.writerow([path.relative_to(root).as_posix(), label, group])
    tmp.replace(root / "labels.csv")
