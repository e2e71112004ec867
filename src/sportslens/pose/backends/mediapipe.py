"""The ``mediapipe`` backend: BlazePose from MediaPipe 0.10.21's legacy ``solutions`` API.

0.10.21 is the last release whose wheel ships the pose models, so it works offline; it is pinned
by the ``pose`` extra. ``model_complexity=1`` is the "full" landmark model, the one the wheel
bundles. MediaPipe tracks the person from frame to frame (``static_image_mode=False``), so one
``Pose`` object serves one video and is rebuilt for the next.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from sportslens.native_stderr import quiet_native_stderr
from sportslens.pose.keypoints import MIN_DETECTED_SCORE, Keypoints
from sportslens.progress import progress_bar
from sportslens.video import Source, describe_source, iter_frames, probe


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


def extract_mediapipe(source: Source, *, progress: bool = False) -> Keypoints:
    """BlazePose-33 keypoints of every frame of ``source``; frames with no person score 0."""
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
            if found is not None:
                landmarks = np.array(
                    [(mark.x, mark.y, mark.visibility) for mark in found.landmark],
                    dtype=np.float32,
                )  # (33, 3): x, y normalised to the frame; visibility in [0, 1]
                keypoints[index] = landmarks[:, :2] * (width, height)
                scores[index] = np.clip(landmarks[:, 2], MIN_DETECTED_SCORE, 1.0)
            bar.advance(task)
    return Keypoints(keypoints, scores, "blazepose33", info.fps, (width, height), name)
