"""Synthetic athletes: determinism, files on disk, and motion that carries each label."""

from __future__ import annotations

import csv
import itertools
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sportslens.synth.clips import (
    CLASSES,
    DEFAULT_CLASSES,
    ClipSpec,
    clip_geometry,
    clip_keypoints,
    make_dataset,
    render_clip,
    render_frames,
    sample_clip_spec,
)
from sportslens.synth.render import background
from sportslens.synth.settings import ClipSettings
from sportslens.video import probe, read_frames

STANDING = [name for name in CLASSES if name != "push_up"]
NO_BARBELL = ["squat", "jumping_jack", "lunge", "arm_circles"]

# COCO indices used below.
NOSE, L_SHOULDER, L_WRIST, L_HIP, L_KNEE, L_ANKLE = 0, 5, 9, 11, 13, 15


def spec_for(label: str, index: int = 0, *, size: int = 128, num_frames: int = 90) -> ClipSpec:
    """A clip with no occluder and no camera roll, so image y is height."""
    spec = sample_clip_spec(label, index, ClipSettings(num_frames=num_frames, size=size, seed=7))
    return replace(spec, roll=0.0, look=replace(spec.look, occluder=None))


def height_px(spec: ClipSpec) -> float:
    """The athlete's standing height in pixels."""
    return spec.scale * spec.athlete.height


def pair_y(keypoints: np.ndarray, left: int) -> np.ndarray:
    """Mean image row (T,) of a left/right keypoint pair; larger is lower."""
    rows: np.ndarray = keypoints[:, left : left + 2, 1].mean(axis=1)
    return rows


def excursions(signal: np.ndarray, threshold: float | None = None) -> list[np.ndarray]:
    """Frame indices of each stretch where ``signal`` exceeds ``threshold`` (half its maximum)."""
    above = signal > (0.5 * signal.max() if threshold is None else threshold)
    edges = np.flatnonzero(np.diff(above.astype(int)))
    bounds = np.concatenate([[0], edges + 1, [len(signal)]])
    return [np.arange(a, b) for a, b in itertools.pairwise(bounds) if above[a]]


# ---------------------------------------------------------------------------------------------
# Determinism


def test_same_seed_same_clip_and_different_seed_different_clip() -> None:
    settings = ClipSettings(num_frames=12, size=64, seed=1)
    first = render_clip(sample_clip_spec("squat", 3, settings))
    again = render_clip(sample_clip_spec("squat", 3, settings))
    other = render_clip(sample_clip_spec("squat", 3, replace(settings, seed=2)))
    np.testing.assert_array_equal(first.frames, again.frames)
    np.testing.assert_array_equal(first.keypoints, again.keypoints)
    assert first.frames.shape == (12, 64, 64, 3)
    assert first.frames.dtype == np.uint8
    assert not np.array_equal(first.keypoints, other.keypoints)
    assert not np.array_equal(first.frames, other.frames)


def test_files_are_identical_with_one_or_two_workers(tmp_path: Path) -> None:
    def make(name: str, workers: int) -> Path:
        return make_dataset(
            tmp_path / name, ClipSettings(num_frames=12, size=64, seed=5),
            classes=["squat", "push_up"], per_class=2, workers=workers, progress=False,
        )  # fmt: skip

    one, two = make("one", workers=1), make("two", workers=2)
    assert (one / "labels.csv").read_text() == (two / "labels.csv").read_text()
    for video in sorted(one.rglob("*.mp4")):
        twin = two / video.relative_to(one)
        a, b = np.load(video.with_suffix(".npz")), np.load(twin.with_suffix(".npz"))
        np.testing.assert_array_equal(a["keypoints"], b["keypoints"])
        np.testing.assert_array_equal(read_frames(video, range(12)), read_frames(twin, range(12)))


# ---------------------------------------------------------------------------------------------
# Files on disk

SIZE, FRAMES, SEED = 64, 24, 3
SETTINGS = ClipSettings(num_frames=FRAMES, size=SIZE, athletes=4, seed=SEED)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(
        tmp_path_factory.mktemp("synth"), SETTINGS, per_class=2, workers=2, progress=False
    )


def test_labels_list_every_clip_with_label_and_athlete(dataset: Path) -> None:
    with (dataset / "labels.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["path", "label", "group"]
    assert [row["path"] for row in rows] == [
        f"{label}/{label}_{i:04d}.mp4" for label in DEFAULT_CLASSES for i in range(2)
    ]
    assert sorted(p.relative_to(dataset).as_posix() for p in dataset.rglob("*.mp4")) == sorted(
        row["path"] for row in rows
    )
    for row in rows:
        label, index = row["label"], int(row["path"][-8:-4])
        assert row["path"].startswith(f"{label}/")
        spec = sample_clip_spec(label, index, SETTINGS)
        assert row["group"] == spec.group
        assert re.fullmatch(r"athlete_0[0-3]", row["group"])
    assert not list(dataset.rglob("*.tmp*")), "temporary files were left behind"


def test_videos_decode_to_the_requested_size_and_length(dataset: Path) -> None:
    for video in sorted(dataset.rglob("*.mp4"))[::3]:
        info = probe(video)
        assert (info.num_frames, info.width, info.height) == (FRAMES, SIZE, SIZE)
        assert info.codec == "h264"
        assert info.fps == pytest.approx(30.0, rel=1e-3)
        assert read_frames(video, [0, FRAMES - 1]).shape == (2, 3, SIZE, SIZE)


def test_keypoint_files_have_the_documented_keys_shapes_and_types(dataset: Path) -> None:
    for video in sorted(dataset.rglob("*.mp4")):
        label = video.parent.name
        with np.load(video.with_suffix(".npz"), allow_pickle=False) as data:
            assert set(data.files) == {
                *("keypoints", "scores", "layout", "fps", "size", "source", "version"),
                *("visibility", "reps", "class"),
            }
            assert str(data["layout"]) == "coco17" and str(data["source"]) == video.name
            np.testing.assert_array_equal(data["scores"], data["visibility"])
            keypoints, visibility = data["keypoints"], data["visibility"]
            assert keypoints.dtype == np.float32 and keypoints.shape == (FRAMES, 17, 2)
            assert visibility.dtype == np.float32 and visibility.shape == (FRAMES, 17)
            assert float(data["fps"]) == 30.0
            assert 1 <= int(data["reps"]) <= 5
            assert str(data["class"]) == label
            assert tuple(data["size"]) == (SIZE, SIZE)
        assert set(np.unique(visibility)) <= {0.0, 1.0}
        seen = keypoints[visibility == 1]  # (N, 2)
        assert np.all((seen >= 0) & (seen <= SIZE - 1))


def test_keypoints_match_the_drawing() -> None:
    """Pixels that changed from the empty room lie around the keypoints, not elsewhere."""
    spec = spec_for("jumping_jack", 2, size=96, num_frames=4)
    frame = next(render_frames(spec)).astype(int)  # (H, W, 3)
    room = background(spec.look, spec.size, (spec.origin_x, spec.floor_y, spec.roll)).astype(int)
    ys, xs = np.nonzero(np.abs(frame - room).max(axis=-1) > 60)
    assert len(xs) > 30
    keypoints = clip_keypoints(spec)[0][0]  # (17, 2)
    margin = 0.15 * height_px(spec)
    (x0, y0), (x1, y1) = keypoints.min(axis=0) - margin, keypoints.max(axis=0) + margin
    inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    assert inside.mean() > 0.98


def test_occluded_keypoints_are_invisible() -> None:
    settings = ClipSettings(num_frames=8, size=96, seed=0)
    specs = (sample_clip_spec("squat", i, settings) for i in range(200))
    spec = next(s for s in specs if s.look.occluder is not None)
    keypoints, visibility = clip_keypoints(spec)
    assert spec.look.occluder is not None
    x0, y0, x1, y1 = spec.look.occluder
    x, y = keypoints[..., 0], keypoints[..., 1]
    covered = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    in_frame = (x >= 0) & (x <= 95) & (y >= 0) & (y <= 95)
    assert covered.any(), "the occluder should overlap the athlete"
    np.testing.assert_array_equal(visibility, (in_frame & ~covered).astype(np.float32))


# ---------------------------------------------------------------------------------------------
# Motion carries the label


@pytest.mark.parametrize("other", [name for name in STANDING if name != "squat"])
def test_first_frame_does_not_give_the_class_away(other: str) -> None:
    spec = spec_for("squat", 4)
    squat, _ = clip_keypoints(spec)
    different, _ = clip_keypoints(replace(spec, label=other))
    np.testing.assert_allclose(squat[0], different[0], atol=1e-3)
    assert np.abs(squat - different).max() > 0.05 * height_px(spec), "the motions should differ"
    if other in NO_BARBELL:  # deadlift and snatch draw a bar in the hands
        np.testing.assert_array_equal(
            next(render_frames(spec)), next(render_frames(replace(spec, label=other)))
        )


@pytest.mark.parametrize("label", STANDING)
def test_standing_feet_stay_on_the_floor(label: str) -> None:
    for index in range(4):
        spec = spec_for(label, index)
        keypoints, _ = clip_keypoints(spec)
        ankles = keypoints[:, L_ANKLE : L_ANKLE + 2]  # (T, 2, 2)
        assert np.ptp(ankles[..., 1].max(axis=1)) < 0.01 * height_px(spec)
        if label == "jumping_jack":
            continue  # both feet spread
        # At every moment one foot is where it started: feet do not slide (a lunge's back heel
        # may lift, so only sideways motion in the image counts).
        slide = np.abs(ankles[..., 0] - ankles[:1, :, 0]).min(axis=1)  # (T,)
        assert slide.max() < 0.01 * height_px(spec)


INDICES = range(12)


@pytest.mark.parametrize("label", ["squat", "deadlift", "jumping_jack", "lunge", "push_up"])
def test_motion_tests_see_several_repetitions(label: str) -> None:
    """The clips the motion tests check include multi-rep ones (and alternating lunges)."""
    assert max(spec_for(label, i).schedule.reps for i in INDICES) >= 2


def assert_repeats(
    signal: np.ndarray, spec: ClipSpec, least: float, threshold: float | None = None
) -> list[np.ndarray]:
    """``signal`` (T,) leaves rest ``reps`` times, each time by at least ``least`` heights."""
    assert signal.max() > least * height_px(spec)
    found = excursions(signal, threshold)
    assert len(found) == spec.schedule.reps
    return found


@pytest.mark.parametrize("index", INDICES)
def test_squat_hips_drop_and_recover_once_per_rep(index: int) -> None:
    spec = spec_for("squat", index)
    keypoints, _ = clip_keypoints(spec)
    hips = pair_y(keypoints, L_HIP)
    assert_repeats(hips - hips[0], spec, 0.2)


@pytest.mark.parametrize("index", INDICES)
def test_deadlift_hinges_at_the_hips(index: int) -> None:
    spec = spec_for("deadlift", index)
    keypoints, _ = clip_keypoints(spec)
    shoulders, hips = pair_y(keypoints, L_SHOULDER), pair_y(keypoints, L_HIP)
    drop = shoulders - shoulders[0]
    assert_repeats(drop, spec, 0.12)
    assert (hips - hips[0]).max() < 0.4 * drop.max(), "the hips barely drop in a hinge"


@pytest.mark.parametrize("index", INDICES)
def test_snatch_takes_the_bar_from_low_to_overhead(index: int) -> None:
    spec = spec_for("snatch", index)
    keypoints, _ = clip_keypoints(spec)
    wrists = pair_y(keypoints, L_WRIST)
    over_head = keypoints[:, NOSE, 1] - wrists
    assert_repeats(over_head - over_head[0], spec, 0.5)
    assert (over_head > 0).any() and over_head[0] < 0
    assert (wrists - wrists[0]).max() > 0.2 * height_px(spec), "the bar goes down to the shins"
    assert clip_geometry(spec).bar is not None


@pytest.mark.parametrize("index", INDICES)
def test_jumping_jack_raises_the_arms_above_the_head_per_rep(index: int) -> None:
    spec = spec_for("jumping_jack", index)
    keypoints, _ = clip_keypoints(spec)
    over_head = keypoints[:, NOSE, 1] - pair_y(keypoints, L_WRIST)
    rises = assert_repeats(over_head - over_head[0], spec, 0.3)
    assert all(over_head[frames].max() > 0 for frames in rises)
    stance = np.abs(keypoints[:, L_ANKLE, 0] - keypoints[:, L_ANKLE + 1, 0])
    assert (stance - stance[0]).max() > 0.05 * height_px(spec), "the legs spread"


@pytest.mark.parametrize("index", INDICES)
def test_lunge_drops_the_hips_and_alternates_the_front_leg(index: int) -> None:
    spec = spec_for("lunge", index)
    keypoints, _ = clip_keypoints(spec)
    hips = pair_y(keypoints, L_HIP)
    reps = assert_repeats(hips - hips[0], spec, 0.1)
    bottoms = [frames[np.argmax(hips[frames])] for frames in reps]
    # The front knee stays high while the back knee nearly touches the floor.
    front_is_left = [keypoints[t, L_KNEE, 1] < keypoints[t, L_KNEE + 1, 1] for t in bottoms]
    assert front_is_left == [i % 2 == 0 for i in range(len(bottoms))]


@pytest.mark.parametrize("index", INDICES)
def test_push_up_body_stays_horizontal_while_the_chest_drops(index: int) -> None:
    spec = spec_for("push_up", index)
    keypoints, _ = clip_keypoints(spec)
    shoulders, ankles = pair_y(keypoints, L_SHOULDER), pair_y(keypoints, L_ANKLE)
    assert np.abs(shoulders - ankles).max() < 0.35 * height_px(spec)
    assert_repeats(shoulders - shoulders[0], spec, 0.06)


@pytest.mark.parametrize("index", INDICES)
def test_arm_circles_at_shoulder_height(index: int) -> None:
    spec = spec_for("arm_circles", index)
    keypoints, _ = clip_keypoints(spec)
    wrists, shoulders = pair_y(keypoints, L_WRIST), pair_y(keypoints, L_SHOULDER)
    # Threshold below the lowest point of a circle, so one rep's circles count once.
    raises = assert_repeats(wrists[0] - wrists, spec, 0.2, threshold=0.1 * height_px(spec))
    for frames in raises:
        middle = frames[len(frames) // 4 : -len(frames) // 4]
        assert np.abs(wrists[middle] - shoulders[middle]).max() < 0.2 * height_px(spec)
        assert np.ptp(wrists[middle]) > 0.05 * height_px(spec), "the wrists circle"


def test_repetitions_vary_and_fit_in_the_clip() -> None:
    for label in CLASSES:
        schedules = [
            sample_clip_spec(label, i, ClipSettings(num_frames=90)).schedule for i in range(40)
        ]
        for s in schedules:
            assert 1 <= s.reps <= 5 and len(s.amplitudes) == s.reps
            assert s.start >= 0 and s.start + s.reps * s.period <= 3.0 + 1e-9
    settings = ClipSettings(num_frames=90)
    fast = {sample_clip_spec("jumping_jack", i, settings).schedule.reps for i in range(40)}
    assert {1, 2, 3} <= fast


def test_an_athlete_looks_the_same_in_every_clip() -> None:
    specs = [
        sample_clip_spec(c, i, ClipSettings(athletes=3)) for c in DEFAULT_CLASSES for i in range(4)
    ]
    by_group: dict[str, set[object]] = {}
    for spec in specs:
        by_group.setdefault(spec.group, set()).add(spec.athlete)
    assert len(by_group) == 3
    assert all(len(bodies) == 1 for bodies in by_group.values())


# ---------------------------------------------------------------------------------------------
# Bad arguments


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"classes": ["squat", "yoga"]}, r"unknown class 'yoga'.*squat, deadlift, snatch"),
        ({"classes": "squat"}, "list of class names"),
        ({"classes": []}, "empty"),
        ({"classes": ["squat", "squat"]}, "duplicate"),
        ({"size": 63}, "even"),
        ({"size": 32}, "at least 64"),
        ({"per_class": 0}, "per_class"),
        ({"workers": 0}, "workers"),
        ({"seconds": 0}, "seconds"),
        ({"fps": -1}, "fps"),
        ({"num_frames": 1}, "2 frames"),
        ({"athletes": 0}, "athletes"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_are_rejected_before_any_work(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    out = tmp_path / "out"
    fields = {"num_frames", "fps", "size", "athletes", "seed"}
    clip = {k: v for k, v in options.items() if k in fields}
    rest = {k: v for k, v in options.items() if k not in fields and k != "seconds"}
    with pytest.raises(ValueError, match=message):
        settings = ClipSettings(**clip)
        if "seconds" in options:
            settings = settings.lasting(options["seconds"])
        make_dataset(out, settings, progress=False, **rest)
    assert not out.exists()


def test_one_clip_checks_its_arguments_too() -> None:
    with pytest.raises(ValueError, match="unknown class 'dance'; valid classes are squat"):
        sample_clip_spec("dance", 0)
    with pytest.raises(ValueError, match="index must be non-negative, got -1"):
        sample_clip_spec("squat", -1)
    with pytest.raises(ValueError, match="size must be even"):
        sample_clip_spec("squat", 0, ClipSettings(size=101))
