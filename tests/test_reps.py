"""Repetition counting on synthetic signals with known counts and on the synthetic athletes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportslens.pose import load_keypoints
from sportslens.pose.angles import ANGLE_NAMES, JointAngles, joint_angles
from sportslens.pose.reps import (
    count_repetitions,
    fill_gaps,
    gaussian_smooth,
    hysteresis_cycles,
    periodicity,
)

FPS = 30.0


def squats(reps: int, period_s: float = 1.5, rest_s: float = 0.6) -> np.ndarray:
    """A knee angle (T,): standing at 175°, each repetition a cosine dip to 85°, rest around."""
    rest = np.full(round(rest_s * FPS), 175.0)
    phase = np.arange(round(reps * period_s * FPS)) / (period_s * FPS)  # repetitions done
    dips = 130.0 + 45.0 * np.cos(2 * np.pi * phase)  # 175 at each boundary, 85 mid-repetition
    return np.concatenate([rest, dips, rest])


def angles_with(signals: dict[str, np.ndarray], frames: int) -> JointAngles:
    """Angles where the named series are given and every other angle idles at a constant."""
    degrees = np.full((frames, len(ANGLE_NAMES)), 160.0)
    for name, series in signals.items():
        degrees[:, ANGLE_NAMES.index(name)] = series
    return JointAngles(ANGLE_NAMES, degrees, FPS)


@pytest.mark.parametrize("reps", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("noise", [0.0, 4.0])
def test_counts_clean_and_noisy_repetitions(reps: int, noise: float) -> None:
    knee = squats(reps)
    knee = knee + np.random.default_rng(reps).normal(0.0, noise, knee.shape)  # keypoint jitter
    jitter = np.random.default_rng(99).normal(0.0, noise, knee.shape)
    angles = angles_with(
        {"left_knee": knee, "right_knee": knee[::-1], "trunk_lean": jitter}, len(knee)
    )
    report = count_repetitions(angles)
    assert report.count == reps
    assert report.signal in {"left_knee", "right_knee", "knees"}
    rest = round(0.6 * FPS)
    for i, rep in enumerate(report.repetitions):  # each one spans its own 1.5 s
        assert abs(rep.start - (rest + i * 45)) <= 6 and abs(rep.end - (rest + (i + 1) * 45)) <= 6
        assert rep.duration_s == pytest.approx(1.5, abs=0.4)
        assert rep.angle_min == pytest.approx(85.0, abs=3 * noise + 1)  # the depth reached
        assert rep.extremes[report.signal][0] == pytest.approx(rep.angle_min, abs=1e-9)
    if reps >= 3:
        assert report.period_s == pytest.approx(1.5, rel=0.1)  # rest around blurs the peak


def test_a_signal_that_rests_low_counts_rises() -> None:
    # A shoulder that starts with the arm down (20°) and raises it to 170° three times.
    shoulder = 20.0 + 150.0 * (175.0 - squats(3)) / 90.0
    report = count_repetitions(angles_with({"left_shoulder": shoulder}, len(shoulder)))
    assert report.count == 3 and report.signal == "left_shoulder"
    assert all(rep.angle_max == pytest.approx(170.0, abs=1.0) for rep in report.repetitions)


def test_idle_sway_and_jitter_count_no_repetitions() -> None:
    t = np.arange(90) / FPS
    sway = 170.0 + 5.0 * np.sin(2 * np.pi * 0.8 * t)  # ±5°: less than min_range
    noisy = sway + np.random.default_rng(0).normal(0.0, 2.0, 90)
    assert count_repetitions(angles_with({"left_knee": noisy}, 90)).count == 0


def test_the_exercise_picks_its_signal_and_unknown_names_are_errors() -> None:
    knee, elbow = squats(2), squats(4, period_s=0.75)  # the same length
    angles = angles_with({"left_knee": knee, "right_knee": knee, "left_elbow": elbow}, len(knee))
    assert count_repetitions(angles, "squat").signal == "knees"
    assert count_repetitions(angles, "squat").count == 2
    assert count_repetitions(angles, "left_elbow").count == 4
    with pytest.raises(ValueError, match="unknown exercise 'kettlebell_swing'"):
        count_repetitions(angles, "kettlebell_swing")


def test_hysteresis_ignores_chatter_around_one_threshold() -> None:
    level = np.array([0, 0.2, 0.35, 0.25, 0.35, 0.7, 0.5, 0.65, 0.2, 0.1, 0.8, 0.9, 0.4])
    assert hysteresis_cycles(level, 0.3, 0.6) == [(3, 9), (9, 12)]  # the last runs to the end


def test_periodicity_finds_the_period_and_not_a_single_bump() -> None:
    wave = np.sin(2 * np.pi * np.arange(200) / 25)
    height, lag = periodicity(wave, min_lag=5)
    assert lag == 25 and height > 0.8
    bump = np.exp(-0.5 * ((np.arange(100) - 50) / 8) ** 2)
    assert periodicity(bump, min_lag=5)[0] == 0.0


def test_gaps_are_filled_and_smoothing_keeps_the_mean() -> None:
    signal = np.array([1.0, np.nan, 3.0, np.nan, np.nan, 6.0])
    np.testing.assert_allclose(fill_gaps(signal), [1, 2, 3, 4, 5, 6])  # type: ignore[arg-type]
    assert fill_gaps(np.array([1.0, np.nan, np.nan, np.nan])) is None  # under half known
    steps = np.repeat([0.0, 10.0], 50)
    smooth = gaussian_smooth(steps, 3.0)
    assert smooth.shape == steps.shape and smooth.mean() == pytest.approx(5.0, abs=0.05)
    assert 0 < smooth[49] < 10 and smooth[0] == pytest.approx(0) and smooth[-1] == pytest.approx(10)


def test_counts_the_synthetic_athletes_true_repetitions(athletes: Path) -> None:
    files = sorted(athletes.rglob("*.npz"))
    counted = []
    for path in files:
        true_reps = int(np.load(path)["reps"])
        counted.append(count_repetitions(joint_angles(load_keypoints(path))).count == true_reps)
    assert len(files) == 15 and np.mean(counted) >= 0.9
