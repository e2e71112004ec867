"""Probe many videos in parallel, remembering each answer in memory and in a small disk cache.

A local file's answer is keyed by ``(absolute path, size, mtime_ns)``, so a file rewritten in place
is probed again. Answers live in a SQLite file (``probe.sqlite``) under ``$SPORTSLENS_CACHE``, or
``~/.cache/sportslens/`` when that is unset; SQLite because several processes (DataLoader workers,
two experiments) may read and write it at once. URLs are probed and remembered for the process
only: their content can change without anything local to notice.
"""

from __future__ import annotations

import json
import os
import sqlite3
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sportslens import video
from sportslens.data.threads import thread_map

CACHE_ENV = "SPORTSLENS_CACHE"
CACHE_FILE = "probe.sqlite"
_TABLE = "probe_v2"
"""Bump the suffix when ProbeResult or probe's answers change: old rows are then never read.
v2: one-frame videos got a made-up fps and still images counted as readable in v1."""

_Key = tuple[str, int, int]
"""(absolute path or URL, size in bytes, mtime in ns); size and mtime are -1 for URLs."""


@dataclass(frozen=True)
class ProbeResult:
    """What :func:`probe_videos` learnt about one video; the numbers are None when unreadable."""

    frames: int | None
    fps: float | None
    duration: float | None
    width: int | None
    height: int | None
    codec: str | None
    readable: bool
    error: str | None

    @classmethod
    def from_info(cls, info: video.VideoInfo) -> ProbeResult:
        return cls(
            frames=info.num_frames,
            fps=info.fps,
            duration=info.duration,
            width=info.width,
            height=info.height,
            codec=info.codec,
            readable=True,
            error=None,
        )

    @classmethod
    def failed(cls, error: str) -> ProbeResult:
        return cls(None, None, None, None, None, None, readable=False, error=error)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PROBE_COLUMNS: tuple[str, ...] = tuple(ProbeResult.__dataclass_fields__)
"""Column names :meth:`Catalog.to_dataframe` adds, in order."""

_MEMORY: dict[_Key, ProbeResult] = {}


def cache_dir() -> Path:
    """The folder for sportslens caches: ``$SPORTSLENS_CACHE`` or ``~/.cache/sportslens``."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "sportslens"


def clear_memory_cache() -> None:
    """Forget the answers remembered in this process (the disk cache is left alone)."""
    _MEMORY.clear()


def probe_videos(
    sources: Sequence[str], *, workers: int = 4, progress: bool = True
) -> list[ProbeResult]:
    """Probe every source (in parallel threads), answering from the caches where possible.

    An unreadable video gives ``readable=False`` and the error text instead of raising.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    keys = {source: _key(source) for source in sources}
    answers: dict[str, ProbeResult] = {}
    disk = _open_disk_cache()
    try:
        for source, key in keys.items():
            known = _lookup(key, disk)
            if known is not None:
                answers[source] = known
        missing = [source for source in keys if source not in answers]
        fresh = _probe_all(missing, workers=workers, progress=progress)
        answers.update(fresh)
        _remember({keys[s]: result for s, result in fresh.items()}, disk)
    finally:
        if disk is not None:
            disk.close()
    return [answers[source] for source in sources]


def _key(source: str) -> _Key | None:
    """The cache key of ``source``, or None for a local file that cannot be stat'ed."""
    if "://" in source and not source.startswith("file://"):
        return source, -1, -1
    path = os.path.abspath(source.removeprefix("file://"))  # noqa: PTH100 (keep symlinked names)
    try:
        stat = Path(path).stat()
    except OSError:
        return None  # probing reports the problem; nothing worth remembering
    return path, stat.st_size, stat.st_mtime_ns


def _lookup(key: _Key | None, disk: sqlite3.Connection | None) -> ProbeResult | None:
    if key is None:
        return None
    if key in _MEMORY:
        return _MEMORY[key]
    if disk is None or key[1] < 0:
        return None
    row = disk.execute(
        f"SELECT result FROM {_TABLE} WHERE path = ? AND size = ? AND mtime_ns = ?", key
    ).fetchone()
    if row is None:
        return None
    result = ProbeResult(**json.loads(row[0]))
    _MEMORY[key] = result
    return result


def _remember(results: dict[_Key | None, ProbeResult], disk: sqlite3.Connection | None) -> None:
    rows = []
    for key, result in results.items():
        if key is None:
            continue
        _MEMORY[key] = result
        if key[1] >= 0:
            rows.append((*key, json.dumps(result.to_dict())))
    if disk is None or not rows:
        return
    try:
        with disk:  # one transaction
            disk.executemany(f"INSERT OR REPLACE INTO {_TABLE} VALUES (?, ?, ?, ?)", rows)
    except sqlite3.Error as error:  # a full disk or a lock held too long: the answers still stand
        warnings.warn(f"probe cache not updated ({error})", stacklevel=3)


def _probe_one(source: str) -> ProbeResult:
    try:
        return ProbeResult.from_info(video.probe(source))
    except (video.VideoDecodeError, OSError) as error:
        return ProbeResult.failed(str(error))


def _probe_all(sources: Sequence[str], *, workers: int, progress: bool) -> dict[str, ProbeResult]:
    """Probe ``sources`` in a thread pool (PyAV releases the GIL while demuxing and decoding)."""
    if not sources:
        return {}
    results = thread_map(
        _probe_one, sources, workers=workers, description="probing videos", progress=progress
    )
    return dict(zip(sources, results, strict=True))


def _open_disk_cache() -> sqlite3.Connection | None:
    """The disk cache, opened; None (with a warning) when it cannot be used."""
    path = cache_dir() / CACHE_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=30)
    except (OSError, sqlite3.Error) as error:
        warnings.warn(f"probe cache {path} cannot be opened ({error}); not caching", stacklevel=3)
        return None
    try:
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {_TABLE} "
            "(path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, result TEXT)"
        )
    except sqlite3.Error as error:
        connection.close()
        warnings.warn(f"probe cache {path} is unusable ({error}); not caching", stacklevel=3)
        return None
    return connection
