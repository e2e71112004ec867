"""What a skeleton model's prediction adds: the keypoints it read and the form analysis, as JSON.

``Predictor.predict`` on a skeleton model attaches :func:`pose_extras` to its
:class:`~sportslens.predict.Prediction`, so ``sportslens predict --json`` and ``POST
/v1/predict`` both carry ``pose`` (the keypoints, for drawing the skeleton over the video) and
``form`` (joint angles over time and the repetitions, as ``sportslens form --json`` gives them).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sportslens.pose.form import analyze_form
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.layouts import layout_edges

MAX_POSE_FRAMES = 900
"""At most this many frames of keypoints go into a prediction (30 s at 30 fps); a longer clip
keeps every ``stride``-th frame, so ``pose`` stays near 230 kB of JSON however long the video."""


def pose_summary(kp: Keypoints, max_frames: int = MAX_POSE_FRAMES) -> dict[str, Any]:
    """The keypoints in COCO-17 as plain JSON data: every frame up to ``max_frames``, in pixels.

    ``keypoints[i][j]`` is joint ``j`` at frame ``i * stride`` as ``[x, y]`` rounded to 0.1 px,
    or ``None`` where the joint was not detected (score 0); ``edges`` are the bones to draw.
    """
    if max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    coco = kp.to_coco17()
    stride = max(1, math.ceil(coco.num_frames / max_frames))
    points = coco.keypoints[::stride].astype(np.float64).round(1).tolist()  # (T / stride, 17, 2)
    seen = (coco.scores[::stride] > 0).tolist()  # (T / stride, 17)
    return {
        "layout": coco.layout,
        "frames": coco.num_frames,
        "fps": coco.fps,
        "size": list(coco.size),
        "detected_fraction": round(float(coco.detected.mean()), 4) if coco.num_frames else 0.0,
        "stride": stride,
        "keypoints": [
            [xy if found else None for xy, found in zip(frame, mask, strict=True)]
            for frame, mask in zip(points, seen, strict=True)
        ],
        "edges": [list(edge) for edge in layout_edges(coco.layout)],
    }


def form_summary(kp: Keypoints, exercise: str | None = None) -> dict[str, Any] | None:
    """``analyze_form(kp, exercise).to_dict()`` less its ``source``; None when no angle is seen.

    The source is left out because the prediction names its video already (and for an upload,
    the keypoints' source is the server's temporary file).
    """
    try:
        analysis = analyze_form(kp, exercise)
    except ValueError:  # no angle signal measured in enough frames: e.g. no person found
        return None
    form = analysis.to_dict()
    del form["source"]
    return form


def pose_extras(kp: Keypoints) -> dict[str, Any]:
    """The fields a skeleton model's prediction adds: ``pose`` and ``form`` (None if unmeasured)."""
    return {"pose": pose_summary(kp), "form": form_summary(kp)}
