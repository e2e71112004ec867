"""Choose FFmpeg's decoder threading per stream, from the NAL unit headers of its first packets.

FFmpeg's H.264 decoder threads either across frames (each thread decodes its own frame, waiting
for the rows of the frames it references) or across the slices of one frame. Measured on two
cores (``docs/benchmarks.md``, issue 20):

* Decoding every frame, frame threads win: 5-12% faster than slice threads on 720p files with
  two and four slices per frame.
* When non-reference frames are skipped, as ``read_frames`` does with the frames it does not
  need, slice threads win by 13-25%: frame threads still pass every skipped frame through their
  pipeline. So slice threads are chosen when frames carry enough slices and at least a quarter of
  the frames are non-reference (x264 writes about 45% with its default B-frames, none without).
* Slice threads need a thread count that divides the slices: four slices on three threads took
  35% longer than on two.
* With ``thread_count=0`` FFmpeg starts one thread more than there are cores; one a core is
  6-17% faster for frame threads, so that is the count used.

The choice is made before the decoder opens, from its first packets (``LOOKAHEAD``), which are
demuxed a little early and then decoded as usual; this costs about a millisecond.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

LOOKAHEAD = 16
"""Packets read before choosing: four of x264's default runs of a P-frame and three B-frames."""

NONREFERENCE_SHARE = 0.25
"""Slice threads pay off once this share of the frames can be skipped (measured: 0.45 vs 0)."""

_MAX_AUTO_THREADS = 16  # FFmpeg's own cap when it picks the count
_SLICE_NAL_TYPES = {1, 2, 5}  # coded slice (non-IDR), data partition A, coded slice (IDR)


@dataclass(frozen=True)
class StreamSample:
    """What the first packets of an H.264 stream say about its frames."""

    slices: int
    """Slices per frame (the most seen in the sample)."""
    nonreference: float
    """Share of the sampled frames that no other frame references (most B-frames)."""


@dataclass(frozen=True)
class Threading:
    """A decoder's threading: FFmpeg's ``thread_type`` and ``thread_count`` (0: FFmpeg picks)."""

    thread_type: Literal["SLICE", "FRAME", "AUTO"]
    thread_count: int


def h264_picture(packet: bytes, extradata: bytes | None) -> tuple[int, bool]:
    """Slices per picture in one H.264 packet (an access unit), and whether it is a reference.

    ``extradata`` is the stream's ``avcC`` record when NAL units are length-prefixed (MP4, MOV,
    MKV), and absent or Annex B when they follow start codes (MPEG-TS, raw ``.h264``). A slice
    header opens with ``first_mb_in_slice`` as an Exp-Golomb number whose first bit is 1 exactly
    when it is 0, i.e. when the slice starts a picture (a frame, or a field of an interlaced one);
    ``nal_ref_idc`` (bits 5-6 of the NAL header) is 0 in every slice of a non-reference picture.
    """
    slices = starts = 0
    referenced = False
    for header in _nal_headers(packet, _length_size(extradata)):
        if len(header) == 2 and header[0] & 0x1F in _SLICE_NAL_TYPES:
            slices += 1
            starts += header[1] >> 7
            referenced = referenced or bool(header[0] >> 5 & 0x03)
    if not slices:
        return 1, True  # no slice at all (parameter sets only): nothing to skip or split
    return max(1, round(slices / max(starts, 1))), referenced


def sample_h264(packets: Sequence[bytes], extradata: bytes | None) -> StreamSample:
    """Slices per frame and the non-reference share of an H.264 stream's first packets."""
    pictures = [h264_picture(packet, extradata) for packet in packets if packet]
    if not pictures:
        return StreamSample(slices=1, nonreference=0.0)
    skippable = sum(not referenced for _, referenced in pictures)
    return StreamSample(max(s for s, _ in pictures), skippable / len(pictures))


def choose_threading(sample: StreamSample | None, threads: int) -> Threading:
    """Slice threads for sliced frames that are often skipped; else frame threads, one a core.

    ``sample`` is None for codecs other than H.264, which keep FFmpeg's own choice. ``threads``
    is the caller's count: 0 means one thread a core.
    """
    if sample is None or threads == 1:
        return Threading("AUTO", threads)
    workers = threads if threads > 0 else min(os.cpu_count() or 1, _MAX_AUTO_THREADS)
    if workers == 1:
        return Threading("AUTO", 1)
    split_evenly = sample.slices >= workers and sample.slices % workers == 0
    if split_evenly and sample.nonreference >= NONREFERENCE_SHARE:
        return Threading("SLICE", workers)
    return Threading("FRAME", workers)


def stream_threading(codec: Any, packets: Sequence[bytes]) -> Threading:
    """The threading for a decoder (a PyAV ``CodecContext``) whose first packets are given."""
    sample = sample_h264(packets, codec.extradata) if codec.name == "h264" else None
    return choose_threading(sample, int(codec.thread_count))


def with_chosen_threading(packets: Iterable[Any], codec: Any) -> Iterator[Any]:
    """Pass ``packets`` through, setting ``codec``'s threading from the first ``LOOKAHEAD``.

    The threading can only change while the decoder is closed (PyAV opens it on the first
    decode), so a decoder that is already open, after a seek for instance, is left as it is.
    """
    stream = iter(packets)
    if codec.is_open:
        yield from stream
        return
    head = []
    for packet in stream:
        head.append(packet)
        if sum(1 for p in head if p.size) == LOOKAHEAD:
            break
    threading = stream_threading(codec, [bytes(p) for p in head if p.size])
    codec.thread_type = threading.thread_type
    codec.thread_count = threading.thread_count
    yield from head
    yield from stream


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
