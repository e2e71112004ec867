"""Transition clips: a rest cut to a set (or back), labelled by what fills most of the clip."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from sportslens.synth.clips import make_dataset
from sportslens.synth.scene import clip_keypoints, is_rest
from sportslens.synth.settings import ClipSettings
from sportslens.synth.transitions import make_transitions, sample_transition
from sportslens.video import probe

SIZE, FRAMES, SEED = 64, 30, 5
SETTINGS = ClipSettings(num_frames=FRAMES, size=SIZE, seed=SEED)
runner = CliRunner()


def test_labels_follow_the_share_of_repetitions() -> None:
    made = [sample_transition(i, SETTINGS) for i in range(24)]
    for i, t in enumerate(made):
        assert t.rest.num_frames + t.set.num_frames == FRAMES
        assert is_rest(t.rest)
        assert is_rest(t.set) == (t.moving_share == 0)  # a short set may end before its lead
        exercise = ["squat", "deadlift", "snatch", "jumping_jack", "lunge", "push_up"][i % 6]
        assert t.set.label == exercise
        assert t.label == (exercise if t.moving_share >= 0.5 else "background")
        assert t.rest.label in ("squat", "jumping_jack", "lunge")
    assert {t.label == "background" for t in made} == {True, False}
    assert {t.reverse for t in made} == {True, False}
    again = sample_transition(7, SETTINGS)
    assert again == made[7]
    assert sample_transition(7, replace(SETTINGS, seed=SEED + 1)) != made[7]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_dataset(
        tmp_path_factory.mktemp("tr"), SETTINGS, classes=["squat"], per_class=1, workers=1,
        progress=False,
    )  # fmt: skip
    make_transitions(root, 4, SETTINGS, workers=2, progress=False)
    return root


def test_transitions_are_added_to_the_dataset(dataset: Path) -> None:
    with (dataset / "labels.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows[0]["path"] == "squat/squat_0000.mp4"
    for i, row in enumerate(rows[1:]):
        t = sample_transition(i, SETTINGS)
        assert row == {
            "path": f"transitions/{t.label}/transition_{i:04d}.mp4",
            "label": t.label,
            "group": t.set.group,
        }
        video = dataset / row["path"]
        info = probe(video)
        assert (info.num_frames, info.width, info.height) == (FRAMES, SIZE, SIZE)
        with np.load(video.with_suffix(".npz")) as data:
            assert str(data["class"]) == t.label and int(data["reps"]) == 0
            keypoints = data["keypoints"]  # (T, 17, 2)
        # The rest, then the set (or the reverse): each part's own keypoints, cut together.
        parts = np.concatenate([clip_keypoints(t.rest)[0], clip_keypoints(t.set)[0]])
        np.testing.assert_array_equal(keypoints, parts[::-1] if t.reverse else parts)
    assert len(rows) == 5


def test_transitions_need_a_dataset_and_a_count(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no labels\.csv to add transitions to"):
        make_transitions(tmp_path, 2, progress=False)
    with pytest.raises(ValueError, match="count and workers must be at least 1, got 0 and 2"):
        make_transitions(tmp_path, 0, progress=False)


def test_cli_transitions_option(tmp_path: Path) -> None:
    out = tmp_path / "athletes"
    args = ["synth", str(out), "--classes", "lunge", "--per-class", "1", "--transitions", "2"]
    result = runner.invoke(app, [*args, "--seconds", "1", "--size", "64", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "and 2 transitions" in result.output
    assert len(list((out / "transitions").rglob("*.npz"))) == 2
    refused = runner.invoke(
        app, ["synth", str(tmp_path / "d"), "--kind", "dives", "--transitions", "1"]
    )
    assert refused.exit_code == 2
    assert "--transitions adds clips to --kind athletes, not to --kind dives" in refused.output
