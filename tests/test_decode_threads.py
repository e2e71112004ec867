"""Decoder threading: slices counted in real H.264 files, and the choice read_frames makes."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from frame_codes import coded_frame
from sportslens import decode_threads, read_frames
from sportslens.decode_threads import choose_thread_type, h264_slices_per_frame
from sportslens.writer import VideoWriter


def _write(path: Path, slices: int, *, frames: int = 40, gop: int | None = None) -> Path:
    """A 128x96 H.264 file whose every frame has ``slices`` slices, and B-frames.

    The frames spell their index over moving noise, so decoding has real residuals to add.
    ``sliced-threads=0`` stops x264 from writing one slice per core of this machine.
    """
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 60, (128, 96, 3), dtype=np.uint8)
    params = f"cpu-independent=1:sliced-threads=0:slices={slices}"
    with VideoWriter(path, 30, gop=gop, options={"x264-params": params}) as writer:
        for i in range(frames):
            frame = coded_frame(i, 128, 96) // 2 + np.roll(noise, (i, 2 * i), axis=(0, 1))
            writer.write(frame)
    return path


def _first_packets(path: Path, count: int) -> tuple[list[bytes], bytes | None]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        packets = [bytes(p) for p in container.demux(stream) if p.size][:count]
        return packets, stream.codec_context.extradata


def _full_decode(path: Path) -> list[np.ndarray]:
    """Every frame, decoded sequentially on one thread: the reference."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)]


@pytest.mark.parametrize(("name", "slices"), [("mp4", 4), ("mp4", 1), ("mkv", 3), ("ts", 3)])
def test_slices_are_counted_in_length_prefixed_and_start_code_streams(
    tmp_path: Path, name: str, slices: int
) -> None:
    """MP4 and MKV store NAL units with length prefixes (avcC), MPEG-TS with start codes."""
    path = _write(tmp_path / f"clip.{name}", slices, frames=10)
    packets, extradata = _first_packets(path, 10)
    assert [h264_slices_per_frame(p, extradata) for p in packets] == [slices] * 10


def test_what_is_not_a_slice_counts_as_one() -> None:
    assert h264_slices_per_frame(b"", None) == 1
    assert h264_slices_per_frame(b"\x00\x00\x01\x67\x64\x00\x00\x01\x68\xee", None) == 1  # SPS, PPS


@pytest.mark.parametrize(
    ("slices", "threads", "expected"),
    [
        (4, 2, "SLICE"),  # every thread gets a slice
        (2, 2, "SLICE"),
        (4, 4, "SLICE"),
        (2, 4, "AUTO"),  # two threads would idle: frame threads have more to share
        (1, 2, "AUTO"),
        (4, 1, "AUTO"),  # one thread: nothing to choose
        (4, 0, "SLICE"),  # 0 = one thread per core, two cores (patched below)
        (1, 0, "AUTO"),
    ],
)
def test_choose_thread_type(
    monkeypatch: pytest.MonkeyPatch, slices: int, threads: int, expected: str
) -> None:
    monkeypatch.setattr(decode_threads.os, "cpu_count", lambda: 2)
    assert choose_thread_type(slices, threads) == expected


def _record_choices(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every threading read_frames picks (the real choice, not replaced)."""
    chosen: list[str] = []
    original = decode_threads.stream_thread_type

    def spy(codec: object, packet: bytes) -> str:
        choice = original(codec, packet)
        chosen.append(choice)
        return choice

    monkeypatch.setattr(decode_threads, "stream_thread_type", spy)
    return chosen


@pytest.mark.parametrize(("slices", "expected"), [(4, "SLICE"), (1, "AUTO")])
@pytest.mark.parametrize("name", ["clip.mp4", "clip.avi"])  # AVI: frames in decoder order
def test_read_frames_picks_slice_threads_for_sliced_frames_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, slices: int, expected: str
) -> None:
    path = _write(tmp_path / name, slices)
    chosen = _record_choices(monkeypatch)
    read_frames(path, [3, 30], threads=2)
    assert chosen == [expected]  # once per read: the decoder keeps its threading after a seek


@pytest.mark.parametrize("forced", ["SLICE", "AUTO"])
@pytest.mark.parametrize("slices", [4, 1])
@pytest.mark.parametrize("gop", [None, 7])
def test_read_frames_is_bit_exact_with_either_threading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slices: int, forced: str, gop: int | None
) -> None:
    """Seeks and skipped frames under slice or frame threads give a sequential decode's frames."""
    path = _write(tmp_path / "clip.mp4", slices, frames=60, gop=gop)
    every = _full_decode(path)
    monkeypatch.setattr(decode_threads, "choose_thread_type", lambda slices, threads: forced)
    chosen = _record_choices(monkeypatch)
    wanted = [2, 9, 30, 31, 50, 59, 0]
    frames = read_frames(path, wanted, threads=2).permute(0, 2, 3, 1).numpy()
    assert chosen == [forced]
    for got, i in zip(frames, wanted, strict=True):
        np.testing.assert_array_equal(got, every[i])
