"""The engines that run one worker over many items: here, in processes, on Ray."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import MakeVideo
from sportslens.cli import app
from sportslens.engines import EngineSettings, Outcome, run_per_video, stateless

BUILT: list[int] = []


def shouting_worker(marker: str) -> functools.partial[str]:
    """A worker factory whose build is counted (here, in this process) and whose work fails on
    "bad" and kills its process on "die"."""
    BUILT.append(os.getpid())
    return functools.partial(shout, marker)


def shout(marker: str, item: str) -> str:
    if item == "bad":
        raise ValueError(f"cannot shout {item!r}")
    if item == "die":
        os._exit(3)  # a crash in native code, as a segfaulting decoder would
    if item == "missing":
        raise ImportError("pip install 'sportslens[shout]'")
    return item.upper() + marker


def by_item(outcomes: list[Outcome[str, str]]) -> dict[str, tuple[str | None, str]]:
    return {o.item: (o.result, o.error) for o in outcomes}


def test_the_local_engine_builds_one_worker_and_reports_each_failure() -> None:
    BUILT.clear()
    make = functools.partial(shouting_worker, "!")
    outcomes = list(run_per_video(["a", "bad", "b"], make))
    assert [os.getpid()] == BUILT  # built once, here, for three items
    assert by_item(outcomes) == {
        "a": ("A!", ""),
        "bad": (None, "ValueError: cannot shout 'bad'"),
        "b": ("B!", ""),
    }
    with pytest.raises(ImportError, match=r"sportslens\[shout\]"):
        list(run_per_video(["a", "missing", "b"], make))


def test_the_local_engine_reports_a_dead_worker_process() -> None:
    make = functools.partial(shouting_worker, "!")
    outcomes = by_item(list(run_per_video(["die", "a"], make, EngineSettings(workers=2))))
    assert outcomes["die"][0] is None and "worker process died" in outcomes["die"][1]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"engine": "spark"}, "unknown engine 'spark'"),
        ({"workers": 0}, "workers must be at least 1, got 0"),
        ({"engine": "ray", "cpus_per_worker": 0}, "cpus_per_worker=0"),
        ({"address": "auto"}, "are for --engine ray"),
    ],
)
def test_engine_settings_name_the_bad_value(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EngineSettings(**settings)  # type: ignore[arg-type]


def test_a_stateless_function_runs_in_worker_processes() -> None:
    work = functools.partial(shout, "?")
    outcomes = by_item(list(run_per_video(["a", "b"], stateless(work), EngineSettings(workers=2))))
    assert outcomes == {"a": ("A?", ""), "b": ("B?", "")}


def test_the_ray_engine_without_ray_says_which_extra_to_install(
    make_video: MakeVideo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    make = functools.partial(shouting_worker, "!")
    with pytest.raises(ImportError, match=r"pip install 'sportslens\[ray\]'"):
        list(run_per_video(["a"], make, EngineSettings(engine="ray")))
    (tmp_path / "data" / "squat").mkdir(parents=True)
    make_video("a.mp4", frames=2).rename(tmp_path / "data" / "squat" / "a.mp4")
    args = ["pose-extract", str(tmp_path / "data"), "--out", str(tmp_path / "kp")]
    result = CliRunner().invoke(app, [*args, "--engine", "ray"])
    assert result.exit_code == 2
    assert "pip install 'sportslens[ray]'" in result.output
    result = CliRunner().invoke(app, [*args, "--address", "auto"])
    assert result.exit_code == 2 and "are for --engine ray" in result.output
