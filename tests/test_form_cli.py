"""``sportslens form`` and ``sportslens bench reps`` through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from sportslens.cli import app

runner = CliRunner()


def _athlete(athletes: Path, label: str) -> tuple[Path, int]:
    path = sorted((athletes / label).glob("*.npz"))[0]
    return path, int(np.load(path)["reps"])


def test_form_json_reports_angles_and_each_repetition(athletes: Path) -> None:
    path, reps = _athlete(athletes, "squat")
    result = runner.invoke(app, ["form", str(path), "--exercise", "squat", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["signal"] == "knees" and data["count"] == reps == len(data["repetitions"])
    frames = data["frames"]
    assert len(data["angles_per_frame"]["left_knee"]) == frames
    for rep in data["repetitions"]:
        assert 0 <= rep["start"] < rep["end"] < frames
        assert rep["duration_s"] == pytest.approx(
            (rep["end"] - rep["start"] + 1) / data["fps"], abs=1e-3
        )
        depth, standing = rep["extremes"]["knees"]
        assert depth == rep["angle_min"] < 120 < standing  # the squat's depth: its knee angle
    deepest = min(data["angles"][f"{side}_knee"]["min"] for side in ("left", "right"))
    assert deepest <= min(r["angle_min"] for r in data["repetitions"])  # knees: both sides' mean


def test_form_table_and_plot(athletes: Path, tmp_path: Path) -> None:
    path, reps = _athlete(athletes, "jumping_jack")
    plot = tmp_path / "plots" / "form.png"
    result = runner.invoke(app, ["form", str(path), "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert result.output.count("good") + result.output.count("partial") >= reps  # verdicts
    assert (
        f"{reps} repetition{'' if reps == 1 else 's'} in" in result.output
        and "trunk_lean" in result.output
    )
    with Image.open(plot) as image:
        assert image.format == "PNG" and image.width >= 800


def test_form_bad_inputs_exit_2_with_the_reason(athletes: Path, tmp_path: Path) -> None:
    path, _ = _athlete(athletes, "squat")
    result = runner.invoke(app, ["form", str(path), "--exercise", "kettlebell_swing"])
    assert result.exit_code == 2 and "unknown exercise 'kettlebell_swing'" in result.output
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    result = runner.invoke(app, ["form", str(broken)])
    assert result.exit_code == 2 and "broken.npz" in result.output


def test_bench_reps_compares_with_the_true_counts(athletes: Path) -> None:
    result = runner.invoke(app, ["bench", "reps", str(athletes), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["clips"] == 15 and set(data["per_class"]) == {"jumping_jack", "push_up", "squat"}
    assert 0.0 <= data["exact_rate"] <= data["within_one_rate"] <= 1.0
    assert data["mean_abs_error"] >= 0.0
    noisy = runner.invoke(app, ["bench", "reps", str(athletes), "--noise", "3"])
    assert noisy.exit_code == 0, noisy.output
    assert "noise 3 px" in noisy.output and "all" in noisy.output


def test_bench_reps_on_a_labelled_folder_of_videos(athletes: Path, tmp_path: Path) -> None:
    # A labels.csv like the real clips' (file, exercise, reps, notes), keypoints cached by stem.
    folder, cache = tmp_path / "clips", tmp_path / "keypoints"
    folder.mkdir()
    cache.mkdir()
    lines = ["file,exercise,reps,partial,notes"]
    for label in ("squat", "jumping_jack"):
        npz, reps = _athlete(athletes, label)
        (folder / npz.with_suffix(".mp4").name).write_bytes(npz.with_suffix(".mp4").read_bytes())
        (cache / npz.name).write_bytes(npz.read_bytes())
        wrong = reps + 1 if label == "squat" else reps  # one count off by one, one exact
        lines.append(f'{npz.stem}.mp4,{label.replace("_", " ")},{wrong},0,"a note, with a comma"')
    (folder / "labels.csv").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["bench", "reps", str(folder), "--keypoints", str(cache), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["clips"] == 2 and data["exact_rate"] == 0.5 and data["within_one_rate"] == 1.0
    assert data["mean_abs_error"] == 0.5
    assert [row["error"] for row in data["per_clip"]] == [-1, 0]
    table = runner.invoke(app, ["bench", "reps", str(folder), "--keypoints", str(cache)])
    assert "exact 50.0%, within one 100.0%" in " ".join(table.output.split())
    (folder / "labels.csv").write_text("file,exercise,reps\nmissing.mp4,squat,3\n")
    broken = runner.invoke(app, ["bench", "reps", str(folder), "--keypoints", str(cache)])
    assert broken.exit_code == 2 and "missing.mp4" in broken.output
