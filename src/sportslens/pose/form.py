"""Form analysis of one clip: joint angles over time and the repetitions, as data.

:func:`analyze_form` returns a :class:`FormAnalysis`; ``sportslens form`` renders it as tables,
JSON (:meth:`FormAnalysis.to_dict`) or a plot (:mod:`sportslens.pose.form_plot`).
"""

from __future__ import annotations

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

if TYPE_CHECKING:
    from sportslens.pose.backends import Backend


def keypoints_from(source: str | Path, backend: Backend = "mediapipe") -> Keypoints:
    """A keypoint ``.npz`` file's keypoints, or those a pose backend finds in a video."""
    if Path(source).suffix.lower() == ".npz":
        return load_keypoints(source)
    from sportslens.pose import extract_keypoints  # loads MediaPipe or transformers on use

    return extract_keypoints(str(source), backend)


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
) -> FormAnalysis:
    """Joint angles of ``kp`` and the repetitions in them (on ``exercise``'s signal if named).

    Joints scored at or below ``min_score`` are unseen; angles that cannot be right
    (:func:`~sportslens.pose.signal.implausible_angles`) are left out; repetitions are counted
    inside each span of steady sight (:func:`~sportslens.pose.signal.find_spans`, split at
    ``cuts`` too), never across a break.
    """
    span_config = replace(spans or SpanConfig(), min_score=min_score)
    measured = joint_angles(kp, min_score=min_score)
    flagged = implausible_angles(measured)
    angles = plausible(measured)
    found = find_spans(kp, span_config, cuts)
    report = count_in_spans(angles, found, exercise, config)
    return FormAnalysis(kp.source, exercise, angles, report, flagged, kp)
