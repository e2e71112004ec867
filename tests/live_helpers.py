"""Helpers for the live tests: generated athletes as frames, JPEGs and y4m; a cheap pose."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from sportslens.pose.keypoints import Keypoints
from sportslens.serve.live_limits import FramePose, LiveSessions


def athlete(
    seconds: float, fps: float, size: int = 256, seed: int = 0
) -> tuple[list[NDArray[Any]], int]:
    """A generated squatting athlete's (H, W, 3) uint8 frames and its true repetition count."""
    from sportslens.synth.clips import render_frames, sample_clip_spec
    from sportslens.synth.settings import ClipSettings

    settings = ClipSettings(fps=fps, size=size, seed=seed).lasting(seconds)
    spec = sample_clip_spec("squat", 0, settings)
    return list(render_frames(spec)), spec.schedule.reps


def jpeg(frame: NDArray[Any], quality: int = 85) -> bytes:
    out = io.BytesIO()
    Image.fromarray(frame).save(out, format="JPEG", quality=quality)
    return out.getvalue()


@dataclass
class NoPose:
    """A pose model that finds nobody, counting how often sessions enter and leave it.

    With ``mediapipe=True`` the frames go to MediaPipe (real keypoints); the counts still tell
    a test when every session has left its model (MediaPipe swaps descriptor 2 while it runs,
    which must not outlive the test's output capture).
    """

    mediapipe: bool = False
    entered: int = 0
    left: int = 0
    frames: list[tuple[int, int]] = field(default_factory=list)

    @contextmanager
    def __call__(self, fps: float) -> Iterator[FramePose]:
        self.entered += 1
        try:
            if self.mediapipe:
                from sportslens.pose.backends.mediapipe import mediapipe_frames

                with mediapipe_frames(fps, quiet=False) as pose:
                    yield self._counted(pose)
            else:
                yield self._counted(lambda frame: _nobody(frame, fps))
        finally:
            self.left += 1

    def _counted(self, pose: FramePose) -> FramePose:
        def one(frame: NDArray[np.uint8]) -> Keypoints:
            self.frames.append((frame.shape[1], frame.shape[0]))
            return pose(frame)

        return one

    def wait_until_left(self, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while self.left < self.entered and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.left == self.entered


def all_sessions_closed(sessions: LiveSessions, timeout_s: float = 10.0) -> bool:
    """Whether every live session is released within ``timeout_s``.

    The server releases a session in its handler's last ``finally``, just after the session
    leaves its pose model, so a test that saw the client go must wait for that step too.
    """
    deadline = time.monotonic() + timeout_s
    while sessions.open and time.monotonic() < deadline:
        time.sleep(0.01)
    return sessions.open == 0


def _nobody(frame: NDArray[np.uint8], fps: float) -> Keypoints:
    height, width = frame.shape[:2]
    zeros = np.zeros((1, 33, 2), np.float32)  # (1, 33, 2)
    return Keypoints(zeros, zeros[..., 0], "blazepose33", fps, (width, height), "test")
