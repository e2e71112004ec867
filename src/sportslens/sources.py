"""What a command's INPUT arguments name: files, folders, glob patterns and URLs → sources.

A leaf (standard library only): the CLI expands its arguments before any model loads.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence
from pathlib import Path

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".mkv", ".webm", ".avi", ".mov", ".gif", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv"}
)
KEYPOINT_EXTENSIONS = frozenset({".npz"})
_GLOB_CHARACTERS = frozenset("*?[")


def is_url(source: str) -> bool:
    """``http://…``, ``s3://…`` and other fsspec URLs; ``file://`` paths are local files."""
    return "://" in source and not source.startswith("file://")


def expand_sources(items: Sequence[str], suffixes: Iterable[str] = VIDEO_EXTENSIONS) -> list[str]:
    """Each item as the sources it names, in order: a URL or a file as itself, a folder as the
    files in it with one of ``suffixes`` (sorted, not recursive), a glob pattern as its matches.

    A missing plain path is kept: reading it names the problem. A folder without such files,
    or a pattern that matches nothing, is an error that says so.
    """
    wanted = frozenset(s.lower() for s in suffixes)
    sources: list[str] = []
    for item in items:
        if is_url(item):
            sources.append(item)
            continue
        path = Path(item.removeprefix("file://"))
        if path.is_dir():
            sources += _folder(path, wanted)
        elif not path.exists() and _GLOB_CHARACTERS & set(item):
            sources += _pattern(item)
        else:
            sources.append(item)
    return sources


def _folder(path: Path, suffixes: frozenset[str]) -> list[str]:
    found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if not found:
        kinds = ", ".join(sorted(suffixes))
        raise ValueError(f"{path}: a folder with no files to read in it (looked for {kinds})")
    return [str(p) for p in found]


def _pattern(pattern: str) -> list[str]:
    # glob.glob: Path.glob takes no absolute pattern such as /data/*.mp4
    matches = glob.glob(pattern, recursive=True)  # noqa: PTH207
    found = sorted(p for p in matches if Path(p).is_file())
    if not found:
        raise ValueError(f"{pattern}: no file matches this pattern")
    return found
