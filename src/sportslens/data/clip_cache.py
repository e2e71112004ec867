"""A clip cache: every frame of every video decoded once, scaled, and stored in tar shards.

Layout of a cache folder (written by :mod:`sportslens.data.cache_writer`)::

    CACHE/cache.json           the spec, the data it was made from, and (once complete) the index
    CACHE/shards/KEY.tar       one WebDataset shard per video: KEY.s160.f000123.webp members
    CACHE/entries/KEY.json     one video's entry (its frame offsets, or why it failed)

A shard is a plain tar whose members are grouped by their key (``KEY``) the way WebDataset groups
samples, so ``webdataset.WebDataset("CACHE/shards/{...}.tar")`` streams it as it is. Training
reads it randomly instead: each entry holds the byte offset and length of every frame inside its
shard, so a 16-frame clip costs 16 small reads and 16 image decodes, and only those frames are
in memory. :class:`ClipCache` is the reader the datasets use in place of decoding.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image

from sportslens.messages import preview
from sportslens.video import VideoDecodeError

FORMAT = "sportslens-clip-cache"
VERSION = 1
CACHE_FILE = "cache.json"
FrameFormat = Literal["webp", "jpeg"]
"""``webp``: lossless WebP, frames read back bit for bit as FFmpeg scaled them (about 37 KiB a
160x212 frame). ``jpeg``: quality 95, about 2.7x smaller, pixels off by ~1 on average."""


class CacheMismatchError(ValueError):
    """A cache that cannot serve this run: made for other settings, other data, or unfinished."""


@dataclass(frozen=True)
class CacheSpec:
    """What a cache stores: every frame at each short side, in one image format."""

    short_sides: tuple[int, ...] = (144, 128)
    """Short sides in pixels. Training decodes at ``train_scale`` high and evaluation at
    ``resize``; a cache holds the sizes its readers ask for (the small models' 144 and 128)."""
    frame_format: FrameFormat = "webp"

    def __post_init__(self) -> None:
        if not self.short_sides or any(s < 1 for s in self.short_sides):
            raise ValueError(f"short_sides must be positive pixel counts, got {self.short_sides}")
        if self.frame_format not in get_args(FrameFormat):
            raise ValueError(
                f"frame_format must be one of {get_args(FrameFormat)}, got {self.frame_format!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {"short_sides": list(self.short_sides), "frame_format": self.frame_format}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CacheSpec:
        return cls(tuple(int(s) for s in data["short_sides"]), data["frame_format"])

    def differences(self, other: CacheSpec) -> list[str]:
        """What differs from ``other``, as ``name: mine vs other`` phrases."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [
            f"{name} {mine[name]} vs {theirs[name]}" for name in mine if mine[name] != theirs[name]
        ]


@dataclass(frozen=True)
class CacheEntry:
    """One cached video: where its frames are, or why it could not be cached.

    ``frames`` maps a short side (as a string, for JSON) to ``[offset, length]`` byte ranges of
    each frame inside ``shard``, in frame order (None in ``cache.json``'s index, which leaves
    them to the entry's own file); ``bytes`` and ``mtime_ns`` identify the file the
    frames came from, so a video changed since is noticed.
    """

    source: str
    key: str
    bytes: int
    mtime_ns: int
    num_frames: int = 0
    shard: str = ""
    frames: Mapping[str, Sequence[Sequence[int]]] | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CacheEntry:
        return cls(**data)


def video_key(source: str) -> str:
    """A shard key for ``source``: its stem made tar- and WebDataset-safe, and a path hash.

    WebDataset splits a member name at its first dot, so the key has none; the hash keeps two
    ``clip.mp4`` files in different folders apart.
    """
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(source).stem)[:48]
    digest = hashlib.sha1(os.path.abspath(source).encode()).hexdigest()[:10]  # noqa: PTH100
    return f"{stem}-{digest}"


def file_identity(source: str) -> tuple[int, int]:
    """``(size in bytes, mtime in ns)`` of a local video: what tells a rewritten file apart."""
    status = Path(source).stat()
    return status.st_size, status.st_mtime_ns


class ClipCache:
    """A finished cache, read in place of decoding: ``frame_count`` and ``read_frames`` as in
    :mod:`sportslens.video`, for the videos the cache holds at the short sides it holds."""

    def __init__(self, root: Path, spec: CacheSpec, info: Mapping[str, Any]) -> None:
        self.root = Path(root)
        self.spec = spec
        self.data = str(info.get("data", ""))
        self.classes = list(info.get("classes", []))
        entries = [CacheEntry.from_dict(e) for e in info.get("entries", [])]
        self.entries = {entry.source: entry for entry in entries}

    @classmethod
    def open(cls, root: Path | str) -> ClipCache:
        """Read a finished cache; refuse a folder that is none or an interrupted one."""
        root = Path(root)
        info = read_cache_info(root)
        if not info.get("complete"):
            done = len(list((root / "entries").glob("*.json")))
            raise CacheMismatchError(
                f"{root}: the cache is unfinished ({done} of {info.get('videos', '?')} videos); "
                f"run `sportslens cache {info.get('data', 'DATA')} --out {root}` again to finish it"
            )
        return cls(root, CacheSpec.from_dict(info["spec"]), info)

    def check(self, sources: Sequence[str], short_side: int, *, reads: str) -> None:
        """Refuse, naming what differs, unless every source is cached at ``short_side``.

        ``reads`` says who asks for that side (``training (train_scale high)``), for the message.
        A source cached as undecodable passes: reading it raises :class:`VideoDecodeError`, which
        the datasets count and replace like a video that fails to decode.
        """
        if short_side not in self.spec.short_sides:
            raise CacheMismatchError(
                f"{self.root}: the cache holds frames at short side {list(self.spec.short_sides)} "
                f"px, but {reads} reads {short_side} px; make a cache with "
                f"`sportslens cache DATA --out NEW --short-side {short_side}` (or the model's "
                "sizes: --model NAME)"
            )
        absent = [s for s in dict.fromkeys(sources) if _absolute(s) not in self.entries]
        if absent:
            raise CacheMismatchError(
                f"{self.root}: {len(absent)} video(s) are not in the cache, which was made from "
                f"{self.data}: {preview([Path(s).name for s in absent], 3)}; cache this dataset "
                "with `sportslens cache DATA --out CACHE`"
            )
        changed = [s for s in dict.fromkeys(sources) if self._changed(self.entries[_absolute(s)])]
        if changed:
            raise CacheMismatchError(
                f"{self.root}: {len(changed)} video(s) changed since they were cached (size or "
                f"modification time): {preview([Path(s).name for s in changed], 3)}; rebuild "
                "the cache"
            )

    def check_classes(self, classes: Sequence[str]) -> None:
        """Refuse a catalog labelled otherwise than the one the cache was made from."""
        if list(classes) != self.classes:
            raise CacheMismatchError(
                f"{self.root}: the cache was made from {self.data} with classes "
                f"{preview(self.classes, 5)}, but this dataset has {preview(list(classes), 5)}; "
                "cache this dataset with `sportslens cache DATA --out CACHE`"
            )

    @staticmethod
    def _changed(entry: CacheEntry) -> bool:
        try:
            return file_identity(entry.source) != (entry.bytes, entry.mtime_ns)
        except OSError:
            return False  # moved away: the frames are in the cache, which is its point

    def frame_count(self, source: str) -> int:
        """Frames of the cached video, as :func:`sportslens.video.frame_count` counted them."""
        return self._entry(source).num_frames

    def read_frames(
        self, source: str, indices: Sequence[int] | NDArray[Any], size: int
    ) -> torch.Tensor:
        """The cached frames at ``indices`` (any order, repeats allowed), uint8 ``(T, C, H, W)``."""
        entry = self._entry(source)
        ranges = self._frame_ranges(entry).get(str(size))
        if ranges is None:
            raise CacheMismatchError(f"{self.root}: no frames at short side {size} px in the cache")
        wanted = np.asarray(indices, dtype=np.int64).reshape(-1)
        bad = wanted[(wanted < 0) | (wanted >= entry.num_frames)]
        if bad.size:
            raise VideoDecodeError(
                f"{source}: frame index {int(bad[0])} is out of range; the video has "
                f"{entry.num_frames} frames"
            )
        decoded: dict[int, NDArray[Any]] = {}
        with (self.root / entry.shard).open("rb") as shard:
            for index in np.unique(wanted):  # ascending: one forward pass through the shard
                offset, length = ranges[int(index)]
                shard.seek(offset)
                with Image.open(io.BytesIO(shard.read(length))) as image:
                    decoded[int(index)] = np.asarray(image.convert("RGB"))  # (H, W, 3)
        frames = np.stack([decoded[int(i)] for i in wanted])  # (T, H, W, 3)
        return torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous()  # (T, C, H, W)

    def _frame_ranges(self, entry: CacheEntry) -> Mapping[str, Sequence[Sequence[int]]]:
        """The entry's frame byte ranges, from its own file (the index leaves them out)."""
        if entry.frames is not None:
            return entry.frames
        path = self.root / "entries" / f"{entry.key}.json"
        frames: Mapping[str, Sequence[Sequence[int]]] = json.loads(path.read_text())["frames"]
        return frames

    def _entry(self, source: str) -> CacheEntry:
        entry = self.entries.get(_absolute(source))
        if entry is None:
            raise CacheMismatchError(f"{self.root}: {source} is not in the cache")
        if entry.error is not None:
            raise VideoDecodeError(f"{source} (cached as undecodable): {entry.error}")
        return entry


def read_cache_info(root: Path) -> dict[str, Any]:
    """``cache.json`` of a cache folder, checked to be one."""
    path = Path(root) / CACHE_FILE
    if not path.is_file():
        raise CacheMismatchError(
            f"{root}: not a clip cache (no {CACHE_FILE}); make one with "
            f"`sportslens cache DATA --out {root}`"
        )
    info: dict[str, Any] = json.loads(path.read_text())
    if info.get("format") != FORMAT or info.get("version") != VERSION:
        raise CacheMismatchError(
            f"{root}: {CACHE_FILE} is not a version-{VERSION} {FORMAT} "
            f"(format {info.get('format')!r}, version {info.get('version')!r}); rebuild the cache"
        )
    return info


def _absolute(source: str) -> str:
    # Not Path.resolve(): catalogs keep symlinked dataset folders under the names given.
    return os.path.abspath(source)  # noqa: PTH100
