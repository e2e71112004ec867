"""Where a clip's keypoints can be trusted: spans of steady sight, and angles that cannot be right.

Repetitions are counted inside each :class:`Span` separately, never across a break: joining
two takes of a set across a cut, or interpolating over seconds with nobody in the frame, invents
a movement that never happened. A span ends where

- the body is not seen for more than ``max_gap_s`` (the person left the frame, the pose model lost
  them: MediaPipe's visibility of the shoulders and hips fell to ``min_score`` or below), or
- the body jumps between two frames by more than ``max_jump`` torso lengths, or its torso length
  changes by more than ``max_scale`` times (a cut to another camera; a pan or zoom is gradual), or
- a cut found in the video itself is given (``cuts``).

:func:`implausible_angles` marks angle values that are errors of the pose model, not of the
athlete: a limb folded onto itself (under 15°) and one-frame spikes (a knee flipping by 180°).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.angles import JointAngles
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.layouts import COCO17_NAMES

_SHOULDERS = (COCO17_NAMES.index("left_shoulder"), COCO17_NAMES.index("right_shoulder"))
_HIPS = (COCO17_NAMES.index("left_hip"), COCO17_NAMES.index("right_hip"))

Opening = Literal["start", "gap", "cut"]


@dataclass(frozen=True)
class SpanConfig:
    """When the counter stops trusting the keypoints; defaults suit MediaPipe at 24-60 fps."""

    min_score: float = 0.5
    """A joint scored at or below this is unseen. MediaPipe's visibility is ~0.9 for a joint in
    view and falls under 0.5 for one it guesses (behind the body, out of the frame)."""
    max_gap_s: float = 0.5
    """Unseen stretches up to this long are interpolated over; longer ones break the signal."""
    max_jump: float = 1.0
    """Torso lengths the body centre may move between two frames. Measured on real sets: under
    0.15 per frame at 30 fps (jumping jacks included); a cut moves it by the framing's offset."""
    max_scale: float = 1.8
    """Largest torso-length ratio between two frames: a zoom changes it by ~1% a frame, a trunk
    tipping towards the camera (a burpee seen from the front) by a few %."""
    min_span_s: float = 1.0
    """Spans shorter than this are dropped (a flicker of detection between two breaks), except
    the longest span, which is always kept."""


@dataclass(frozen=True)
class Span:
    """Frames ``start``..``end`` (inclusive) seen steadily; ``opened_by`` what came before."""

    start: int
    end: int
    opened_by: Opening

    @property
    def frames(self) -> int:
        return self.end - self.start + 1

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "opened_by": self.opened_by}


_LIMBS = tuple(
    COCO17_NAMES.index(f"{side}_{joint}")
    for side in ("left", "right")
    for joint in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
)
MIN_SEEN_JOINTS = 3
"""A frame shows the person when at least this many of the 12 limb joints are seen: enough for
one angle. The shoulders and hips need not be among them (an occluder may hide the trunk)."""
_WINDOW = 5
"""Frames whose median placement is compared either side of a possible cut: one frame's
keypoint noise is not a cut, a new framing that lasts is."""


@dataclass(frozen=True, eq=False)
class _Body:
    seen: NDArray[np.bool_]  # (T,) the person is in view
    core: NDArray[np.bool_]  # (T,) a shoulder and the hip of its side are seen
    centre: NDArray[np.float64]  # (T, 2) mean of each seen side's shoulder-hip midpoint
    torso: NDArray[np.float64]  # (T,) shoulders-to-hips length in pixels


def _body(kp: Keypoints, min_score: float) -> _Body:
    coco = kp.to_coco17()
    points = coco.keypoints.astype(np.float64)  # (T, 17, 2)
    seen = coco.scores > min_score  # (T, 17)
    # Each side's own trunk (shoulder to hip of one side), averaged over the sides seen: mixing
    # one side's shoulder with the other's hip would halve a push-up's torso seen from the side.
    sides = [(s, h) for s, h in zip(_SHOULDERS, _HIPS, strict=True)]
    side_seen = np.stack([seen[:, s] & seen[:, h] for s, h in sides], axis=1)  # (T, 2)
    side_torso = np.stack(
        [np.linalg.norm(points[:, s] - points[:, h], axis=1) for s, h in sides], axis=1
    )  # (T, 2)
    side_centre = np.stack([(points[:, s] + points[:, h]) / 2 for s, h in sides], axis=1)
    count = np.maximum(side_seen.sum(axis=1), 1)  # (T,)
    torso = (side_torso * side_seen).sum(axis=1) / count
    centre = (side_centre * side_seen[..., None]).sum(axis=1) / count[:, None]  # (T, 2)
    in_view = seen[:, _LIMBS].sum(axis=1) >= MIN_SEEN_JOINTS
    return _Body(in_view, side_seen.any(axis=1) & (torso > 0), centre, torso)


def find_spans(
    kp: Keypoints, config: SpanConfig | None = None, cuts: Sequence[int] = ()
) -> list[Span]:
    """The spans of ``kp`` where the body is seen steadily (see the module docstring)."""
    cfg = config or SpanConfig()
    body = _body(kp, cfg.min_score)
    max_gap = max(1, round(cfg.max_gap_s * kp.fps))
    cut_set = set(cuts)
    spans: list[Span] = []
    start, last = -1, -1
    opened: Opening = "start"
    for t in np.flatnonzero(body.seen):
        t = int(t)
        if start < 0:
            start, last = t, t
            continue
        reason: Opening | None = None
        if any(last < cut <= t for cut in cut_set):
            reason = "cut"
        elif t - last > max_gap:
            reason = "gap"
        elif _framing_changes(body, start, t, cfg):
            reason = "cut"
        if reason is not None:
            spans.append(Span(start, last, opened))
            start, opened = t, reason
        last = t
    if start >= 0:
        spans.append(Span(start, last, opened))
    return _drop_short(spans, round(cfg.min_span_s * kp.fps))


def _framing_changes(body: _Body, start: int, t: int, cfg: SpanConfig) -> bool:
    """Whether the body jumps or rescales at frame ``t`` and stays so: a cut, not a move.

    Both must hold: the previous seen frame differs from ``t`` (a cut is instantaneous; a real
    movement takes many frames), and the median placement of up to :data:`_WINDOW` frames
    before ``t`` (in the span since ``start``) differs from that of the frames from ``t`` on
    (one frame's keypoint noise is not a cut).
    """
    if not body.core[t]:
        return False
    before = [f for f in range(max(start, t - 3 * _WINDOW), t) if body.core[f]][-_WINDOW:]
    after = [f for f in range(t, min(t + _WINDOW, len(body.core))) if body.core[f]]
    if len(before) < 2 or len(after) < 2:
        return False
    previous = (body.centre[before[-1]], float(body.torso[before[-1]]))
    old = np.median(body.centre[before], axis=0), float(np.median(body.torso[before]))
    new = np.median(body.centre[after], axis=0), float(np.median(body.torso[after]))
    return _moved(previous, (body.centre[t], float(body.torso[t])), cfg) and _moved(old, new, cfg)


def _moved(
    old: tuple[NDArray[np.float64], float], new: tuple[NDArray[np.float64], float], cfg: SpanConfig
) -> bool:
    (old_centre, old_torso), (new_centre, new_torso) = old, new
    scale = max(old_torso, new_torso) / max(min(old_torso, new_torso), 1e-9)
    jump = float(np.linalg.norm(new_centre - old_centre)) / max(old_torso, 1e-9)
    return scale > cfg.max_scale or jump > cfg.max_jump


def _drop_short(spans: list[Span], min_frames: int) -> list[Span]:
    if not spans:
        return spans
    longest = max(spans, key=lambda s: s.frames)
    return [s for s in spans if s.frames >= min_frames or s is longest]


MIN_PLAUSIBLE_DEGREES = 15.0
"""A knee or hip angle under this is a pose error: thigh and shin (or trunk) would lie on each
other (a deep squat's knee stays above ~30°, a seated pike's hip above ~25°). Elbows and shoulders
are exempt: a forearm seen edge-on over the upper arm (a bar racked on the back) and an arm
hanging along the trunk really do measure near 0° in the image."""
MAX_SPIKE_DEGREES = 45.0
"""A value this far from the median of its two neighbours either side is a one-frame flip: no
joint moves 45° and back within 1/15 s (a jumping jack's shoulders move ~17° a frame at 30 fps)."""


def implausible_angles(angles: JointAngles) -> NDArray[np.bool_]:
    """(T, A) True where an angle cannot be right: a knee or hip under 15°, a one-frame spike."""
    degrees = angles.degrees  # (T, A)
    folded = np.zeros_like(degrees, dtype=bool)
    joints = [i for i, name in enumerate(angles.names) if name.endswith(("_knee", "_hip"))]
    folded[:, joints] = degrees[:, joints] < MIN_PLAUSIBLE_DEGREES
    unfolded = np.where(folded, np.nan, degrees)  # folded frames must not drag the median
    padded = np.pad(unfolded, ((2, 2), (0, 0)), mode="edge")  # (T + 4, A)
    windows = np.stack([padded[k : k + len(degrees)] for k in (0, 1, 3, 4)])  # (4, T, A)
    with warnings.catch_warnings():  # a joint unseen all around a frame has no median: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        neighbours = np.nanmedian(windows, axis=0)  # (T, A)
    spikes = np.abs(degrees - neighbours) > MAX_SPIKE_DEGREES
    flagged: NDArray[np.bool_] = np.isfinite(degrees) & (folded | spikes)
    return flagged


def plausible(angles: JointAngles) -> JointAngles:
    """``angles`` with the :func:`implausible_angles` values set to NaN (unmeasured)."""
    degrees = np.where(implausible_angles(angles), np.nan, angles.degrees)
    return JointAngles(angles.names, degrees, angles.fps)
