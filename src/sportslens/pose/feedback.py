"""What a coach checks in each repetition, measured from the angles, with a verdict and its reason.

For every counted repetition :func:`repetition_feedback` measures

- **depth**: the smallest angle of the exercise's depth joints at the bottom (a squat's knees, a
  push-up's elbows), against :attr:`Standard.depth_below`; for a squat the hip crease below the
  knee (in the image) passes too;
- **lockout**: the largest angle of the lockout joints (hips and knees, or elbows) against
  :attr:`Standard.lockout_above`;
- **tempo**: seconds going down, pausing at the turn and coming up;
- **range of motion**: the counted signal's range as a fraction of the set's widest repetition;
- **asymmetry**: the mean left/right difference of the counted joint pair, when the athlete
  faces the camera (:data:`FACING_RATIO`);
- **trunk lean**: the largest lean from vertical, against :attr:`Standard.lean_below`.

Angles flagged as impossible (:func:`sportslens.pose.signal.implausible_angles`) are already
NaN in :class:`~sportslens.pose.form.FormAnalysis` and so never measured; each repetition says how
many frames were left out. The thresholds and their sources are in ``docs/form.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.angles import JointAngles
from sportslens.pose.exercises import find_exercise
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.layouts import COCO17_NAMES
from sportslens.pose.reps import Repetition, RepetitionReport, candidate_signals

Verdict = Literal["good", "partial", "check"]


@dataclass(frozen=True)
class Standard:
    """One exercise's thresholds in degrees (None: not checked). Sources: ``docs/form.md``."""

    depth: tuple[str, ...] = ()
    """Signals whose smallest value in the repetition is its depth (the smallest of them)."""
    depth_below: float | None = None
    lockout: tuple[str, ...] = ()
    """Signals that must all open past ``lockout_above`` at the top."""
    lockout_above: float | None = None
    lean_below: float | None = None


STANDARDS: dict[str, Standard] = {
    "squat": Standard(("knees",), 100.0, ("knees", "hips"), 160.0, 60.0),
    "lunge": Standard(("left_knee", "right_knee"), 100.0, ("knees",), 160.0, 30.0),
    "deadlift": Standard((), None, ("knees", "hips"), 160.0, None),
    "push_up": Standard(("elbows",), 100.0, ("elbows",), 155.0, None),
    "bench_press": Standard(("elbows",), 100.0, ("elbows",), 155.0, None),
    "pull_up": Standard(("elbows",), 90.0, ("elbows",), 150.0, None),
    "curl": Standard(("elbows",), 70.0, ("elbows",), 150.0, 20.0),
    "overhead_press": Standard((), None, ("elbows",), 160.0, 20.0),
    "sit_up": Standard(("hips",), 90.0, (), None, None),
}
"""The exercises with form standards; others get tempo, range and asymmetry only."""

MIN_RANGE_FRACTION = 0.8
"""A repetition under this fraction of the set's widest range is short (a half repetition)."""
FRONTAL_PLANE = frozenset(
    {"jumping_jack", "lateral_raise", "overhead_press", "arm_circles", "pull_up"}
)
"""Exercises whose joints swing across the camera when the athlete faces it, so the two sides'
2-D angles compare. A squat or push-up bends towards the camera: seen from the front, a knee
turned a little out reads 60° beside one pointing at the lens reading 110° (measured on a real
front-view squat), so its left/right difference is reported, never judged."""
MAX_ASYMMETRY = 20.0
"""Mean left/right difference (degrees) above which a repetition is lopsided. 2-D angles of the
far limb seen from the side are foreshortened, so only a large difference is worth a word."""
PAUSE_LEVEL = 0.9
"""The turn's pause: frames within 10% of the repetition's range from its extreme."""

_KNEES = (COCO17_NAMES.index("left_knee"), COCO17_NAMES.index("right_knee"))
_HIPS = (COCO17_NAMES.index("left_hip"), COCO17_NAMES.index("right_hip"))
_SHOULDERS = (COCO17_NAMES.index("left_shoulder"), COCO17_NAMES.index("right_shoulder"))


@dataclass(frozen=True)
class RepetitionFeedback:
    """One repetition's measurements (None: not measured), verdict and the reasons for it."""

    number: int
    verdict: Verdict
    reasons: tuple[str, ...]
    measures: dict[str, float | bool | None] = field(default_factory=dict)
    flagged_frames: int = 0
    """Frames of the repetition with an impossible angle, left out of every measurement."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "measures": self.measures,
            "flagged_frames": self.flagged_frames,
        }


def repetition_feedback(
    angles_signals: dict[str, NDArray[np.float64]],
    repetitions: tuple[Repetition, ...],
    counted: str,
    smoothed: NDArray[np.float64],
    fps: float,
    exercise: str | None = None,
    *,
    flagged: NDArray[np.bool_] | None = None,
    keypoints: Keypoints | None = None,
) -> list[RepetitionFeedback]:
    """The feedback on each repetition (see the module docstring).

    ``angles_signals`` are :func:`~sportslens.pose.reps.candidate_signals` of the clip (T,) each;
    ``counted`` the signal the repetitions were counted on and ``smoothed`` its (T,) curve;
    ``flagged`` (T, K) the impossible values of the angles measured here (see
    :func:`measured_angles`); ``keypoints`` the clip's, for hip-below-knee.
    """
    known = None if exercise is None else find_exercise(exercise)
    standard = STANDARDS.get(known.name, Standard()) if known else Standard()
    ranges = [rep.angle_max - rep.angle_min for rep in repetitions]
    best = max(ranges, default=0.0)
    found = []
    for number, (rep, span) in enumerate(zip(repetitions, ranges, strict=True), start=1):
        window = slice(rep.start, rep.end + 1)
        measures: dict[str, float | bool | None] = {
            **_tempo(smoothed[window], fps),
            "range_deg": round(span, 1),
            "range_of_best": round(span / best, 2) if best > 0 else None,
            "asymmetry_deg": _asymmetry(angles_signals, counted, window)
            if keypoints is None or _facing_camera(keypoints, window)
            else None,
            "trunk_lean_max_deg": _extreme(angles_signals, ("trunk_lean",), window, np.nanmax),
        }
        measures |= _standard_measures(angles_signals, standard, window, keypoints)
        frontal = known is not None and known.name in FRONTAL_PLANE
        verdict, reasons = _verdict(measures, standard, frontal)
        frames = 0 if flagged is None else int(flagged[window].any(axis=1).sum())
        if frames:
            plural = "" if frames == 1 else "s"
            reasons = (*reasons, f"{frames} frame{plural} of impossible angles left out")
        found.append(RepetitionFeedback(number, verdict, reasons, measures, frames))
    return found


def _standard_measures(
    signals: dict[str, NDArray[np.float64]],
    standard: Standard,
    window: slice,
    keypoints: Keypoints | None,
) -> dict[str, float | bool | None]:
    measures: dict[str, float | bool | None] = {}
    if standard.depth:
        measures["depth_deg"] = _extreme(signals, standard.depth, window, np.nanmin)
    if standard.lockout:
        tops = [_extreme(signals, (name,), window, np.nanmax) for name in standard.lockout]
        measures["lockout_deg"] = None if None in tops else min(t for t in tops if t is not None)
    if standard.depth == ("knees",) and keypoints is not None:
        measures["hip_below_knee"] = _hip_below_knee(keypoints, signals["knees"], window)
    return measures


def _verdict(
    measures: dict[str, float | bool | None], standard: Standard, frontal: bool
) -> tuple[Verdict, tuple[str, ...]]:
    """``partial`` for too little depth or range; ``check`` for a missed lockout, lean or (in a
    ``frontal`` exercise) a lopsided repetition; else ``good``. Each failed check gives its
    reason with the number."""
    partial, check = [], []
    depth = measures.get("depth_deg")
    if standard.depth_below is not None:
        if depth is None:
            check.append("depth not measured (joints unseen)")
        elif depth >= standard.depth_below and not measures.get("hip_below_knee"):
            joint = standard.depth[0].rstrip("s").replace("_", " ").replace("left ", "")
            partial.append(f"{joint} angle {depth:.0f}°, depth needs < {standard.depth_below:.0f}°")
    fraction = measures["range_of_best"]
    if isinstance(fraction, float) and fraction < MIN_RANGE_FRACTION:
        partial.append(f"range {fraction:.0%} of the set's best")
    lockout = measures.get("lockout_deg")
    above = standard.lockout_above
    if above is not None and isinstance(lockout, float) and lockout < above:
        check.append(f"no lockout: {lockout:.0f}°, needs > {standard.lockout_above:.0f}°")
    lean = measures["trunk_lean_max_deg"]
    if standard.lean_below is not None and isinstance(lean, float) and lean >= standard.lean_below:
        check.append(f"trunk lean {lean:.0f}°, keep it < {standard.lean_below:.0f}°")
    asymmetry = measures["asymmetry_deg"]
    if frontal and isinstance(asymmetry, float) and asymmetry > MAX_ASYMMETRY:
        check.append(f"left/right differ by {asymmetry:.0f}° on average")
    if partial:
        return "partial", tuple(partial + check)
    return ("check", tuple(check)) if check else ("good", ())


def _extreme(
    signals: dict[str, NDArray[np.float64]], names: tuple[str, ...], window: slice, pick: Any
) -> float | None:
    """``pick`` (nanmin or nanmax) over the named signals' measured values in ``window``."""
    values = np.concatenate([signals[n][window] for n in names if n in signals] or [np.empty(0)])
    values = values[np.isfinite(values)]
    return round(float(pick(values)), 1) if values.size else None


def _tempo(curve: NDArray[np.float64], fps: float) -> dict[str, float | bool | None]:
    """Seconds down (rest to the turn's pause), paused (within 10% of the extreme) and up."""
    if not np.isfinite(curve).all() or len(curve) < 3:
        return {"down_s": None, "pause_s": None, "up_s": None}
    away = np.abs(curve - curve[0])  # (S,) distance from where the repetition began
    level = away / max(float(away.max()), 1e-9)
    turn = np.flatnonzero(level >= PAUSE_LEVEL)
    first, last = int(turn[0]), int(turn[-1])
    return {
        "down_s": round(first / fps, 2),
        "pause_s": round((last - first) / fps, 2),
        "up_s": round((len(curve) - 1 - last) / fps, 2),
    }


def _asymmetry(
    signals: dict[str, NDArray[np.float64]], counted: str, window: slice
) -> float | None:
    """Mean |left - right| of the counted pair (``knees`` → left/right knee) in ``window``."""
    joint = counted.rstrip("s")
    left, right = signals.get(f"left_{joint}"), signals.get(f"right_{joint}")
    if left is None or right is None:
        return None
    difference = np.abs(left[window] - right[window])
    difference = difference[np.isfinite(difference)]
    return round(float(difference.mean()), 1) if difference.size else None


FACING_RATIO = 0.5
"""Shoulder width over torso length above which the athlete faces the camera (front view:
~0.8-1.0; side view: ~0.1-0.3). Left and right are compared only then: from the side the far
limb is hidden and foreshortened, and its 2-D angle differs from the near one's for no fault."""


def _facing_camera(keypoints: Keypoints, window: slice) -> bool:
    """Whether the athlete faces the camera (median over ``window``; see FACING_RATIO)."""
    coco = keypoints.to_coco17()
    points = coco.keypoints[window].astype(np.float64)  # (S, 17, 2)
    shoulders = np.linalg.norm(points[:, _SHOULDERS[0]] - points[:, _SHOULDERS[1]], axis=1)
    mid_shoulder = points[:, list(_SHOULDERS)].mean(axis=1)  # (S, 2)
    mid_hip = points[:, list(_HIPS)].mean(axis=1)
    torso = np.linalg.norm(mid_shoulder - mid_hip, axis=1)  # (S,)
    ok = torso > 0
    return bool(ok.any() and np.median(shoulders[ok] / torso[ok]) >= FACING_RATIO)


def _hip_below_knee(keypoints: Keypoints, knees: NDArray[np.float64], window: slice) -> bool | None:
    """At the repetition's deepest knee angle: is either hip lower in the image than its knee?"""
    values = knees[window]
    if not np.isfinite(values).any():
        return None
    bottom = (window.start or 0) + int(np.nanargmin(values))
    coco = keypoints.to_coco17()
    y = coco.keypoints[bottom, :, 1]  # (17,) image y grows downwards
    seen = coco.scores[bottom] > 0
    sides = [(h, k) for h, k in zip(_HIPS, _KNEES, strict=True) if seen[h] and seen[k]]
    return any(bool(y[h] >= y[k]) for h, k in sides) if sides else None


def measured_angles(counted: str, exercise: str | None) -> set[str]:
    """The joint angles feedback reads for ``exercise`` counted on ``counted``."""
    known = None if exercise is None else find_exercise(exercise)
    standard = STANDARDS.get(known.name, Standard()) if known else Standard()
    names = {counted, *standard.depth, *standard.lockout, "trunk_lean"}
    pairs = {f"{side}_{n.rstrip('s')}" for n in names for side in ("left", "right")}
    return names | pairs


def clip_feedback(
    angles: JointAngles,
    report: RepetitionReport,
    exercise: str | None,
    *,
    flagged: NDArray[np.bool_] | None = None,
    keypoints: Keypoints | None = None,
) -> list[RepetitionFeedback]:
    """:func:`repetition_feedback` on a clip's angles and the repetitions counted in them.

    ``flagged`` (T, A) marks every impossible angle; only those of the angles measured for this
    exercise count in a repetition's ``flagged_frames`` (a hidden wrist does not spoil a squat).
    """
    if flagged is not None:
        used = measured_angles(report.signal, exercise)
        flagged = flagged[:, [i for i, name in enumerate(angles.names) if name in used]]
    return repetition_feedback(
        candidate_signals(angles),
        report.repetitions,
        report.signal,
        report.smoothed,
        report.fps,
        exercise,
        flagged=flagged,
        keypoints=keypoints,
    )
