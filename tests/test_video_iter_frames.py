"""``iter_frames``: every frame once, in order, exact content, in every format; ranges; errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from conftest import MakeVideo
from frame_codes import read_code
from sportslens.video import VideoDecodeError, iter_frames

FORMATS = [
    ("h264.mp4", {"codec": "libx264"}),
    ("h264-gop10.mov", {"codec": "libx264", "gop": 10}),
    ("h265.mkv", {"codec": "libx265", "gop": 8}),
    ("vp9.webm", {"codec": "libvpx-vp9", "gop": 8}),
    ("mpeg4.avi", {"codec": "mpeg4", "gop": 12}),
    ("h264.avi", {"codec": "libx264"}),
    ("anim.gif", {"codec": "gif", "fps": 10}),
]


@pytest.mark.parametrize(("name", "options"), FORMATS, ids=[f[0] for f in FORMATS])
@pytest.mark.parametrize(
    ("start", "end"), [(0, None), (13, 27), (0, 1), (39, None), (5, 5), (0, 39)]
)
def test_yields_each_frame_in_range_once_in_order(
    make_video: MakeVideo, name: str, options: dict[str, object], start: int, end: int | None
) -> None:
    path = make_video(name, frames=40, **options)
    seen = list(iter_frames(path, start=start, end=end))
    expected = list(range(start, 40 if end is None else end + 1))  # end is inclusive
    assert [index for index, _ in seen] == expected
    assert [read_code(frame) for _, frame in seen] == expected
    assert all(frame.shape == (64, 96, 3) and frame.dtype.name == "uint8" for _, frame in seen)


def test_resizes(make_video: MakeVideo) -> None:
    path = make_video(frames=10)
    frames = [frame for _, frame in iter_frames(path, size=(32, 48))]
    assert len(frames) == 10
    assert frames[0].shape == (32, 48, 3)


@pytest.mark.parametrize(("start", "end"), [(31, None), (0, 30), (5, 4), (-1, None)])
def test_bad_range_raises(make_video: MakeVideo, start: int, end: int | None) -> None:
    path = make_video(frames=30)
    with pytest.raises(VideoDecodeError, match="not inside the video's 30 frames"):
        next(iter_frames(path, start=start, end=end))


def test_truncated_file_yields_the_frames_that_exist(make_video: MakeVideo) -> None:
    path = make_video("cut.mkv", frames=60, gop=10)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    codes = [read_code(frame) for _, frame in iter_frames(path)]
    assert 10 < len(codes) < 60
    assert codes == list(range(len(codes)))


def test_undecodable_frames_raise(tmp_path: Path) -> None:
    path = tmp_path / "garbage.mkv"
    write_garbage_video(path)
    with pytest.raises(VideoDecodeError, match=r"garbage\.mkv: "):
        list(iter_frames(path))


def write_garbage_video(path: Path, frames: int = 10) -> Path:
    """An mkv whose packets are random bytes: it opens and counts frames, but none decodes."""
    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height = 64, 48
        stream.time_base = Fraction(1, 25)
        for i in range(frames):
            packet = av.Packet(rng.integers(0, 256, 500, np.uint8).tobytes())
            packet.stream = stream
            packet.pts = packet.dts = i
            packet.time_base = stream.time_base
            container.mux(packet)
    return path
