"""Window arithmetic: starts, the last partial window, model defaults, the frame lattice."""

from __future__ import annotations

import numpy as np
import pytest

from sportslens.timeline.windows import (
    WindowSize,
    default_window,
    plan_windows,
    resolve_window,
    window_starts,
)
from sportslens.transforms import Preprocess

UNIFORM = Preprocess(clip_frames=4, crop_size=32, resize=36, train_scale=(32, 40))
CLIP = Preprocess(
    clip_frames=4, sampling="clip", sampling_rate=2, crop_size=32, resize=36, train_scale=(32, 40)
)


@pytest.mark.parametrize(
    ("num_frames", "window", "stride", "expected"),
    [
        (10, 4, 2, [0, 2, 4, 6]),  # the last whole window ends exactly on frame 9
        (11, 4, 2, [0, 2, 4, 6, 7]),  # frame 10 would go unseen: a tail window ends on it
        (10, 4, 4, [0, 4, 6]),  # the tail window overlaps its neighbour by more than usual
        (4, 4, 3, [0]),  # exactly one window
        (3, 4, 2, [0]),  # shorter than a window: one window over the whole video
        (1, 8, 1, [0]),
        (9, 3, 3, [0, 3, 6]),
    ],
)
def test_window_starts_cover_every_frame(
    num_frames: int, window: int, stride: int, expected: list[int]
) -> None:
    starts = window_starts(num_frames, window, stride)
    assert starts.tolist() == expected
    covered = np.zeros(num_frames, bool)
    for start in starts:
        covered[start : start + window] = True
    assert covered.all()


def test_window_starts_rejects_a_zero_stride() -> None:
    with pytest.raises(ValueError, match="stride"):
        window_starts(10, 4, 0)


def test_default_window_spreads_uniform_models_over_three_seconds() -> None:
    # 3 s at 30 fps over 4 frames: a step of round(22.5) = 22 frames, a window of 4 steps.
    assert default_window(UNIFORM, 30.0) == WindowSize(window=88, stride=22, step=22)
    # 12 fps: step round(9) = 9, window 36, stride a quarter of it.
    assert default_window(UNIFORM, 12.0) == WindowSize(window=36, stride=9, step=9)


def test_default_window_of_clip_sampling_is_its_span() -> None:
    # 4 frames 2 apart span 7 frames; the stride snaps a quarter window (1.75) to one step.
    assert default_window(CLIP, 30.0) == WindowSize(window=7, stride=2, step=2)


def test_resolve_window_in_seconds_and_frames() -> None:
    default = WindowSize(88, 22, 22)
    assert resolve_window(default, 30.0) == default
    assert resolve_window(default, 30.0, window=2.0, stride=0.5) == WindowSize(60, 15, 22)
    # Only a window: the stride is a quarter of it, snapped to the step (15 -> 22).
    assert resolve_window(default, 30.0, window=2.0) == WindowSize(60, 22, 22)
    assert resolve_window(default, 30.0, window=40, stride=7, unit="frames").window == 40
    with pytest.raises(ValueError, match="stride must be at least one frame"):
        resolve_window(default, 30.0, stride=0.001)


def test_plan_puts_uniform_samples_on_one_lattice() -> None:
    size = default_window(UNIFORM, 12.0)  # window 36, step 9
    plan = plan_windows(100, 12.0, size, UNIFORM)
    assert plan.starts.tolist() == [0, 9, 18, 27, 36, 45, 54, 63, 64]
    assert plan.indices[0].tolist() == [4, 13, 22, 31]  # the centre of each 9-frame part
    on_lattice = plan.indices[:-1] % 9 == 4  # every window but the tail shares the lattice
    assert on_lattice.all()
    assert plan.indices[-1].tolist() == [68, 77, 86, 95]
    assert plan.ends[-1] == 99
    assert np.allclose(plan.centres[:2], [18 / 12, 27 / 12])


def test_plan_of_a_short_video_is_one_clip_of_the_whole_video() -> None:
    plan = plan_windows(10, 12.0, WindowSize(36, 9, 9), UNIFORM)
    assert len(plan) == 1
    assert (plan.starts[0], plan.ends[0]) == (0, 9)
    assert plan.indices[0].tolist() == [1, 3, 6, 8]  # sampling.uniform(10, 4)
