"""Sampling arithmetic: exact tables, seeded randomness, properties for any lengths, bad input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sportslens import sampling
from sportslens.sampling import clip, segments, sliding_windows, uniform

# Properties are cheap. deadline=None keeps a slow first call (numpy warm-up) from failing a run.
properties = settings(max_examples=150, deadline=None)


# ---- exact tables -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num_frames", "n", "kwargs", "expected"),
    [
        (10, 5, {}, [1, 3, 5, 7, 9]),
        (10, 4, {}, [1, 3, 6, 8]),
        (10, 1, {}, [5]),
        (3, 5, {}, [0, 0, 1, 2, 2]),  # shorter than n: frames repeat
        (1, 3, {}, [0, 0, 0]),
        (100, 4, {"start": 10, "end": 49}, [15, 25, 35, 45]),
        (10, 2, {"start": 4, "end": 4}, [4, 4]),
    ],
)
def test_uniform_table(
    num_frames: int, n: int, kwargs: dict[str, Any], expected: list[int]
) -> None:
    assert uniform(num_frames, n, **kwargs).tolist() == expected


@pytest.mark.parametrize(
    ("num_frames", "num_segments", "frames_per_segment", "kwargs", "expected"),
    [
        (10, 4, 1, {}, [1, 3, 6, 8]),  # segments [0,2) [2,5) [5,7) [7,10)
        (16, 4, 2, {}, [1, 2, 5, 6, 9, 10, 13, 14]),
        (10, 3, 3, {}, [0, 1, 2, 4, 5, 6, 7, 8, 9]),  # segments [0,3) [3,7) [7,10)
        (30, 3, 2, {"start": 10, "end": 21}, [11, 12, 15, 16, 19, 20]),
        (20, 2, 1, {"start": 5, "end": 14}, [7, 12]),
        (5, 2, 3, {}, [0, 1, 1, 2, 3, 4]),  # first segment [0,2) is too short: clamped into it
        (2, 4, 1, {}, [0, 0, 1, 1]),  # segments [0,0) [0,1) [1,1) [1,2): empty ones repeat
        (1, 3, 2, {}, [0, 0, 0, 0, 0, 0]),
    ],
)
def test_segments_table(
    num_frames: int,
    num_segments: int,
    frames_per_segment: int,
    kwargs: dict[str, Any],
    expected: list[int],
) -> None:
    indices = segments(num_frames, num_segments, frames_per_segment, **kwargs)
    assert indices.tolist() == expected


@pytest.mark.parametrize(
    ("num_frames", "n", "rate", "kwargs", "expected"),
    [
        (100, 4, 2, {}, [46, 48, 50, 52]),  # span 7, spare 93, centred start 46
        (10, 4, 3, {}, [0, 3, 6, 9]),  # span equals the video
        (8, 4, 3, {}, [0, 3, 6, 7]),  # short: last frame repeats
        (3, 5, 1, {}, [0, 1, 2, 2, 2]),
        (1, 4, 2, {}, [0, 0, 0, 0]),
        (10, 1, 5, {}, [4]),
        (50, 3, 4, {"start": 10, "end": 29}, [15, 19, 23]),
        (50, 3, 4, {"start": 10, "end": 15}, [10, 14, 15]),
    ],
)
def test_clip_table(
    num_frames: int, n: int, rate: int, kwargs: dict[str, Any], expected: list[int]
) -> None:
    assert clip(num_frames, n, rate, **kwargs).tolist() == expected


@pytest.mark.parametrize(
    ("num_frames", "n", "rate", "stride", "kwargs", "expected"),
    [
        (10, 4, 1, 2, {}, [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7], [6, 7, 8, 9]]),
        # Regular windows stop at frame 7, so one more window ends exactly at the last frame.
        (10, 4, 1, 4, {}, [[0, 1, 2, 3], [4, 5, 6, 7], [6, 7, 8, 9]]),
        (10, 3, 2, 3, {}, [[0, 2, 4], [3, 5, 7], [5, 7, 9]]),
        (5, 3, 2, 10, {}, [[0, 2, 4]]),  # exactly one span
        (4, 3, 2, 1, {}, [[0, 2, 3]]),  # shorter than one span: padded with the last frame
        (3, 1, 1, 1, {}, [[0], [1], [2]]),
        (100, 2, 3, 5, {"start": 20, "end": 31}, [[20, 23], [25, 28], [28, 31]]),
    ],
)
def test_sliding_windows_table(
    num_frames: int,
    n: int,
    rate: int,
    stride: int,
    kwargs: dict[str, Any],
    expected: list[list[int]],
) -> None:
    assert sliding_windows(num_frames, n, rate, stride, **kwargs).tolist() == expected


def test_everything_returns_int64() -> None:
    results = [
        uniform(10, 3),
        segments(10, 3, 2),
        segments(10, 3, 2, rng=np.random.default_rng(0)),
        clip(10, 3, 2),
        clip(10, 3, 2, rng=np.random.default_rng(0)),
        sliding_windows(10, 3, 2, 2),
    ]
    assert all(result.dtype == np.int64 for result in results)


# ---- random mode ------------------------------------------------------------------------------


def test_same_seed_gives_same_indices() -> None:
    def draw(seed: int) -> list[list[int]]:
        return [
            segments(300, 8, 4, rng=np.random.default_rng(seed)).tolist(),
            clip(300, 16, 4, rng=np.random.default_rng(seed)).tolist(),
        ]

    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


def test_random_segments_stay_in_their_segment() -> None:
    num_frames, num_segments, frames_per_segment = 97, 5, 3
    for seed in range(20):
        rng = np.random.default_rng(seed)
        indices = segments(num_frames, num_segments, frames_per_segment, rng=rng)
        for k, block in enumerate(indices.reshape(num_segments, frames_per_segment)):
            assert _in_segment(block, k, num_segments, 0, num_frames).all()
            assert (np.diff(block) == 1).all()


def test_random_segments_vary_within_a_segment() -> None:
    firsts = {int(segments(100, 4, rng=np.random.default_rng(seed))[0]) for seed in range(40)}
    assert len(firsts) > 10
    assert firsts <= set(range(25))


def test_random_clip_starts_cover_many_positions() -> None:
    # span 7 in 100 frames leaves 94 valid starts: 0..93.
    firsts = {int(clip(100, 4, 2, rng=np.random.default_rng(seed))[0]) for seed in range(50)}
    assert len(firsts) > 20
    assert min(firsts) >= 0
    assert max(firsts) <= 93


# ---- properties -------------------------------------------------------------------------------


@st.composite
def frame_ranges(draw: st.DrawFn) -> tuple[int, int, int]:
    """Draw a video length and an inclusive range inside it."""
    num_frames = draw(st.integers(1, 400))
    start = draw(st.integers(0, num_frames - 1))
    end = draw(st.integers(start, num_frames - 1))
    return num_frames, start, end


counts = st.integers(1, 40)
steps = st.integers(1, 10)
seeds = st.one_of(st.none(), st.integers(0, 2**32 - 1))  # None is the deterministic mode


def _rng(seed: int | None) -> np.random.Generator | None:
    return None if seed is None else np.random.default_rng(seed)


def _assert_sorted_in_range(indices: np.ndarray[Any, Any], start: int, end: int) -> None:
    assert indices.dtype == np.int64
    assert (np.diff(indices) >= 0).all()
    assert indices.min() >= start
    assert indices.max() <= end


def _in_segment(
    indices: np.ndarray[Any, Any], k: int, num_segments: int, start: int, length: int
) -> np.ndarray[Any, Any]:
    """Check that each frame's midpoint lies in segment k's float interval, in integers."""
    midpoint_times_2s = (2 * (indices - start) + 1) * num_segments
    return (2 * k * length <= midpoint_times_2s) & (midpoint_times_2s < 2 * (k + 1) * length)


@properties
@given(frame_ranges(), counts)
def test_uniform_properties(frame_range: tuple[int, int, int], n: int) -> None:
    num_frames, start, end = frame_range
    indices = uniform(num_frames, n, start=start, end=end)
    assert indices.shape == (n,)
    _assert_sorted_in_range(indices, start, end)


@properties
@given(frame_ranges(), counts, st.integers(1, 6), seeds)
def test_segments_properties(
    frame_range: tuple[int, int, int], num_segments: int, frames_per_segment: int, seed: int | None
) -> None:
    num_frames, start, end = frame_range
    indices = segments(
        num_frames, num_segments, frames_per_segment, rng=_rng(seed), start=start, end=end
    )
    assert indices.shape == (num_segments * frames_per_segment,)
    _assert_sorted_in_range(indices, start, end)
    length = end - start + 1
    if length >= num_segments * frames_per_segment:
        # Long enough: each segment gets consecutive frames that lie inside it.
        blocks = indices.reshape(num_segments, frames_per_segment)
        for k, block in enumerate(blocks):
            assert _in_segment(block, k, num_segments, start, length).all()
            assert (np.diff(block) == 1).all()


@properties
@given(frame_ranges(), counts)
def test_centred_single_frame_segments_equal_uniform(
    frame_range: tuple[int, int, int], num_segments: int
) -> None:
    num_frames, start, end = frame_range
    if end - start + 1 >= num_segments:
        expected = uniform(num_frames, num_segments, start=start, end=end)
        actual = segments(num_frames, num_segments, start=start, end=end)
        np.testing.assert_array_equal(actual, expected)


@properties
@given(frame_ranges(), counts, steps, seeds)
def test_clip_properties(
    frame_range: tuple[int, int, int], n: int, rate: int, seed: int | None
) -> None:
    num_frames, start, end = frame_range
    indices = clip(num_frames, n, rate, rng=_rng(seed), start=start, end=end)
    assert indices.shape == (n,)
    _assert_sorted_in_range(indices, start, end)
    if (n - 1) * rate + 1 <= end - start + 1:
        assert (np.diff(indices) == rate).all()  # fits: no padding
    else:
        assert indices[0] == start


@properties
@given(frame_ranges(), counts, steps, st.integers(1, 30))
def test_sliding_windows_properties(
    frame_range: tuple[int, int, int], n: int, rate: int, stride: int
) -> None:
    num_frames, start, end = frame_range
    windows = sliding_windows(num_frames, n, rate, stride, start=start, end=end)
    assert windows.ndim == 2
    assert windows.shape[1] == n
    for window in windows:
        _assert_sorted_in_range(window, start, end)
    firsts = windows[:, 0]
    assert firsts[0] == start
    assert (np.diff(firsts) > 0).all()  # sorted, no duplicate windows
    assert (np.diff(firsts) <= stride).all()  # no gap wider than the stride
    if (n - 1) * rate + 1 <= end - start + 1:
        assert windows[-1, -1] == end  # the last window reaches the end
        assert (np.diff(windows, axis=1) == rate).all()  # whole windows, never padded
    else:
        assert windows.shape[0] == 1


# ---- bad arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: uniform(0, 4), r"num_frames must be >= 1, got 0"),
        (lambda: uniform(10, 0), r"n must be >= 1, got 0"),
        (lambda: uniform(10, 2, start=-1), r"start must be >= 0, got -1"),
        (lambda: uniform(10, 2, end=10), r"end must be < num_frames \(10\), got 10"),
        (lambda: uniform(10, 2, start=5, end=3), r"start \(5\) must be <= end \(3\)"),
        (lambda: segments(10, 0), r"num_segments must be >= 1, got 0"),
        (lambda: segments(10, 2, 0), r"frames_per_segment must be >= 1, got 0"),
        (lambda: segments(10, 2, end=-1), r"start \(0\) must be <= end \(-1\)"),
        (lambda: clip(10, 2, 0), r"rate must be >= 1, got 0"),
        (lambda: clip(10, -3, 1), r"n must be >= 1, got -3"),
        (lambda: clip(5, 2, 1, end=7), r"end must be < num_frames \(5\), got 7"),
        (lambda: sliding_windows(10, 2, 1, 0), r"stride must be >= 1, got 0"),
        (lambda: sliding_windows(10, 2, 0, 1), r"rate must be >= 1, got 0"),
        (lambda: sliding_windows(-1, 2, 1, 1), r"num_frames must be >= 1, got -1"),
    ],
)
def test_bad_arguments_raise(call: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


TEMPORAL_VIEW_CASES = [
    # (num_frames, n, views, rate, start, end, expected rows)
    (100, 4, 1, None, 0, None, [[12, 37, 62, 87]]),
    (100, 4, 2, None, 0, None, [[6, 31, 56, 81], [18, 43, 68, 93]]),
    (100, 4, 3, 5, 0, None, [[0, 5, 10, 15], [42, 47, 52, 57], [84, 89, 94, 99]]),
    (100, 4, 1, 5, 0, None, [[42, 47, 52, 57]]),
    (10, 4, 3, 5, 0, None, [[0, 5, 9, 9]] * 3),
    (100, 2, 2, 10, 20, 49, [[20, 30], [39, 49]]),
]


@pytest.mark.parametrize(
    ("num_frames", "n", "views", "rate", "start", "end", "expected"), TEMPORAL_VIEW_CASES
)
def test_temporal_views_table(
    num_frames: int,
    n: int,
    views: int,
    rate: int | None,
    start: int,
    end: int | None,
    expected: list[list[int]],
) -> None:
    got = sampling.temporal_views(num_frames, n, views, rate=rate, start=start, end=end)
    assert got.tolist() == expected


def test_one_temporal_view_is_the_deterministic_sample() -> None:
    assert sampling.temporal_views(77, 8, 1).tolist() == [sampling.uniform(77, 8).tolist()]
    assert sampling.temporal_views(77, 8, 1, rate=3).tolist() == [sampling.clip(77, 8, 3).tolist()]


@dataclass(frozen=True)
class Policy:
    """A model's sampling policy, as clip_indices reads it from a Preprocess."""

    clip_frames: int
    sampling: sampling.Sampling
    sampling_rate: int = 1
    frames_per_segment: int = 1


CLIP_INDICES_CASES = [
    # (policy, num_frames, start, end, expected): the deterministic (evaluation) clip
    (Policy(4, "uniform"), 100, 0, None, [12, 37, 62, 87]),
    (Policy(4, "segments"), 100, 0, None, [12, 37, 62, 87]),
    (Policy(4, "clip", 5), 100, 0, None, [42, 47, 52, 57]),
    (Policy(3, "uniform"), 100, 10, 39, [15, 25, 35]),
    (Policy(4, "clip", 5), 10, 0, None, [0, 5, 9, 9]),
]


@pytest.mark.parametrize(("policy", "num_frames", "start", "end", "expected"), CLIP_INDICES_CASES)
def test_clip_indices_table(
    policy: Policy, num_frames: int, start: int, end: int | None, expected: list[int]
) -> None:
    got = sampling.clip_indices(policy, num_frames, start=start, end=end)
    assert got.tolist() == expected


def test_random_clip_indices_follow_the_policy_and_the_seed() -> None:
    uniform_policy, clip_policy = Policy(4, "uniform"), Policy(4, "clip", 5)
    drawn = sampling.clip_indices(uniform_policy, 100, rng=np.random.default_rng(3))
    again = sampling.segments(100, 4, rng=np.random.default_rng(3))  # TSN jitter of uniform
    assert drawn.tolist() == again.tolist()
    drawn = sampling.clip_indices(clip_policy, 100, rng=np.random.default_rng(3))
    assert drawn.tolist() == sampling.clip(100, 4, 5, rng=np.random.default_rng(3)).tolist()


def test_segments_policy_takes_consecutive_frames_per_segment() -> None:
    policy = Policy(12, "segments", frames_per_segment=3)  # 4 segments x 3 frames
    got = sampling.clip_indices(policy, 100, rng=None)
    assert got.tolist() == sampling.segments(100, 4, 3).tolist()
    drawn = sampling.clip_indices(policy, 100, rng=np.random.default_rng(5))
    assert drawn.tolist() == sampling.segments(100, 4, 3, rng=np.random.default_rng(5)).tolist()
    for block in drawn.reshape(4, 3):
        assert np.diff(block).tolist() == [1, 1]


SEGMENT_VIEW_CASES = [
    # (num_frames, segments, per segment, views, start, end, expected rows)
    (40, 2, 3, 2, 0, None, [[4, 5, 6, 24, 25, 26], [13, 14, 15, 33, 34, 35]]),
    (40, 2, 3, 1, 0, None, [[9, 10, 11, 29, 30, 31]]),  # the centred segments
    (4, 2, 3, 2, 0, None, [sampling.segments(4, 2, 3).tolist()] * 2),
    (100, 2, 2, 3, 50, 69, [[51, 52, 61, 62], [54, 55, 64, 65], [57, 58, 67, 68]]),
]


@pytest.mark.parametrize(
    ("num_frames", "num_segments", "per_segment", "views", "start", "end", "expected"),
    SEGMENT_VIEW_CASES,
)
def test_segment_views_table(
    num_frames: int,
    num_segments: int,
    per_segment: int,
    views: int,
    start: int,
    end: int | None,
    expected: list[list[int]],
) -> None:
    got = sampling.segment_views(num_frames, num_segments, per_segment, views, start=start, end=end)
    assert got.tolist() == expected


def test_view_indices_follow_each_sampling() -> None:
    one = sampling.view_indices(Policy(4, "clip", 5), 100, 1)
    assert one.tolist() == [sampling.clip(100, 4, 5).tolist()]
    three = sampling.view_indices(Policy(4, "clip", 5), 100, 3)
    assert three.tolist() == sampling.temporal_views(100, 4, 3, rate=5).tolist()
    tsn = sampling.view_indices(Policy(6, "segments", frames_per_segment=3), 40, 2)
    assert tsn.tolist() == sampling.segment_views(40, 2, 3, 2).tolist()
