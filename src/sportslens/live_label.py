"""The action of the last few seconds, from a skeleton model, while a stream plays.

:class:`LiveLabeler` keeps the last ``window`` frames of keypoints (3 s by default, the length of
the clips the skeleton models are trained on) and, every quarter window, runs the model on them
exactly as a skeleton timeline scores a window (:func:`~sportslens.timeline.skeleton.
window_sequence`: centred on the span's hips, scaled by its torso, resampled to the model's
length). Video models are not run live: a clip of decoded frames per quarter window costs
seconds on a laptop core, where a skeleton model costs milliseconds.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import torch
from numpy.typing import NDArray

from sportslens.models.keypoint_input import KeypointSpec
from sportslens.pose.keypoints import Keypoints
from sportslens.predict import Predictor
from sportslens.timeline.skeleton import SKELETON_WINDOW_SECONDS, body_in_view, window_sequence


def is_skeleton_model(predictor: Predictor) -> bool:
    """Whether ``predictor`` reads keypoints (and so can label a stream live)."""
    return isinstance(predictor.model.preprocess, KeypointSpec)


class LiveLabeler:
    """Labels the newest ``window_s`` seconds every quarter of it (see the module docstring)."""

    def __init__(
        self, predictor: Predictor, fps: float, window_s: float = SKELETON_WINDOW_SECONDS
    ) -> None:
        if not is_skeleton_model(predictor):
            raise ValueError(
                "live labels need a skeleton model (tcn, stgcn, ...); this one reads video frames"
            )
        spec = predictor.model.preprocess
        assert isinstance(spec, KeypointSpec)
        self.predictor, self.length = predictor, spec.clip_frames
        self.window = max(2, round(window_s * fps))
        self.stride = max(1, round(self.window / 4))
        self._points: deque[NDArray[np.float32]] = deque(maxlen=self.window)  # (17, 2) each
        self._scores: deque[NDArray[np.float32]] = deque(maxlen=self.window)  # (17,) each
        self._fps, self._seen = fps, 0
        self.label: str | None = None
        self.score: float | None = None

    def push(self, kp: Keypoints) -> bool:
        """Feed one frame's (1, V, 2) keypoints; True when the label was computed again."""
        coco = kp.to_coco17()
        self._points.append(coco.keypoints[0])
        self._scores.append(coco.scores[0])
        self._seen += 1
        if len(self._points) < self.window or self._seen % self.stride:
            return False
        span = Keypoints(
            np.stack(self._points), np.stack(self._scores), "coco17", self._fps, kp.size, "live"
        )  # (window, 17, 2), (window, 17)
        if not body_in_view(span, 0, self.window - 1):
            self.label = self.score = None
            return True
        clip = window_sequence(span, 0, self.window - 1, self.length)  # (3, T, 17, 1)
        probs = self.predictor.forward(torch.from_numpy(clip[None]))[0]  # (K,)
        best = int(probs.argmax())
        self.label, self.score = self.predictor.classes[best], float(probs[best])
        return True
