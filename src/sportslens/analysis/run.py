"""``analyze``: pose, form, feedback and (with a model) the timeline of one video, as files.

:func:`analyze_video` computes (:class:`VideoAnalysis`); :func:`write_analysis` writes the
folder a coach opens: ``report.html``, ``analysis.json``, ``angles.csv`` (one row a frame:
frame, time, one column an angle, as Sports2D writes them), ``annotated.mp4`` and
``keypoints.npz`` (the pose, to analyze again with ``--keypoints`` and no MediaPipe).
"""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sportslens.pose.form import FormAnalysis, analyze_form, keypoints_and_shots
from sportslens.pose.keypoints import Keypoints, save_keypoints
from sportslens.video import VideoInfo, probe

if TYPE_CHECKING:
    from sportslens.pose.backends import Backend

MAX_KEY_FRAMES = 6
"""Key frames in the report: the bottom of the first repetitions (or evenly spaced frames)."""


@dataclass(frozen=True, eq=False)
class VideoAnalysis:
    """Everything ``analyze`` found in one video."""

    video: str
    info: VideoInfo
    keypoints: Keypoints
    form: FormAnalysis
    timeline: dict[str, Any] | None = None
    """A model's timeline (:meth:`sportslens.timeline.Timeline.to_dict`) when one was given."""
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of each step: pose, form, timeline."""

    def key_frames(self) -> list[int]:
        """Frames worth a still: each repetition's turn (its bottom), else evenly spaced."""
        report = self.form.repetitions
        turns = []
        for rep in report.repetitions[:MAX_KEY_FRAMES]:
            window = report.smoothed[rep.start : rep.end + 1]
            away = np.abs(window - window[0])
            turns.append(
                rep.start + int(np.nanargmax(away)) if np.isfinite(away).any() else rep.start
            )
        if turns:
            return turns
        frames = self.form.angles.num_frames
        return sorted({int(i) for i in np.linspace(0, frames - 1, min(4, frames))})

    def to_dict(self) -> dict[str, Any]:
        """analysis.json: the video, the form analysis with feedback, the timeline, timings."""
        form = self.form.to_dict()
        per_frame = form.pop("angles_per_frame")
        del per_frame  # the CSV holds the angles per frame; the JSON stays readable
        return {
            "video": self.video,
            "fps": self.info.fps,
            "frames": self.info.num_frames,
            "duration_s": round(self.info.duration, 3),
            "size": list(self.keypoints.size),
            "form": form,
            "timeline": self.timeline,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
        }


def analyze_video(
    video: str | os.PathLike[str],
    exercise: str | None = None,
    *,
    checkpoint: str | os.PathLike[str] | None = None,
    keypoints: str | os.PathLike[str] | None = None,
    backend: Backend = "mediapipe",
    min_score: float = 0.5,
    device: str = "cpu",
) -> VideoAnalysis:
    """Pose (``keypoints`` from a file, or the ``backend``), form with per-repetition feedback
    and, with a ``checkpoint``, the model's timeline of ``video``."""
    source = os.fspath(video)
    info = probe(source)
    seconds = {}
    start = time.perf_counter()
    kp, shots = keypoints_and_shots(source, backend, import_from=keypoints)
    seconds["pose"] = time.perf_counter() - start
    start = time.perf_counter()
    form = analyze_form(kp, exercise, min_score=min_score, shots=shots)
    seconds["form"] = time.perf_counter() - start
    timeline = None
    if checkpoint is not None:
        from sportslens.predict import Predictor

        start = time.perf_counter()
        predictor = Predictor.load(Path(checkpoint), device=device)
        pose = predictor.model.input_adapter.reuse_pose(kp)  # a skeleton model's, not found twice
        timeline = predictor.timeline(source, keypoints=pose).to_dict()
        seconds["timeline"] = time.perf_counter() - start
    return VideoAnalysis(source, info, kp, form, timeline, seconds)


@dataclass(frozen=True)
class AnalysisFiles:
    """Where :func:`write_analysis` put each file."""

    folder: Path
    report: Path
    json: Path
    angles_csv: Path
    video: Path
    keypoints: Path
    """The pose found, to analyze again without MediaPipe (``--keypoints``)."""


def write_analysis(analysis: VideoAnalysis, out: str | os.PathLike[str]) -> AnalysisFiles:
    """Write the report folder ``out`` (see the module docstring); returns the paths."""
    from sportslens.analysis.annotate import write_annotated_video
    from sportslens.analysis.page import write_report_page

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    files = AnalysisFiles(
        folder,
        folder / "report.html",
        folder / "analysis.json",
        folder / "angles.csv",
        folder / "annotated.mp4",
        folder / "keypoints.npz",
    )
    save_keypoints(files.keypoints, analysis.keypoints)
    _write_text(files.json, json.dumps(analysis.to_dict(), indent=2) + "\n")
    write_angles_csv(analysis.form, files.angles_csv)
    stills = write_annotated_video(
        analysis.video, analysis.form, analysis.keypoints, files.video, analysis.key_frames()
    )
    write_report_page(analysis, stills, files)
    return files


def write_angles_csv(form: FormAnalysis, path: Path) -> Path:
    """One row a frame: ``frame``, ``time`` (s), each angle in degrees (empty: unmeasured)."""
    angles = form.angles
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["frame", "time", *angles.names])
        for index, row in enumerate(angles.degrees):  # row: (A,) degrees
            cells = ["" if np.isnan(v) else f"{v:.1f}" for v in row]
            writer.writerow([index, f"{index / angles.fps:.3f}", *cells])
    tmp.replace(path)
    return path


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
