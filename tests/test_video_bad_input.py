"""Inputs that are not quite videos: one frame, an unknown codec, a still image, a folder, a loop.

Each must give a sane answer or a :class:`VideoDecodeError` that names the file and the problem.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import MakeVideo
from frame_codes import coded_frame, read_codes
from sportslens import VideoDecodeError, probe, read_frames
from sportslens.video import INDEX_CACHE, frame_count, iter_frames, verify

SRC = Path(__file__).resolve().parents[1] / "src"


def unknown_codec_video(make_video: MakeVideo) -> Path:
    """A real H.264 mp4 whose codec fourcc is patched from ``avc1`` to ``zzzz``."""
    path = make_video("unknown.mp4", frames=10)
    data = path.read_bytes()
    assert data.count(b"avc1") >= 1
    path.write_bytes(data.replace(b"avc1", b"zzzz"))
    return path


def png_bytes(index: int = 3) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(coded_frame(index)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- one frame -----------------------------------------------------------------------------


ONE_FRAME = [
    ("one.mp4", {"codec": "libx264"}, 30),
    ("one.mkv", {"codec": "libx264"}, 30),  # a 1/1000 s time base: the frame lasts 33 ticks
    ("one.ts", {"codec": "libx264"}, 30),  # no average rate; the guessed one is the field rate
    ("one.avi", {"codec": "mpeg4"}, 25),
    ("one.gif", {"codec": "gif"}, 10),
]


@pytest.mark.parametrize(("name", "options", "fps"), ONE_FRAME, ids=[c[0] for c in ONE_FRAME])
def test_a_one_frame_video_has_its_stated_fps_and_lasts_one_frame(
    make_video: MakeVideo, name: str, options: dict[str, object], fps: int
) -> None:
    info = probe(make_video(name, frames=1, fps=fps, **options))
    assert (info.num_frames, info.fps) == (1, fps)
    assert info.duration == pytest.approx(1 / fps)  # one frame lasts one frame, as in longer videos


@pytest.mark.parametrize("perturb", ["85", "170"])
def test_probe_never_reads_a_stream_after_closing_its_container(
    make_video: MakeVideo, perturb: str
) -> None:
    """glibc fills freed memory with a pattern under MALLOC_PERTURB_, so a stream read after its
    container was closed (freed) gives a wrong rate within a few probes (1.0, -44770.4, ...)
    instead of only now and then."""
    video = make_video("one.mp4", frames=1, fps=30)
    code = (
        "import sys; from sportslens.video import probe\n"
        "print(sorted({probe(sys.argv[1]).fps for _ in range(20)}))"
    )
    env = {**os.environ, "MALLOC_PERTURB_": perturb, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-c", code, str(video)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[30.0]"


# --- codecs FFmpeg cannot decode, and the scaler ---------------------------------------------


def test_a_codec_ffmpeg_does_not_know_is_a_decode_error_naming_the_file(
    make_video: MakeVideo,
) -> None:
    path = unknown_codec_video(make_video)
    match = r"unknown\.mp4: FFmpeg has no decoder for its video stream"
    for read in (probe, frame_count, verify, lambda p: read_frames(p, [0])):
        INDEX_CACHE.clear()
        with pytest.raises(VideoDecodeError, match=match):
            read(path)
    with pytest.raises(VideoDecodeError, match=match):
        next(iter_frames(path))
    with pytest.raises(VideoDecodeError, match=r"<\d+ bytes in memory>: FFmpeg has no decoder"):
        probe(path.read_bytes())


def test_a_size_the_scaler_refuses_is_a_decode_error_naming_the_file(
    make_video: MakeVideo,
) -> None:
    path = make_video("clip.mp4", frames=4)
    too_big = r"clip\.mp4: cannot convert a 96x64 \w+ frame to 16384x16384 RGB"
    with pytest.raises(VideoDecodeError, match=too_big):
        read_frames(path, [0, 1], size=(16384, 16384))
    with pytest.raises(VideoDecodeError, match=too_big):
        next(iter_frames(path, size=(16384, 16384)))
    assert read_codes(read_frames(path, [2], size=(32, 48))) == [2]  # the scaler still works


# --- still images --------------------------------------------------------------------------


def test_a_png_renamed_mp4_is_a_still_image_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "photo.mp4"
    path.write_bytes(png_bytes())
    with pytest.raises(VideoDecodeError, match=r"photo\.mp4: is a still image \(png\), not a vid"):
        probe(path)
    with pytest.raises(VideoDecodeError, match=r"photo\.mp4: is a still image"):
        read_frames(path, [0])
    with pytest.raises(VideoDecodeError, match=r"bytes in memory>: is a still image \(png\)"):
        probe(png_bytes())


def test_a_jpeg_with_its_own_name_is_a_still_image(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.fromarray(coded_frame(1)).save(path)
    with pytest.raises(VideoDecodeError, match=r"photo\.jpg: is a still image \(mjpeg\)"):
        probe(path)


def test_concatenated_jpegs_are_a_motion_jpeg_video(tmp_path: Path) -> None:
    """Cameras may write motion JPEG as bare JPEGs back to back: FFmpeg's mjpeg demuxer, a video."""
    path = tmp_path / "camera.mjpeg"
    frames = []
    for i in range(5):
        buffer = io.BytesIO()
        Image.fromarray(coded_frame(i)).save(buffer, format="JPEG", quality=95)
        frames.append(buffer.getvalue())
    path.write_bytes(b"".join(frames))
    assert probe(path).num_frames == 5
    assert read_codes(read_frames(path, [4, 0])) == [4, 0]


# --- paths that are not files --------------------------------------------------------------


def test_a_directory_says_it_is_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "clips.mp4"
    folder.mkdir()
    with pytest.raises(VideoDecodeError, match=r"clips\.mp4: is a directory, not a video file"):
        probe(folder)
    with pytest.raises(VideoDecodeError, match=r"clips\.mp4: is a directory"):
        read_frames(str(folder), [0])


def test_symlink_loops_and_broken_symlinks_say_what_they_are(tmp_path: Path) -> None:
    loop = tmp_path / "loop.mp4"
    loop.symlink_to(loop)
    with pytest.raises(VideoDecodeError, match=r"loop\.mp4: is a symlink loop"):
        probe(loop)
    dangling = tmp_path / "dangling.mp4"
    dangling.symlink_to(tmp_path / "gone.mp4")
    with pytest.raises(VideoDecodeError, match=r"dangling\.mp4: is a broken symlink \(to .*gone"):
        probe(dangling)
    with pytest.raises(VideoDecodeError, match=r"nope\.mp4: no such file"):
        probe(tmp_path / "nope.mp4")


def test_a_fifo_is_refused_instead_of_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    with pytest.raises(VideoDecodeError, match=r"pipe\.mp4: is not a regular file \(a FIFO\)"):
        probe(fifo)


def test_probe_always_gives_a_positive_finite_fps(make_video: MakeVideo) -> None:
    for frames, fps in [(1, 12), (2, 25), (5, 60)]:
        info = probe(make_video(f"v{frames}.mp4", frames=frames, fps=fps))
        assert np.isfinite(info.fps) and info.fps == pytest.approx(fps)


# --- a frame size that changes mid-stream ---------------------------------------------------


def growing_video(tmp_path: Path) -> Path:
    """An mkv whose H.264 stream switches from 96x64 to 256x192 frames after 10 frames (two raw
    streams back to back, as a camera that changes resolution writes), headers saying 96x64."""
    import av

    raw = b""
    for width, height in ((96, 64), (256, 192)):
        buffer = io.BytesIO()
        with av.open(buffer, "w", format="h264") as out:
            stream = out.add_stream("libx264", rate=30)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for i in range(10):
                image = np.full((height, width, 3), 20 * i, dtype=np.uint8)
                out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
            out.mux(stream.encode(None))
        raw += buffer.getvalue()
    path = tmp_path / "growing.mkv"
    with av.open(io.BytesIO(raw), format="h264") as source, av.open(str(path), "w") as out:
        copy = out.add_stream_from_template(source.streams.video[0])
        for pts, packet in enumerate(source.demux(source.streams.video[0])):
            if packet.size:  # a raw stream has no timestamps: one frame per 1/30 s
                packet.stream, packet.time_base = copy, Fraction(1, 30)
                packet.pts = packet.dts = pts
                out.mux(packet)
    return path


def test_a_frame_size_that_changes_mid_stream_is_a_decode_error(tmp_path: Path) -> None:
    video = growing_video(tmp_path)
    info = probe(video)
    assert (info.width, info.height, info.num_frames) == (96, 64, 20)
    with pytest.raises(VideoDecodeError, match=r"growing\.mkv: the frame size changes"):
        read_frames(video, range(20))


def test_under_a_pixel_limit_a_frame_that_grows_past_it_is_refused_before_decoding(
    tmp_path: Path,
) -> None:
    from sportslens.video import frame_pixel_limit

    video = growing_video(tmp_path)
    with frame_pixel_limit(96 * 64):
        # The start reads (the decoder may stop a few frames early: it holds frames back)
        assert read_frames(video, range(6)).shape == (6, 3, 64, 96)
        with pytest.raises(VideoDecodeError, match=r"growing\.mkv: .*6144 pixels"):
            read_frames(video, [15])
    with pytest.raises(VideoDecodeError, match="the frame size changes"):  # no limit outside
        read_frames(video, range(16))
