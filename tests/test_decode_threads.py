"""Decoder threading: what real H.264 packets say, and the threading read_frames picks from it."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from frame_codes import coded_frame
from sportslens import decode_threads, read_frames
from sportslens.decode_threads import StreamSample, Threading, choose_threading, sample_h264
from sportslens.writer import VideoWriter


def _write(
    path: Path, slices: int, *, frames: int = 40, gop: int | None = None, b_frames: bool = True
) -> Path:
    """A 128x96 H.264 file whose every frame has ``slices`` slices, with or without B-frames.

    The frames spell their index over slowly moving noise, so decoding has real residuals to add.
    ``sliced-threads=0`` stops x264 from writing one slice per core of this machine.
    """
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 60, (128, 96, 3), dtype=np.uint8)
    params = f"cpu-independent=1:sliced-threads=0:slices={slices}"
    params += "" if b_frames else ":bframes=0"
    with VideoWriter(path, 30, gop=gop, options={"x264-params": params}) as writer:
        for i in range(frames):
            frame = coded_frame(i, 128, 96) // 2 + np.roll(noise, (i, 2 * i), axis=(0, 1))
            writer.write(frame)
    return path


def _sample(path: Path) -> StreamSample:
    """The sample read_frames takes: the first LOOKAHEAD packets that carry data."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [bytes(p) for p in container.demux(stream) if p.size]
        return sample_h264(packets[: decode_threads.LOOKAHEAD], stream.codec_context.extradata)


def _full_decode(path: Path) -> list[np.ndarray]:
    """Every frame, decoded sequentially on one thread: the reference."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)]


@pytest.mark.parametrize(("name", "slices"), [("mp4", 4), ("mp4", 1), ("mkv", 3), ("ts", 2)])
def test_slices_are_counted_in_length_prefixed_and_start_code_streams(
    tmp_path: Path, name: str, slices: int
) -> None:
    """MP4 and MKV store NAL units with length prefixes (avcC), MPEG-TS with start codes."""
    path = _write(tmp_path / f"clip.{name}", slices)
    assert _sample(path).slices == slices


@pytest.mark.parametrize("slices", [4, 1])
def test_b_frames_show_as_non_reference_pictures(tmp_path: Path, slices: int) -> None:
    with_b = _sample(_write(tmp_path / "b.mp4", slices))
    without_b = _sample(_write(tmp_path / "p.mp4", slices, b_frames=False))
    assert with_b.nonreference >= decode_threads.NONREFERENCE_SHARE
    assert without_b.nonreference == 0.0


def test_packets_without_slices() -> None:
    assert sample_h264([], None) == StreamSample(slices=1, nonreference=0.0)
    parameter_sets = b"\x00\x00\x01\x67\x64\x00\x00\x01\x68\xee"  # SPS and PPS, no slice
    assert sample_h264([parameter_sets], None) == StreamSample(slices=1, nonreference=0.0)


SKIPPY = StreamSample(slices=4, nonreference=0.45)  # x264's B-frames in four slices


@pytest.mark.parametrize(
    ("sample", "threads", "expected"),
    [
        (SKIPPY, 2, Threading("SLICE", 2)),
        (SKIPPY, 0, Threading("SLICE", 2)),  # 0: one thread a core, two cores (patched below)
        (SKIPPY, 4, Threading("SLICE", 4)),
        (SKIPPY, 3, Threading("FRAME", 3)),  # four slices do not split evenly over three threads
        (StreamSample(2, 0.45), 4, Threading("FRAME", 4)),  # two of four threads would idle
        (StreamSample(4, 0.0), 2, Threading("FRAME", 2)),  # nothing skipped: frame threads win
        (StreamSample(1, 0.45), 2, Threading("FRAME", 2)),
        (StreamSample(1, 0.45), 0, Threading("FRAME", 2)),  # not FFmpeg's cores + 1
        (SKIPPY, 1, Threading("AUTO", 1)),  # one thread: nothing to choose
        (None, 0, Threading("AUTO", 0)),  # not H.264: FFmpeg's own choice
        (None, 2, Threading("AUTO", 2)),
    ],
)
def test_choose_threading(
    monkeypatch: pytest.MonkeyPatch, sample: StreamSample | None, threads: int, expected: Threading
) -> None:
    monkeypatch.setattr(decode_threads.os, "cpu_count", lambda: 2)
    assert choose_threading(sample, threads) == expected


def _record_choices(monkeypatch: pytest.MonkeyPatch) -> list[Threading]:
    """Record every threading read_frames picks (the real choice, not replaced)."""
    chosen: list[Threading] = []
    original = decode_threads.stream_threading

    def spy(codec: object, packets: list[bytes]) -> Threading:
        chosen.append(original(codec, packets))
        return chosen[-1]

    monkeypatch.setattr(decode_threads, "stream_threading", spy)
    return chosen


@pytest.mark.parametrize(
    ("slices", "b_frames", "expected"),
    [
        (4, True, Threading("SLICE", 2)),
        (4, False, Threading("FRAME", 2)),
        (1, True, Threading("FRAME", 2)),
    ],
)
@pytest.mark.parametrize("name", ["clip.mp4", "clip.avi"])  # AVI: frames in decoder order
def test_read_frames_picks_slice_threads_for_sliced_skippable_frames_only(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    slices: int,
    b_frames: bool,
    expected: Threading,
) -> None:
    path = _write(tmp_path / name, slices, b_frames=b_frames)
    chosen = _record_choices(monkeypatch)
    read_frames(path, [3, 30], threads=2)
    assert chosen == [expected]  # once per read: the decoder keeps its threading after a seek


@pytest.mark.parametrize("forced", [Threading("SLICE", 2), Threading("FRAME", 2)])
@pytest.mark.parametrize("slices", [4, 1])
@pytest.mark.parametrize("gop", [None, 7])
def test_read_frames_is_bit_exact_with_either_threading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slices: int, forced: Threading, gop: int | None
) -> None:
    """Seeks and skipped frames under slice or frame threads give a sequential decode's frames."""
    path = _write(tmp_path / "clip.mp4", slices, frames=60, gop=gop)
    every = _full_decode(path)
    monkeypatch.setattr(decode_threads, "choose_threading", lambda sample, threads: forced)
    chosen = _record_choices(monkeypatch)
    wanted = [2, 9, 30, 31, 50, 59, 0]
    frames = read_frames(path, wanted, threads=2).permute(0, 2, 3, 1).numpy()
    assert chosen == [forced]
    for got, i in zip(frames, wanted, strict=True):
        np.testing.assert_array_equal(got, every[i])
