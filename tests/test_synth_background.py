"""The background class of synthetic datasets: idle athletes drawn as the sessions' rests are."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from sportslens.synth.clips import BACKGROUND, make_dataset
from sportslens.synth.scene import (
    clip_keypoints,
    is_rest,
    resting_classes,
    sample_clip_spec,
    sample_rest_spec,
)
from sportslens.synth.sessions import sample_session
from sportslens.synth.settings import ClipSettings
from sportslens.video import probe, read_frames

SIZE, FRAMES, SEED, ATHLETES = 64, 24, 4, 4
SETTINGS = ClipSettings(num_frames=FRAMES, size=SIZE, athletes=ATHLETES, seed=SEED)
CLASSES = ["squat", "deadlift", "jumping_jack", "push_up"]  # two stand empty-handed
runner = CliRunner()


def read_labels(root: Path) -> list[dict[str, str]]:
    with (root / "labels.csv").open(newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(
        tmp_path_factory.mktemp("bg"), SETTINGS, classes=CLASSES, per_class=1, background=4,
        workers=2, progress=False,
    )  # fmt: skip


def test_background_clips_get_their_own_folder_and_labels_rows(dataset: Path) -> None:
    rows = read_labels(dataset)
    assert [row["path"] for row in rows] == [
        *(f"{label}/{label}_0000.mp4" for label in CLASSES),
        *(f"background/background_{i:04d}.mp4" for i in range(4)),
    ]
    assert [row["label"] for row in rows[-4:]] == [BACKGROUND] * 4 == ["background"] * 4
    # The standing, empty-handed classes take turns as the idle athlete; the group is its id.
    for i, row in enumerate(rows[-4:]):
        stand_in = ["squat", "jumping_jack"][i % 2]
        spec = sample_rest_spec(stand_in, 100_000 + i, SETTINGS)
        assert row["group"] == spec.group
    assert sorted(p.relative_to(dataset).as_posix() for p in dataset.rglob("*.mp4")) == sorted(
        row["path"] for row in rows
    )


def test_background_files_decode_and_their_keypoints_say_background(dataset: Path) -> None:
    for video in sorted((dataset / "background").glob("*.mp4")):
        info = probe(video)
        assert (info.num_frames, info.width, info.height) == (FRAMES, SIZE, SIZE)
        with np.load(video.with_suffix(".npz"), allow_pickle=False) as data:
            assert str(data["class"]) == "background"
            assert int(data["reps"]) == 0
            assert data["keypoints"].shape == (FRAMES, 17, 2)
            assert str(data["source"]) == video.name
    with np.load(dataset / "squat" / "squat_0000.npz") as data:
        assert str(data["class"]) == "squat" and int(data["reps"]) >= 1


def test_the_background_athlete_does_not_move(dataset: Path) -> None:
    for i, video in enumerate(sorted((dataset / "background").glob("*.npz"))):
        spec = sample_rest_spec(["squat", "jumping_jack"][i % 2], 100_000 + i, SETTINGS)
        height = spec.scale * spec.athlete.height  # pixels
        with np.load(video) as data:
            keypoints = data["keypoints"]  # (T, 17, 2) pixels
        np.testing.assert_array_equal(keypoints, clip_keypoints(spec)[0])
        # Only the idle sway moves a joint: under 3 % of the height; a repetition moves 20 %+.
        assert np.abs(keypoints - keypoints[:1]).max() < 0.03 * height
        exercise, _ = clip_keypoints(
            sample_clip_spec(spec.label, spec.index, SETTINGS)
        )  # fmt: skip
        assert np.abs(exercise - exercise[:1]).max() > 0.15 * height


def test_background_is_what_a_session_rests_are_made_of() -> None:
    blocks = sample_session(2, ClipSettings(size=SIZE, seed=SEED), seconds=20)
    rests = [block for block in blocks if is_rest(block)]
    assert len(rests) >= 2
    for block in rests:
        assert block.label in ("squat", "jumping_jack", "lunge")
        again = sample_rest_spec(
            block.label,
            block.index,
            ClipSettings(num_frames=block.num_frames, size=SIZE, seed=SEED),
        )
        assert again == block


def test_resting_classes_are_the_standing_empty_handed_ones() -> None:
    assert resting_classes(CLASSES) == ["squat", "jumping_jack"]
    assert resting_classes(["deadlift", "push_up"]) == ["deadlift", "push_up"]  # none stands


def test_background_is_deterministic_and_leaves_the_other_classes_alone(
    dataset: Path, tmp_path: Path
) -> None:
    again = make_dataset(
        tmp_path / "again", SETTINGS, classes=CLASSES, per_class=1, background=4, workers=1,
        progress=False,
    )  # fmt: skip
    plain = make_dataset(
        tmp_path / "plain", SETTINGS, classes=CLASSES, per_class=1, workers=1, progress=False
    )
    assert (again / "labels.csv").read_text() == (dataset / "labels.csv").read_text()
    assert read_labels(plain) == read_labels(dataset)[: len(CLASSES)]
    everything = range(FRAMES)
    for video in sorted(dataset.rglob("*.mp4")):
        relative = video.relative_to(dataset)
        twins = [again / relative] + ([plain / relative] if relative.parts[0] in CLASSES else [])
        for twin in twins:
            np.testing.assert_array_equal(
                read_frames(video, everything), read_frames(twin, everything)
            )


def test_negative_background_is_rejected_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="background must be 0 or more, got -1"):
        make_dataset(tmp_path / "out", background=-1, progress=False)
    assert not (tmp_path / "out").exists()


def test_cli_background_option(tmp_path: Path) -> None:
    out = tmp_path / "athletes"
    args = ["synth", str(out), "--classes", "lunge", "--per-class", "2", "--background", "3"]
    result = runner.invoke(app, [*args, "--seconds", "1", "--size", "64", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "and 3 background clips" in result.output
    assert sorted(p.name for p in (out / "background").glob("*.npz")) == [
        f"background_{i:04d}.npz" for i in range(3)
    ]
    report = json.loads(runner.invoke(app, ["catalog", str(out), "--json"]).output)
    assert {row["label"]: row["videos"] for row in report["classes"]} == {
        "background": 3,
        "lunge": 2,
    }
    refused = runner.invoke(
        app, ["synth", str(tmp_path / "s"), "--kind", "sessions", "--background", "2"]
    )
    assert refused.exit_code == 2
    assert "--background adds clips to --kind athletes, not to --kind sessions" in str(
        refused.output
    )
    assert not (tmp_path / "s").exists()
