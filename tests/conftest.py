"""Shared fixtures: real encoded videos written with PyAV, whose frames spell their own index."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import torch

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


# A training configuration that runs in about a second per epoch on the tiny athletes.
TINY_TRAINING = {
    "model": "r2plus1d_tiny",
    "model_kwargs": {"width": 4},
    "frames": 4,
    "size": 32,
    "batch_size": 4,
    "workers": 0,
    "lr": 1e-2,
    "warmup_epochs": 0.0,
    "label_smoothing": 0.0,
    "split": (0.6, 0.2, 0.2),
}


@pytest.fixture(scope="session")
def athletes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fifteen tiny synthetic athlete clips of three classes (64 px, 1 s at 12 fps)."""
    from sportslens.synth.clips import make_dataset
    from sportslens.synth.settings import ClipSettings

    out = tmp_path_factory.mktemp("athletes")
    classes = ["squat", "jumping_jack", "push_up"]
    settings = ClipSettings(fps=12, size=64).lasting(1.0)
    return make_dataset(out, settings, classes=classes, per_class=5, workers=1, progress=False)


def crowd_video(
    folder: Path, people: int, seconds: float, *, seed: int = 1, size: int = 256
) -> Path:
    """One generated crowd scene at 10 fps (a real encoded MP4, with its true tracks beside it as
    ``.npz`` and ``.json``)."""
    from sportslens.synth.crowds import make_crowds
    from sportslens.synth.settings import ClipSettings

    settings = ClipSettings(size=size, fps=10.0, seed=seed).lasting(seconds)
    (video,) = make_crowds(folder, settings, count=1, people=people, workers=1)
    return video


@pytest.fixture(scope="session")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three athletes (two snatching twice, one passing by) in 8 s of 256 px video at 10 fps;
    tests only read it."""
    return crowd_video(tmp_path_factory.mktemp("crowd"), people=3, seconds=8)


@pytest.fixture(scope="session")
def two_people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two athletes in 6 s of 256 px video at 10 fps; tests only read it."""
    return crowd_video(tmp_path_factory.mktemp("crowd"), people=2, seconds=6)


@pytest.fixture(scope="session")
def crossing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two squatters who swap stations in the first two seconds, one passing in front."""
    return crowd_video(tmp_path_factory.mktemp("cross"), people=2, seconds=6, seed=3)


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """One torch thread for a module: tiny models gain nothing from more, and stall when other
    processes share the CPU (57 s instead of 10 s for test_models.py on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
