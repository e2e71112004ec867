"""Shot boundaries found in the frames themselves: hard cuts and cross-fades between takes.

Repetitions must not be joined across a cut to another camera (:mod:`sportslens.pose.signal`
splits the signal there). The keypoints alone miss a cut whose takes place the athlete alike, so
the video is looked at too, cheaply: each frame becomes a 64×36 grey thumbnail (a block mean,
computed while the frames are decoded for pose, or decoded small for the purpose), and

1. a frame whose change from the previous one stands out of its surroundings (over ``elevated``
   times the median change of the second either side) belongs to a transition; a run of such
   frames, at most ``max_transition_s`` long, is one candidate (one frame: a hard cut; several:
   a gradual transition, the twin-comparison idea of Zhang et al., 1993);
2. the candidate is a shot change when the frames either side of it differ by ``min_change``
   (mean absolute grey level, 0-1) and by ``steadier`` times more than each shot changes over
   its own next three frames (a person moving is not a new shot), and when it is
   *monotone*: the change between its ends is at least ``min_monotone`` of the changes summed
   frame by frame (movement goes back and forth; a fade only goes one way);
3. a gradual candidate must also look like a cross-fade: each frame inside it a blend
   ``(1 - a) · before + a · after`` of the frames either side, within ``max_blend_residual`` of
   their difference (a pan or an athlete's movement is not a blend of its ends).

Two takes in front of the same backdrop with the athlete at the same place differ only where the
body differs: such a cross-fade moves too few pixels to stand out, and is left to the keypoints'
own jump test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sportslens.video import Source, iter_frames

THUMB_SHAPE = (36, 64)
"""(height, width) of the grey thumbnails: a person stays a few pixels wide, noise averages out."""


@dataclass(frozen=True)
class ShotConfig:
    """When a change of picture is a new shot; the defaults suit 24-60 fps footage."""

    elevated: float = 2.0
    """A frame's change is part of a transition above this times the local median change."""
    noise: float = 0.002
    """Mean grey change per frame below which nothing is elevated (compression noise)."""
    baseline_s: float = 1.0
    """Seconds either side whose median change is the local baseline."""
    max_transition_s: float = 1.0
    """Longest cross-fade looked for; a longer run of change is movement, a pan or a zoom."""
    min_change: float = 0.02
    """Mean absolute grey difference (0-1) between the frames either side of a shot change."""
    steadier: float = 4.0
    """The change must exceed each shot's own change over three frames this many times."""
    min_monotone: float = 0.8
    """Change between the ends / change summed frame by frame: 1 for a cut or a pure fade."""
    max_blend_residual: float = 0.25
    """Largest distance of a fade's frames from the blend of its ends, relative to the change."""


@dataclass(frozen=True)
class ShotChange:
    """A transition from frame ``before`` (the old shot's last) to ``after`` (the new one's)."""

    before: int
    after: int

    @property
    def kind(self) -> Literal["cut", "fade"]:
        return "cut" if self.after - self.before == 1 else "fade"

    @property
    def boundary(self) -> int:
        """The first frame counted with the new shot: a cut's own, a fade's middle frame."""
        return self.after if self.kind == "cut" else (self.before + self.after + 1) // 2

    def to_dict(self) -> dict[str, Any]:
        return {"before": self.before, "after": self.after, "kind": self.kind}


def thumbnail(frame: NDArray[np.uint8]) -> NDArray[np.float32]:
    """The (36 * 64,) grey thumbnail in [0, 1] of one (H, W, 3) uint8 RGB frame: block means
    over a pixel grid thinned to at most four samples per block side (cheap at 1080p)."""
    height, width = frame.shape[:2]
    rows = np.linspace(0, height - 1, THUMB_SHAPE[0] * 4).astype(np.int64)  # (144,)
    cols = np.linspace(0, width - 1, THUMB_SHAPE[1] * 4).astype(np.int64)  # (256,)
    grey = frame[rows][:, cols].mean(axis=2, dtype=np.float32)  # (144, 256)
    blocks = grey.reshape(THUMB_SHAPE[0], 4, THUMB_SHAPE[1], 4).mean(axis=(1, 3))  # (36, 64)
    thumb: NDArray[np.float32] = (blocks / 255.0).reshape(-1)
    return thumb


class ThumbnailRecorder:
    """Collects :func:`thumbnail` of each frame a pose backend decodes (its ``on_frame`` hook)."""

    def __init__(self) -> None:
        self._thumbs: dict[int, NDArray[np.float32]] = {}

    def __call__(self, index: int, frame: NDArray[np.uint8]) -> None:
        self._thumbs[index] = thumbnail(frame)

    def thumbnails(self) -> NDArray[np.float32]:
        """(T, 36 * 64) in frame order."""
        if not self._thumbs:
            return np.zeros((0, THUMB_SHAPE[0] * THUMB_SHAPE[1]), np.float32)
        return np.stack([self._thumbs[i] for i in sorted(self._thumbs)])


def video_thumbnails(source: Source | os.PathLike[str]) -> NDArray[np.float32]:
    """(T, 36 * 64) grey thumbnails of every frame, decoded at a small size by FFmpeg."""
    small = THUMB_SHAPE[0] * 4, THUMB_SHAPE[1] * 4
    video = os.fspath(source) if isinstance(source, os.PathLike) else source
    recorder = ThumbnailRecorder()
    for index, frame in iter_frames(video, size=small):
        recorder(index, frame)
    return recorder.thumbnails()


def find_shot_changes(
    thumbs: NDArray[np.float32], fps: float, config: ShotConfig | None = None
) -> list[ShotChange]:
    """The shot changes among ``thumbs`` (T, P) (see the module docstring)."""
    cfg = config or ShotConfig()
    frames = len(thumbs)
    if frames < 3:
        return []
    grey = thumbs.astype(np.float64)  # (T, P)
    change = np.r_[0.0, np.abs(np.diff(grey, axis=0)).mean(axis=1)]  # (T,) from the previous
    baseline = _local_median(change, max(2, round(cfg.baseline_s * fps)))  # (T,)
    elevated = change > np.maximum(cfg.noise, cfg.elevated * baseline)
    longest = max(1, round(cfg.max_transition_s * fps))
    found = []
    for first, last in _runs(elevated):
        before, after = first - 1, last
        if after - before <= longest and _is_shot_change(grey, change, before, after, cfg):
            found.append(ShotChange(before, after))
    return found


def _distance(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    return float(np.abs(a - b).mean())


def _is_shot_change(
    thumbs: NDArray[np.float64],
    change: NDArray[np.float64],
    before: int,
    after: int,
    cfg: ShotConfig,
) -> bool:
    old, new = thumbs[before], thumbs[after]
    jump = _distance(old, new)
    own = [
        _distance(thumbs[f], thumbs[g])
        for f, g in ((before, before - 3), (after, after + 3))
        if 0 <= g < len(thumbs)
    ]  # how much each shot changes by itself over three frames
    if jump < cfg.min_change or jump < cfg.steadier * max(own, default=0.0):
        return False
    if jump < cfg.min_monotone * float(change[before + 1 : after + 1].sum()):
        return False
    direction = new - old
    energy = float((direction**2).sum())
    for middle in range(before + 1, after):
        weight = np.clip(float(((thumbs[middle] - old) * direction).sum()) / energy, 0.0, 1.0)
        if _distance(thumbs[middle], old + weight * direction) > cfg.max_blend_residual * jump:
            return False
    return True


def _local_median(values: NDArray[np.float64], radius: int) -> NDArray[np.float64]:
    """(T,) median of ``values`` within ``radius`` frames either side, the frame's own three
    neighbours left out (a transition must not raise its own baseline)."""
    out = np.zeros_like(values)
    for t in range(len(values)):
        around = np.r_[values[max(1, t - radius) : max(1, t - 2)], values[t + 3 : t + radius + 1]]
        out[t] = float(np.median(around)) if around.size else 0.0
    return out


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(first, last) frames of each run of True in ``mask``."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]
