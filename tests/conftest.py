"""Shared fixtures: real encoded videos written with PyAV, whose frames spell their own index."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from frame_codes import coded_frame
from sportslens.writer import write_video

SHARED_CLIPS = Path(__file__).resolve().parents[2] / "shared" / "clips"

MakeVideo = Callable[..., Path]


@pytest.fixture
def make_video(tmp_path: Path) -> MakeVideo:
    """Write a coded video: ``make_video("a.mp4", frames=40, codec="libx264", ...)``."""

    def make(
        name: str = "clip.mp4",
        frames: int = 40,
        *,
        fps: float = 30,
        height: int = 64,
        width: int = 96,
        timestamps: Sequence[float] | None = None,
        **options: object,
    ) -> Path:
        path = tmp_path / name
        images = (coded_frame(i, height, width) for i in range(frames))
        return write_video(path, images, fps, timestamps=timestamps, **options)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def shared_clips() -> Path:
    """The real clips beside the repository; tests using them skip when the folder is absent."""
    if not SHARED_CLIPS.is_dir():
        pytest.skip("../shared/clips is not present on this machine")
    return SHARED_CLIPS
