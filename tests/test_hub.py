"""Hub models load from the cache, download only when the hub answers, else fail in one message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import MakeVideo
from sportslens import hub


class _Loader:
    """A ``from_pretrained`` that records its calls and finds ``cached`` ids with no network."""

    def __init__(self, cached: set[str]) -> None:
        self.cached = cached
        self.calls: list[dict[str, Any]] = []

    def __call__(self, repo_id: str, **options: Any) -> str:
        self.calls.append(options)
        if options.get("local_files_only") and repo_id not in self.cached:
            raise OSError(f"{repo_id} is not in the cache")
        return f"model {repo_id}"


def test_a_cached_model_loads_without_asking_the_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub, "hub_unreachable", lambda repo_id: pytest.fail("asked the hub"))
    loader = _Loader(cached={"org/model"})
    assert hub.load_from_hub(loader, "org/model", what="w", flag="--weights") == "model org/model"
    assert loader.calls == [{"local_files_only": True}]


def test_an_uncached_model_downloads_when_the_hub_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub, "hub_unreachable", lambda repo_id: "")
    loader = _Loader(cached=set())
    assert hub.load_from_hub(loader, "org/model", what="w", flag="--weights", revision="main")
    assert loader.calls == [{"local_files_only": True, "revision": "main"}, {"revision": "main"}]


def test_an_uncached_model_offline_names_the_command_and_the_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loader = _Loader(cached=set())
    with pytest.raises(hub.HubModelMissingError) as error:
        hub.load_from_hub(loader, "org/model", what="the x weights", flag="--weights")
    message = str(error.value)
    assert message.startswith("the x weights 'org/model' are not on this machine")
    assert "HF_HUB_OFFLINE is set" in message
    assert "https://huggingface.co/org/model" in message
    assert "`hf download org/model`" in message
    assert "`--weights ./model`" in message
    assert len(loader.calls) == 1  # the cache only


# The CLI in a fresh process: an empty cache and the hub switched off, as on an offline machine.
OFFLINE_CASES = {
    "torchvision": (["predict", "--model", "r3d_18", "--weights", "kinetics400"], "curl -L"),
    "transformers": (
        ["predict", "--model", "videomae", "--weights", "kinetics400"],
        "hf download MCG-NJU/videomae-base-finetuned-kinetics",
    ),
    "vitpose": (
        ["pose", "--backend", "vitpose", "--detector", "none", "--out-file", "{tmp}/k.npz"],
        "hf download usyd-community/vitpose-base-simple",
    ),
}


@pytest.mark.parametrize("family", sorted(OFFLINE_CASES))
def test_missing_weights_offline_are_one_message(
    family: str, make_video: MakeVideo, tmp_path: Path
) -> None:
    args, command = OFFLINE_CASES[family]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "TORCH_HOME": str(tmp_path / "torch"),
        "PYTHONPATH": str(Path(__file__).parents[1] / "src"),
    }
    argv = [args[0], str(make_video(frames=4)), *(a.format(tmp=tmp_path) for a in args[1:])]
    done = subprocess.run(
        [sys.executable, "-m", "sportslens", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a guard against a hang; the speed is not a test's to measure
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    assert output.strip().startswith("error:"), output
    assert len(output.strip().splitlines()) <= 3, output  # one message, soft-wrapped at most
    assert command in " ".join(output.split()), output
    assert "not on this machine" in output
