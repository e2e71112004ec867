"""Resuming a run: only as the model it was made with, and best/ never behind the recorded best."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

import sportslens.train
from conftest import TINY_TRAINING as TINY
from sportslens.checkpoint import CheckpointError, load_checkpoint, load_training_state, read_info
from sportslens.cli import app
from sportslens.train import TrainConfig, fit

runner = CliRunner()


@pytest.fixture(scope="module")
def one_epoch(
    athletes: Path, tmp_path_factory: pytest.TempPathFactory, one_torch_thread: None
) -> Path:
    """A one-epoch run of the tiny r2plus1d (width 4), to resume in copies."""
    run = tmp_path_factory.mktemp("one_epoch") / "run"
    fit(athletes, run, TrainConfig(epochs=1, **TINY))  # type: ignore[arg-type]
    return run


def _copy(run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(run, tmp_path / "run"))


def test_resuming_as_another_model_names_both(
    one_epoch: Path, athletes: Path, tmp_path: Path
) -> None:
    run = _copy(one_epoch, tmp_path)
    # r2plus1d_small at width 4 has the very same tensors: it used to resume without a word.
    cfg = TrainConfig(epochs=2, **{**TINY, "model": "r2plus1d_small"})  # type: ignore[arg-type]
    with pytest.raises(
        CheckpointError,
        match=r"made with model r2plus1d_tiny and cannot resume as model r2plus1d_small",
    ):
        fit(athletes, run, cfg, resume=True)
    # Through the CLI, at its default width: a size mismatch inside load_state_dict before.
    config = tmp_path / "plain.yaml"
    plain = {k: v for k, v in TINY.items() if k != "model_kwargs"}
    config.write_text(json.dumps({**plain, "split": list(TINY["split"]), "epochs": 2}))
    command = ["train", str(athletes), "--out", str(run), "--config", str(config), "--resume"]
    result = runner.invoke(app, [*command, "--model", "r2plus1d_small"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert (
        "made with model r2plus1d_tiny and cannot resume as model r2plus1d_small" in result.output
    )
    result = runner.invoke(app, command)  # the same model at another width
    assert result.exit_code == 2, result.output
    assert "made with r2plus1d_tiny width=4 and cannot resume with width=16" in result.output
    assert str(run / "last" / "config.json") in result.output  # where the run's options are


def test_resuming_on_other_classes_says_so(one_epoch: Path, athletes: Path, tmp_path: Path) -> None:
    run = _copy(one_epoch, tmp_path)
    data = Path(shutil.copytree(athletes, tmp_path / "two_classes"))
    rows = (data / "labels.csv").read_text().splitlines()
    (data / "labels.csv").write_text("\n".join(r for r in rows if "push_up" not in r) + "\n")
    with pytest.raises(CheckpointError, match=r"trained on the classes .*push_up.* now gives"):
        fit(data, run, TrainConfig(epochs=2, **TINY), resume=True)  # type: ignore[arg-type]


class KilledError(Exception):
    pass


def _last_improvement(history: list[dict[str, float]]) -> int:
    """The epoch index (0-based) of the last strict improvement of validation top-1."""
    scores = [row["val_acc1"] for row in history]
    return max(i for i, score in enumerate(scores) if score > max(scores[:i], default=-1.0))


def test_a_kill_between_the_best_and_last_writes_leaves_best_consistent(
    athletes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_torch_thread: None
) -> None:
    cfg = TrainConfig(epochs=3, **TINY)  # type: ignore[arg-type]
    straight = tmp_path / "straight"
    fit(athletes, straight, cfg)
    history = [json.loads(line) for line in (straight / "metrics.jsonl").read_text().splitlines()]
    crash_epoch = _last_improvement(history) + 1  # no later epoch does better: best/ stays put
    real_save = sportslens.train.save_checkpoint

    def save_then_die(folder: Path, model: Any, info: Any, **kwargs: Any) -> Path:
        """The crash epoch's first checkpoint write completes; the kill comes before the next."""
        written = real_save(folder, model, info, **kwargs)
        if info.metrics["epoch"] == crash_epoch:
            raise KilledError
        return written

    crashed = tmp_path / "crashed"
    with monkeypatch.context() as patch:
        patch.setattr(sportslens.train, "save_checkpoint", save_then_die)
        with pytest.raises(KilledError):
            fit(athletes, crashed, cfg)
    tampered = Path(shutil.copytree(crashed, tmp_path / "tampered"))

    fit(athletes, crashed, cfg, resume=True)
    recorded = load_training_state(crashed / "last")["best"]
    assert recorded == max(row["val_acc1"] for row in history)
    assert read_info(crashed / "best").metrics["val_acc1"] == recorded
    ours, _ = load_checkpoint(crashed / "best")
    theirs, _ = load_checkpoint(straight / "best")
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, msg=name)

    # A GPU need not repeat the lost epoch's score: best/ keeps the better model it holds.
    config = tampered / "best" / "config.json"
    info = json.loads(config.read_text())
    info["metrics"]["val_acc1"] = 1.01  # a score no rerun can reach
    config.write_text(json.dumps(info))
    fit(athletes, tampered, cfg, resume=True)
    assert read_info(tampered / "best").metrics["val_acc1"] == 1.01
    assert load_training_state(tampered / "last")["best"] == 1.01
