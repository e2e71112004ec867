"""Temporal smoothing of jittery keypoints: a One-Euro filter and a Savitzky–Golay filter.

Both are pure functions of arrays. A joint's track is split at frames where its score is 0 (not
detected): each run of detected frames is filtered on its own, so a filter never pulls a joint
towards the placeholder position of a missed frame, and missed frames come back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.keypoints import Keypoints

SmoothMethod = Literal["none", "one-euro", "savgol"]


def _runs(detected: NDArray[np.bool_]) -> Iterator[slice]:
    """Slices of consecutive True values in a (T,) boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], detected.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        yield slice(int(start), int(stop))


def one_euro(
    keypoints: NDArray[Any],
    scores: NDArray[Any],
    fps: float,
    *,
    min_cutoff: float = 1.0,
    beta: float = 0.1,
    d_cutoff: float = 1.0,
) -> NDArray[np.float32]:
    """One-Euro filter (Casiez et al., CHI 2012) of ``keypoints`` (T, V, 2) along time.

    A low-pass filter whose cutoff rises with speed: ``min_cutoff`` (Hz) sets how much a still
    joint is smoothed (lower: less jitter), ``beta`` how quickly the cutoff follows motion
    (higher: less lag); speeds are in pixels per second. Causal, so it suits live use.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    points = np.asarray(keypoints, dtype=np.float64)  # (T, V, 2)
    out = points.copy()
    detected = np.asarray(scores) > 0  # (T, V)
    period = 1.0 / fps

    def alpha(cutoff: NDArray[Any] | float) -> NDArray[Any] | float:
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau / period)

    for joint in range(points.shape[1]):
        for run in _runs(detected[:, joint]):
            track = points[run, joint]  # (n, 2)
            smoothed = track.copy()
            speed = np.zeros(2)
            for t in range(1, len(track)):
                raw_speed = (track[t] - smoothed[t - 1]) / period
                speed = speed + alpha(d_cutoff) * (raw_speed - speed)
                cutoff = min_cutoff + beta * np.abs(speed)
                a = alpha(cutoff)
                smoothed[t] = smoothed[t - 1] + a * (track[t] - smoothed[t - 1])
            out[run, joint] = smoothed
    return out.astype(np.float32)


def savgol(
    keypoints: NDArray[Any],
    scores: NDArray[Any],
    *,
    window: int = 9,
    order: int = 2,
) -> NDArray[np.float32]:
    """Savitzky–Golay filter of ``keypoints`` (T, V, 2): a least-squares polynomial of ``order``
    fitted over ``window`` frames around each frame.

    Keeps peaks (the bottom of a squat) better than a moving average of the same width; not
    causal. Plain numpy, equal to scipy's ``savgol_filter(mode="interp")``. A run of detected
    frames shorter than the window uses the longest odd window that fits it; runs too short for
    any fit are left as they are.
    """
    if window < 3 or window % 2 == 0:
        raise ValueError(f"window must be an odd number of frames >= 3, got {window}")
    if not 0 <= order < window:
        raise ValueError(f"order must be in [0, window), got order {order} for window {window}")
    points = np.asarray(keypoints, dtype=np.float64)  # (T, V, 2)
    out = points.copy()
    detected = np.asarray(scores) > 0  # (T, V)
    for joint in range(points.shape[1]):
        for run in _runs(detected[:, joint]):
            length = run.stop - run.start
            fit = min(window, length if length % 2 else length - 1)
            if fit <= order:
                continue
            out[run, joint] = _savgol_track(points[run, joint], fit, order)
    return out.astype(np.float32)


def _savgol_track(track: NDArray[Any], window: int, order: int) -> NDArray[Any]:
    """Savitzky–Golay of one (n, 2) track, n >= window; the ends use the polynomial fitted to
    the first and last window (scipy's ``mode="interp"``), so no padding is invented."""
    half = window // 2
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    vandermonde = offsets[:, None] ** np.arange(order + 1)  # (window, order + 1)
    fit = np.linalg.pinv(vandermonde)  # (order + 1, window): polynomial coefficients from samples
    out = track.copy()
    windows = np.lib.stride_tricks.sliding_window_view(track, window, axis=0)  # (n-w+1, 2, w)
    out[half : len(track) - half] = windows @ fit[0]  # value of each fit at its centre
    head = vandermonde[:half] @ (fit @ track[:window])  # (half, 2)
    tail = vandermonde[half + 1 :] @ (fit @ track[-window:])
    out[:half], out[len(track) - half :] = head, tail
    return out


def smooth_keypoints(kp: Keypoints, method: SmoothMethod = "one-euro") -> Keypoints:
    """``kp`` with its keypoints smoothed by ``method`` (scores unchanged), default settings."""
    match method:
        case "none":
            return kp
        case "one-euro":
            points = one_euro(kp.keypoints, kp.scores, kp.fps)
        case "savgol":
            points = savgol(kp.keypoints, kp.scores)
        case _:
            raise ValueError(f"unknown smoothing {method!r}; expected none, one-euro or savgol")
    return replace(kp, keypoints=points)
