"""The one decoding seam: probe a video and read only the frames asked for.

Decoding strategy (measured in ``docs/benchmarks.md``):

* A packet scan (demuxing, no decoding) gives every frame's presentation timestamp and which
  frames are keyframes. Frame ``i`` is the i-th frame in presentation order, so indices stay right
  for variable-frame-rate files and for headers that lie about the frame count.
* Frames are decoded in order; only the asked-for ones are converted to RGB, and resizing happens
  in the same FFmpeg ``swscale`` pass as colour conversion.
* When the next wanted frame lies beyond the next keyframe we seek to the keyframe before it;
  otherwise decoding on is cheaper than a seek, which flushes the decoder.
* Decoding stops after the last wanted frame.
* FFmpeg threads across the slices of each frame when the frames carry enough slices, and across
  frames otherwise (:mod:`sportslens.decode_threads`).
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, Literal

import av
import av.error
import numpy as np
import torch
from av.video.reformatter import Interpolation, VideoReformatter
from numpy.typing import NDArray

from sportslens.decode_threads import with_chosen_threading

Source = str | os.PathLike[str] | bytes | IO[bytes]
"""A local path, an fsspec URL (``s3://``, ``https://``, ``memory://``), bytes or a binary file."""

Size = int | tuple[int, int]
"""An output size: the short side in pixels, or an exact ``(height, width)``."""


class VideoDecodeError(ValueError):
    """A video could not be opened or decoded; the message names the source and the problem."""


@dataclass(frozen=True)
class VideoInfo:
    """Facts about a video's first video stream; width and height are as displayed (upright)."""

    source: str
    num_frames: int
    frame_count: Literal["counted", "header", "estimated"]
    """How ``num_frames`` is known: packets counted, taken from the header, or duration × fps."""
    header_frames: int
    """The frame count the container header claims (0 when it claims none)."""
    fps: float
    duration: float
    width: int
    height: int
    codec: str
    rotation: int
    """Degrees the stored frames are rotated counter-clockwise for display (0, 90, 180, 270)."""
    variable_frame_rate: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _FrameIndex:
    """Presentation timestamps of every frame and the positions of keyframes, from a packet scan."""

    pts: NDArray[Any]  # (N,) int64, sorted: frame i is shown at pts[i] * time_base
    keyframes: NDArray[Any]  # (K,) int64 frame indices, sorted, starts with the first keyframe
    time_base: Fraction
    complete: bool  # False when the scan stopped at a read error (a truncated file)
    decode_order: bool = False
    """Timestamps follow decode order though the codec reorders frames (H.264 with B-frames in
    AVI): frames are then identified by their place in the decoder's output, without seeking."""

    def position(self, pts: int) -> int:
        """Index of the frame shown at ``pts``, or -1 when no frame has that timestamp."""
        i = int(np.searchsorted(self.pts, pts))
        return i if i < len(self.pts) and self.pts[i] == pts else -1

    def keyframe_before(self, index: int) -> int:
        """The last keyframe at or before ``index`` (the first keyframe if none precedes it)."""
        k = int(np.searchsorted(self.keyframes, index, side="right")) - 1
        return int(self.keyframes[max(k, 0)])

    @property
    def times(self) -> NDArray[Any]:
        """Presentation time of each frame in seconds, (N,) float64."""
        times: NDArray[Any] = (self.pts - self.pts[0]) * float(self.time_base)
        return times


def describe_source(source: Source) -> str:
    """A short human-readable name for a source, used in every error message."""
    if isinstance(source, bytes):
        return f"<{len(source)} bytes in memory>"
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return str(getattr(source, "name", None) or f"<{type(source).__name__}>")


def _is_url(source: Source) -> bool:
    return isinstance(source, str) and "://" in source and not source.startswith("file://")


@contextmanager
def _open_container(source: Source) -> Iterator[av.container.InputContainer]:
    """Open ``source`` with PyAV, turning every failure into a :class:`VideoDecodeError`.

    Any FFmpeg error raised while the container is in use (demuxing, decoding, scaling) leaves
    as a :class:`VideoDecodeError` naming the source too.
    """
    name = describe_source(source)
    if isinstance(source, str | os.PathLike) and not _is_url(source):
        problem = _local_file_problem(Path(os.fspath(source).removeprefix("file://")))
        if problem:
            raise VideoDecodeError(f"{name}: {problem}")
    with _as_file(source) as file:
        try:
            container = av.open(file, mode="r", metadata_errors="ignore")
        except (av.error.FFmpegError, OSError, UnicodeDecodeError) as error:
            raise VideoDecodeError(f"{name}: not a readable video container ({error})") from error
        try:
            _check_video_stream(container, name)
            yield container
        except _FrameError as error:
            raise VideoDecodeError(f"{name}: {error}") from error.__cause__
        except av.error.FFmpegError as error:
            raise VideoDecodeError(f"{name}: FFmpeg failed ({error})") from error
        finally:
            container.close()


_PIXEL_LIMIT: ContextVar[int | None] = ContextVar("frame_pixel_limit", default=None)
_FFMPEG_INT_MAX = 2**31 - 1


@contextmanager
def frame_pixel_limit(pixels: int) -> Iterator[None]:
    """Refuse, while decoding in this context, frames over ``pixels`` (width x height).

    A video whose frames grow mid-stream, past what its headers say, cannot make the decoder
    allocate them: FFmpeg's ``max_pixels`` option refuses a frame before allocating it. FFmpeg
    counts its padding too, so it gets twice the limit and each decoded frame is checked exactly.
    The server decodes uploads under its ``max_frame_pixels``.
    """
    token = _PIXEL_LIMIT.set(pixels)
    try:
        yield
    finally:
        _PIXEL_LIMIT.reset(token)


def _apply_pixel_limit(stream: Any) -> None:
    limit = _PIXEL_LIMIT.get()
    if limit is not None:
        stream.codec_context.options = {"max_pixels": str(min(2 * limit, _FFMPEG_INT_MAX))}


def _unreached(name: str, what: str, after: str) -> VideoDecodeError:
    """The error for frames the decoder never gave: a damaged file, or a frame over the limit."""
    limit = _PIXEL_LIMIT.get()
    cause = "the file is truncated or corrupt" + (
        "" if limit is None else f", or its frames grow past the limit of {limit} pixels"
    )
    return VideoDecodeError(f"{name}: {what} could not be decoded ({cause} {after})")


class _FrameError(Exception):
    """A frame that cannot be converted; :func:`_open_container` adds the source's name."""


def _local_file_problem(path: Path) -> str | None:
    """What keeps ``path`` from being read as a video file, or None when it is a non-empty file."""
    try:
        status = path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "is a symlink loop"
        if path.is_symlink():
            return f"is a broken symlink (to {path.readlink()})"
        if error.errno == errno.ENOENT:
            return "no such file"
        return f"cannot be read ({error.strerror})"
    if stat.S_ISDIR(status.st_mode):
        return "is a directory, not a video file"
    if not stat.S_ISREG(status.st_mode):
        # av.open on a FIFO would wait for a writer forever; a device is no video either.
        kind = "a FIFO" if stat.S_ISFIFO(status.st_mode) else "a device or socket"
        return f"is not a regular file ({kind})"
    if status.st_size == 0:
        return "the file is empty (0 bytes)"
    return None


_IMAGE_FORMATS = ("image2",)
"""FFmpeg's still-image demuxers besides the ``*_pipe`` ones (``png_pipe``, ``jpeg_pipe``, …)."""


def _check_video_stream(container: av.container.InputContainer, name: str) -> None:
    """Raise unless the first video stream has a decoder and is more than a still image."""
    if not container.streams.video:
        kinds = ", ".join(s.type for s in container.streams) or "no streams"
        raise VideoDecodeError(f"{name}: has no video stream (found: {kinds})")
    codec = container.streams.video[0].codec_context
    if codec is None:  # the container names a codec (a fourcc) that this FFmpeg cannot decode
        raise VideoDecodeError(
            f"{name}: FFmpeg has no decoder for its video stream (an unknown or unsupported codec)"
        )
    demuxer = container.format.name
    if demuxer in _IMAGE_FORMATS or demuxer.endswith("_pipe"):
        # One picture read as a one-frame video would give every later step a made-up frame rate.
        raise VideoDecodeError(f"{name}: is a still image ({codec.name}), not a video")


@contextmanager
def _as_file(source: Source) -> Iterator[str | IO[bytes]]:
    """Something ``av.open`` accepts: a path string or a seekable binary file."""
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    elif _is_url(source):
        try:
            import fsspec
        except ImportError as error:
            raise ImportError(
                f"reading {source} needs fsspec: pip install 'sportslens[remote]'"
            ) from error
        try:
            with fsspec.open(source, "rb") as remote:
                yield remote
        except FileNotFoundError as error:
            raise VideoDecodeError(f"{source}: no such file") from error
    elif isinstance(source, str | os.PathLike):
        yield os.fspath(source).removeprefix("file://")
    else:
        source.seek(0)
        yield source


def _scan(container: av.container.InputContainer, name: str) -> _FrameIndex:
    """Demux (without decoding) the first video stream, collecting timestamps and keyframes."""
    stream = container.streams.video[0]
    timestamps: list[int] = []
    keys: set[int] = set()
    complete = True
    try:
        for packet in container.demux(stream):
            if packet.size == 0 or getattr(packet, "is_discard", False):
                continue  # flush packets carry no frame; discarded ones are never shown
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is None:
                continue
            timestamps.append(ts)
            if packet.is_keyframe:
                keys.add(ts)
    except av.error.FFmpegError:
        complete = False  # truncated or corrupt tail: keep the frames read so far
    if not timestamps:
        raise VideoDecodeError(f"{name}: the video stream holds no frames")
    in_packet_order = np.asarray(timestamps, dtype=np.int64)
    # A codec that reorders frames (B-frames) shows it in container timestamps, pts out of packet
    # order; if they rise monotonically anyway, the container only knows decode order. AVI stores
    # no presentation times at all, so with B-frames FFmpeg's frame timestamps are guesses.
    reorders = bool(stream.codec_context.has_b_frames)
    monotonic = bool(np.all(np.diff(in_packet_order) > 0))
    decode_order = reorders and (monotonic or "avi" in container.format.name.split(","))
    pts = np.unique(in_packet_order)
    keyframes = np.flatnonzero(np.isin(pts, np.fromiter(keys, np.int64, len(keys))))
    if keyframes.size == 0:  # some intra-only codecs flag nothing; every frame is then a key
        keyframes = np.arange(len(pts), dtype=np.int64)
    time_base = stream.time_base or Fraction(1, 1)
    return _FrameIndex(pts, keyframes.astype(np.int64), Fraction(time_base), complete, decode_order)


class _IndexCache:
    """Frame indices of recently read local files, keyed by (path, size, mtime) and bounded.

    A training epoch reads each video again; the key changes when a file is rewritten in place.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, int, int], _FrameIndex] = OrderedDict()

    @staticmethod
    def key(source: Source) -> tuple[str, int, int] | None:
        if not isinstance(source, str | os.PathLike) or _is_url(source):
            return None
        path = os.fspath(source).removeprefix("file://")
        try:
            stat = Path(path).stat()
        except OSError:
            return None
        return path, stat.st_size, stat.st_mtime_ns

    def get(self, key: tuple[str, int, int] | None) -> _FrameIndex | None:
        if key is None or key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: tuple[str, int, int] | None, index: _FrameIndex) -> None:
        if key is None:
            return
        self._items[key] = index
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()

    def discard(self, source: Source) -> None:
        """Forget a file about to be deleted (a server's uploads: each name is used once)."""
        key = self.key(source)
        if key is not None:
            self._items.pop(key, None)


INDEX_CACHE = _IndexCache()


def _frame_index(
    source: Source, container: av.container.InputContainer
) -> tuple[_FrameIndex, bool]:
    """The frame index of ``source`` and whether ``container`` was read to build it."""
    key = INDEX_CACHE.key(source)
    index = INDEX_CACHE.get(key)
    if index is not None:
        return index, False
    index = _scan(container, describe_source(source))
    INDEX_CACHE.put(key, index)
    return index, True


def probe(source: Source) -> VideoInfo:
    """Describe a video: frames (counted), fps, duration, upright size, codec and rotation.

    The first frame is decoded too, so a file that opens but cannot be decoded is reported here.
    """
    name = describe_source(source)
    with _open_container(source) as container:
        index, was_read = _frame_index(source, container)
        if was_read:
            _seek(container, container.streams.video[0], index, 0, name)
        stream = container.streams.video[0]
        first = _first_frame(container, name)
        header_frames = int(stream.frames or 0)
        codec = stream.codec_context.name
        stated_fps = _stated_fps(stream, first)  # now: the stream is freed with its container
    rotation = _rotation(first)
    width, height = (
        (first.height, first.width) if rotation in (90, 270) else (first.width, first.height)
    )
    num_frames = len(index.pts)
    steps = np.diff(index.pts)
    if steps.size:
        # The last frame lasts as long as the mean frame: 300 frames at 30 fps span 10 s, not 9.97.
        step = float(steps.mean())
        duration = float((index.pts[-1] - index.pts[0] + step) * index.time_base)
        fps = num_frames / duration
    else:  # a single frame has no spacing to measure: it lasts one frame at the stated rate
        step, fps = 0.0, stated_fps
        duration = 1.0 / fps
    return VideoInfo(
        source=name,
        num_frames=num_frames,
        frame_count="counted",
        header_frames=header_frames,
        fps=fps,
        duration=duration,
        width=width,
        height=height,
        codec=codec,
        rotation=rotation,
        variable_frame_rate=bool(steps.size and steps.max() - steps.min() > max(1.0, 0.01 * step)),
    )


DEFAULT_FPS = 25.0
"""The frame rate :func:`probe` gives a one-frame video whose stream states no plausible rate
(FFmpeg's own default for streams without one)."""

_MAX_STATED_FPS = 1000.0
"""Stated rates above this are time bases, not frame rates (mp4 streams tick at 1/15360 s)."""


def _stated_fps(stream: Any, first: av.VideoFrame) -> float:
    """The frame rate a stream states: its average rate, else one over the first frame's
    duration, its guessed or base rate, or one frame per time-base tick; :data:`DEFAULT_FPS`
    when none is a plausible positive rate. (MPEG-TS states no average rate, and its guessed
    rate for H.264 is the field rate, twice the frame rate.)"""
    time_base = stream.time_base
    tick = first.time_base or time_base
    frame_time = first.duration * tick if first.duration and tick else 0
    candidates = (
        stream.average_rate,
        1 / frame_time if frame_time else None,
        stream.guessed_rate,
        stream.base_rate,
        1 / time_base if time_base else None,
    )
    for rate in candidates:
        if rate is not None and 0 < float(rate) <= _MAX_STATED_FPS:
            return float(rate)
    return DEFAULT_FPS


def frame_count(source: Source) -> int:
    """Number of frames, from the (cached) packet scan alone: cheaper than :func:`probe`."""
    with _open_container(source) as container:
        return len(_frame_index(source, container)[0].pts)


def verify(source: Source) -> int:
    """Decode every frame (no conversion) and return the count; raise if any part is corrupt.

    :func:`probe` only decodes the first frame; this finds videos that break mid-way, so a
    training run can exclude them up front instead of discovering them in epoch 3.
    """
    name = describe_source(source)
    with _open_container(source) as container:
        index, was_read = _frame_index(source, container)
        stream = container.streams.video[0]
        if was_read:
            _seek(container, stream, index, 0, name)
        decoded = 0
        try:
            for frame in container.decode(stream):
                decoded += 1
                if frame.is_corrupt:
                    raise VideoDecodeError(f"{name}: frame {decoded - 1} is corrupt")
        except av.error.FFmpegError as error:
            message = f"{name}: decoding failed after {decoded} frames ({error})"
            raise VideoDecodeError(message) from error
    if not index.complete or decoded < len(index.pts):
        raise VideoDecodeError(
            f"{name}: only {decoded} of {len(index.pts)} frames decode (truncated or corrupt)"
        )
    return decoded


def _first_frame(container: av.container.InputContainer, name: str) -> av.VideoFrame:
    try:
        for frame in container.decode(video=0):
            return frame
    except av.error.FFmpegError as error:
        raise VideoDecodeError(f"{name}: no decodable frames ({error})") from error
    raise VideoDecodeError(f"{name}: no decodable frames")


def _rotation(frame: av.VideoFrame) -> int:
    """Counter-clockwise display rotation in {0, 90, 180, 270} from the frame's display matrix."""
    return round(float(frame.rotation or 0) / 90.0) % 4 * 90


def read_frames(
    source: Source,
    indices: Sequence[int] | NDArray[Any],
    *,
    size: Size | None = None,
    threads: int = 0,
) -> torch.Tensor:
    """Decode the frames at ``indices`` (any order, repeats allowed) as RGB ``uint8 (T, C, H, W)``.

    ``size`` resizes inside FFmpeg's scaler: an int sets the short side, a pair is (height,
    width). ``threads=0`` lets FFmpeg choose; data-loader workers should pass 1 (two
    single-threaded workers beat one process with two decoder threads).
    """
    name = describe_source(source)
    wanted = np.asarray(indices, dtype=np.int64).reshape(-1)
    if wanted.size == 0:
        raise VideoDecodeError(f"{name}: no frame indices were asked for")
    with _open_container(source) as container:
        index, was_read = _frame_index(source, container)
        count = len(index.pts)
        bad = wanted[(wanted < 0) | (wanted >= count)]
        if bad.size:
            raise VideoDecodeError(
                f"{name}: frame index {int(bad[0])} is out of range; the video has {count} frames"
            )
        unique = np.unique(wanted)
        decoded = _decode(container, index, unique, size, threads, name, rewind=was_read)
    missing = [int(i) for i in unique if int(i) not in decoded]
    if missing:
        listed = f"frames {missing[:5]}{'…' if len(missing) > 5 else ''}"
        raise _unreached(name, listed, f"after frame {max(decoded, default=-1)}")
    shapes = {decoded[int(i)].shape for i in unique}
    if len(shapes) > 1:  # a camera that switched resolution: no single (T, H, W, C) array
        sizes = ", ".join(sorted(f"{w}x{h}" for h, w, _ in shapes))
        raise VideoDecodeError(f"{name}: the frame size changes within the video ({sizes})")
    frames = np.stack([decoded[int(i)] for i in wanted])  # (T, H, W, C)
    return torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()  # (T, C, H, W)


def iter_frames(
    source: Source, *, size: Size | None = None, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, NDArray[Any]]]:
    """Decode frames ``start`` to ``end`` (inclusive) in order as ``(index, (H, W, 3) uint8)``.

    One sequential pass holding one frame at a time, so memory stays flat for a video of any
    length; ``size`` resizes in FFmpeg's scaler as in :func:`read_frames`. A frame that cannot
    be decoded (a corrupt or truncated file) raises :class:`VideoDecodeError` when it is reached.
    """
    name = describe_source(source)
    with _open_container(source) as container:
        index, was_read = _frame_index(source, container)
        last = _check_frame_range(name, len(index.pts), start, end)
        stream = container.streams.video[0]
        _apply_pixel_limit(stream)
        reformatter = VideoReformatter()
        wanted = np.arange(start, last + 1, dtype=np.int64)  # every frame: none may be skipped
        first_key = int(index.keyframes[0])
        keys = [first_key if index.decode_order else index.keyframe_before(start)]
        if keys[0] != first_key:
            keys.append(first_key)  # a seek that lands past ``start`` retries from the beginning
        expected = start
        for attempt, key in enumerate(keys):
            if was_read or attempt or key != first_key:
                _seek(container, stream, index, key, name)
            for position, frame in _frames_with_positions(container, stream, index, wanted):
                if position < expected:
                    continue  # decoded on the way from the keyframe to ``start``
                if position > expected:
                    break
                yield position, _to_rgb(frame, reformatter, size)
                if position == last:
                    return
                expected += 1
            if expected > start:
                break  # frames came out, so the gap is a real decoding failure
    raise _unreached(name, f"frame {expected}", "there")


def _check_frame_range(name: str, count: int, start: int, end: int | None) -> int:
    """The inclusive last frame of ``[start, end]`` after checking it lies inside the video."""
    last = count - 1 if end is None else end
    if not 0 <= start <= last < count:
        raise VideoDecodeError(
            f"{name}: frame range [{start}, {end}] is not inside the video's {count} frames"
        )
    return last


def read_time_range(
    source: Source,
    start: float,
    end: float,
    *,
    size: Size | None = None,
    threads: int = 0,
) -> torch.Tensor:
    """Decode every frame shown in ``[start, end)`` seconds as ``uint8 (T, C, H, W)`` RGB."""
    indices = frame_indices_between(source, start, end)
    if indices.size == 0:
        raise VideoDecodeError(
            f"{describe_source(source)}: no frame is shown between {start:g} s and {end:g} s"
        )
    return read_frames(source, indices, size=size, threads=threads)


def frame_indices_between(source: Source, start: float, end: float) -> NDArray[Any]:
    """Indices of the frames whose presentation time lies in ``[start, end)`` seconds."""
    if end <= start:
        raise ValueError(f"time range end ({end:g} s) must be after its start ({start:g} s)")
    with _open_container(source) as container:
        times = _frame_index(source, container)[0].times
    return np.flatnonzero((times >= start) & (times < end)).astype(np.int64)


def _decode(
    container: av.container.InputContainer,
    index: _FrameIndex,
    wanted: NDArray[Any],
    size: Size | None,
    threads: int,
    name: str,
    *,
    rewind: bool,
) -> dict[int, NDArray[Any]]:
    """Decode the sorted unique frame indices in ``wanted``; returns index -> (H, W, 3) uint8.

    ``rewind`` says the container was already read (by the packet scan) and must seek first.

    Frames that cannot be reached (a truncated or corrupt file) are simply absent from the result.
    """
    stream = container.streams.video[0]
    stream.codec_context.thread_count = threads  # the thread type follows from the first packet
    _apply_pixel_limit(stream)
    reformatter = VideoReformatter()  # one scaler context for all frames (a new one costs ~0.6 ms)
    out: dict[int, NDArray[Any]] = {}
    i = 0  # next position in wanted
    allow_seek = not index.decode_order
    last_key = -1  # seeks only ever move forward, so decoding always makes progress
    # A fresh container already sits at the first keyframe; later seeks are decided per gap.
    seek_to: int | None = index.keyframe_before(int(wanted[0]))
    if seek_to == int(index.keyframes[0]) and not rewind:
        seek_to = None
    while True:
        if seek_to is not None:
            _seek(container, stream, index, seek_to, name)
            last_key, seek_to = seek_to, None
        for position, frame in _frames_with_positions(container, stream, index, wanted):
            if allow_seek and position > wanted[i]:
                # The seek landed past the target (an inexact container index): decode again
                # from the start without seeking, which is always exact.
                allow_seek, seek_to, last_key = False, int(index.keyframes[0]), -1
                break
            while i < len(wanted) and wanted[i] < position:
                i += 1  # passed without being decoded: corrupt, reported by the caller
            if i < len(wanted) and wanted[i] == position:
                out[position] = _to_rgb(frame, reformatter, size)
                i += 1
            if i == len(wanted):
                return out  # stop decoding after the last wanted frame
            key = index.keyframe_before(int(wanted[i]))
            if allow_seek and key > position + 1 and key > last_key:
                seek_to = key  # a keyframe lies between here and the target: seeking skips work
                break
        else:
            return out  # the stream ended (or broke off) before every wanted frame was found


def _seek(
    container: av.container.InputContainer, stream: Any, index: _FrameIndex, key: int, name: str
) -> None:
    try:
        container.seek(int(index.pts[key]), stream=stream, backward=True)
        stream.codec_context.flush_buffers()  # else frames decoded before the seek come out next
    except av.error.FFmpegError as error:
        raise VideoDecodeError(f"{name}: cannot seek to frame {key} ({error})") from error


def _frames_with_positions(
    container: av.container.InputContainer, stream: Any, index: _FrameIndex, wanted: NDArray[Any]
) -> Iterator[tuple[int, av.VideoFrame]]:
    """Decoded frames with their presentation index; stops quietly at a corrupt or truncated end.

    A packet whose frame is not wanted is decoded with ``skip_frame=NONREF``: if no other frame
    references it (most B-frames), the decoder drops it unseen. Wanted frames and every reference
    frame are decoded in full, so the result stays exact while x264 files decode about a third
    faster than decoding everything.
    """
    if index.decode_order:
        yield from _frames_in_output_order(container, stream)
        return
    codec = stream.codec_context
    try:
        for packet in with_chosen_threading(container.demux(stream), codec):
            ts = packet.pts if packet.pts is not None else packet.dts
            position = index.position(ts) if ts is not None else -1
            skippable = position >= 0 and not _contains(wanted, position)
            codec.skip_frame = "NONREF" if skippable else "DEFAULT"
            for frame in packet.decode():
                ts = frame.pts if frame.pts is not None else frame.dts
                position = index.position(ts) if ts is not None else -1
                if position >= 0:
                    yield position, frame
    except av.error.FFmpegError:
        return  # read_frames reports the frames that could not be reached
    finally:
        codec.skip_frame = "DEFAULT"


def _frames_in_output_order(
    container: av.container.InputContainer, stream: Any
) -> Iterator[tuple[int, av.VideoFrame]]:
    """Frames numbered by their place in the decoder's output, from the start of the stream."""
    packets = with_chosen_threading(container.demux(stream), stream.codec_context)
    try:
        yield from enumerate(frame for packet in packets for frame in packet.decode())
    except av.error.FFmpegError:
        return


def _contains(sorted_values: NDArray[Any], value: int) -> bool:
    i = int(np.searchsorted(sorted_values, value))
    return i < len(sorted_values) and int(sorted_values[i]) == value


def _to_rgb(frame: av.VideoFrame, reformatter: VideoReformatter, size: Size | None) -> NDArray[Any]:
    """Convert (and resize, in the same swscale pass) one frame to upright (H, W, 3) uint8."""
    limit = _PIXEL_LIMIT.get()
    if limit is not None and frame.width * frame.height > limit:
        raise _FrameError(
            f"a {frame.width}x{frame.height} frame is over the limit of {limit} pixels"
        )
    rotation = _rotation(frame)
    quarter_turns = rotation // 90
    height, width = _output_size(frame.height, frame.width, size, swap=quarter_turns % 2 == 1)
    try:
        rgb: NDArray[Any] = reformatter.reformat(
            frame, width=width, height=height, format="rgb24", interpolation=Interpolation.BILINEAR
        ).to_ndarray()  # (h, w, 3) as stored
    except av.error.FFmpegError as error:  # swscale refuses sizes past its limits (16384 px)
        raise _FrameError(
            f"cannot convert a {frame.width}x{frame.height} {frame.format.name} frame "
            f"to {width}x{height} RGB ({error})"
        ) from error
    if quarter_turns:
        rgb = np.ascontiguousarray(np.rot90(rgb, k=quarter_turns))  # (H, W, 3) as displayed
    return rgb


def _output_size(height: int, width: int, size: Size | None, *, swap: bool) -> tuple[int, int]:
    """The stored-orientation (height, width) that yields ``size`` once the frame is upright."""
    if size is None:
        return height, width
    if isinstance(size, int):
        if size <= 0:
            raise ValueError(f"size must be positive, got {size}")
        scale = size / min(height, width)
        return max(1, round(height * scale)), max(1, round(width * scale))
    out_h, out_w = size
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"size must be positive, got {size}")
    return (out_w, out_h) if swap else (out_h, out_w)
