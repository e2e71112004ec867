"""Evaluation of trained runs: counts add up, a rigged model scores exactly what it should."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from conftest import TINY_TRAINING
from sportslens.checkpoint import load_checkpoint, save_checkpoint
from sportslens.cli import app
from sportslens.data import read_catalog
from sportslens.data.splits import load_splits
from sportslens.evaluate import EvalConfig, evaluate_run, evaluation_catalog, predict_split
from sportslens.metrics import confusion_matrix, video_level
from sportslens.train import TrainConfig, fit


@pytest.fixture(scope="module")
def run(athletes: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    fit(athletes, out, TrainConfig(epochs=2, **TINY_TRAINING))  # type: ignore[arg-type]
    return out


def _test_labels(run: Path, athletes: Path) -> list[int]:
    catalog = load_splits(read_catalog(athletes), run / "splits.csv", root=athletes)
    return [r.label_index for r in catalog.split("test")]


def test_confusion_matrix_counts_every_test_video_once(run: Path, athletes: Path) -> None:
    model, info = load_checkpoint(run)
    catalog = evaluation_catalog(run, info, None)
    predictions, sources = predict_split(model, catalog, EvalConfig(views=2, workers=0))
    labels = _test_labels(run, athletes)
    assert len(predictions) == 2 * len(labels)  # one row per view
    videos = video_level(predictions)
    counts = confusion_matrix(videos.labels, videos.predicted, len(info.classes))
    assert counts.sum() == len(labels) == len(set(sources))
    assert counts.sum(axis=1).tolist() == [labels.count(k) for k in range(len(info.classes))]


def test_a_model_that_always_says_class_0_scores_its_share(
    run: Path, athletes: Path, tmp_path: Path
) -> None:
    model, info = load_checkpoint(run)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(torch.tensor([5.0, 0.0, 0.0]))
    rigged = tmp_path / "rigged"
    save_checkpoint(rigged / "best", model, info)
    (rigged / "splits.csv").write_text((run / "splits.csv").read_text())
    paths = evaluate_run(rigged, EvalConfig(workers=0))
    summary = json.loads(paths["metrics"].read_text())
    labels = _test_labels(run, athletes)
    assert summary["video_acc1"] == pytest.approx(labels.count(0) / len(labels))
    assert summary["clip_acc1"] == summary["video_acc1"]
    assert summary["video_mean_class_acc"] == pytest.approx(1 / 3)  # right on class 0 only
    assert summary["video_acc_topk"] == 1.0  # top-3 of 3 classes always holds the truth


def test_evaluate_and_compare_commands(run: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", str(run), "--workers", "0", "--views", "2"])
    assert result.exit_code == 0, result.output
    assert "video top-1" in result.output
    html = (run / "report.html").read_text()
    assert "data:image/png;base64," in html and "squat" in html
    info = json.loads((run / "model_info.json").read_text())
    assert info["params"] > 0 and info["gflops"] > 0 and info["latency_ms"] > 0
    assert info["frames"] == 4 and info["resolution"] == "32x32"
    table = runner.invoke(app, ["compare", str(run), str(run)])
    assert table.exit_code == 0, table.output
    assert table.output.count("r2plus1d_tiny") == 0  # rows are named after the run folders
    assert table.output.count(run.name) == 2
    assert "acc@1" in table.output and "GFLOPs" in table.output


def test_evaluating_other_classes_is_refused(run: Path, make_video: object, tmp_path: Path) -> None:
    other = tmp_path / "other"
    (other / "tennis").mkdir(parents=True)
    import numpy as np

    from sportslens.writer import write_video

    write_video(other / "tennis" / "a.mp4", [np.zeros((32, 32, 3), np.uint8)] * 5, 10)
    with pytest.raises(ValueError, match="differ from the model's"):
        evaluate_run(run, EvalConfig(data=other, workers=0))


def _evaluate_json(*args: str) -> dict[str, float]:
    result = CliRunner().invoke(app, ["evaluate", *args, "--workers", "0", "--json"])
    assert result.exit_code == 0, result.output
    answer: dict[str, float] = json.loads(result.stdout)
    return answer


def _test_videos(run: Path, data: Path | None) -> list[str]:
    """The test split's videos, relative to the data root the evaluation reads."""
    _, info = load_checkpoint(run)
    catalog = evaluation_catalog(run, info, data)
    root = data or Path(info.train_config["data"])
    return sorted(str(Path(r.source).relative_to(root)) for r in catalog.split("test"))


def test_a_moved_dataset_is_found_with_data_and_the_run_split_is_reused(
    athletes: Path, tmp_path: Path
) -> None:
    data = shutil.copytree(athletes, tmp_path / "data")
    run = tmp_path / "run"
    fit(data, run, TrainConfig(epochs=1, **TINY_TRAINING))  # type: ignore[arg-type]
    # The run names its videos relative to the data root, its config the root itself.
    assert str(tmp_path) not in (run / "splits.csv").read_text()
    assert json.loads((run / "best/config.json").read_text())["train_config"]["data"] == str(data)
    before_videos = _test_videos(run, None)
    before = _evaluate_json(str(run), "--out", str(tmp_path / "before"))

    moved = shutil.move(data, tmp_path / "moved" / "athletes")
    after_videos = _test_videos(run, Path(moved))
    after = _evaluate_json(str(run), "--data", str(moved), "--out", str(tmp_path / "after"))
    by_option = _evaluate_json("--checkpoint", str(run), "--data", str(moved))

    assert after_videos == before_videos and len(before_videos) == before["num_videos"]
    for key in ("num_videos", "video_acc1", "clip_acc1", "video_mean_class_acc"):
        assert after[key] == pytest.approx(before[key]) == by_option[key]
