"""synth --kind sessions, timeline and evaluate-timeline end to end with a tiny model."""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sportslens.checkpoint import CheckpointInfo, save_checkpoint
from sportslens.cli import app
from sportslens.models import create_model
from sportslens.timeline.truth import read_true_segments
from sportslens.video import probe

runner = CliRunner()
CLASSES = ["squat", "jumping_jack", "push_up"]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sessions")
    args = ["synth", str(out), "--kind", "sessions", "--sessions", "2", "--session-seconds", "14"]
    args += ["--fps", "12", "--size", "64", "--workers", "1", "--seed", "3"]
    for name in CLASSES:
        args += ["--classes", name]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = create_model("r2plus1d_tiny", len(CLASSES), width=4)
    model.preprocess = replace(
        model.preprocess, clip_frames=4, crop_size=32, resize=36, train_scale=(32, 40)
    )
    info = CheckpointInfo("r2plus1d_tiny", CLASSES, model.preprocess, model.build_kwargs)
    return save_checkpoint(tmp_path_factory.mktemp("run") / "best", model, info)


def test_sessions_have_true_segments_inside_the_video(sessions: Path) -> None:
    facts, segments = read_true_segments(sessions / "session_000.json")
    info = probe(sessions / "session_000.mp4")
    assert info.num_frames == facts["num_frames"]
    assert segments and all(s.label in CLASSES and s.reps >= 2 for s in segments)
    assert all(0 < s.start < s.end < info.duration for s in segments)
    assert all(a.end < b.start for a, b in itertools.pairwise(segments))
    rows = list(csv.DictReader((sessions / "session_000.csv").open()))
    assert [r["label"] for r in rows] == [s.label for s in segments]


def test_timeline_writes_every_output(sessions: Path, checkpoint: Path, tmp_path: Path) -> None:
    video = sessions / "session_000.mp4"
    outputs = {
        "--out-file": tmp_path / "t.json",
        "--csv": tmp_path / "t.csv",
        "--plot": tmp_path / "t.png",
        "--overlay": tmp_path / "t.mp4",
        "--clips": tmp_path / "clips",
    }
    args = ["timeline", str(video), "--checkpoint", str(checkpoint), "--threshold", "0", "--json"]
    args += [str(a) for pair in outputs.items() for a in pair]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    saved = json.loads(outputs["--out-file"].read_text())
    assert printed["segments"] == saved["segments"]
    segments = saved["segments"]
    # Segments tile the whole video without gaps; threshold 0 leaves no background.
    assert segments[0]["start"] == 0 and segments[-1]["end"] == pytest.approx(saved["duration"])
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(segments))
    assert not any(s["background"] for s in segments)
    assert saved["duration"] == pytest.approx(probe(video).duration)
    assert probe(outputs["--overlay"]).num_frames == probe(video).num_frames
    rows = list(csv.DictReader(outputs["--csv"].open()))
    assert [r["label"] for r in rows] == [s["label"] for s in segments]
    clips = sorted((tmp_path / "clips").glob("*/*.mp4"))
    assert len(clips) == len(segments)


def test_evaluate_timeline_counts_the_true_segments(sessions: Path, checkpoint: Path) -> None:
    args = ["evaluate-timeline", str(checkpoint), "--data", str(sessions), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    true = sum(len(read_true_segments(p)[1]) for p in sorted(sessions.glob("*.json")))
    assert report["total"]["true"] == true
    assert len(report["videos"]) == 2
    total = report["total"]
    assert 0 <= total["hits"] <= min(total["predicted"], total["true"])
    assert total["frames"] == sum(probe(p).num_frames for p in sessions.glob("*.mp4"))


def test_timeline_names_a_missing_video(checkpoint: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    result = runner.invoke(app, ["timeline", str(missing), "--checkpoint", str(checkpoint)])
    assert result.exit_code == 2
    assert "nope.mp4: no such file" in result.output


def test_timeline_needs_a_model(tmp_path: Path) -> None:
    result = runner.invoke(app, ["timeline", str(tmp_path / "v.mp4")])
    assert result.exit_code == 2
    assert "--checkpoint" in result.output


def test_unit_frames_reads_the_window_in_frames_and_the_old_flag_still_works(
    sessions: Path, checkpoint: Path
) -> None:
    video = sessions / "session_000.mp4"  # 12 fps
    base = ["timeline", str(video), "--checkpoint", str(checkpoint), "--json"]
    base += ["--window", "24", "--stride", "12"]
    in_frames = runner.invoke(app, [*base, "--unit", "frames"])
    assert in_frames.exit_code == 0, in_frames.output
    timeline = json.loads(in_frames.stdout)
    assert (timeline["window_frames"], timeline["stride_frames"]) == (24, 12)
    old_flag = runner.invoke(app, [*base, "--frames"])
    assert old_flag.exit_code == 0, old_flag.output
    assert json.loads(old_flag.stdout)["windows"] == timeline["windows"]
    assert "--frames is deprecated; use --unit frames" in old_flag.stderr
    in_seconds = runner.invoke(app, base)
    assert json.loads(in_seconds.stdout)["window_frames"] == 24 * 12
