"""Write a clip cache: :func:`cache_video` caches one video, :func:`build_cache` a dataset.

:func:`cache_video` is self-contained (a path, a spec and the cache folder in, an entry out) so
that any engine can run it: the local loop below, or actors on a cluster. A video's shard is
written under a temporary name and renamed, and its entry is written last, so an interrupted run
leaves whole videos or nothing; :func:`build_cache` skips the videos that have an entry and
resumes where it stopped.
"""

from __future__ import annotations

import functools
import io
import json
import os
import tarfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from numpy.typing import NDArray
from PIL import Image

from sportslens.data.clip_cache import (
    CACHE_FILE,
    FORMAT,
    VERSION,
    CacheEntry,
    CacheMismatchError,
    CacheSpec,
    FrameFormat,
    file_identity,
    read_cache_info,
    video_key,
)
from sportslens.engines import EngineSettings, run_per_video, stateless
from sportslens.video import VideoDecodeError, frame_count, iter_frames

_EXTENSIONS: dict[FrameFormat, str] = {"webp": "webp", "jpeg": "jpg"}


def encode_frame(frame: NDArray[Any], frame_format: FrameFormat) -> bytes:
    """One ``(H, W, 3)`` uint8 frame as image bytes."""
    buffer = io.BytesIO()
    match frame_format:
        case "webp":
            # quality=0, method=0: libwebp's fastest lossless effort; more effort saves ~8% of
            # the bytes and costs 50x the encoding time.
            Image.fromarray(frame).save(buffer, format="WEBP", lossless=True, quality=0, method=0)
        case "jpeg":
            Image.fromarray(frame).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def cache_video(video_path: str | Path, spec: CacheSpec, out_dir: Path) -> CacheEntry:
    """Decode every frame of one video at each of ``spec``'s short sides into its shard.

    One frame is in memory at a time. An undecodable video (corrupt, truncated, missing) gives an
    entry with ``error`` set instead of raising, so one bad file never stops a dataset's run.
    The entry is also written to ``out_dir/entries/KEY.json``: its presence marks the video done.
    """
    source = os.path.abspath(video_path)  # noqa: PTH100
    key = video_key(source)
    try:
        size, mtime = file_identity(source)
    except OSError as error:
        return _save_entry(out_dir, CacheEntry(source, key, -1, -1, error=str(error)))
    shard = Path("shards") / f"{key}.tar"
    partial = out_dir / shard.with_suffix(".tar.partial")
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        num_frames = frame_count(source)
        _write_shard(partial, source, key, spec)
        frames = _member_ranges(partial, num_frames)
    except VideoDecodeError as error:
        partial.unlink(missing_ok=True)
        return _save_entry(out_dir, CacheEntry(source, key, size, mtime, error=str(error)))
    partial.replace(out_dir / shard)
    entry = CacheEntry(source, key, size, mtime, num_frames, str(shard), frames)
    return _save_entry(out_dir, entry)


def _write_shard(path: Path, source: str, key: str, spec: CacheSpec) -> None:
    """Every frame at every short side, as ``KEY.s{side}.f{index:06d}.{ext}`` tar members."""
    extension = _EXTENSIONS[spec.frame_format]
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for side in spec.short_sides:
            # One pass per side through FFmpeg's scaler: the very pixels read_frames(size=side)
            # gives, which is what makes a cached clip equal a decoded one.
            for index, frame in iter_frames(source, size=side):  # (H, W, 3) uint8
                blob = encode_frame(frame, spec.frame_format)
                member = tarfile.TarInfo(f"{key}.s{side}.f{index:06d}.{extension}")
                member.size, member.mode = len(blob), 0o444
                tar.addfile(member, io.BytesIO(blob))


def _member_ranges(path: Path, num_frames: int) -> dict[str, list[list[int]]]:
    """``{side: [[offset, length] per frame]}`` of a written shard, read back from its headers."""
    ranges: dict[str, list[list[int]]] = {}
    with tarfile.open(path, "r") as tar:
        for member in tar.getmembers():
            _, side, index, _ = member.name.split(".")
            frames = ranges.setdefault(side.removeprefix("s"), [])
            if int(index.removeprefix("f")) != len(frames):
                raise VideoDecodeError(f"{path}: frame {member.name} is out of order")
            frames.append([member.offset_data, member.size])
    short = {side: len(frames) for side, frames in ranges.items() if len(frames) != num_frames}
    if short:
        raise VideoDecodeError(f"{path}: frames per short side {short}, expected {num_frames}")
    return ranges


def _save_entry(out_dir: Path, entry: CacheEntry) -> CacheEntry:
    _write_json(out_dir / "entries" / f"{entry.key}.json", entry.to_dict())
    return entry


def _write_json(path: Path, data: Any) -> None:
    """Write atomically: a reader (or a resumed run) sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(data))
    partial.replace(path)


def finished_entry(out_dir: Path, source: str) -> CacheEntry | None:
    """The entry a previous run wrote for ``source``, if it is there and the file is unchanged."""
    path = out_dir / "entries" / f"{video_key(source)}.json"
    if not path.is_file():
        return None
    entry = CacheEntry.from_dict(json.loads(path.read_text()))
    try:
        unchanged = file_identity(source) == (entry.bytes, entry.mtime_ns)
    except OSError:
        unchanged = entry.error is not None  # still missing
    return entry if unchanged else None


def start_cache(
    out_dir: Path, spec: CacheSpec, *, data: str, classes: Sequence[str], videos: int
) -> None:
    """Write an unfinished ``cache.json``, or check that the one there is for the same run."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / CACHE_FILE).is_file():
        info = read_cache_info(out_dir)
        differs = CacheSpec.from_dict(info["spec"]).differences(spec)
        if info.get("data") != data:
            differs.append(f"data {info.get('data')} vs {data}")
        if info.get("classes") != list(classes):
            differs.append("classes")
        if differs:
            raise CacheMismatchError(
                f"{out_dir}: this cache was made with other settings ({'; '.join(differs)}, "
                "cache vs asked); pass the same options to resume it, or choose a new --out"
            )
    header = {"format": FORMAT, "version": VERSION, "spec": spec.to_dict(), "data": data}
    info = header | {"classes": list(classes), "videos": videos, "complete": False}
    _write_json(out_dir / CACHE_FILE, info)


def finish_cache(out_dir: Path, entries: Sequence[CacheEntry]) -> dict[str, Any]:
    """Mark the cache complete with its index of entries; returns the written cache.json."""
    info = read_cache_info(out_dir)
    info |= {
        "complete": True,
        "videos": len(entries),
        "failed": [{"source": e.source, "error": e.error} for e in entries if e.error],
        # Frame byte ranges stay in entries/KEY.json, read when a clip needs them: the index of
        # a 240k-video dataset would otherwise hold ~300M numbers in every loader worker.
        "entries": [e.to_dict() | {"frames": None} for e in entries],
    }
    _write_json(out_dir / CACHE_FILE, info)
    return info


def build_cache(
    sources: Iterable[str],
    spec: CacheSpec,
    out_dir: Path,
    *,
    data: str,
    classes: Sequence[str],
    workers: int = 1,
    engine: EngineSettings | None = None,
    on_video: Callable[[CacheEntry, bool], None] | None = None,
) -> dict[str, Any]:
    """Cache every video of ``sources`` not cached yet; returns the finished ``cache.json``.

    ``engine`` runs :func:`cache_video` on local processes or a Ray cluster (every node must see
    the videos and ``out_dir`` at the same paths); without it, ``workers`` local processes.
    ``on_video(entry, reused)`` is called after each video (for a progress bar): first for the
    videos a previous, interrupted run had cached (``reused`` True), then for each one as it is
    done.
    """
    unique = list(dict.fromkeys(os.path.abspath(s) for s in sources))  # noqa: PTH100
    start_cache(out_dir, spec, data=data, classes=classes, videos=len(unique))
    entries: dict[str, CacheEntry] = {}
    for source in unique:
        done = finished_entry(out_dir, source)
        if done is not None:
            entries[source] = done
            if on_video is not None:
                on_video(done, True)
    todo = [source for source in unique if source not in entries]
    for entry in _cache_videos(todo, spec, out_dir, engine or EngineSettings(workers=workers)):
        entries[entry.source] = entry
        if on_video is not None:
            on_video(entry, False)
    return finish_cache(out_dir, [entries[source] for source in unique])


def _cache_videos(
    todo: Sequence[str], spec: CacheSpec, out_dir: Path, engine: EngineSettings
) -> Iterator[CacheEntry]:
    """Entries as videos finish, on ``engine``. :func:`cache_video` turns a bad video into an
    entry with its error; a worker that died (a crash in native code) is recorded the same way."""
    work = stateless(functools.partial(cache_video, spec=spec, out_dir=out_dir))
    for outcome in run_per_video(todo, work, engine):
        if outcome.result is not None:
            yield outcome.result
            continue
        size, mtime = file_identity(outcome.item)
        failed = CacheEntry(outcome.item, video_key(outcome.item), size, mtime, error=outcome.error)
        yield _save_entry(out_dir, failed)
