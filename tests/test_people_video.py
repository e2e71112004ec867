"""Every person of a generated crowd video (a real encoded file) found by blazepose-multi, through
pose-extract, form and predict."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from serve_helpers import write_tiny_skeleton_checkpoint
from sportslens.cli import app
from sportslens.pose import extract_people, load_people

pytest.importorskip("mediapipe", reason="blazepose-multi runs the models in MediaPipe's wheel")
pytest.importorskip("ai_edge_litert", reason="blazepose-multi runs the models in LiteRT")

runner = CliRunner()


def invoke(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_form_on_a_video_finds_and_analyses_each_person(two_people: Path) -> None:
    answer = invoke("form", str(two_people), "--people", "all")
    found = extract_people(two_people, "blazepose-multi", people="all")
    assert [p["track_id"] for p in answer["people"]] == found.track_ids.tolist()
    assert len(answer["people"]) >= 2  # and at most a short false track (test_pose_blazepose_multi)
    assert all("repetitions" in p for p in answer["people"])


def test_pose_extract_writes_every_person(two_people: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "crowd").mkdir(parents=True)
    shutil.copy(two_people, root / "crowd" / "a.mp4")
    out = tmp_path / "keypoints"
    args = ["pose-extract", str(root), "--out", str(out), "--workers", "1"]
    summary = invoke(*args, "--backend", "blazepose-multi", "--people", "all")
    assert summary["done"] == 1 and summary["failed"] == []
    people = load_people(out / "crowd" / "a.npz")
    ids = list(range(people.num_people))
    assert people.num_people >= 2 and people.track_ids.tolist() == ids
    again = invoke(*args, "--backend", "blazepose-multi", "--people", "all")
    assert again["skipped"] == 1  # a finished version 2 file is kept


def test_predict_on_a_video_answers_per_person(two_people: Path, tmp_path: Path) -> None:
    run = write_tiny_skeleton_checkpoint(tmp_path / "run")
    (answer,) = invoke("predict", str(two_people), "--checkpoint", str(run), "--people", "all")
    ids = [p["track_id"] for p in answer["people"]]
    assert len(ids) >= 2 and ids == list(range(len(ids)))
    assert all(p["pose"]["frames"] == 60 for p in answer["people"])
