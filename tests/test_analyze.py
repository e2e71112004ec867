"""``sportslens analyze``: the report folder's contents on generated videos."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from sportslens.video import probe

runner = CliRunner()


def _athlete(athletes: Path, label: str) -> tuple[Path, Path, int]:
    keypoints = sorted((athletes / label).glob("*.npz"))[0]
    return keypoints.with_suffix(".mp4"), keypoints, int(np.load(keypoints)["reps"])


def test_analyze_writes_report_json_csv_and_annotated_video(athletes: Path, tmp_path: Path) -> None:
    video, keypoints, reps = _athlete(athletes, "squat")
    out = tmp_path / "report"
    args = ["analyze", str(video), "--exercise", "squat", "--keypoints", str(keypoints)]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (
        f"{reps} repetition" in result.output and f"report: {out / 'report.html'}" in result.output
    )
    assert "  1  " in result.output and "depth " in result.output  # each repetition, measured
    frames = probe(video).num_frames

    data = json.loads((out / "analysis.json").read_text())
    form = data["form"]
    assert data["frames"] == frames and form["count"] == reps and form["signal"] == "knees"
    assert [f["number"] for f in form["feedback"]] == list(range(1, reps + 1))
    assert all(f["verdict"] in ("good", "partial", "check") for f in form["feedback"])
    assert all(f["measures"]["depth_deg"] < 120 for f in form["feedback"])  # true keypoints

    with (out / "angles.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["frame", "time", "left_knee"] and rows[0][-1] == "trunk_lean"
    assert len(rows) == frames + 1
    assert float(rows[-1][1]) == pytest.approx((frames - 1) / data["fps"], abs=1e-3)

    assert probe(out / "annotated.mp4").num_frames == frames
    saved = ["--keypoints", str(out / "keypoints.npz"), "--exercise", "squat", "--json"]
    again = runner.invoke(app, ["analyze", str(video), *saved, "--out", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["form"]["feedback"] == form["feedback"]  # the pose it saved

    page = (out / "report.html").read_text()
    for heading in ("Summary", "Annotated video", "Key frames", "Angle curves", "Repetitions"):
        assert f"<h2>{heading}" in page
    assert page.count("<video controls") == 1 and "data:video/mp4;base64," in page
    key_frames = re.findall(r'alt="frame (\d+) ', page)
    assert len(key_frames) == reps  # one still at the bottom of each repetition
    table = page.split("<h2>Repetitions")[1].split("</tbody>")[0].split("<tbody>")[1]
    assert table.count("<tr><th>") == reps  # one row a repetition, with its verdict
    assert (
        table.count("<td>good</td>")
        + table.count("<td>partial</td>")
        + table.count("<td>check</td>")
        == reps
    )
    assert 'src="http' not in page  # nothing fetched


def test_analyze_json_prints_the_analysis(athletes: Path, tmp_path: Path) -> None:
    video, keypoints, reps = _athlete(athletes, "jumping_jack")
    out = tmp_path / "jacks"
    result = runner.invoke(
        app, ["analyze", str(video), "--keypoints", str(keypoints), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["form"]["count"] == reps and data["timeline"] is None
    assert data == json.loads((out / "analysis.json").read_text())


def test_analyze_a_missing_video_exits_2_naming_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", str(tmp_path / "nope.mp4")])
    assert result.exit_code == 2 and "nope.mp4" in result.output


def test_analyze_with_mediapipe_finds_the_synthetic_squats(tmp_path: Path) -> None:
    """The quick start's promise: the bundled pose model sees a generated athlete."""
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    from sportslens.synth.clips import sample_clip_spec, write_clip
    from sportslens.synth.settings import ClipSettings

    spec = sample_clip_spec("squat", 0, ClipSettings(num_frames=90, size=256, seed=0))
    video = write_clip(spec, tmp_path / "squat.mp4")
    truth = int(np.load(video.with_suffix(".npz"))["reps"])
    out = tmp_path / "report"
    result = runner.invoke(app, ["analyze", str(video), "--exercise", "squat", "--out", str(out)])
    assert result.exit_code == 0, result.output
    form = json.loads((out / "analysis.json").read_text())["form"]
    assert truth >= 2 and form["count"] == truth


def test_analyze_with_a_checkpoint_adds_the_models_timeline(
    athletes: Path, tmp_path: Path, one_torch_thread: None
) -> None:
    from conftest import TINY_TRAINING
    from sportslens.train import TrainConfig, fit

    run = tmp_path / "run"
    fit(athletes, run, TrainConfig(epochs=1, **TINY_TRAINING))  # type: ignore[arg-type]
    video, keypoints, _ = _athlete(athletes, "push_up")
    out = tmp_path / "report"
    args = ["analyze", str(video), "--keypoints", str(keypoints), "--checkpoint", str(run)]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "model timeline:" in result.output
    timeline = json.loads((out / "analysis.json").read_text())["timeline"]
    assert timeline["segments"] and timeline["classes"] == ["jumping_jack", "push_up", "squat"]
    assert "<h2>Timeline (model)" in (out / "report.html").read_text()
