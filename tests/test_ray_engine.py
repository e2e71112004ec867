"""``--engine ray``: a Ray instance started here on this machine's CPUs, real videos, and the
same keypoint files the local engine writes."""

from __future__ import annotations

import functools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import test_engines
from sportslens.cli import app
from sportslens.engines import EngineError, EngineSettings, run_per_video
from test_engines import by_item, shout, shouting_worker

ray = pytest.importorskip("ray", reason="the ray extra is not installed")
# Ray's workers cannot import the tests folder: send the test worker's code along with it.
ray.cloudpickle.register_pickle_by_value(test_engines)
runner = CliRunner()


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two synthetic squats big enough for MediaPipe to find the athlete, and a broken file."""
    from sportslens.synth.clips import make_dataset
    from sportslens.synth.settings import ClipSettings

    made = make_dataset(
        tmp_path_factory.mktemp("synth"), ClipSettings(fps=12, size=160).lasting(1.0),
        classes=["squat"], per_class=2, workers=1, progress=False,
    )  # fmt: skip
    root = tmp_path_factory.mktemp("data")
    (root / "squat").mkdir()
    for clip in sorted((made / "squat").glob("*.mp4")):
        shutil.copy(clip, root / "squat" / clip.name)
    (root / "squat" / "broken.mp4").write_bytes(b"\x00" * 500)
    return root


@pytest.fixture(scope="module")
def local_keypoints(videos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    out = tmp_path_factory.mktemp("local")
    code, summary = extract(videos, out, "--workers", "1")
    assert (code, summary["done"]) == (1, 2)
    return out


@pytest.fixture
def ray_session() -> Iterator[None]:
    """A Ray instance the engine finds running, uses and leaves running."""
    ray.init(address="local", num_cpus=2, object_store_memory=128 * 2**20, include_dashboard=False)
    yield
    ray.shutdown()


def extract(data: Path, out: Path, *extra: str) -> tuple[int, dict[str, object]]:
    args = ["pose-extract", str(data), "--out", str(out), "--json", *extra]
    result = runner.invoke(app, args)
    return result.exit_code, json.loads(result.stdout)


def npz_files(folder: Path) -> list[Path]:
    return sorted(path.relative_to(folder) for path in folder.rglob("*.npz"))


def test_ray_writes_the_local_engines_keypoint_files(
    videos: Path, local_keypoints: Path, tmp_path: Path
) -> None:
    code, summary = extract(videos, tmp_path, "--engine", "ray", "--workers", "2")
    assert not ray.is_initialized()  # the instance it started is shut down
    assert (code, summary["done"], summary["skipped"]) == (1, 2, 0)
    failed = summary["failed"]
    assert isinstance(failed, list) and [Path(f["source"]).name for f in failed] == ["broken.mp4"]
    assert (
        npz_files(tmp_path)
        == npz_files(local_keypoints)
        == [
            Path("squat/squat_0000.npz"),
            Path("squat/squat_0001.npz"),
        ]
    )
    for name in npz_files(tmp_path):
        on_ray, here = np.load(tmp_path / name), np.load(local_keypoints / name)
        assert on_ray.files == here.files
        for key in here.files:
            assert np.array_equal(on_ray[key], here[key]), (name, key)
        assert here["scores"].max() > 0  # the athlete was found: the keypoints say something


def test_ray_skips_finished_videos(
    videos: Path, local_keypoints: Path, tmp_path: Path, ray_session: None
) -> None:
    shutil.copytree(local_keypoints, tmp_path, dirs_exist_ok=True)
    (tmp_path / "squat" / "squat_0001.npz").unlink()
    code, summary = extract(videos, tmp_path, "--engine", "ray")
    assert ray.is_initialized()  # the caller's session is left running
    assert (code, summary["done"], summary["skipped"]) == (1, 1, 1)
    assert np.array_equal(
        np.load(tmp_path / "squat" / "squat_0001.npz")["keypoints"],
        np.load(local_keypoints / "squat" / "squat_0001.npz")["keypoints"],
    )


def test_ray_reports_each_failure_and_a_dead_actor_and_goes_on(ray_session: None) -> None:
    make = functools.partial(shouting_worker, "!")
    settings = EngineSettings(engine="ray", workers=2)
    outcomes = by_item(list(run_per_video(["a", "bad", "die", "b"], make, settings)))
    assert outcomes["a"] == ("A!", "") and outcomes["b"] == ("B!", "")
    assert outcomes["bad"] == (None, "ValueError: cannot shout 'bad'")
    assert outcomes["die"][0] is None and "Ray worker died" in outcomes["die"][1]
    with pytest.raises(ImportError, match=r"sportslens\[shout\]"):
        list(run_per_video(["missing"], make, settings))


def worker_ray_cannot_import() -> functools.partial[str]:
    """Pickled by reference to this test module, which Ray's workers cannot import: as a node
    without sportslens (or without this version of it) would fail."""
    return functools.partial(shout, "!")


def test_ray_actors_that_cannot_start_stop_the_run_with_a_message(ray_session: None) -> None:
    settings = EngineSettings(engine="ray", workers=1)
    with pytest.raises(EngineError, match="Every Ray node needs the sportslens of this machine"):
        list(run_per_video(["a"], worker_ray_cannot_import, settings))


def cache(data: Path, out: Path, *extra: str) -> tuple[int, dict[str, object]]:
    args = ["cache", str(data), "--out", str(out), "--short-side", "64", "--json", *extra]
    result = runner.invoke(app, args)
    return result.exit_code, json.loads(result.stdout)


def test_ray_writes_the_local_engines_clip_cache(
    videos: Path, tmp_path: Path, ray_session: None
) -> None:
    here, on_ray = tmp_path / "local", tmp_path / "ray"
    assert cache(videos, here)[0] == 0
    code, summary = cache(videos, on_ray, "--engine", "ray", "--workers", "2")
    assert (code, summary["cached"], summary["failed"]) == (0, 2, 1)
    failed = summary["failed_videos"]
    assert isinstance(failed, list) and len(failed) == 1 and "broken.mp4" in str(failed[0])
    shards = sorted(path.relative_to(here) for path in here.rglob("*.tar"))
    assert len(shards) == 2
    assert shards == sorted(path.relative_to(on_ray) for path in on_ray.rglob("*.tar"))
    for shard in shards:
        assert (here / shard).read_bytes() == (on_ray / shard).read_bytes()
    code, summary = cache(videos, on_ray, "--engine", "ray")  # only the broken one is tried again
    assert (code, summary["cached"], summary["reused"], summary["failed"]) == (0, 0, 2, 1)
