"""``live --people all`` on a generated two-person video (a real encoded file)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from sportslens.pose import load_people
from sportslens.video import iter_frames, probe

pytest.importorskip("mediapipe", reason="the backend runs the models in MediaPipe's wheel")
pytest.importorskip("ai_edge_litert", reason="the backend runs the models in LiteRT")

runner = CliRunner()


def _live(video: Path, out: Path, *extra: str) -> list[dict[str, Any]]:
    events = out / "events.jsonl"
    result = runner.invoke(app, ["live", str(video), "--events", str(events), *extra])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in events.read_text().splitlines()]


def test_each_person_counts_what_form_people_all_counts(crossing: Path, tmp_path: Path) -> None:
    video = tmp_path / "annotated.mp4"
    lines = _live(
        crossing, tmp_path, "--people", "all", "--exercise", "squat", "--overlay", str(video)
    )
    form = runner.invoke(
        app, ["form", str(crossing), "--people", "all", "--exercise", "squat", "--json"]
    )
    assert form.exit_code == 0, form.output
    offline = {p["track_id"]: p["count"] for p in json.loads(form.stdout)["people"]}
    left = {e["track_id"]: e["count"] for e in lines if e["event"] == "person"}
    reps = [e for e in lines if e["event"] == "repetition"]
    truth = np.load(crossing.with_suffix(".npz"))["reps"].tolist()
    assert left == offline and sorted(left.values()) == sorted(truth) == [2, 2]
    for track, count in left.items():
        assert sum(1 for r in reps if r["track_id"] == track) == count
    summary = lines[-1]
    assert summary["event"] == "summary" and summary["analysed"] == 60 == summary["frames"]
    assert summary["people"] == [{"track_id": t, "count": c} for t, c in sorted(left.items())]
    # the annotated video: every analysed frame, with the skeletons drawn on the people
    assert probe(video).num_frames == 60
    truth_people = load_people(crossing.with_suffix(".npz"))
    drawn = []  # per frame: the largest share of a person's box drawn over
    for (t, before), (_, after) in zip(iter_frames(crossing), iter_frames(video), strict=True):
        diff = np.abs(after.astype(int) - before.astype(int)).sum(axis=-1)  # (H, W)
        shares = [0.0]
        for p in range(truth_people.num_people):
            seen = truth_people.scores[t, p] > 0
            lo = truth_people.keypoints[t, p, seen].min(axis=0).astype(int).clip(0)
            hi = truth_people.keypoints[t, p, seen].max(axis=0).astype(int)
            shares.append(float((diff[lo[1] : hi[1] + 1, lo[0] : hi[0] + 1] > 100).mean()))
        drawn.append(max(shares))
    # a track is drawn once confirmed (5 detections, as offline keeps it): from frame 4 on, but
    # for one frame: where one squatter passes in front of the other (frame 14 here) the live
    # backend may lose both for that frame, as it did on one machine (an AMD EPYC; another
    # machine drew the front one). Live cannot fill a gap afterwards.
    missed = [t for t, share in enumerate(drawn) if t >= 4 and share <= 0.05]
    assert len(missed) <= 1 and np.median(drawn[4:]) > 0.2, drawn


def test_people_one_follows_one_person_at_a_time(crossing: Path, tmp_path: Path) -> None:
    lines = _live(crossing, tmp_path, "--people", "1", "--exercise", "squat")
    people = [e for e in lines if e["event"] == "person"]
    assert people and all(a["last_s"] < b["first_s"] for a, b in itertools.pairwise(people))


def test_the_stream_step_gives_what_follow_people_gives_on_the_whole_video(crossing: Path) -> None:
    from sportslens.pose.backends.blazepose_multi import (
        MultiPoseSettings,
        MultiPoseStream,
        _Models,
        follow_people,
    )

    fps = probe(crossing).fps  # 10: a person's region is held for as many frames as offline
    models = _Models()
    whole = list(follow_people(iter_frames(crossing), MultiPoseSettings(), models, fps))
    stream = MultiPoseStream(models=models).at_rate(fps)
    for (index, frame), (points, scores) in zip(iter_frames(crossing), whole, strict=True):
        live_points, live_scores = stream(frame, index)
        np.testing.assert_array_equal(live_points, points)
        np.testing.assert_array_equal(live_scores, scores)
