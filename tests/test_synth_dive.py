"""Synthetic dives: the motion obeys the dive number, and datasets are labelled by it."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from sportslens.data import read_catalog
from sportslens.dive import parse
from sportslens.synth.body import HEAD, sample_athlete
from sportslens.synth.dive_motion import Flight, dive_world_points, flight_angles
from sportslens.synth.dives import (
    dive_geometry,
    dive_keypoints,
    make_dive_dataset,
    render_dive,
    sample_dive_spec,
)
from sportslens.synth.settings import DIVE_SETTINGS
from sportslens.video import probe

FLIGHT = Flight(board_height=1.0, apex=0.8, travel=1.2, takeoff=0.2, entry=0.8)
ATHLETE = sample_athlete(0, 3)
FRAMES = 61  # frame 12 is the takeoff, frame 48 the entry
SETTINGS = replace(DIVE_SETTINGS, num_frames=FRAMES, size=96)


@pytest.mark.parametrize(
    ("number", "sign"),
    [("101B", 1), ("109C", 1), ("403C", 1), ("205B", -1), ("307C", -1), ("5231D", -1)],
)
def test_somersaults_turn_the_number_of_half_turns_in_the_direction(number: str, sign: int) -> None:
    dive = parse(number)
    s = np.array([0.0, 0.5, 1.0])
    _, somersault, twist = flight_angles(dive, s)
    assert somersault[0] == 0 and twist[0] == 0
    assert somersault[-1] == pytest.approx(sign * np.pi * dive.half_somersaults)
    assert twist[-1] == pytest.approx(np.pi * dive.half_twists)


@pytest.mark.parametrize(
    ("number", "head_first"),
    [("101A", True), ("102B", False), ("203C", True), ("206B", False), ("5132D", True)],
)
def test_odd_half_somersaults_enter_head_first(number: str, head_first: bool) -> None:
    points = dive_world_points(parse(number), FLIGHT, ATHLETE, FRAMES)  # (T, P, 3)
    entry = round(FLIGHT.entry * (FRAMES - 1))
    head, ankles = points[entry, HEAD, 1], points[entry, 15:17, 1].mean()
    assert (head < ankles) == head_first
    assert points[0, HEAD, 1] > points[0, 15:17, 1].mean()  # everyone starts upright
    assert points[-1, :, 1].max() < points[entry, :, 1].max()  # and goes on down into the water


@pytest.mark.parametrize(
    ("number", "faces_water"),
    [("101B", True), ("301B", True), ("201B", False), ("401B", False), ("5231D", False)],
)
def test_takeoff_faces_the_water_or_the_board(number: str, faces_water: bool) -> None:
    points = dive_world_points(parse(number), FLIGHT, ATHLETE, FRAMES)
    nose_ahead = points[0, 0, 2] - points[0, HEAD, 2]  # +z is away from the board
    assert (nose_ahead > 0) == faces_water
    assert points[-1, HEAD, 2] > points[0, HEAD, 2]  # every dive travels out over the water


@pytest.mark.parametrize(("number", "twists"), [("203B", False), ("5231D", True), ("5134D", True)])
def test_a_twist_widens_the_shoulders_in_a_side_view(number: str, twists: bool) -> None:
    spec = replace(sample_dive_spec(number, 0, SETTINGS), yaw=90.0)
    points, _, _ = dive_geometry(spec)  # (T, P, 2) pixels
    width = np.linalg.norm(points[:, 5] - points[:, 6], axis=-1)  # (T,) shoulder to shoulder
    full = 2 * spec.athlete.shoulder_half * spec.scale
    assert width[0] < 0.05 * full  # side on at takeoff
    assert (width.max() > 0.8 * full) == twists


@pytest.mark.parametrize("number", ["101B", "205C", "403B"])
def test_the_camera_follows_the_diver_close_up(number: str) -> None:
    spec = sample_dive_spec(number, 1, SETTINGS)
    points, _, corners = dive_geometry(spec)  # (T, P, 2) frame pixels, (T, 2) scene pixels
    flight = slice(round(0.25 * FRAMES), round(0.7 * FRAMES))  # between takeoff and entry
    inside = (points[flight] >= 0) & (points[flight] <= spec.size - 1)
    assert inside.all()  # the whole body in every frame of the flight
    height = np.ptp(points[0, :17, 1])  # standing on the board, arms overhead
    assert 0.35 * spec.size < height < 0.8 * spec.size
    assert np.ptp(corners[:, 1]) > 0.3 * spec.size  # the camera pans down with the dive
    water_row = -corners[-1, 1]
    assert 0.5 * spec.size < water_row < 0.9 * spec.size  # and stops with the water in view


def test_a_fixed_camera_holds_the_whole_dive_in_a_wide_shot() -> None:
    spec = sample_dive_spec("203B", 1, SETTINGS, camera="fixed")
    points, _, corners = dive_geometry(spec)
    assert spec.camera == "fixed" and (corners == corners[0]).all()
    height = np.ptp(points[0, :17, 1])
    assert height < 0.35 * spec.size  # small: the shot holds the board, the flight, the water
    entry = round(spec.flight.entry * (FRAMES - 1))
    x, y = points[:entry, :, 0], points[:entry, :, 1]  # up to the entry (hands go in first)
    assert ((x >= 0) & (x <= spec.size - 1) & (y >= 0)).all()
    with pytest.raises(ValueError, match="unknown camera 'drone'"):
        sample_dive_spec("203B", 1, camera="drone")  # type: ignore[arg-type]


def test_specs_are_deterministic_and_frames_differ() -> None:
    settings = replace(DIVE_SETTINGS, num_frames=10, size=64, seed=1)
    a, b = (sample_dive_spec("5253B", 4, settings) for _ in range(2))
    assert a == b
    frames = np.stack(list(render_dive(a)))
    assert frames.shape == (10, 64, 64, 3) and frames.dtype == np.uint8
    assert np.abs(frames[5].astype(int) - frames[0].astype(int)).mean() > 0.5
    keypoints, visible = dive_keypoints(a)
    assert keypoints.shape == (10, 17, 2) and visible.shape == (10, 17)
    assert visible[0].all() and not visible[-1].all()  # under water at the end


def test_dataset_is_labelled_by_dive_number(tmp_path: Path) -> None:
    out = make_dive_dataset(
        tmp_path / "dives",
        replace(DIVE_SETTINGS, num_frames=8, size=64),
        dives=["101b", "5231D"],
        per_class=2,
        workers=1,
        progress=False,
    )
    with (out / "labels.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert [row["label"] for row in rows] == ["101B", "101B", "5231D", "5231D"]
    assert rows[0]["path"] == "101B/101B_0000.mp4" and rows[0]["group"].startswith("athlete_")
    assert read_catalog(out).classes == ("101B", "5231D")
    assert probe(out / rows[3]["path"]).num_frames == 8
    assert str(np.load(out / "5231D/5231D_0001.npz")["class"]) == "5231D"


@pytest.mark.parametrize(
    ("dives", "message"),
    [(["7001Z"], "rule 2"), (["101B", "101b"], "duplicate"), ([], "non-empty"), ("101B", "list")],
)
def test_dataset_rejects_bad_dives(tmp_path: Path, dives: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_dive_dataset(tmp_path, dives=dives, per_class=1, progress=False)


def test_cli_synth_kind_dives(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["synth", str(tmp_path / "d"), "--kind", "dives", "--classes", "203B"]
    args += ["--per-class", "1", "--frames", "6", "--size", "64", "--workers", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d/203B/203B_0000.mp4").is_file()
    wide = runner.invoke(app, ["synth", str(tmp_path / "w"), *args[2:], "--camera", "fixed"])
    assert wide.exit_code == 0, wide.output
    for folder, camera in (("d", "follow"), ("w", "fixed")):
        written = np.load(tmp_path / folder / "203B/203B_0000.npz")["keypoints"]
        settings = replace(DIVE_SETTINGS, num_frames=6, size=64)
        spec = sample_dive_spec("203B", 0, settings, camera=camera)  # type: ignore[arg-type]
        np.testing.assert_array_equal(written, dive_keypoints(spec)[0])
    drone = runner.invoke(app, [*args, "--camera", "drone"])
    assert drone.exit_code == 2 and "drone" in drone.stderr
    athletes = runner.invoke(app, ["synth", str(tmp_path / "a"), "--camera", "fixed"])
    assert athletes.exit_code == 2 and "--camera films --kind dives" in athletes.stderr
    bad = runner.invoke(app, ["synth", str(tmp_path / "e"), "--kind", "sessionz"])
    assert bad.exit_code == 2 and "sessionz" in bad.stderr
