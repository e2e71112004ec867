"""Choose FFmpeg's decoder threading per stream: slice threads for frames coded in several slices.

FFmpeg's H.264 decoder threads either across frames (each thread decodes its own frame, waiting
for the rows of the frames it references) or across the slices of one frame. Frame threads work
on any file, but a pipeline of frames in flight is lost at every seek and costs time to refill;
slice threads start at full speed after a seek and skip nothing twice, but a frame can only be
split into the slices its encoder wrote. Camera and broadcast encoders (and x264 with
``sliced-threads``) often write several slices per frame; there slice threads decode a 20 Mb/s
720p file about 15% faster than frame threads on two cores (``docs/benchmarks.md``).

The choice is made from the first packet the decoder receives, before the decoder opens: its
slice NAL units are counted, which costs nothing next to decoding the packet.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any, Literal

ThreadType = Literal["SLICE", "AUTO"]
"""``SLICE``: threads share the slices of each frame; ``AUTO``: FFmpeg's choice, frame threads
for every codec that has them (H.264, HEVC, VP9, MPEG-4), slice threads for the others."""

_SLICE_NAL_TYPES = {1, 2, 5}  # coded slice (non-IDR), data partition A, coded slice (IDR)


def h264_slices_per_frame(packet: bytes, extradata: bytes | None) -> int:
    """Slices per picture in one H.264 packet (an access unit), read from its NAL unit headers.

    ``extradata`` is the stream's ``avcC`` record when NAL units are length-prefixed (MP4, MOV,
    MKV), and absent or Annex B when they follow start codes (MPEG-TS, raw ``.h264``). A slice's
    header opens with ``first_mb_in_slice`` as an Exp-Golomb number, whose first bit is 1
    exactly when it is 0: that slice starts a picture (a frame, or a field of an interlaced one).
    """
    starts = slices = 0
    for header in _nal_headers(packet, _length_size(extradata)):
        if len(header) == 2 and header[0] & 0x1F in _SLICE_NAL_TYPES:
            slices += 1
            starts += header[1] >> 7  # first_mb_in_slice == 0: the first slice of a picture
    return max(1, round(slices / starts)) if starts else 1


def choose_thread_type(slices: int, threads: int) -> ThreadType:
    """Slice threads when each decoding thread gets a slice of every frame; else FFmpeg's choice.

    ``threads=0`` means FFmpeg picks the count (one per core). With more threads than slices
    some would sit idle under slice threading, and frame threading has more to offer.
    """
    workers = threads if threads > 0 else os.cpu_count() or 1
    return "SLICE" if 1 < workers <= slices else "AUTO"


def stream_thread_type(codec: Any, packet: bytes) -> ThreadType:
    """The threading for a decoder (a PyAV ``CodecContext``) whose first packet is ``packet``."""
    if codec.name != "h264":
        return "AUTO"  # slices are counted for H.264 only; other codecs keep FFmpeg's choice
    slices = h264_slices_per_frame(packet, codec.extradata)
    return choose_thread_type(slices, int(codec.thread_count))


def with_chosen_threading(packets: Iterable[Any], codec: Any) -> Iterator[Any]:
    """Pass ``packets`` through, setting ``codec``'s threading from the first one with data.

    The threading can only change while the decoder is closed (PyAV opens it on the first
    decode), so a decoder that is already open, after a seek for instance, is left as it is.
    """
    for packet in packets:
        if packet.size and not codec.is_open:
            codec.thread_type = stream_thread_type(codec, bytes(packet))
        yield packet


def _length_size(extradata: bytes | None) -> int | None:
    """Bytes in each NAL unit's length prefix (from ``avcC``), or None for start codes."""
    if extradata and len(extradata) >= 7 and extradata[0] == 1:
        return (extradata[4] & 0x03) + 1
    return None


def _nal_headers(packet: bytes, length_size: int | None) -> Iterator[bytes]:
    """The first two bytes of each NAL unit in ``packet`` (the header and one payload byte)."""
    if length_size is None:
        start = packet.find(b"\x00\x00\x01")
        while start >= 0:
            yield packet[start + 3 : start + 5]
            start = packet.find(b"\x00\x00\x01", start + 3)
        return
    offset = 0
    while offset + length_size <= len(packet):
        size = int.from_bytes(packet[offset : offset + length_size], "big")
        offset += length_size
        yield packet[offset : offset + min(size, 2)]
        offset += size
