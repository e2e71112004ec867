"""``timeline --people all``: every output of the single-person timeline, per person, from the
real CLI on a generated three-person video (a real encoded MP4) and its true tracks."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from serve_helpers import write_tiny_skeleton_checkpoint
from sportslens.cli import app
from sportslens.pose import load_people
from sportslens.pose.people_overlay import write_people_overlay
from sportslens.video import frame_count, iter_frames, probe

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_skeleton_checkpoint(tmp_path_factory.mktemp("skeleton"))


def timeline_args(crowd: Path, run_dir: Path, threshold: float) -> list[str]:
    """Threshold 0 makes every window an action of the random model, 1 every window background,
    so each lane's label shows (or not) whatever the untrained scores are."""
    npz = str(crowd.with_suffix(".npz"))
    return ["timeline", str(crowd), "--checkpoint", str(run_dir), "--keypoints", npz,
            "--threshold", str(threshold)]  # fmt: skip


def invoke(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


@pytest.fixture(scope="module")
def written(
    crowd: Path, run_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Path]:
    """The lanes' JSON answer and the folder of every file written for it."""
    out = tmp_path_factory.mktemp("lanes")
    files = ["--csv", str(out / "t.csv"), "--plot", str(out / "t.png"),
             "--overlay", str(out / "t.mp4"), "--clips", str(out / "clips")]  # fmt: skip
    answer = invoke(*timeline_args(crowd, run_dir, 0), "--people", "all", *files)
    return answer, out


def test_csv_has_a_track_id_column_and_every_lanes_segments(
    written: tuple[dict[str, Any], Path], crowd: Path, run_dir: Path, tmp_path: Path
) -> None:
    answer, out = written
    with (out / "t.csv").open() as file:
        header = next(csv.reader(file))
    invoke(*timeline_args(crowd, run_dir, 0), "--csv", str(tmp_path / "one.csv"))
    with (tmp_path / "one.csv").open() as file:
        assert header == ["track_id", *next(csv.reader(file))]  # the single CSV's columns
    rows = list(csv.DictReader((out / "t.csv").open()))
    ids = [lane["track_id"] for lane in answer["lanes"]]
    assert ids == [0, 1, 2] and sorted({int(r["track_id"]) for r in rows}) == ids
    for lane in answer["lanes"]:
        mine = [r for r in rows if int(r["track_id"]) == lane["track_id"]]
        assert [r["label"] for r in mine] == [s["label"] for s in lane["segments"]]
        for column in ("start", "end", "mean_score", "peak_score"):
            wanted = [s[column] for s in lane["segments"]]
            assert [float(r[column]) for r in mine] == pytest.approx(wanted)
        assert [int(r["end_frame"]) for r in mine] == [s["end_frame"] for s in lane["segments"]]


def test_plot_has_a_strip_per_person(
    written: tuple[dict[str, Any], Path], crowd: Path, run_dir: Path, tmp_path: Path
) -> None:
    answer, out = written
    invoke(*timeline_args(crowd, run_dir, 0), "--plot", str(tmp_path / "one.png"))
    lanes_width, lanes_height = Image.open(out / "t.png").size
    one_width, one_height = Image.open(tmp_path / "one.png").size
    assert (lanes_width, lanes_height) == (one_width, len(answer["lanes"]) * one_height)


def test_overlay_labels_each_person_on_the_people_overlay(
    written: tuple[dict[str, Any], Path], crowd: Path, run_dir: Path, tmp_path: Path
) -> None:
    _, out = written
    frames = probe(crowd).num_frames
    assert frame_count(out / "t.mp4") == frames
    plain = write_people_overlay(crowd, load_people(crowd.with_suffix(".npz")), tmp_path / "p.mp4")
    quiet = tmp_path / "quiet.mp4"  # every lane background: the people overlay's "#id" alone
    invoke(*timeline_args(crowd, run_dir, 1), "--people", "all", "--overlay", str(quiet))
    labelled, unlabelled = [], []
    for (_, a), (_, b), (_, c) in zip(
        iter_frames(out / "t.mp4"), iter_frames(quiet), iter_frames(plain), strict=True
    ):
        labelled.append(np.abs(a.astype(int) - c).max())
        unlabelled.append(np.abs(b.astype(int) - c).max())
    assert len(labelled) == frames
    assert min(labelled) > 100  # a label box and white text drawn on every frame
    assert max(unlabelled) <= 8  # the same drawing, up to the encoder


def test_clips_carry_the_track_id_in_a_dataset_layout(
    written: tuple[dict[str, Any], Path], crowd: Path
) -> None:
    answer, out = written
    rows = list(csv.DictReader((out / "clips" / "labels.csv").open()))
    wanted = [
        (f"{s['label']}/{crowd.stem}_p{lane['track_id']}_{n:03d}.mp4", s)
        for lane in answer["lanes"]
        for n, s in enumerate((s for s in lane["segments"] if not s["background"]), start=1)
    ]
    assert len(wanted) >= len(answer["lanes"])  # threshold 0: each lane has an action
    assert [r["path"] for r in rows] == [path for path, _ in wanted]
    assert {r["group"] for r in rows} == {crowd.stem}  # one recording: one group
    for row, (path, segment) in zip(rows, wanted, strict=True):
        assert row["label"] == segment["label"]
        clip = out / "clips" / path
        assert frame_count(clip) == segment["end_frame"] - segment["start_frame"] + 1


def test_save_writes_every_file_per_person(
    written: tuple[dict[str, Any], Path],
    crowd: Path,
    run_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    answer = invoke(*timeline_args(crowd, run_dir, 0), "--people", "2", "--save")
    folder = tmp_path / "runs/timeline/timeline"
    assert json.loads((folder / f"{crowd.stem}.json").read_text()) == answer
    rows = list(csv.DictReader((folder / f"{crowd.stem}.csv").open()))
    assert {int(r["track_id"]) for r in rows} == {0, 1}  # the two seen largest
    three = Image.open(written[1] / "t.png").size[1]
    assert Image.open(folder / f"{crowd.stem}.png").size[1] * 3 == three * 2  # two strips
    assert frame_count(folder / f"{crowd.stem}.mp4") == probe(crowd).num_frames
