"""Every person through form, predict, timeline, pose-extract and the overlay, on generated crowd
videos (real encoded files) and their true tracks (version 2 keypoint files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import crowd_video
from serve_helpers import write_tiny_checkpoint, write_tiny_skeleton_checkpoint
from sportslens.cli import app
from sportslens.pose import (
    COCO17_EDGES,
    analyze_form,
    load_keypoints,
    load_people,
    save_keypoints,
)
from sportslens.pose.people import parse_people_choice
from sportslens.pose.people_overlay import draw_people, track_colour
from sportslens.predict import Predictor
from sportslens.video import read_frames

runner = CliRunner()


@pytest.fixture(scope="module")
def truth(crowd: Path) -> dict[str, Any]:
    return dict(json.loads(crowd.with_suffix(".json").read_text()))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_skeleton_checkpoint(tmp_path_factory.mktemp("skeleton"))


def invoke(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("text", "choice"), [("all", "all"), ("largest", "largest"), ("1", 1), ("12", 12)]
)
def test_people_choices_read_the_same_everywhere(text: str, choice: Any) -> None:
    assert parse_people_choice(text) == choice


@pytest.mark.parametrize("text", ["0", "-1", "some", "", "2.5"])
def test_bad_people_choices_are_named(text: str) -> None:
    with pytest.raises(ValueError, match="--people must be all, largest or a count"):
        parse_people_choice(text)


def test_form_counts_each_persons_repetitions(crowd: Path, truth: dict[str, Any]) -> None:
    answer = invoke("form", str(crowd.with_suffix(".npz")), "--people", "all")
    assert [p["track_id"] for p in answer["people"]] == [0, 1, 2]
    assert [p["count"] for p in answer["people"]] == [p["reps"] for p in truth["people"]]
    single = analyze_form(load_keypoints(crowd.with_suffix(".npz"), person=1)).to_dict()
    (one,) = invoke("form", str(crowd.with_suffix(".npz")), "--person", "1")["people"]
    assert one["track_id"] == 1 and one["angles_per_frame"] == single["angles_per_frame"]
    assert one["repetitions"] == single["repetitions"]


def test_form_prints_a_section_per_person_and_names_an_unknown_track(crowd: Path) -> None:
    result = runner.invoke(app, ["form", str(crowd.with_suffix(".npz")), "--people", "2"])
    assert result.exit_code == 0, result.output
    assert "person #0" in result.output and "person #1" in result.output
    assert "person #2" not in result.output  # the passer-by is the smallest of three
    bad = runner.invoke(app, ["form", str(crowd.with_suffix(".npz")), "--person", "7"])
    assert bad.exit_code != 0 and "no track 7; the tracks are [0, 1, 2]" in bad.output


def test_form_by_default_answers_as_before_for_the_largest_person(crowd: Path) -> None:
    answer = invoke("form", str(crowd.with_suffix(".npz")))
    expected = analyze_form(load_keypoints(crowd.with_suffix(".npz"))).to_dict()
    assert "people" not in answer
    assert answer["repetitions"] == expected["repetitions"]


def test_draw_people_gives_each_track_its_colour_and_label() -> None:
    frame = np.zeros((120, 160, 3), np.uint8)
    points = np.zeros((2, 17, 2), np.float32)
    points[0, 5], points[0, 6] = (20, 60), (50, 60)  # person 0's shoulders
    points[1, 5], points[1, 6] = (100, 90), (140, 90)
    scores = np.zeros((2, 17), np.float32)
    scores[:, 5:7] = 1.0
    drawn = draw_people(frame, points, scores, np.array([3, 8]), COCO17_EDGES)
    assert tuple(drawn[60, 35]) == track_colour(3)  # on the bone of track 3
    assert tuple(drawn[90, 120]) == track_colour(8)
    assert track_colour(3) != track_colour(8)
    label = drawn[35:58, 10:60]  # above person 0's highest joint: its "#3" on its colour
    assert (label == track_colour(3)).all(axis=-1).sum() > 20
    assert (label > 200).all(axis=-1).any()  # white text


def test_pose_overlay_draws_every_track_in_its_colour(crowd: Path, tmp_path: Path) -> None:
    out, overlay = tmp_path / "people.npz", tmp_path / "people.mp4"
    npz = str(crowd.with_suffix(".npz"))
    args = ["pose", str(crowd), "--from", npz, "--people", "all", "--out-file", str(out)]
    facts = invoke(*args, "--overlay", str(overlay))
    assert [p["track_id"] for p in facts["people"]] == [0, 1, 2]
    assert facts["overlay"] == str(overlay)
    people = load_people(npz)
    frame = read_frames(overlay, [30]).numpy()[0].transpose(1, 2, 0)  # (H, W, 3)
    for p, track_id in enumerate(people.track_ids.tolist()):
        seen = people.scores[30, p] > 0
        if not seen.any():
            continue
        x, y = people.keypoints[30, p, seen].mean(axis=0)
        patch = frame[int(y) - 40 : int(y) + 40, int(x) - 25 : int(x) + 25].astype(int)
        near = np.abs(patch - np.array(track_colour(track_id))).sum(axis=-1) < 60
        assert near.sum() > 15, f"track {track_id} not drawn in its colour"


def test_predict_answers_per_person_as_for_each_one_alone(
    crowd: Path, run_dir: Path, tmp_path: Path
) -> None:
    npz = crowd.with_suffix(".npz")
    (answer,) = invoke("predict", str(npz), "--checkpoint", str(run_dir), "--people", "all")
    assert [p["track_id"] for p in answer["people"]] == [0, 1, 2]
    predictor = Predictor.from_checkpoint(run_dir)
    for person in answer["people"]:
        alone = tmp_path / f"person{person['track_id']}.npz"
        save_keypoints(alone, load_keypoints(npz, person=person["track_id"]))
        expected = predictor.predict(alone, top_k=5).to_dict()
        assert [t["label"] for t in person["top"]] == [t["label"] for t in expected["top"]]
        np.testing.assert_allclose(
            [t["score"] for t in person["top"]], [t["score"] for t in expected["top"]], atol=1e-5
        )
        assert person["form"]["count"] == expected["form"]["count"]
        assert person["pose"]["keypoints"] == expected["pose"]["keypoints"]
    main = next(p for p in answer["people"] if p["track_id"] == answer["track_id"])
    assert answer["top"] == main["top"] and answer["pose"] == main["pose"]  # old fields kept


def test_predict_per_person_needs_a_skeleton_model(crowd: Path, tmp_path: Path) -> None:
    run = write_tiny_checkpoint(tmp_path / "video_run")
    args = ["predict", str(crowd), "--checkpoint", str(run), "--people", "all"]
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and "a video model reads whole frames" in result.output


def test_timeline_has_a_lane_per_person(crowd: Path, run_dir: Path, tmp_path: Path) -> None:
    npz = crowd.with_suffix(".npz")
    args = ["timeline", str(crowd), "--checkpoint", str(run_dir), "--keypoints", str(npz)]
    out = tmp_path / "lanes.json"
    answer = invoke(*args, "--people", "all", "--out-file", str(out))
    assert json.loads(out.read_text()) == answer
    assert [lane["track_id"] for lane in answer["lanes"]] == [0, 1, 2]
    predictor = Predictor.from_checkpoint(run_dir)
    for lane in answer["lanes"]:
        alone = load_keypoints(npz, person=lane["track_id"])
        expected = predictor.timeline(crowd, keypoints=alone).to_dict()
        assert lane["windows"] == expected["windows"]
        assert lane["segments"] == expected["segments"]
    text = runner.invoke(app, [*args, "--people", "2"])
    assert text.exit_code == 0, text.output
    assert "person #0" in text.output and "person #1" in text.output
    assert "person #2" not in text.output


def test_timeline_by_default_is_one_lane_as_before(crowd: Path, run_dir: Path) -> None:
    npz = crowd.with_suffix(".npz")
    args = ["timeline", str(crowd), "--checkpoint", str(run_dir), "--keypoints", str(npz)]
    answer = invoke(*args)
    assert "lanes" not in answer and "track_id" not in answer


def test_per_person_refusals_name_what_to_do(crowd: Path, run_dir: Path, tmp_path: Path) -> None:
    npz = str(crowd.with_suffix(".npz"))
    plot = runner.invoke(app, ["form", npz, "--people", "all", "--plot", str(tmp_path / "a.png")])
    assert plot.exit_code != 0 and "--plot draws one person" in plot.output
    short = crowd_video(tmp_path / "short", people=2, seconds=7, seed=2, size=128)
    args = ["timeline", str(short), "--checkpoint", str(run_dir), "--keypoints", npz]
    wrong = runner.invoke(app, [*args, "--people", "all"])
    assert wrong.exit_code != 0 and "80 keypoint frames, but" in " ".join(wrong.output.split())
