"""``sportslens live`` on a generated synthetic athlete played in real time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tests.test_live_counter import athletes  # noqa: F401  (the module's long athletes)
from typer.testing import CliRunner

from sportslens.cli import app

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
