"""Window arithmetic: where each window of a timeline sits and which frames the model sees in it.

Pure functions of frame counts. A window spans ``window`` consecutive frames; the model sees
``clip_frames`` of them, picked by its own sampling (:func:`sportslens.sampling.clip_indices`),
so a window looks to the model exactly like a trimmed clip of that length did in training.

Windows start every ``stride`` frames. When the last whole window stops short of the video's end,
one more window is placed to end exactly on the last frame (the "last partial window": it covers
the tail, overlapping its neighbour more than the stride would), so no frame goes unseen. A video
shorter than one window gets a single window over the whole video, as :meth:`Predictor.predict`
sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sportslens.sampling import clip_indices
from sportslens.transforms import Preprocess

SPREAD_SECONDS = 3.0
"""Default window for ``uniform``/``segments`` models, whose frames were spread over a whole
trimmed training clip of a length their :class:`Preprocess` does not record: 3 s is the length of
the synthetic-athlete clips and of a typical trimmed action. Pass ``window=`` for other models."""

Unit = Literal["seconds", "frames"]


@dataclass(frozen=True)
class WindowSize:
    """A window and stride in frames, and the frame step the model's samples fall on."""

    window: int
    stride: int
    step: int
    """Frames between the model's samples. Strides that are multiples of it make neighbouring
    windows share frames, so the stream decodes and keeps fewer of them."""


@dataclass(frozen=True)
class WindowPlan:
    """Every window of one video: its frame span and the frames the model sees in it."""

    num_frames: int
    fps: float
    size: WindowSize
    starts: NDArray[Any]  # (W,) int64 first frame of each window's span, increasing
    ends: NDArray[Any]  # (W,) int64 last frame of each span, inclusive
    indices: NDArray[Any]  # (W, T) int64 frames the model sees; rows sorted

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def centres(self) -> NDArray[Any]:
        """Each window's middle in seconds, (W,) float64: the time its scores describe."""
        centres: NDArray[Any] = (self.starts + self.ends + 1) / 2 / self.fps
        return centres

    def head(self, count: int) -> WindowPlan:
        """The first ``count`` windows (what an interrupted run scored)."""
        return WindowPlan(
            self.num_frames,
            self.fps,
            self.size,
            self.starts[:count],
            self.ends[:count],
            self.indices[:count],
        )


def default_window(pre: Preprocess, fps: float) -> WindowSize:
    """The window a model was trained to see, and a quarter of it as the stride.

    ``clip`` sampling sees ``(clip_frames - 1) * sampling_rate + 1`` consecutive frames.
    ``uniform`` and ``segments`` sampling spread ``clip_frames`` over a trimmed clip; here over
    :data:`SPREAD_SECONDS`, rounded to a whole step so every window's samples fall on one lattice.
    """
    _check_fps(fps)
    if pre.sampling == "clip":
        step = pre.sampling_rate
        window = (pre.clip_frames - 1) * step + 1
    else:
        step = max(1, round(SPREAD_SECONDS * fps / pre.clip_frames))
        window = pre.clip_frames * step
    return WindowSize(window, _snap(window / 4, step), step)


def resolve_window(
    default: WindowSize,
    fps: float,
    *,
    window: float | None = None,
    stride: float | None = None,
    unit: Unit = "seconds",
) -> WindowSize:
    """Apply a user's window and stride (in ``unit``) over the model's default, in frames.

    A given stride is kept as asked (to the nearest frame); a stride left to default is a quarter
    of the window, snapped to the model's frame step.
    """
    _check_fps(fps)
    scale = fps if unit == "seconds" else 1.0
    if unit not in ("seconds", "frames"):
        raise ValueError(f"unit must be 'seconds' or 'frames', got {unit!r}")
    frames = default.window
    if window is not None:
        frames = _positive_frames("window", window, scale, unit)
    if stride is not None:
        stride_frames = _positive_frames("stride", stride, scale, unit)
    elif window is not None:
        stride_frames = _snap(frames / 4, default.step)
    else:
        stride_frames = default.stride
    return WindowSize(frames, stride_frames, default.step)


def plan_windows(num_frames: int, fps: float, size: WindowSize, pre: Preprocess) -> WindowPlan:
    """Place windows over ``num_frames`` frames and pick the model's frames inside each."""
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    _check_fps(fps)
    starts = window_starts(num_frames, size.window, size.stride)  # (W,)
    ends = np.minimum(starts + size.window - 1, num_frames - 1)  # (W,)
    rows = [
        clip_indices(pre, num_frames, start=int(s), end=int(e))
        for s, e in zip(starts, ends, strict=True)
    ]
    return WindowPlan(num_frames, fps, size, starts, ends, np.stack(rows).astype(np.int64))


def window_starts(num_frames: int, window: int, stride: int) -> NDArray[Any]:
    """First frame of every window, (W,) int64; see the module docstring for the tail rule."""
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1 frame, got {window} and {stride}")
    last_start = num_frames - window  # the last start at which a whole window fits
    if last_start <= 0:
        return np.zeros(1, dtype=np.int64)
    starts = np.arange(0, last_start + 1, stride, dtype=np.int64)
    if starts[-1] < last_start:
        starts = np.append(starts, last_start)  # the tail window ends on the last frame
    return starts


def _snap(frames: float, step: int) -> int:
    """``frames`` rounded to a multiple of ``step`` (at least one step)."""
    return max(step, round(frames / step) * step)


def _positive_frames(name: str, value: float, scale: float, unit: str) -> int:
    frames = round(value * scale)
    if value <= 0 or frames < 1:
        raise ValueError(f"{name} must be at least one frame, got {value:g} {unit}")
    return frames


def _check_fps(fps: float) -> None:
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
