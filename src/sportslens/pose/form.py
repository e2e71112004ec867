"""Form analysis of one clip: joint angles over time and the repetitions, as data.

:func:`analyze_form` returns a :class:`FormAnalysis`; ``sportslens form`` renders it as tables,
JSON (:meth:`FormAnalysis.to_dict`) or a plot (:mod:`sportslens.pose.form_plot`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.angles import JointAngles, joint_angles
from sportslens.pose.counting import count_in_spans
from sportslens.pose.feedback import RepetitionFeedback, clip_feedback
from sportslens.pose.keypoints import Keypoints, load_keypoints
from sportslens.pose.reps import CountConfig, RepetitionReport
from sportslens.pose.signal import SpanConfig, find_spans, implausible_angles, plausible
from sportslens.shots import ShotChange, ThumbnailRecorder, find_shot_changes, video_thumbnails

if TYPE_CHECKING:
    from sportslens.pose.backends import Backend


def keypoints_from(source: str | Path, backend: Backend = "mediapipe") -> Keypoints:
    """A keypoint ``.npz`` file's keypoints, or those a pose backend finds in a video."""
    return keypoints_and_shots(source, backend, find_shots=False)[0]


def keypoints_and_shots(
    source: str | Path,
    backend: Backend = "mediapipe",
    *,
    import_from: str | os.PathLike[str] | None = None,
    find_shots: bool = True,
) -> tuple[Keypoints, list[ShotChange]]:
    """The pose of a video (or a keypoint ``.npz`` file's) and the video's shot changes.

    MediaPipe hands each frame it decodes to :class:`~sportslens.shots.ThumbnailRecorder`; the
    other backends (and ``import_from``, a keypoint file for the video) get a small second
    decode. A keypoint file alone has no frames, hence no shot changes.
    """
    if Path(source).suffix.lower() == ".npz":
        return load_keypoints(source), []
    from sportslens.pose import extract_keypoints  # loads MediaPipe or transformers on use

    video = str(source)
    if import_from is not None:
        kp = extract_keypoints(video, "import", import_from=import_from)
        return kp, find_shot_changes(video_thumbnails(video), kp.fps) if find_shots else []
    if not find_shots:
        return extract_keypoints(video, backend), []
    if backend != "mediapipe":
        kp = extract_keypoints(video, backend)
        return kp, find_shot_changes(video_thumbnails(video), kp.fps)
    recorder = ThumbnailRecorder()
    kp = extract_keypoints(video, backend, on_frame=recorder)
    return kp, find_shot_changes(recorder.thumbnails(), kp.fps)


@dataclass(frozen=True, eq=False)
class FormAnalysis:
    """The angles of a clip and the repetitions counted in them."""

    source: str
    exercise: str | None
    angles: JointAngles
    repetitions: RepetitionReport
    flagged: NDArray[np.bool_] | None = None
    """(T, A) angles found impossible and left out of ``angles`` (NaN there)."""
    keypoints: Keypoints | None = None
    shots: tuple[ShotChange, ...] = ()
    """Shot changes found in the video's frames (:mod:`sportslens.shots`), split at."""

    def feedback(self) -> list[RepetitionFeedback]:
        """What a coach checks in each repetition (:mod:`sportslens.pose.feedback`)."""
        return clip_feedback(
            self.angles,
            self.repetitions,
            self.exercise,
            flagged=self.flagged,
            keypoints=self.keypoints,
        )

    def angle_summary(self) -> dict[str, dict[str, float | None]]:
        """Per angle: min, max and mean over the frames where it was measured (None if never)."""
        summary: dict[str, dict[str, float | None]] = {}
        for name in self.angles.names:
            values = self.angles[name][np.isfinite(self.angles[name])]
            stats = (values.min(), values.max(), values.mean()) if values.size else (None,) * 3
            summary[name] = {
                key: None if value is None else round(float(value), 1)
                for key, value in zip(("min", "max", "mean"), stats, strict=True)
            }
        return summary

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: summary, repetitions and every angle per frame (null: unmeasured)."""
        per_frame = {
            name: [None if np.isnan(v) else round(float(v), 1) for v in self.angles[name]]
            for name in self.angles.names
        }
        return {
            "source": self.source,
            "exercise": self.exercise,
            "fps": self.angles.fps,
            "frames": self.angles.num_frames,
            "angles": self.angle_summary(),
            **self.repetitions.to_dict(),
            "feedback": [rep.to_dict() for rep in self.feedback()],
            "impossible_angles": None if self.flagged is None else int(self.flagged.sum()),
            "shot_changes": [shot.to_dict() for shot in self.shots],
            "angles_per_frame": per_frame,
        }


def analyze_form(
    kp: Keypoints,
    exercise: str | None = None,
    *,
    min_score: float = SpanConfig.min_score,
    config: CountConfig | None = None,
    spans: SpanConfig | None = None,
    cuts: Sequence[int] = (),
    shots: Sequence[ShotChange] = (),
) -> FormAnalysis:
    """Joint angles of ``kp`` and the repetitions in them (on ``exercise``'s signal if named).

    Joints scored at or below ``min_score`` are unseen; angles that cannot be right
    (:func:`~sportslens.pose.signal.implausible_angles`) are left out; repetitions are counted
    inside each span of steady sight (:func:`~sportslens.pose.signal.find_spans`, split at
    ``cuts`` and at the ``shots`` found in the video too), never across a break.
    """
    span_config = replace(spans or SpanConfig(), min_score=min_score)
    measured = joint_angles(kp, min_score=min_score)
    flagged = implausible_angles(measured)
    angles = plausible(measured)
    found = find_spans(kp, span_config, [*cuts, *(shot.boundary for shot in shots)])
    report = count_in_spans(angles, found, exercise, config)
    return FormAnalysis(kp.source, exercise, angles, report, flagged, kp, tuple(shots))
