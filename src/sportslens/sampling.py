"""Frame-index sampling: which frames of a video a model sees.

Every function is pure arithmetic on frame counts. It returns int64 indices that are sorted and lie
inside the inclusive range ``[start, end]``, which defaults to the whole video. Diving48 gives
each dive as such a start and end frame. Randomness comes only from an explicit ``rng``. With
``rng=None`` the result is deterministic and is the one to use for evaluation. A range too short
for the request still gives the requested count: frames repeat rather than leave the range.

Names: ``num_frames`` is always the length of the video (or of the range's video); the length of
a clip is ``n``, or a model's ``clip_frames`` in :func:`clip_indices`.
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "ClipSampling",
    "Sampling",
    "clip",
    "clip_indices",
    "segment_views",
    "segments",
    "sliding_windows",
    "temporal_views",
    "uniform",
    "view_indices",
]

Indices = npt.NDArray[np.int64]

Sampling = Literal["uniform", "segments", "clip"]
"""How a model's clip is taken from a video: spread evenly, ``frames_per_segment`` consecutive
frames from each TSN segment, or consecutive frames ``sampling_rate`` apart."""


class ClipSampling(Protocol):
    """A model's sampling policy (a :class:`~sportslens.transforms.Preprocess` is one)."""

    @property
    def clip_frames(self) -> int: ...
    @property
    def sampling(self) -> Sampling: ...
    @property
    def sampling_rate(self) -> int: ...
    @property
    def frames_per_segment(self) -> int: ...


def uniform(num_frames: int, n: int, *, start: int = 0, end: int | None = None) -> Indices:
    """Pick ``n`` frames spread evenly: the centre frame of each of ``n`` equal parts of the range.

    With ``L = end - start + 1``, index ``k`` is ``start + floor((k + 1/2) * L / n)``. This is
    computed in integers so no float rounding creeps in. It never passes ``end``, and when
    ``L < n`` neighbouring parts share a frame.
    """
    end = _check_range(num_frames, start, end)
    _check_positive(n=n)
    length = end - start + 1
    k = np.arange(n, dtype=np.int64)
    return start + (2 * k + 1) * length // (2 * n)


def segments(
    num_frames: int,
    num_segments: int,
    frames_per_segment: int = 1,
    *,
    rng: np.random.Generator | None = None,
    start: int = 0,
    end: int | None = None,
) -> Indices:
    """TSN sparse sampling: ``frames_per_segment`` consecutive frames from each of equal segments.

    With ``L = end - start + 1``, ``S = num_segments`` and ``F = frames_per_segment``, segment
    ``k`` is the float interval ``[k * L / S, (k + 1) * L / S)`` of the range. A frame belongs to
    the segment that holds its midpoint ``i + 1/2``. So segment ``k`` holds the frames
    ``start + ceil(k * L / S - 1/2)`` up to, but not including,
    ``start + ceil((k + 1) * L / S - 1/2)``.

    - Without ``rng`` (evaluation), the clip's midpoint is nearest the segment's midpoint. Its
      first frame is ``start + floor((k + 1/2) * L / S - (F - 1) / 2)``. For ``F = 1`` and
      ``L >= S`` this equals :func:`uniform`.
    - With ``rng`` (training), the first frame is drawn uniformly from the positions where all
      ``F`` frames fit inside the segment.

    Every segment fits its clip when ``L >= S * F``. A shorter range clamps each clip into its
    own segment, which repeats frames. A segment that holds no frame at all (``L < S``) takes
    the frame that follows it, or ``end``. The result has ``S * F`` indices in segment order.
    """
    end = _check_range(num_frames, start, end)
    _check_positive(num_segments=num_segments, frames_per_segment=frames_per_segment)
    length = end - start + 1
    k = np.arange(num_segments, dtype=np.int64)
    # These are the docstring's formulas multiplied through by 2 * S and kept in integers, so no
    # float rounding creeps in. Placing boundaries by frame midpoints is what lets the centred
    # clip fit its segment whenever L >= S * F.
    seg_first = start + _ceil_div(2 * k * length - num_segments, 2 * num_segments)
    seg_stop = start + _ceil_div(2 * (k + 1) * length - num_segments, 2 * num_segments)
    centre_numerator = (2 * k + 1) * length - (frames_per_segment - 1) * num_segments
    centred = start + centre_numerator // (2 * num_segments)
    fits = seg_stop - seg_first >= frames_per_segment
    if rng is None:
        clip_first = centred
    else:
        # The high bound must stay above the low bound in segments that are too short. Those
        # draws are thrown away by the np.where below.
        high = np.maximum(seg_stop - frames_per_segment, seg_first) + 1
        clip_first = np.where(fits, rng.integers(seg_first, high), centred)
    seg_last = np.maximum(seg_stop - 1, seg_first)  # an empty segment keeps its one boundary frame
    offsets = np.arange(frames_per_segment, dtype=np.int64)
    in_segment = np.clip(clip_first[:, None] + offsets, seg_first[:, None], seg_last[:, None])
    # An empty last segment's boundary is end + 1.
    indices: Indices = np.minimum(in_segment, end).ravel()  # (S * F,)
    return indices


def clip(
    num_frames: int,
    n: int,
    rate: int,
    *,
    rng: np.random.Generator | None = None,
    start: int = 0,
    end: int | None = None,
) -> Indices:
    """Pick ``n`` frames ``rate`` apart: one clip spanning ``(n - 1) * rate + 1`` frames.

    With ``L = end - start + 1``, the clip's first frame is drawn uniformly from the
    ``L - span + 1`` positions where it fits (``rng`` given). Without ``rng`` it is the centred
    ``start + (L - span) // 2``. A range shorter than the span starts the clip at ``start`` and
    repeats ``end`` for the frames past it.
    """
    end = _check_range(num_frames, start, end)
    _check_positive(n=n, rate=rate)
    spare = (end - start + 1) - _span(n, rate)
    if spare < 0:
        first = start
    elif rng is None:
        first = start + spare // 2
    else:
        first = start + int(rng.integers(spare + 1))
    return _strided(np.array([first], dtype=np.int64), n, rate, end).ravel()  # (n,)


def sliding_windows(
    num_frames: int, n: int, rate: int, stride: int, *, start: int = 0, end: int | None = None
) -> Indices:
    """Cover the range with clips of ``n`` frames ``rate`` apart. Returns shape ``(W, n)``.

    Windows start at ``start, start + stride, ...`` for as long as a whole span fits. If frames
    after the last such window would go unseen, one more window is added that ends exactly at
    ``end``. So every frame up to ``end`` falls inside some window's span. A range shorter than
    one span gives a single window from ``start`` that repeats ``end``, as :func:`clip` does.
    Windows are sorted by start and never repeat.
    """
    end = _check_range(num_frames, start, end)
    _check_positive(n=n, rate=rate, stride=stride)
    span = _span(n, rate)
    starts = np.arange(start, end - span + 2, stride, dtype=np.int64)
    if starts.size == 0:  # the range is shorter than one span
        starts = np.array([start], dtype=np.int64)
    elif starts[-1] + span - 1 < end:
        starts = np.append(starts, end - span + 1)
    return _strided(starts, n, rate, end)


def temporal_views(
    num_frames: int,
    n: int,
    views: int,
    *,
    rate: int | None = None,
    start: int = 0,
    end: int | None = None,
) -> Indices:
    """``views`` deterministic clips spread over the range, for multi-view testing; (V, n).

    With a ``rate``, each view is ``n`` frames every ``rate`` frames and the starts are spread
    evenly from the first possible start to the last (the SlowFast test protocol); a range
    shorter than one clip repeats the padded clip. Without a rate, view ``v`` takes the frame at
    fraction ``(v + 1/2) / views`` of each of ``n`` equal parts, so view 0 of 1 is :func:`uniform`
    and the views interleave.
    """
    end = _check_range(num_frames, start, end)
    _check_positive(n=n, views=views)
    length = end - start + 1
    v = np.arange(views, dtype=np.int64)[:, None]  # (V, 1)
    if rate is None:
        k = np.arange(n, dtype=np.int64)[None, :]  # (1, n)
        # (k + (v + 1/2) / V) * L / n, in integers.
        return start + ((k * views + v) * 2 + 1) * length // (2 * n * views)
    _check_positive(rate=rate)
    spare = max(length - _span(n, rate), 0)
    # One view is the centred clip, as clip(rng=None) gives; more spread from first to last start.
    starts = start + (v[:, 0] * spare // (views - 1) if views > 1 else np.array([spare // 2]))
    return _strided(starts.astype(np.int64), n, rate, end)


def segment_views(
    num_frames: int,
    num_segments: int,
    frames_per_segment: int,
    views: int,
    *,
    start: int = 0,
    end: int | None = None,
) -> Indices:
    """``views`` deterministic TSN samples for multi-view testing; (V, S * F).

    Segments are those of :func:`segments`. In each, the ``F`` consecutive frames of view ``v``
    start at fraction ``(v + 1/2) / views`` of the positions where they fit, so the views spread
    over every segment and keep each segment's frames consecutive. A segment too short for ``F``
    frames gives every view its centred (clamped) clip, as :func:`segments` does.
    """
    end = _check_range(num_frames, start, end)
    _check_positive(num_segments=num_segments, frames_per_segment=frames_per_segment, views=views)
    centred = segments(num_frames, num_segments, frames_per_segment, start=start, end=end)
    length = end - start + 1
    k = np.arange(num_segments, dtype=np.int64)
    seg_first = start + _ceil_div(2 * k * length - num_segments, 2 * num_segments)  # (S,)
    seg_stop = start + _ceil_div(2 * (k + 1) * length - num_segments, 2 * num_segments)
    positions = seg_stop - seg_first - frames_per_segment + 1  # (S,) starts where F frames fit
    v = np.arange(views, dtype=np.int64)[:, None]  # (V, 1)
    first = seg_first + (2 * v + 1) * np.maximum(positions, 1) // (2 * views)  # (V, S)
    offsets = np.arange(frames_per_segment, dtype=np.int64)
    spread = (first[:, :, None] + offsets).reshape(views, -1)  # (V, S * F)
    rows: Indices = np.where(np.repeat(positions >= 1, frames_per_segment), spread, centred)
    return rows


def view_indices(
    policy: ClipSampling,
    num_frames: int,
    views: int,
    *,
    start: int = 0,
    end: int | None = None,
) -> Indices:
    """``views`` deterministic clips of ``policy`` for multi-view testing; (V, clip_frames).

    The test-time counterpart of each sampling: one view is :func:`clip_indices` without ``rng``
    (centred segments, centred clip); more spread over the range (:func:`temporal_views`, or
    :func:`segment_views` for segments of several consecutive frames).
    """
    if views == 1:
        return clip_indices(policy, num_frames, start=start, end=end)[None, :]
    per_segment = policy.frames_per_segment
    if policy.sampling == "segments" and per_segment > 1:
        segments_count = policy.clip_frames // per_segment
        return segment_views(num_frames, segments_count, per_segment, views, start=start, end=end)
    rate = policy.sampling_rate if policy.sampling == "clip" else None
    return temporal_views(num_frames, policy.clip_frames, views, rate=rate, start=start, end=end)


def clip_indices(
    policy: ClipSampling,
    num_frames: int,
    *,
    start: int = 0,
    end: int | None = None,
    rng: np.random.Generator | None = None,
) -> Indices:
    """One clip of ``policy.clip_frames`` indices from a video of ``num_frames`` frames.

    Random with ``rng``, centred without. Training, evaluation, prediction and timelines all
    sample through here, so they cannot drift apart. ``uniform`` has no randomness of its own,
    so training jitters it the TSN way: one random frame inside each of the equal parts whose
    centres ``uniform`` takes. ``segments`` takes ``clip_frames // frames_per_segment`` segments
    of ``frames_per_segment`` consecutive frames each.
    """
    n = policy.clip_frames
    match policy.sampling:
        case "uniform":
            if rng is None:
                return uniform(num_frames, n, start=start, end=end)
            return segments(num_frames, n, rng=rng, start=start, end=end)
        case "segments":
            per_segment = policy.frames_per_segment
            return segments(
                num_frames, n // per_segment, per_segment, rng=rng, start=start, end=end
            )
        case "clip":
            return clip(num_frames, n, policy.sampling_rate, rng=rng, start=start, end=end)


def _ceil_div(numerator: Indices, denominator: int) -> Indices:
    """Divide and round up, exactly, in integers."""
    return -(-numerator // denominator)


def _span(n: int, rate: int) -> int:
    """Count the frames from a clip's first index to its last, inclusive."""
    return (n - 1) * rate + 1


def _strided(starts: Indices, n: int, rate: int, end: int) -> Indices:
    """Build one row of ``n`` indices ``rate`` apart per start, clamped so none passes ``end``."""
    offsets = rate * np.arange(n, dtype=np.int64)
    windows: Indices = np.minimum(starts[:, None] + offsets, end)  # (W, n)
    return windows


def _check_range(num_frames: int, start: int, end: int | None) -> int:
    """Validate the inclusive frame range and return ``end`` with ``None`` resolved."""
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    if end is None:
        end = num_frames - 1
    if start < 0:
        raise ValueError(f"start must be >= 0, got {start}")
    if end >= num_frames:
        raise ValueError(f"end must be < num_frames ({num_frames}), got {end}")
    if start > end:
        raise ValueError(f"start ({start}) must be <= end ({end})")
    return end


def _check_positive(**values: int) -> None:
    """Raise for the first count or step that is below 1, naming it."""
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
