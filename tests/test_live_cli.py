"""``sportslens live`` on a generated synthetic athlete played in real time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from test_live_counter import athletes  # noqa: F401  (the module's long athletes)

runner = CliRunner()


def test_live_realtime_file_counts_what_form_counts(athletes: Path, tmp_path: Path) -> None:  # noqa: F811
    npz = sorted((athletes / "squat").glob("*.npz"))[0]
    video = next(p for p in npz.parent.iterdir() if p.stem == npz.stem and p.suffix != ".npz")
    events = tmp_path / "events.jsonl"
    args = ["live", str(video), "--keypoints", str(npz), "--exercise", "squat", "--realtime"]
    result = runner.invoke(app, [*args, "--events", str(events)])
    assert result.exit_code == 0, result.output
    form = runner.invoke(app, ["form", str(npz), "--exercise", "squat", "--json"])
    offline = json.loads(form.output)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    reps = [e for e in lines if e["event"] == "repetition"]
    assert len(reps) == offline["count"] == int(np.load(npz)["reps"]) > 0
    assert lines[-1]["event"] == "summary" and lines[-1]["count"] == len(reps)
    assert all(r["end_s"] > r["start_s"] for r in reps)


def test_live_with_mediapipe_counts_a_generated_athletes_squats(tmp_path: Path) -> None:
    """No keypoint file: MediaPipe follows the person frame by frame, as on a camera."""
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    from sportslens.synth.clips import sample_clip_spec, write_clip
    from sportslens.synth.settings import ClipSettings

    spec = sample_clip_spec("squat", 0, ClipSettings(num_frames=90, size=256, seed=0))
    video = write_clip(spec, tmp_path / "squat.mp4")
    truth = int(np.load(video.with_suffix(".npz"))["reps"])
    events = tmp_path / "events.jsonl"
    args = ["live", str(video), "--exercise", "squat", "--events", str(events)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert truth >= 2 and lines[-1] == {**lines[-1], "event": "summary", "count": truth}
    assert lines[-1]["dropped"] == 0  # a file without --realtime waits for the analysis
