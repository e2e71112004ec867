"""BlazePose arithmetic, pure: SSD anchors, detection decoding, NMS, regions and projections.

The numbers are MediaPipe 0.10.21's own graph options (``pose_detection_cpu.pbtxt``,
``pose_detection_to_roi.pbtxt``, ``pose_landmarks_to_roi.pbtxt``), so the standalone models see
exactly what they see inside MediaPipe. A *region* is a rotated square in frame pixels,
``(cx, cy, side, angle)`` with the angle in radians (0: the person upright; positive turns the
square clockwise on screen, as MediaPipe's ``rotation``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

DETECTOR_SIZE = 224
LANDMARK_SIZE = 256
_STRIDES = (8, 16, 32, 32, 32)
_ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 plus MediaPipe's interpolated-scale anchor
_ROI_SCALE = 1.25  # the region is 1.25x the body circle, as MediaPipe's RectTransformation


def ssd_anchors(size: int = DETECTOR_SIZE) -> NDArray[np.float32]:
    """(2254, 2) anchor centres (x, y) in [0, 1], in the detector's output order.

    Consecutive layers with one stride share a grid, their anchors interleaved per cell; with
    ``fixed_anchor_size`` every anchor is 1x1, so only the centres matter.
    """
    centres = []
    layer = 0
    while layer < len(_STRIDES):
        stride = _STRIDES[layer]
        same = sum(1 for s in _STRIDES[layer:] if s == stride)  # layers sharing this grid
        cells = math.ceil(size / stride)
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(grid, same * _ANCHORS_PER_LAYER, axis=0))
        layer += same
    return np.asarray(np.concatenate(centres), dtype=np.float32)


def decode_detections(
    raw: NDArray[np.float32], logits: NDArray[np.float32], anchors: NDArray[np.float32],
    min_score: float = 0.5,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:  # fmt: skip
    """Boxes and keypoints of the anchors scoring above ``min_score``, in [0, 1] input units.

    ``raw`` (N, 12): box (x, y, w, h) then 4 keypoints (x, y), offsets in input pixels from the
    anchor; ``logits`` (N,). Returns ``(M, 12)`` boxes (cx, cy, w, h) and keypoints, and ``(M,)``
    scores (sigmoid, logits clipped at ±100 as MediaPipe does).
    """
    clipped = np.clip(logits.reshape(-1).astype(np.float64), -100.0, 100.0)
    scores = 1.0 / (1.0 + np.exp(-clipped))
    keep = scores > min_score
    values = raw[keep] / DETECTOR_SIZE  # (M, 12)
    centre = np.tile(anchors[keep], 5)  # (M, 10): the anchor under box centre and keypoints
    values[:, [0, 1, 4, 5, 6, 7, 8, 9, 10, 11]] += centre
    return values.astype(np.float32), scores[keep].astype(np.float32)


def box_iou(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float64]:
    """(len(a), len(b)) intersection over union of boxes given as (cx, cy, w, h)."""
    a_lo, a_hi = a[:, None, :2] - a[:, None, 2:4] / 2, a[:, None, :2] + a[:, None, 2:4] / 2
    b_lo, b_hi = b[None, :, :2] - b[None, :, 2:4] / 2, b[None, :, :2] + b[None, :, 2:4] / 2
    overlap = np.clip(np.minimum(a_hi, b_hi) - np.maximum(a_lo, b_lo), 0, None).prod(axis=-1)
    area_a, area_b = a[:, 2] * a[:, 3], b[:, 2] * b[:, 3]
    union = area_a[:, None] + area_b[None, :] - overlap
    return np.asarray(overlap / np.maximum(union, 1e-9), dtype=np.float64)


def non_max_suppression(
    boxes: NDArray[np.float32], scores: NDArray[np.float32], iou: float = 0.3
) -> list[int]:
    """Indices of the boxes kept, best first: each drops the later ones overlapping it > ``iou``."""
    order = np.argsort(-scores, kind="stable").tolist()
    overlaps = box_iou(boxes, boxes)
    kept: list[int] = []
    for index in order:
        if all(overlaps[index, k] <= iou for k in kept):
            kept.append(index)
    return kept


def region_from_points(centre: NDArray[Any], end: NDArray[Any]) -> NDArray[np.float64]:
    """The square region around a body from two points in pixels: its centre (the hips, for the
    detector) and the point whose distance gives the size and whose direction the rotation.

    As MediaPipe's AlignmentPointsRects (target angle 90°: ``end`` straight above ``centre`` is
    upright) and RectTransformation (1.25x, square).
    """
    dx, dy = float(end[0] - centre[0]), float(end[1] - centre[1])
    angle = math.pi / 2 - math.atan2(-dy, dx)
    angle = (angle + math.pi) % (2 * math.pi) - math.pi  # into [-pi, pi)
    side = 2.0 * math.hypot(dx, dy) * _ROI_SCALE
    return np.array([centre[0], centre[1], side, angle], dtype=np.float64)


def crop_matrix(region: NDArray[np.float64], size: int = LANDMARK_SIZE) -> NDArray[np.float64]:
    """(2, 3) affine map from crop pixels (``size`` square) to frame pixels for ``region``."""
    cx, cy, side, angle = (float(v) for v in region)
    scale = side / size
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    # frame = centre + R(angle) @ (crop - size/2) * scale
    offset_x = cx - (cos - sin) * size / 2
    offset_y = cy - (sin + cos) * size / 2
    return np.array([[cos, -sin, offset_x], [sin, cos, offset_y]], dtype=np.float64)


def to_frame(points: NDArray[Any], matrix: NDArray[np.float64]) -> NDArray[np.float32]:
    """(N, 2) crop pixels mapped to frame pixels by ``matrix`` (from :func:`crop_matrix`)."""
    return np.asarray(points @ matrix[:, :2].T + matrix[:, 2], dtype=np.float32)


def region_box(region: NDArray[np.float64]) -> NDArray[np.float32]:
    """The axis-aligned (cx, cy, w, h) box holding the region's square (its circumscribed box)."""
    cx, cy, side, angle = (float(v) for v in region)
    extent = side * (abs(math.cos(angle)) + abs(math.sin(angle)))
    return np.array([cx, cy, extent, extent], dtype=np.float32)


def tiles(width: int, height: int, tile: int, overlap: float = 0.25) -> list[tuple[int, int, int]]:
    """Square tiles ``(x, y, side)`` covering a frame, neighbours overlapping by ``overlap``.

    The detector was trained on near, upright people: in a wide frame they are too small once
    letterboxed to 224 pixels, so it looks at tiles about as tall as a standing person.
    """
    side = min(tile, width, height)
    step = max(1, int(side * (1 - overlap)))

    def starts(length: int) -> list[int]:
        count = max(1, math.ceil((length - side) / step) + 1)
        return sorted({round(v) for v in np.linspace(0, length - side, count)})

    return [(x, y, side) for y in starts(height) for x in starts(width)]
