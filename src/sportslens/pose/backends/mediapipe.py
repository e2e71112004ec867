"""The ``mediapipe`` backend: BlazePose from MediaPipe 0.10.21's legacy ``solutions`` API.

0.10.21 is the last release whose wheel ships the pose models, so it works offline; it is pinned
by the ``pose`` extra. ``model_complexity=1`` is the "full" landmark model, the one the wheel
bundles. MediaPipe tracks the person from frame to frame (``static_image_mode=False``), so one
``Pose`` object serves one video and is rebuilt for the next.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.native_stderr import quiet_native_stderr
from sportslens.pose.keypoints import MIN_DETECTED_SCORE, Keypoints
from sportslens.progress import progress_bar
from sportslens.video import Source, describe_source, iter_frames, probe

FrameHook = Callable[[int, NDArray[np.uint8]], None]
"""Called with each frame's index and (H, W, 3) uint8 RGB pixels as the backend decodes it."""


def _import_mediapipe() -> Any:
    # MediaPipe's C++ core logs warnings on every graph start; keep the terminal readable unless
    # the user asked for its logs. What these switches miss, quiet_native_stderr drops.
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import mediapipe  # type: ignore[import-untyped]
    except ImportError as error:
        raise ImportError(
            "the mediapipe pose backend needs MediaPipe 0.10.21: pip install 'sportslens[pose]'"
        ) from error
    return mediapipe


def extract_mediapipe(
    source: Source, *, progress: bool = False, on_frame: FrameHook | None = None
) -> Keypoints:
    """BlazePose-33 keypoints of every frame of ``source``; frames with no person score 0.

    ``on_frame(index, frame)`` sees each decoded (H, W, 3) uint8 RGB frame too, so that cheap
    per-frame measures (:class:`sportslens.shots.ThumbnailRecorder`) need no second decode.
    """
    mp = _import_mediapipe()
    info = probe(source)
    width, height = info.width, info.height
    keypoints = np.zeros((info.num_frames, 33, 2), dtype=np.float32)  # (T, 33, 2)
    scores = np.zeros((info.num_frames, 33), dtype=np.float32)  # (T, 33)
    name = describe_source(source)
    with (
        quiet_native_stderr(),
        mp.solutions.pose.Pose(model_complexity=1, static_image_mode=False) as pose,
        progress_bar(enabled=progress) as bar,
    ):
        task = bar.add_task(f"pose {Path(name).name}", total=info.num_frames)
        for index, frame in iter_frames(source):  # (H, W, 3) uint8 RGB
            found = pose.process(frame).pose_landmarks
            if on_frame is not None:
                on_frame(index, frame)
            _place(found, (width, height), keypoints[index], scores[index])
            bar.advance(task)
    return Keypoints(keypoints, scores, "blazepose33", info.fps, (width, height), name)


def _place(
    found: Any, size: tuple[int, int], keypoints: NDArray[np.float32], scores: NDArray[np.float32]
) -> None:
    """Write MediaPipe's landmarks into one frame's (33, 2) pixels and (33,) scores, if found."""
    if found is None:
        return  # no person: the zeros stay
    landmarks = np.array(
        [(mark.x, mark.y, mark.visibility) for mark in found.landmark], dtype=np.float32
    )  # (33, 3): x, y normalised to the frame; visibility in [0, 1]
    keypoints[:] = landmarks[:, :2] * size  # size: (width, height)
    scores[:] = np.clip(landmarks[:, 2], MIN_DETECTED_SCORE, 1.0)


@contextmanager
def mediapipe_frames(
    fps: float, *, quiet: bool = True
) -> Iterator[Callable[[NDArray[np.uint8]], Keypoints]]:
    """A function from one (H, W, 3) uint8 RGB frame to its (1, 33, 2) keypoints, for a stream.

    One MediaPipe ``Pose`` follows the person from frame to frame, as for a whole video; ``fps``
    is the stream's rate, recorded with each frame's keypoints. After the first frame MediaPipe
    looks for the person only around the last frame's pose (its detector runs again when it loses
    them), which is what makes it real time. ``quiet`` silences the native logs by pointing
    descriptor 2 at /dev/null meanwhile: a process-wide switch, which a server running several
    sessions in threads leaves off.
    """
    mp = _import_mediapipe()
    with (
        quiet_native_stderr() if quiet else nullcontext(),
        mp.solutions.pose.Pose(model_complexity=1, static_image_mode=False) as pose,
    ):
        # The graph's first run costs about 0.3 s (more on a busy machine): paid here, on a
        # blank frame, not by the stream's first frame, behind which a live source drops frames.
        pose.process(np.zeros((64, 64, 3), dtype=np.uint8))

        def one_frame(frame: NDArray[np.uint8]) -> Keypoints:
            height, width = frame.shape[:2]
            keypoints = np.zeros((1, 33, 2), dtype=np.float32)  # (1, 33, 2)
            scores = np.zeros((1, 33), dtype=np.float32)  # (1, 33)
            _place(pose.process(frame).pose_landmarks, (width, height), keypoints[0], scores[0])
            return Keypoints(keypoints, scores, "blazepose33", fps, (width, height), "live")

        yield one_frame
