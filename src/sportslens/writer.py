"""Encode RGB frames to a video file with PyAV, one frame at a time (memory stays flat)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

# Codecs whose encoders need an even width and height in yuv420p.
_YUV_CODECS = {"libx264", "h264", "libx265", "hevc", "libvpx-vp9", "vp9", "mpeg4"}


class VideoWriter:
    """Write ``(H, W, 3) uint8`` RGB frames to ``path``; the container follows the extension.

    ``timestamps`` (seconds, one per frame, increasing) writes a variable-frame-rate file;
    ``rotation`` stores a display matrix so players show the frames rotated counter-clockwise.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float,
        *,
        codec: str = "libx264",
        crf: int | None = 23,
        gop: int | None = None,
        rotation: int | None = None,
        options: dict[str, str] | None = None,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.path = Path(path)
        self.fps = Fraction(fps).limit_denominator(1001)
        self.codec = codec
        self.crf = crf
        self.gop = gop
        self.rotation = rotation
        self.options = dict(options or {})
        self._container = av.open(os.fspath(self.path), mode="w")
        self._stream: av.VideoStream | None = None
        self._count = 0

    def _open_stream(self, height: int, width: int, exact_times: bool) -> av.VideoStream:
        stream = self._container.add_stream(self.codec, rate=self.fps)
        if not isinstance(stream, av.VideoStream):
            raise ValueError(f"{self.codec} is not a video codec")
        stream.width, stream.height = width, height
        stream.pix_fmt = "rgb8" if self.codec == "gif" else "yuv420p"
        # Constant rate: a 1/fps clock keeps every step equal. Given timestamps: a millisecond
        # clock (GIF stores hundredths of a second).
        if self.codec == "gif":
            stream.time_base = Fraction(1, 100)
        else:
            stream.time_base = Fraction(1, 1000) if exact_times else 1 / self.fps
        stream.codec_context.time_base = stream.time_base
        options: dict[str, str] = dict(self.options)
        if self.crf is not None and self.codec in {"libx264", "libx265"}:
            options.setdefault("crf", str(self.crf))
        if self.codec == "libx264":
            # Without it x264's SIMD paths make two encodes of the same frames differ.
            options.setdefault("x264-params", "cpu-independent=1")
        if self.codec == "libx265":
            options.setdefault("x265-params", "log-level=error")
        stream.options = options  # type: ignore[assignment]  # PyAV's stub says dict[str, object]
        if self.gop is not None:
            stream.gop_size = self.gop
        if self.rotation:
            stream.set_display_rotation(self.rotation)
        return stream

    def write(self, frame: NDArray[Any], timestamp: float | None = None) -> None:
        """Append one ``(H, W, 3) uint8`` frame, shown at ``timestamp`` seconds if given."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 frame, got {frame.dtype} {frame.shape}")
        if self._stream is None:
            height, width = frame.shape[:2]
            if self.codec in _YUV_CODECS and (height % 2 or width % 2):
                raise ValueError(f"{self.codec} needs an even frame size, got {width}x{height}")
            self._stream = self._open_stream(height, width, exact_times=timestamp is not None)
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        time_base = self._stream.time_base
        assert time_base is not None  # set in _open_stream
        seconds = timestamp if timestamp is not None else self._count / self.fps
        video_frame.time_base = time_base
        video_frame.pts = round(seconds / time_base)
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)
        self._count += 1

    def close(self) -> None:
        """Flush the encoder and finish the file."""
        if self._stream is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[NDArray[Any]],
    fps: float,
    *,
    timestamps: Sequence[float] | None = None,
    codec: str = "libx264",
    crf: int | None = 23,
    gop: int | None = None,
    rotation: int | None = None,
) -> Path:
    """Encode an iterable of ``(H, W, 3) uint8`` RGB frames; frames are consumed one at a time."""
    with VideoWriter(path, fps, codec=codec, crf=crf, gop=gop, rotation=rotation) as writer:
        for i, frame in enumerate(frames):
            writer.write(frame, None if timestamps is None else timestamps[i])
    return Path(path)
