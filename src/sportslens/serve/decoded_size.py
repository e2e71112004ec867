"""What an upload will cost once decoded, read from its headers before decoding it (413 above).

The upload cap bounds the bytes that arrive, not what they decode to: 16 KB of H.264 can declare
8192x8192 frames (0.24 GB of memory to decode), and a 600 KB ``.npz`` can hold a 600 MB array.
These checks read only the video's stream parameters and packet count, or the zip directory and
each array's ``.npy`` header, and refuse before a frame or an array is decoded.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import av
import av.error
import numpy as np

from sportslens.pose.keypoints import KEYPOINT_FILE_KEYS
from sportslens.serve.errors import ApiError
from sportslens.serve.settings import MB, ServeSettings
from sportslens.video import frame_count, probe

_FFMPEG_INT_MAX = 2**31 - 1  # FFmpeg's max_pixels option is an int
_UNREADABLE_ZIP = (
    zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error,
    RuntimeError, NotImplementedError,  # an encrypted member, an unknown compression
)  # fmt: skip


def check_decoded_size(path: Path, settings: ServeSettings, name: str) -> None:
    """413 when decoding the upload at ``path`` (a video, or a keypoint ``.npz``) would exceed
    the settings' limits; ``name`` is the client's name for it, used in the message."""
    if path.suffix == ".npz":  # the upload's content was a zip archive (see uploads.py)
        check_keypoint_file(path, settings.max_keypoint_bytes, name)
    else:
        check_video(path, settings.max_frame_pixels, settings.max_video_pixels, name)


def check_video(path: Path, max_frame_pixels: int, max_video_pixels: int, name: str) -> None:
    """413 ``frame_too_large`` or ``video_too_large``, from the stream's parameters and the
    packet count (demuxing only); an unreadable file raises the decoder's VideoDecodeError.

    Pixels per request count the whole video, frames x width x height: a prediction may decode
    from the first frame to its last sampled one, a timeline or pose extraction decodes all.
    """
    size = _frame_size(path, max_frame_pixels)
    if size is not None:
        _check_frame(size, max_frame_pixels, name)  # before the file is opened without limit
        frames = frame_count(path)
    else:  # FFmpeg cannot open it: probe says why (422), or else measures it
        info = probe(path)
        size, frames = (info.width, info.height), info.num_frames
        _check_frame(size, max_frame_pixels, name)
    pixels = frames * size[0] * size[1]
    if pixels > max_video_pixels:
        raise ApiError(
            413,
            "video_too_large",
            f"{name}: {frames} frames of {size[0]}x{size[1]} are {pixels:.3g} pixels to decode, "
            f"over the limit of {max_video_pixels:.3g}; send a shorter or smaller video",
        )


def _frame_size(path: Path, max_frame_pixels: int) -> tuple[int, int] | None:
    """(width, height) of the first video stream, or None when FFmpeg cannot open the file.

    Opening a file makes FFmpeg decode a first frame to learn the stream's parameters; its
    ``max_pixels`` option makes the decoder refuse a frame over the limit instead of allocating
    it, while the size is still known from the stream's headers.
    """
    options = {"max_pixels": str(min(max_frame_pixels, _FFMPEG_INT_MAX))}
    try:
        with av.open(str(path), options=options, metadata_errors="ignore") as container:
            if not container.streams.video:
                return None
            # PyAV's stubs say never None, but a codec FFmpeg cannot decode has no context.
            codec: Any = container.streams.video[0].codec_context
            if codec is None:  # the reader says why (422)
                return None
            return int(codec.width), int(codec.height)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        return None


def _check_frame(size: tuple[int, int], max_frame_pixels: int, name: str) -> None:
    width, height = size
    if width * height > max_frame_pixels:
        side = math.isqrt(max_frame_pixels)
        raise ApiError(
            413,
            "frame_too_large",
            f"{name}: frames of {width}x{height} are larger than the limit of "
            f"{max_frame_pixels} pixels (about {side}x{side}); send a smaller video",
        )


def check_keypoint_file(path: Path, max_bytes: int, name: str) -> None:
    """413 ``keypoints_too_large`` when the arrays the loader reads would exceed ``max_bytes``.

    Only the keypoint file's own keys count (the loader reads no other); each counts the larger
    of its uncompressed size in the zip directory and the size its ``.npy`` header declares,
    which is what numpy allocates. A broken archive is left to the loader, which says why (422).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if info.filename.removesuffix(".npy") in KEYPOINT_FILE_KEYS
            ]
            total = sum(_array_bytes(archive, info) for info in members)
    except _UNREADABLE_ZIP:
        return  # the loader fails on it too, and says why
    if total > max_bytes:
        raise ApiError(
            413,
            "keypoints_too_large",
            f"{name}: its keypoint arrays hold {total / MB:.4g} MB uncompressed, over the limit "
            f"of {max_bytes / MB:.4g} MB ({max_bytes} bytes)",
        )


def _array_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Bytes loading one ``.npy`` member costs: the larger of its size and its header's."""
    with archive.open(info) as member:
        return max(info.file_size, _declared_bytes(member))


def _declared_bytes(member: IO[bytes]) -> int:
    """Size of the array a ``.npy`` header declares, shape x item size (0 when unreadable)."""
    npy: Any = np.lib.format  # untyped in numpy 1.26
    try:
        version = npy.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = npy.read_array_header_1_0(member)
        elif version in ((2, 0), (3, 0)):  # 3.0 differs only in UTF-8 field names
            shape, _, dtype = npy.read_array_header_2_0(member)
        else:
            return 0  # a version numpy refuses to load
    except ValueError:
        return 0  # not a .npy header: numpy refuses to load it too
    return math.prod(int(n) for n in shape) * int(dtype.itemsize)
