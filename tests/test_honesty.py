"""What a model knows: its training domain, a calibrated "unknown", a warning on long videos."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import TINY_TRAINING as TINY
from conftest import MakeVideo
from sportslens.cli import app
from sportslens.data.domain import SYNTHETIC, data_domain
from sportslens.metrics import confidence_threshold
from sportslens.predict import Predictor
from sportslens.train import TrainConfig, fit

runner = CliRunner()


@pytest.mark.parametrize(
    ("confidence", "correct", "threshold"),
    [
        ([0.9, 0.8, 0.7, 0.6], [1, 1, 1, 1], 0.0),  # always right: never unknown
        ([0.9, 0.8, 0.7, 0.6], [1, 1, 0, 0], 0.8),  # right down to 0.8, then wrong
        ([0.9, 0.8, 0.7, 0.6], [0, 1, 1, 1], 1.0),  # the most confident answer is wrong
        ([0.6, 0.9, 0.7, 0.8], [0, 1, 0, 1], 0.8),  # order does not matter
        ([], [], 1.0),
    ],
)
def test_confidence_threshold(
    confidence: list[float], correct: list[int], threshold: float
) -> None:
    found = confidence_threshold(np.array(confidence), np.array(correct, dtype=bool), 0.9)
    assert found == threshold


def test_a_generated_folder_is_synthetic_and_any_other_is_the_users(
    athletes: Path, tmp_path: Path
) -> None:
    assert data_domain(athletes) == data_domain(athletes / "labels.csv") == SYNTHETIC
    mine = tmp_path / "my_lifts"
    shutil.copytree(athletes / "squat", mine / "squat")
    assert data_domain(mine) == "user data: my_lifts"


@pytest.fixture(scope="module")
def run(athletes: Path, tmp_path_factory: pytest.TempPathFactory, one_torch_thread: None) -> Path:
    out = tmp_path_factory.mktemp("honest") / "run"
    fit(athletes, out, TrainConfig(epochs=1, **TINY))  # type: ignore[arg-type]
    return out


def test_checkpoints_record_their_domain_clip_length_and_threshold(run: Path) -> None:
    config = json.loads((run / "best" / "config.json").read_text())
    assert config["data_domain"] == SYNTHETIC
    assert config["clip_seconds"] == pytest.approx(1.0, abs=0.1)  # the athletes last 1 s
    assert 0.0 <= config["metrics"]["val_confidence_threshold"] <= 1.0


def test_answers_carry_the_domain_unknown_and_a_long_video_warning(
    run: Path, athletes: Path, make_video: MakeVideo
) -> None:
    predictor = Predictor.from_checkpoint(run)
    clip = sorted((athletes / "squat").glob("*.mp4"))[0]
    answer = predictor.predict(clip, top_k=2)
    assert answer.data_domain == SYNTHETIC
    expected = answer.labels[0] if answer.scores[0] >= predictor.trust.threshold else "unknown"  # type: ignore[operator]
    assert answer.answer == expected
    assert not any("timeline" in w for w in answer.warnings)  # as long as the training clips
    assert any("synthetic figures only" in w for w in answer.warnings)

    long_video = make_video("long.mp4", frames=150, fps=30)  # 5 s against 1 s clips
    result = runner.invoke(app, ["predict", str(long_video), "--checkpoint", str(run), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (first,) = data if isinstance(data, list) else data["predictions"]
    assert any("sportslens timeline" in w for w in first["warnings"])
    assert first["data_domain"] == SYNTHETIC


def test_an_answer_under_the_threshold_is_unknown(run: Path, athletes: Path) -> None:
    predictor = Predictor.from_checkpoint(run)
    clip = sorted((athletes / "squat").glob("*.mp4"))[0]
    from dataclasses import replace

    predictor.trust = replace(predictor.trust, threshold=1.01)  # nothing is that sure
    assert predictor.predict(clip).answer == "unknown"
    predictor.trust = replace(predictor.trust, threshold=0.0)
    answer = predictor.predict(clip)
    assert answer.answer == answer.labels[0]
