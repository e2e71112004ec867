"""The disk probe cache across releases: answers an older probe gave are not served again."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from conftest import MakeVideo
from frame_codes import coded_frame
from sportslens.data.probe_cache import CACHE_ENV, CACHE_FILE, clear_memory_cache, probe_videos


def test_answers_cached_by_the_probe_that_misread_one_frame_videos_are_not_reused(
    make_video: MakeVideo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    clear_memory_cache()
    one = make_video("one.mp4", frames=1, fps=30)
    photo = tmp_path / "photo.mp4"
    buffer = io.BytesIO()
    Image.fromarray(coded_frame(0)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    # What earlier releases cached for them: a made-up fps, and a PNG taken for a video.
    (tmp_path / "cache").mkdir()
    old = sqlite3.connect(tmp_path / "cache" / CACHE_FILE)
    with old:
        old.execute("CREATE TABLE probe_v1 (path TEXT PRIMARY KEY, size INT, mtime_ns INT, result)")
        for path, fps in [(one, -59692.9), (photo, -1535890.35)]:
            status = path.stat()
            result = {"frames": 1, "fps": fps, "duration": 0.0, "width": 96, "height": 64,
                      "codec": "h264", "readable": True, "error": None}  # fmt: skip
            key = (os.path.abspath(path), status.st_size, status.st_mtime_ns)  # noqa: PTH100
            old.execute("INSERT INTO probe_v1 VALUES (?, ?, ?, ?)", (*key, json.dumps(result)))
    old.close()

    fresh_one, fresh_photo = probe_videos([str(one), str(photo)], workers=1, progress=False)
    assert (fresh_one.readable, fresh_one.fps, fresh_one.frames) == (True, 30.0, 1)
    assert not fresh_photo.readable
    assert fresh_photo.error is not None and "is a still image" in fresh_photo.error
