"""Training end to end on a tiny synthetic set: loss falls, checkpoints reload, resume, torchrun."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import TINY_TRAINING as TINY
from sportslens.checkpoint import load_checkpoint, resolve_checkpoint, save_checkpoint
from sportslens.predict import Predictor
from sportslens.train import TrainConfig, fit


def _history(run: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_training_lowers_the_loss_and_writes_reloadable_checkpoints(
    athletes: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    best = fit(athletes, run, TrainConfig(epochs=10, **TINY))  # type: ignore[arg-type]
    history = _history(run)
    assert [row["epoch"] for row in history] == list(range(1, 11))
    losses = [row["train_loss"] for row in history]
    assert sum(losses[-2:]) < 0.9 * sum(losses[:2])  # nine clips, two steps an epoch: noisy
    assert best["val_acc1"] == max(row["val_acc1"] for row in history)
    for key in ("train_acc1", "train_acc5", "val_loss", "val_acc1", "lr", "clips_per_s"):
        assert key in history[0]
    _, info = load_checkpoint(run)
    assert info.classes == ["jumping_jack", "push_up", "squat"]
    assert info.preprocess.clip_frames == 4 and info.preprocess.crop_size == 32
    assert info.train_config["model_kwargs"] == {"width": 4}
    predictor = Predictor.from_checkpoint(run)
    video = next((athletes / "squat").glob("*.mp4"))
    result = predictor.predict(video, top_k=2)
    assert len(result.labels) == 2 and set(result.labels) <= set(info.classes)
    assert sum(predictor.predict(video, top_k=3).scores) == pytest.approx(1.0, abs=1e-5)


def test_resume_after_a_kill_ends_like_an_uninterrupted_run(athletes: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(epochs=3, **TINY)  # type: ignore[arg-type]
    straight = tmp_path / "straight"
    fit(athletes, straight, cfg)

    class KilledError(Exception):
        pass

    def kill_after_second_epoch(epoch: int, row: dict[str, float]) -> None:
        if epoch == 1:
            raise KilledError

    interrupted = tmp_path / "interrupted"
    with pytest.raises(KilledError):
        fit(athletes, interrupted, cfg, on_epoch_end=kill_after_second_epoch)
    assert len(_history(interrupted)) == 2
    fit(athletes, interrupted, cfg, resume=True)

    keys = ("epoch", "train_loss", "train_acc1", "val_loss", "val_acc1", "lr")
    for a, b in zip(_history(straight), _history(interrupted), strict=True):
        assert {k: a[k] for k in keys} == pytest.approx({k: b[k] for k in keys}, rel=1e-5)
    final_a, _ = load_checkpoint(straight / "last")
    final_b, _ = load_checkpoint(interrupted / "last")
    for (name, a), b in zip(
        final_a.state_dict().items(), final_b.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, msg=name)


def test_checkpoint_swap_survives_a_kill_between_renames(athletes: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    fit(athletes, run, TrainConfig(epochs=1, **TINY))  # type: ignore[arg-type]
    model, info = load_checkpoint(run / "last")
    save_checkpoint(run / "last", model, info)
    # A kill after moving the old checkpoint aside but before moving the new one in:
    (run / "last").rename(run / "last.previous")
    assert resolve_checkpoint(run / "last") == run / "last.previous"


def test_config_from_yaml_and_validation(tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("epochs: 7\noptimizer: sgd\nsplit: [0.7, 0.15, 0.15]\n")
    cfg = TrainConfig.from_yaml(path, lr=0.01)
    assert (cfg.epochs, cfg.optimizer, cfg.lr, cfg.split) == (7, "sgd", 0.01, (0.7, 0.15, 0.15))
    path.write_text("epochz: 7\n")
    with pytest.raises(ValueError, match=r"unknown training options \['epochz'\]"):
        TrainConfig.from_yaml(path)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        TrainConfig(optimizer="lamb")  # type: ignore[arg-type]


def test_torchrun_with_two_cpu_processes(athletes: Path, tmp_path: Path) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text(json.dumps({**TINY, "split": list(TINY["split"]), "epochs": 1}))
    run = tmp_path / "ddp"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
        "--master_port=29533", "-m", "sportslens", "train", str(athletes),
        "--out", str(run), "--config", str(config),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    history = _history(run)
    assert len(history) == 1  # only rank 0 writes, once per epoch
    assert history[0]["clips_per_s"] > 0
    assert (run / "best" / "model.safetensors").is_file()


def _copy_with_rows(athletes: Path, out: Path, keep: str = "", extra: tuple[str, ...] = ()) -> Path:
    """The athletes with the labels.csv rows that contain ``keep``, and ``extra`` rows."""
    data = Path(shutil.copytree(athletes, out))
    header, *rows = (data / "labels.csv").read_text().splitlines()
    kept = [row for row in rows if keep in row]
    (data / "labels.csv").write_text("\n".join([header, *kept, *extra]) + "\n")
    return data


def test_a_dataset_of_one_class_is_refused(athletes: Path, tmp_path: Path) -> None:
    data = _copy_with_rows(athletes, tmp_path / "squats", keep="squat")
    with pytest.raises(ValueError, match=r"every video is labelled 'squat'; .* at least two"):
        fit(data, tmp_path / "run", TrainConfig(epochs=1, **TINY))  # type: ignore[arg-type]
    assert not (tmp_path / "run" / "last").exists()


def test_listed_videos_that_are_missing_are_counted_and_named(
    athletes: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ghosts = tuple(f"squat/ghost_{i}.mp4,squat,athlete_1" for i in range(4))
    data = _copy_with_rows(athletes, tmp_path / "data", extra=ghosts)
    with caplog.at_level(logging.WARNING, logger="sportslens.train"):
        fit(data, tmp_path / "run", TrainConfig(epochs=1, **TINY))  # type: ignore[arg-type]
    warnings = [r.getMessage() for r in caplog.records if "leaves out" in r.getMessage()]
    assert warnings == [
        f"{data}: training leaves out 4 listed files; video file not found (listed in "
        "labels.csv): ghost_0.mp4, ghost_1.mp4, ghost_2.mp4 and 1 more; "
        f"`sportslens catalog {data}` lists them all"
    ]
    assert (tmp_path / "run" / "best").is_dir()  # a warning, not a failure
