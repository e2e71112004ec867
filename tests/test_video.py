"""Decoding: exact frame content across codecs and containers, sizes, rotation, VFR, bad input."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from conftest import MakeVideo
from frame_codes import coded_frame, read_code, read_codes
from sportslens import (
    VideoDecodeError,
    frame_indices_between,
    probe,
    read_frames,
    read_time_range,
)

FORMATS = [
    ("h264.mp4", {"codec": "libx264"}),
    ("h264-gop10.mov", {"codec": "libx264", "gop": 10}),
    ("h265.mkv", {"codec": "libx265"}),
    ("h265.mp4", {"codec": "libx265", "gop": 8}),
    ("vp9.webm", {"codec": "libvpx-vp9"}),
    ("vp9.mkv", {"codec": "libvpx-vp9", "gop": 8}),
    ("mpeg4.mp4", {"codec": "mpeg4"}),
    ("h264.avi", {"codec": "libx264"}),
    ("mpeg4.avi", {"codec": "mpeg4", "gop": 12}),
    ("anim.gif", {"codec": "gif", "fps": 10}),
]


@pytest.mark.parametrize(("name", "options"), FORMATS, ids=[f[0] for f in FORMATS])
def test_reads_exact_frames_in_every_format(
    make_video: MakeVideo, name: str, options: dict[str, object]
) -> None:
    path = make_video(name, frames=40, **options)
    wanted = [39, 0, 5, 5, 17, 30, 12]
    frames = read_frames(path, wanted)
    assert frames.dtype == torch.uint8
    assert frames.shape == (len(wanted), 3, 64, 96)
    assert read_codes(frames) == wanted


@pytest.mark.parametrize(("name", "options"), FORMATS, ids=[f[0] for f in FORMATS])
def test_probe_counts_frames_and_timing(
    make_video: MakeVideo, name: str, options: dict[str, object]
) -> None:
    fps = float(options.get("fps", 30))  # type: ignore[arg-type]
    info = probe(make_video(name, frames=40, **options))
    assert info.num_frames == 40
    assert info.frame_count == "counted"
    assert (info.width, info.height, info.rotation) == (96, 64, 0)
    assert info.fps == pytest.approx(fps, rel=1e-3)
    assert info.duration == pytest.approx(40 / fps, rel=1e-3)
    assert not info.variable_frame_rate


def test_every_frame_of_a_long_gop_file_in_random_order(make_video: MakeVideo) -> None:
    path = make_video("long.mp4", frames=90, gop=15)
    order = np.random.default_rng(0).permutation(90)
    assert read_codes(read_frames(path, order)) == order.tolist()


def test_resizes_short_side_and_exact_size(make_video: MakeVideo) -> None:
    path = make_video("a.mp4")
    assert read_frames(path, [3], size=32).shape == (1, 3, 32, 48)
    assert read_frames(path, [3], size=(40, 50)).shape == (1, 3, 40, 50)
    small = read_frames(path, [3, 21], size=48)
    assert read_codes(small) == [3, 21]  # content survives the swscale resize


def test_rotated_phone_video_comes_out_upright(make_video: MakeVideo) -> None:
    path = make_video("phone.mp4", rotation=90)
    info = probe(path)
    assert (info.width, info.height, info.rotation) == (64, 96, 90)
    frame = read_frames(path, [7])[0]  # (C, H, W) = (3, 96, 64)
    assert frame.shape == (3, 96, 64)
    # Stored frames have a strip on top, red on its left and blue on its right; a 90° turn
    # counter-clockwise puts it on the left side, blue above red.
    left = frame[:, :, :8].float()
    blue_top, red_bottom = left[:, :40].mean(dim=(1, 2)), left[:, -40:].mean(dim=(1, 2))
    assert blue_top[2] > 200 and blue_top[0] < 50
    assert red_bottom[0] > 200 and red_bottom[2] < 50
    assert frame[:, :, -8:].float().mean() < 200  # the right side holds no strip
    # Turning it back recovers the coded bands: the frame really is frame 7.
    assert read_code(torch.rot90(frame, k=-1, dims=(1, 2))) == 7
    assert read_frames(path, [7], size=(48, 32)).shape == (1, 3, 48, 32)


def test_variable_frame_rate_indices_follow_presentation_order(make_video: MakeVideo) -> None:
    times = [i / 30 + (0.012 if i % 3 == 2 else 0.0) + (0.5 if i >= 20 else 0.0) for i in range(40)]
    path = make_video("vfr.mp4", frames=40, timestamps=times)
    info = probe(path)
    assert info.num_frames == 40
    assert info.variable_frame_rate
    assert info.duration == pytest.approx(times[-1] + (times[-1] - times[0]) / 39, abs=0.01)
    assert read_codes(read_frames(path, [0, 19, 20, 39])) == [0, 19, 20, 39]
    # The half-second pause after frame 19 means 1.0-1.2 s holds frames 20.. shown then.
    expected = [i for i, t in enumerate(times) if 1.0 <= t < 1.2]
    assert frame_indices_between(path, 1.0, 1.2).tolist() == expected
    assert read_codes(read_time_range(path, 1.0, 1.2)) == expected


def test_sources_path_str_bytes_fileobject_and_url(make_video: MakeVideo) -> None:
    path = make_video("a.mkv", codec="libx264")
    data = path.read_bytes()
    fsspec = pytest.importorskip("fsspec")
    with fsspec.open("memory://videos/a.mkv", "wb") as remote:
        remote.write(data)
    sources: list[object] = [path, str(path), data, io.BytesIO(data), "memory://videos/a.mkv"]
    for source in sources:
        assert read_codes(read_frames(source, [2, 30])) == [2, 30]  # type: ignore[arg-type]
        assert probe(source).num_frames == 40  # type: ignore[arg-type]


def test_header_frame_count_that_lies_is_not_trusted(make_video: MakeVideo) -> None:
    # AVI headers count frames as written by the muxer; mkv has none. Both are counted instead.
    info = probe(make_video("a.mkv"))
    assert info.header_frames == 0
    assert (info.num_frames, info.frame_count) == (40, "counted")


# --- bad input -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.mp4"
    with pytest.raises(VideoDecodeError, match=r"nope\.mp4: no such file"):
        probe(path)
    with pytest.raises(VideoDecodeError, match="no such file"):
        read_frames(path, [0])


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(VideoDecodeError, match=r"empty\.mp4: the file is empty"):
        read_frames(path, [0])


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, np.uint8).tobytes())
    with pytest.raises(VideoDecodeError, match=r"noise\.mp4: "):
        probe(path)
    assert issubclass(VideoDecodeError, ValueError)


def test_audio_only_file(tmp_path: Path) -> None:
    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 16000
        for i in range(10):
            frame.pts = i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(VideoDecodeError, match=r"sound\.m4a: has no video stream \(found: audio\)"):
        probe(path)


def test_file_with_no_decodable_frames(tmp_path: Path) -> None:
    path = tmp_path / "garbage.mkv"
    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height = 64, 48
        stream.time_base = Fraction(1, 25)
        for i in range(10):
            packet = av.Packet(rng.integers(0, 256, 500, np.uint8).tobytes())
            packet.stream = stream
            packet.pts = packet.dts = i
            packet.time_base = stream.time_base
            container.mux(packet)
    with pytest.raises(VideoDecodeError, match=r"garbage\.mkv: "):
        probe(path)
    with pytest.raises(VideoDecodeError, match=r"garbage\.mkv: frames \[0, 3\] could not"):
        read_frames(path, [0, 3])


def test_truncated_file_returns_the_frames_that_exist(make_video: MakeVideo) -> None:
    path = make_video("cut.mkv", frames=60, gop=10)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    info = probe(path)
    assert 10 < info.num_frames < 60
    assert read_codes(read_frames(path, [0, 5, 9])) == [0, 5, 9]
    with pytest.raises(VideoDecodeError, match=r"cut\.mkv: frame index 59 is out of range"):
        read_frames(path, [0, 59])


def test_index_out_of_range_and_empty_request(make_video: MakeVideo) -> None:
    path = make_video("a.mp4", frames=10)
    with pytest.raises(
        VideoDecodeError, match=r"a\.mp4: frame index 10 is out of range; the video has 10 frames"
    ):
        read_frames(path, [2, 10])
    with pytest.raises(VideoDecodeError, match="frame index -1"):
        read_frames(path, [-1])
    with pytest.raises(VideoDecodeError, match="no frame indices"):
        read_frames(path, [])


def test_time_range_errors(make_video: MakeVideo) -> None:
    path = make_video("a.mp4", frames=10)
    with pytest.raises(ValueError, match="must be after its start"):
        read_time_range(path, 1.0, 0.5)
    with pytest.raises(VideoDecodeError, match="no frame is shown between 5 s and 6 s"):
        read_time_range(path, 5, 6)


def test_writer_rejects_bad_frames(tmp_path: Path) -> None:
    from sportslens import write_video

    with pytest.raises(ValueError, match="even frame size"):
        write_video(tmp_path / "odd.mp4", [coded_frame(0, 63, 96)], 30)
    with pytest.raises(ValueError, match=r"expected an \(H, W, 3\) uint8 frame"):
        write_video(tmp_path / "bad.mp4", [np.zeros((8, 8), np.uint8)], 30)


@pytest.mark.parametrize("name", ["mmaction2_tests_test.avi", "mmskeleton_clean_and_jerk.mp4"])
def test_real_clips_match_a_full_decode(shared_clips: Path, name: str) -> None:
    """The AVI has packed MPEG-4 B-frames whose decoded timestamps are wrong: order must hold."""
    path = shared_clips / name
    with av.open(str(path)) as container:
        every = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    wanted = [0, 1, 2, 3, 50, 51, 100, len(every) - 1]
    frames = read_frames(path, wanted).permute(0, 2, 3, 1).numpy()
    for got, i in zip(frames, wanted, strict=True):
        np.testing.assert_array_equal(got, every[i])


def test_real_clips_decode(shared_clips: Path) -> None:
    for path in sorted(shared_clips.glob("*.mp4")) + sorted(shared_clips.glob("*.avi")):
        info = probe(path)
        assert info.num_frames > 50, path
        frames = read_frames(path, [0, info.num_frames // 2, info.num_frames - 1], size=112)
        assert frames.shape[:2] == (3, 3)
        assert min(frames.shape[2:]) == 112
        assert frames.float().std() > 5  # real content, not a blank frame


@pytest.mark.parametrize("gop", [None, 7])
def test_seeking_and_frame_skipping_are_bit_exact(make_video: MakeVideo, gop: int | None) -> None:
    """read_frames (seeks, skipped non-reference frames, one scaler) equals a plain full decode."""
    path = make_video("bframes.mp4", frames=60, gop=gop)
    with av.open(str(path)) as container:
        every = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    wanted = [2, 9, 30, 31, 50, 59]
    frames = read_frames(path, wanted, threads=1).permute(0, 2, 3, 1).numpy()
    for got, i in zip(frames, wanted, strict=True):
        np.testing.assert_array_equal(got, every[i])


def test_a_file_rewritten_in_place_is_indexed_again(make_video: MakeVideo) -> None:
    path = make_video("same.mp4", frames=20)
    assert probe(path).num_frames == 20
    make_video("same.mp4", frames=30)
    assert probe(path).num_frames == 30
    assert read_codes(read_frames(path, [29])) == [29]


def test_frame_count_and_verify(make_video: MakeVideo) -> None:
    from sportslens import frame_count, verify

    path = make_video("ok.mp4", frames=30, gop=10)
    assert frame_count(path) == 30
    assert verify(path) == 30
    # Garbage in the middle: the first frame decodes, so probe() alone would not notice.
    data = bytearray(path.read_bytes())
    third = len(data) // 3
    data[third : third + third // 2] = np.random.default_rng(0).bytes(third // 2)
    path.write_bytes(bytes(data))
    assert probe(path).num_frames == 30
    with pytest.raises(VideoDecodeError, match=r"ok\.mp4: decoding failed after \d+ frames"):
        verify(path)


def test_verify_accepts_a_truncated_file_whose_frames_all_decode(make_video: MakeVideo) -> None:
    from sportslens import frame_count, verify

    path = make_video("cut.mkv", frames=30, gop=10)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    assert 0 < frame_count(path) < 30
    assert verify(path) == frame_count(path)
