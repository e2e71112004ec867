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


def test_timelines_carry_the_domain_warnings_and_unknown(run: Path, make_video: MakeVideo) -> None:
    from dataclasses import replace

    video = make_video("long.mp4", frames=150, fps=30)  # 5 s: the timeline's job, no warning
    result = runner.invoke(app, ["timeline", str(video), "--checkpoint", str(run), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["data_domain"] == SYNTHETIC
    assert any("synthetic figures only" in w for w in data["warnings"])
    assert not any("sportslens timeline" in w for w in data["warnings"])
    predictor = Predictor.from_checkpoint(run)
    threshold = predictor.trust.threshold
    assert threshold is not None
    for segment in data["segments"]:
        if segment["background"]:
            assert "answer" not in segment
        else:
            sure = segment["mean_score"] >= threshold
            assert segment["answer"] == (segment["label"] if sure else "unknown")

    from sportslens.timeline import TimelineOptions

    everything = TimelineOptions(window=1.0, stride=0.5, threshold=0.0)  # no window background
    predictor.trust = replace(predictor.trust, threshold=0.0)
    timeline = predictor.timeline(video, options=everything)
    assert all(s.answer == s.label for s in timeline.segments)
    predictor.trust = replace(predictor.trust, threshold=1.01)  # nothing is that sure
    timeline = predictor.timeline(video, options=everything)
    actions = [s for s in timeline.segments if not s.background]
    assert actions and all(s.answer == "unknown" for s in actions)
    table = runner.invoke(app, ["timeline", str(video), "--checkpoint", str(run)])
    assert "model trained on: synthetic athletes" in table.output
    assert "synthetic figures only" in table.output


def test_the_api_timeline_carries_the_domain_and_warnings(
    run: Path, make_video: MakeVideo, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from sportslens.serve import ServeSettings, create_app

    video = make_video("long.mp4", frames=90, fps=30)
    settings = ServeSettings(temp_dir=tmp_path)
    with TestClient(create_app(run, settings)) as client, video.open("rb") as handle:
        files = {"file": ("long.mp4", handle, "video/mp4")}
        response = client.post("/v1/timeline?window=1&stride=0.5", files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data_domain"] == SYNTHETIC
    assert any("synthetic figures only" in w for w in body["warnings"])
    assert all("answer" in s for s in body["segments"] if not s["background"])
