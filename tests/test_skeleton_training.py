"""Skeleton models through the video models' commands: train, resume, evaluate, predict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from sportslens.checkpoint import load_checkpoint
from sportslens.cli import app
from sportslens.predict import Predictor
from sportslens.train import TrainConfig, fit

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# About a second for all epochs on the fifteen tiny athletes.
TINY_SKELETON = {
    "model": "tcn",
    "model_kwargs": {"width": 16, "levels": 2},
    "frames": 16,
    "batch_size": 4,
    "workers": 0,
    "lr": 1e-2,
    "warmup_epochs": 0.0,
    "label_smoothing": 0.0,
    "split": (0.6, 0.2, 0.2),
}


def _history(run: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_fit_trains_a_skeleton_model_on_the_athletes_keypoints(
    athletes: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    fit(athletes, run, TrainConfig(epochs=10, **TINY_SKELETON))  # type: ignore[arg-type]
    history = _history(run)
    losses = [row["train_loss"] for row in history]
    assert sum(losses[-2:]) < 0.8 * sum(losses[:2])
    splits = (run / "splits.csv").read_text()
    assert ".npz" in splits and ".mp4" not in splits  # the catalog is of keypoint files
    model, info = load_checkpoint(run)
    assert info.model == "tcn" and info.preprocess.clip_frames == 16
    assert info.build_kwargs["width"] == 16 and info.classes == ["jumping_jack", "push_up", "squat"]
    # The checkpoint alone predicts: a keypoint file straight in, the sequence length from it.
    predictor = Predictor.from_checkpoint(run)
    npz = next((athletes / "squat").glob("*.npz"))
    result = predictor.predict(npz, top_k=3)
    assert sorted(result.labels) == info.classes and sum(result.scores) == pytest.approx(1.0)
    assert len(result.frames) == 16 and result.frames[0] == 0
    clip, _ = predictor.preprocess(npz)
    with torch.no_grad():
        assert clip.shape == (3, 16, 17, 1) and model(clip[None]).shape == (1, 3)


def test_resume_continues_a_skeleton_run(athletes: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(epochs=2, **TINY_SKELETON)  # type: ignore[arg-type]
    run = tmp_path / "run"
    fit(athletes, run, cfg)
    fit(athletes, run, TrainConfig(epochs=3, **TINY_SKELETON), resume=True)  # type: ignore[arg-type]
    assert [row["epoch"] for row in _history(run)] == [1, 2, 3]


def test_cli_train_evaluate_predict_with_stgcn(athletes: Path, tmp_path: Path) -> None:
    run = tmp_path / "stgcn"
    result = runner.invoke(
        app,
        [
            "train", str(athletes), "--out", str(run), "--model", "stgcn", "--epochs", "1",
            "--frames", "12", "--batch-size", "4", "--workers", "0",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((run / "best" / "config.json").read_text())["build_kwargs"]["width"] == 16
    result = runner.invoke(app, ["evaluate", str(run), "--workers", "0"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["num_videos"] == 3  # the test split of the saved splits
    assert json.loads((run / "model_info.json").read_text())["resolution"] == "17 joints"
    npz = next((athletes / "push_up").glob("*.npz"))
    result = runner.invoke(app, ["predict", str(npz), "--checkpoint", str(run), "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)[0]["top"]) == 3


def test_predicting_a_keypoint_file_without_a_person_names_it(
    athletes: Path, tmp_path: Path
) -> None:
    import numpy as np

    from sportslens.models import create_model

    model = create_model("tcn", 3, width=8, levels=1)
    empty = tmp_path / "empty.npz"
    np.savez(
        empty, keypoints=np.zeros((6, 17, 2), np.float32), visibility=np.zeros((6, 17)),
        fps=30.0, size=np.array([64, 64]),
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"empty\.npz: no frame has a shoulder and a hip"):
        Predictor(model, ["a", "b", "c"]).predict(empty)


def test_models_lists_the_skeleton_family(monkeypatch: pytest.MonkeyPatch) -> None:
    from sportslens.models import summary

    monkeypatch.setattr(summary, "list_models", lambda: ["stgcn", "tcn"])  # skip the big ones
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if " stgcn " in line or " tcn " in line]
    assert len(rows) == 2 and all("skeleton" in row and "17 joints" in row for row in rows)


def test_predicting_a_video_with_a_skeleton_model_extracts_its_pose_first(
    athletes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sportslens.pose
    from sportslens.models import create_model
    from sportslens.pose import load_keypoints

    video = next((athletes / "squat").glob("*.mp4"))
    asked: list[tuple[str, str]] = []

    def extract(source: str, backend: str = "mediapipe") -> sportslens.pose.Keypoints:
        asked.append((source, backend))  # stands in for MediaPipe: the video's true keypoints
        return load_keypoints(video.with_suffix(".npz"))

    monkeypatch.setattr(sportslens.pose, "extract_keypoints", extract)
    predictor = Predictor(create_model("tcn", 3, width=8, levels=1), ["a", "b", "c"])
    from_video = predictor.predict(video, top_k=3)
    from_file = predictor.predict(video.with_suffix(".npz"), top_k=3)
    assert asked == [(str(video), "mediapipe")]
    assert from_video.labels == from_file.labels and from_video.scores == from_file.scores
