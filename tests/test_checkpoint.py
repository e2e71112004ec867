"""Checkpoints on disk: damaged files give one clear error per command; writes reach the disk."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import TINY_TRAINING as TINY
from sportslens.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_training_state,
    save_checkpoint,
)
from sportslens.cli import app
from sportslens.train import TrainConfig, fit

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(
    athletes: Path, tmp_path_factory: pytest.TempPathFactory, one_torch_thread: None
) -> Path:
    """A one-epoch tiny run (best/ and last/) and the YAML config it was trained with."""
    root = tmp_path_factory.mktemp("trained")
    fit(athletes, root / "run", TrainConfig(epochs=1, **TINY))  # type: ignore[arg-type]
    config = {**TINY, "split": list(TINY["split"]), "epochs": 2}
    (root / "tiny.yaml").write_text(json.dumps(config))
    return root


def _truncate(file: Path) -> None:
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])


def _garbage(file: Path) -> None:
    file.write_bytes(os.urandom(5000))


def _broken_json(file: Path) -> None:
    file.write_text(file.read_text()[:40])


DAMAGES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "truncated weights": ("model.safetensors", _truncate),
    "garbage weights": ("model.safetensors", _garbage),
    "broken config": ("config.json", _broken_json),
}


def _damaged_copy(trained: Path, tmp_path: Path, name: str, damage: Callable[[Path], None]) -> Path:
    """A copy of the run whose ``name`` is damaged in best/ and last/ alike."""
    run = tmp_path / "run"
    shutil.copytree(trained / "run", run)
    for folder in ("best", "last"):
        damage(run / folder / name)
    return run


def _command(which: str, run: Path, trained: Path, athletes: Path) -> list[str]:
    video = str(next((athletes / "squat").glob("*.mp4")))
    match which:
        case "predict":
            return ["predict", video, "--checkpoint", str(run)]
        case "evaluate":
            return ["evaluate", str(run), "--workers", "0"]
        case "timeline":
            return ["timeline", video, "--checkpoint", str(run)]
        case _:
            config = str(trained / "tiny.yaml")
            return ["train", str(athletes), "--out", str(run), "--config", config, "--resume"]


def _assert_clear_error(result: Any, file: Path, advice: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # typer.Exit, not the loader's exception
    assert str(file) in result.output and advice in result.output


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("command", ["predict", "evaluate", "timeline", "train --resume"])
def test_a_damaged_checkpoint_file_is_one_clear_error(
    damage: str, command: str, trained: Path, athletes: Path, tmp_path: Path
) -> None:
    name, how = DAMAGES[damage]
    run = _damaged_copy(trained, tmp_path, name, how)
    result = runner.invoke(app, _command(command, run, trained, athletes))
    # Resuming reads last/; the others take the run's best checkpoint.
    folder = "last" if command == "train --resume" else "best"
    _assert_clear_error(result, run / folder / name, "retrain, or point at another checkpoint")


def test_a_truncated_training_state_says_the_run_cannot_resume(
    trained: Path, athletes: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    shutil.copytree(trained / "run", run)
    state = run / "last" / "training_state.pt"
    _truncate(state)
    result = runner.invoke(app, _command("train --resume", run, trained, athletes))
    _assert_clear_error(result, state, "cannot resume")
    state.write_bytes(b"")  # an empty file: torch gives no message of its own
    with pytest.raises(
        CheckpointError,
        match=r"training_state\.pt: not a readable training state \(the file ends early\)",
    ):
        load_training_state(run / "last")


def test_a_config_json_that_lacks_a_key_or_mistypes_one(trained: Path, tmp_path: Path) -> None:
    folder = tmp_path / "best"
    shutil.copytree(trained / "run" / "best", folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "classes": None}))
    with pytest.raises(CheckpointError, match=r"best/config.json: not a checkpoint description"):
        load_checkpoint(folder)
    del config["model"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"best/config.json: lacks the key 'model'"):
        load_checkpoint(folder)


def test_weights_of_another_shape_name_the_tensors(trained: Path, tmp_path: Path) -> None:
    folder = tmp_path / "best"
    shutil.copytree(trained / "run" / "best", folder)
    config = json.loads((folder / "config.json").read_text())
    config["classes"] = [*config["classes"], "extra"]  # a 4-class head for 3-class weights
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"do not fit .* other shapes: head.weight \(3, "):
        load_checkpoint(folder)


def test_files_and_folders_reach_the_disk_before_the_renames(
    trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, info = load_checkpoint(trained / "run" / "last")
    target = tmp_path / "ckpt"
    save_checkpoint(target, model, info)  # so that the second write also moves an old copy aside
    events: list[tuple[str, Any]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        events.append(("fsync", os.fstat(descriptor).st_ino))
        real_fsync(descriptor)

    def replace(source: Any, destination: Any) -> None:
        events.append(("replace", Path(destination).name))
        real_replace(source, destination)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    save_checkpoint(target, model, info, training_state={"epoch": 1})
    swap = events.index(("replace", "ckpt"))  # the new folder moved in (inodes survive renames)
    synced_before = {inode for kind, inode in events[:swap] if kind == "fsync"}
    written = [target, *target.iterdir()]
    assert len(written) == 4  # the folder, its weights, config and training state
    assert {path.stat().st_ino for path in written} <= synced_before
    assert ("fsync", tmp_path.stat().st_ino) in events[swap:]  # the renames themselves
