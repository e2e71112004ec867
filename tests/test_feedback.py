"""Per-repetition feedback: depth, lockout, tempo, range, asymmetry, lean, impossible angles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from sportslens.pose.feedback import RepetitionFeedback, repetition_feedback
from sportslens.pose.layouts import COCO17_NAMES
from sportslens.pose.reps import measure_repetition

FPS = 10.0


def _squat_knees(bottoms: list[float], pause: int = 0) -> NDArray[np.float64]:
    """Standing 170° between repetitions; each goes down in 5 frames, pauses, comes up in 5."""
    curve = [170.0] * 3
    for bottom in bottoms:
        down = np.linspace(170, bottom, 6)[1:]
        curve += [*down, *[bottom] * pause, *down[::-1][1:], 170.0, 170.0, 170.0]
    return np.array(curve)


def _feedback(
    knees: NDArray[np.float64], lean: float = 20.0, exercise: str = "squat", **kw: Any
) -> list[RepetitionFeedback]:
    signals = {
        "left_knee": knees,
        "right_knee": knees + kw.pop("offset", 0.0),
        "knees": knees,
        "hips": np.full_like(knees, 170.0),
        "trunk_lean": np.full_like(knees, lean),
    }
    starts = [i for i in range(1, len(knees)) if knees[i - 1] == 170 and knees[i] < 170]
    ends = [i for i in range(1, len(knees)) if knees[i - 1] < 170 and knees[i] == 170]
    pairs = zip(starts, ends, strict=True)
    reps = tuple(measure_repetition(signals, knees, FPS, s - 1, e) for s, e in pairs)
    return repetition_feedback(signals, reps, "knees", knees, FPS, exercise, **kw)


def test_a_shallow_squat_is_partial_with_its_knee_angle_and_the_threshold() -> None:
    good, shallow = _feedback(_squat_knees([80.0, 118.0]))
    assert good.verdict == "good" and good.reasons == ()
    assert good.measures["depth_deg"] == 80.0 and good.measures["lockout_deg"] == 170.0
    assert shallow.verdict == "partial"
    assert shallow.reasons[0] == "knee angle 118°, depth needs < 100°"
    assert shallow.measures["range_of_best"] == pytest.approx(52 / 90, abs=0.01)
    assert "range 58% of the set's best" in shallow.reasons


def test_tempo_counts_down_pause_and_up_in_seconds() -> None:
    (rep,) = _feedback(_squat_knees([80.0], pause=6))
    # 1 rest frame + 5 down, 7 frames at the bottom (6 paused + the last down), 5 up.
    assert rep.measures["down_s"] == 0.5
    assert rep.measures["pause_s"] == 0.6
    assert rep.measures["up_s"] == 0.5


def test_lean_is_checked_and_asymmetry_judged_only_across_the_camera() -> None:
    (rep,) = _feedback(_squat_knees([80.0]), lean=70.0, offset=30.0)
    assert rep.verdict == "check" and rep.reasons == ("trunk lean 70°, keep it < 60°",)
    assert rep.measures["asymmetry_deg"] == 30.0  # a squat's: reported, not judged
    (jack,) = _feedback(_squat_knees([80.0]), offset=30.0, exercise="jumping_jack")
    assert jack.verdict == "check" and jack.reasons == ("left/right differ by 30° on average",)


def test_impossible_angles_are_counted_and_left_out() -> None:
    knees = _squat_knees([80.0])
    flagged = np.zeros((len(knees), 2), dtype=bool)
    flagged[6, 0] = True
    knees_measured = knees.copy()
    (rep,) = _feedback(knees_measured, flagged=flagged)
    assert rep.flagged_frames == 1 and "1 frame of impossible angles left out" in rep.reasons


def test_a_folded_knee_is_flagged_and_kept_out_of_the_depth(athletes: Path) -> None:
    """A knee at 0° (the ankle drawn on the hip) in one frame is a pose error, not depth."""
    from dataclasses import replace

    from sportslens.pose.form import analyze_form
    from sportslens.pose.keypoints import load_keypoints

    kp = load_keypoints(sorted((athletes / "squat").glob("*.npz"))[0]).to_coco17()
    clean = analyze_form(kp, "squat")
    first = clean.repetitions.repetitions[0]
    bottom = first.start + (first.end - first.start) // 2
    points = kp.keypoints.copy()
    for side in ("left", "right"):
        hip, ankle = COCO17_NAMES.index(f"{side}_hip"), COCO17_NAMES.index(f"{side}_ankle")
        points[bottom, ankle] = points[bottom, hip]  # the shin folded onto the thigh: 0°
    broken = analyze_form(replace(kp, keypoints=points), "squat")
    before, after = clean.feedback()[0], broken.feedback()[0]
    assert after.flagged_frames == 1 and before.flagged_frames == 0
    assert "1 frame of impossible angles left out" in after.reasons
    assert after.measures["depth_deg"] == pytest.approx(before.measures["depth_deg"], abs=15)
    assert after.measures["depth_deg"] > 15  # never the folded 0°
