"""Smoothing: less jitter, no pull towards missed frames, Savitzky–Golay equal to scipy's."""

from __future__ import annotations

import numpy as np
import pytest

from sportslens.pose import Keypoints, one_euro, savgol, smooth_keypoints

FPS = 30.0


def noisy_track(frames: int = 150, joints: int = 17, noise: float = 2.0, seed: int = 0):  # type: ignore[no-untyped-def]
    """A squat-like 1 Hz up-and-down motion of 40 px, with Gaussian pixel noise."""
    t = np.arange(frames) / FPS
    clean = np.zeros((frames, joints, 2))
    clean[..., 0] = 100 + 5 * np.arange(joints)
    clean[..., 1] = 200 + 40 * np.sin(2 * np.pi * 1.0 * t)[:, None]
    rng = np.random.default_rng(seed)
    return clean, clean + rng.normal(0, noise, clean.shape), np.ones((frames, joints))


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def jitter(track: np.ndarray) -> float:
    """Mean absolute second difference: frame-to-frame shake."""
    return float(np.abs(np.diff(track, 2, axis=0)).mean())


def test_savgol_reduces_error_and_jitter_on_a_moving_joint() -> None:
    clean, noisy, scores = noisy_track()
    smoothed = savgol(noisy, scores)
    assert smoothed.dtype == np.float32 and smoothed.shape == noisy.shape
    assert rmse(smoothed, clean) < 0.75 * rmse(noisy, clean)
    assert jitter(smoothed) < 0.5 * jitter(noisy)


def test_one_euro_halves_jitter_with_bounded_lag_on_a_moving_joint() -> None:
    """Causal filters trade jitter for lag; on a fast 1 Hz squat the lag stays small."""
    clean, noisy, scores = noisy_track()
    smoothed = one_euro(noisy, scores, FPS)
    assert smoothed.dtype == np.float32 and smoothed.shape == noisy.shape
    assert jitter(smoothed) < 0.6 * jitter(noisy)
    assert rmse(smoothed, clean) < 1.5 * rmse(noisy, clean)


def test_a_still_joint_is_held_nearly_still_by_one_euro() -> None:
    rng = np.random.default_rng(1)
    still = 50 + rng.normal(0, 1.5, (200, 1, 2))
    smoothed = one_euro(still, np.ones((200, 1)), FPS, min_cutoff=0.5, beta=0.0)
    assert smoothed[50:].std() < 0.35 * still[50:].std()


@pytest.mark.parametrize("method", ["one-euro", "savgol"])
def test_missed_frames_are_left_alone_and_do_not_pull(method: str) -> None:
    clean, noisy, scores = noisy_track(frames=90, joints=2, noise=0.0)
    noisy[40:50] = 0.0  # placeholder position of frames with no person
    scores[40:50] = 0.0
    smoothed = one_euro(noisy, scores, FPS) if method == "one-euro" else savgol(noisy, scores)
    np.testing.assert_array_equal(smoothed[40:50], 0.0)
    # Next to the gap the track stays on the (noise-free) motion instead of dipping towards 0.
    for frame in (38, 39, 50, 51):
        assert np.abs(smoothed[frame] - clean[frame]).max() < 8.0, frame


def test_savgol_equals_scipy_on_each_run() -> None:
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(2)
    track = rng.normal(size=(60, 3, 2))
    scores = np.ones((60, 3))
    scores[20, 1] = 0  # joint 1 has runs of 20 and 39 frames
    scores[:56, 2] = 0  # joint 2 has a run of 4 frames: a window of 3 fits it
    out = savgol(track, scores, window=9, order=2)
    np.testing.assert_allclose(
        out[:, 0], signal.savgol_filter(track[:, 0], 9, 2, axis=0), atol=1e-5
    )
    np.testing.assert_allclose(
        out[21:, 1], signal.savgol_filter(track[21:, 1], 9, 2, axis=0), atol=1e-5
    )
    np.testing.assert_allclose(
        out[56:, 2], signal.savgol_filter(track[56:, 2], 3, 2, axis=0), atol=1e-5
    )


def test_bad_settings_are_refused() -> None:
    _, noisy, scores = noisy_track(frames=10)
    with pytest.raises(ValueError, match="odd"):
        savgol(noisy, scores, window=4)
    with pytest.raises(ValueError, match="order"):
        savgol(noisy, scores, window=5, order=5)
    with pytest.raises(ValueError, match="fps"):
        one_euro(noisy, scores, 0)


def test_smooth_keypoints_keeps_everything_but_the_positions() -> None:
    _, noisy, scores = noisy_track(frames=40)
    kp = Keypoints(noisy, scores, "coco17", FPS, (320, 240), "a.mp4")
    assert smooth_keypoints(kp, "none") is kp
    out = smooth_keypoints(kp, "savgol")
    assert (out.layout, out.fps, out.size, out.source) == (kp.layout, kp.fps, kp.size, kp.source)
    np.testing.assert_array_equal(out.scores, kp.scores)
    assert not np.array_equal(out.keypoints, kp.keypoints)
    with pytest.raises(ValueError, match="unknown smoothing"):
        smooth_keypoints(kp, "kalman")  # type: ignore[arg-type]
