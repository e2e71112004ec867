"""Limits of the playground's live mode, and the count of live sessions they bound.

A live session holds a pose model (tens of MB) and a thread, and analyses every frame it is
sent, so sessions are few and each one's frame rate and frame size are capped, as uploads are.
A WebSocket's close frame carries a code and a reason the page shows: the codes are below.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sportslens.live_analysis import PeopleFn
from sportslens.pose.keypoints import Keypoints

MB = 1024 * 1024

CLOSE_ENDED = 1000  # the stream ended: the summary was sent
CLOSE_POLICY = 1008  # a bad parameter or API key, frames faster than the limit, a refused URL
CLOSE_TOO_BIG = 1009  # a frame over the byte or pixel limit
CLOSE_FAILED = 1011  # the stream could not be opened or failed, or the pose model failed
CLOSE_BUSY = 1013  # "try again later": every live session is taken
CLOSE_IDLE = 4408  # no frame for ``idle_timeout_s`` (a camera gone, a stream stalled)

STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "udp", "srt", "tcp")
"""URL schemes a stream-mode session may name; never ``file`` or a path on the server."""

FramePose = Callable[[NDArray[np.uint8]], Keypoints]
"""One (H, W, 3) uint8 RGB frame → its (1, V, 2) keypoints."""
LivePose = Callable[[float], AbstractContextManager[FramePose]]
"""Given the stream's fps, a context holding one session's pose model (entered per session)."""
PeopleAtRate = Callable[[float], PeopleFn]
"""Given the source's fps, a people finder on the models loaded (``MultiPoseStream.at_rate``)."""
LivePeoplePose = Callable[[int], AbstractContextManager[PeopleAtRate]]
"""Given the most people followed at once, a context holding one ``?people=`` session's
multi-person models (entered per session)."""


@dataclass(frozen=True)
class LiveSettings:
    """Limits of ``/v1/live`` sessions. The defaults suit one laptop core per session."""

    max_sessions: int = 2
    """Live sessions at once; one more is closed at once with code 1013 and a message."""
    max_fps: float = 30.0
    """Frames per second a camera session may send, over any second (a burst of one second's
    frames is allowed); faster closes the session with code 1008."""
    default_fps: float = 15.0
    """The rate a page sends at unless it asks for another (``?fps=``, at most ``max_fps``)."""
    max_frame_bytes: int = 2 * MB
    """Largest encoded frame (a JPEG of 640x480 is 30-80 kB); larger closes with code 1009."""
    max_frame_pixels: int = 1920 * 1080
    """Largest frame, width x height, read from the JPEG header before decoding (1009)."""
    idle_timeout_s: float = 10.0
    """A camera that sends no frame, or a stream that gives none, for this long ends the session
    (code 4408): a vanished client or a stalled camera releases its session."""
    streams: bool = True
    """Whether a page may name a stream URL for the server to read (``?source=rtsp://...``)."""
    max_people: int = 8
    """People a ``?people=`` session follows at once (``all`` is this many; ``N`` may not be
    more): each costs a landmark pass a frame. 8 is blazepose-multi's own default cap."""

    def __post_init__(self) -> None:
        if min(self.max_frame_bytes, self.max_frame_pixels, self.max_people) < 1 or (
            self.max_sessions < 0
        ):
            raise ValueError(f"LiveSettings: limits must be positive (got {self})")
        for name in ("max_fps", "default_fps", "idle_timeout_s"):
            if not 0 < getattr(self, name) < math.inf:
                raise ValueError(f"LiveSettings.{name}={getattr(self, name)} must be > 0")
        if self.default_fps > self.max_fps:
            raise ValueError(f"LiveSettings.default_fps={self.default_fps} is over max_fps")


class LiveSessions:
    """How many live sessions are open; each one enters ``pose`` for its own model."""

    def __init__(
        self,
        settings: LiveSettings,
        pose: LivePose | None = None,
        people_pose: LivePeoplePose | None = None,
    ) -> None:
        self.settings = settings
        self.pose = pose or _mediapipe_pose
        self.people_pose = people_pose or _blazepose_multi
        self.open = 0

    def try_open(self) -> bool:
        if self.open >= self.settings.max_sessions:
            return False
        self.open += 1
        return True

    def release(self) -> None:
        self.open -= 1


def _mediapipe_pose(fps: float) -> AbstractContextManager[FramePose]:
    from sportslens.pose.backends.mediapipe import mediapipe_frames

    # Not quiet: pointing descriptor 2 elsewhere is process-wide, and sessions come and go in
    # threads while the server logs.
    return mediapipe_frames(fps, quiet=False)


@contextmanager
def _blazepose_multi(most: int) -> Iterator[PeopleAtRate]:
    from sportslens.pose.backends.blazepose_multi import MultiPoseSettings, MultiPoseStream

    # The models load here, once per session; at_rate makes the stream once the fps is known.
    yield MultiPoseStream(MultiPoseSettings(max_people=most)).at_rate


class RateBucket:
    """A token bucket: ``rate`` frames a second on average, bursts of one second's frames."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate, self.tokens, self.last = rate, rate, now

    def take(self, now: float) -> bool:
        self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
