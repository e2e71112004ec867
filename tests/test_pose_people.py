"""Keypoints with a people axis: version 2 files, track ids, one person's view, older files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportslens.pose import (
    FORMAT_VERSION,
    Keypoints,
    People,
    import_keypoints,
    load_keypoints,
    load_people,
    save_keypoints,
    save_people,
)

DATA = Path(__file__).parent / "data"


def make_people(frames: int = 6, sizes: tuple[float, ...] = (40.0, 90.0, 20.0)) -> People:
    """People whose keypoints spread over ``sizes`` pixels; person 1 (track 11) is the largest."""
    rng = np.random.default_rng(3)
    count = len(sizes)
    points = np.stack(
        [rng.uniform(0, size, (frames, 17, 2)) + 100 * p for p, size in enumerate(sizes)], axis=1
    )  # (T, P, 17, 2)
    scores = rng.uniform(0.2, 1.0, (frames, count, 17))
    scores[:3, 2] = 0.0  # the third person enters at frame 3
    return People(points, scores, np.array([10, 11, 12]), "coco17", 30.0, (640, 360), "c.mp4")


def test_version_2_round_trip_keeps_every_person_and_track_id(tmp_path: Path) -> None:
    people = make_people()
    path = save_people(tmp_path / "people.npz", people, backend=np.str_("synthetic"))
    with np.load(path) as data:
        assert int(data["version"]) == FORMAT_VERSION == 2
        assert data["keypoints"].shape == (6, 3, 17, 2) and data["scores"].shape == (6, 3, 17)
    back = load_people(path)
    np.testing.assert_array_equal(back.keypoints, people.keypoints)
    np.testing.assert_array_equal(back.scores, people.scores)
    assert back.track_ids.tolist() == [10, 11, 12]
    assert (back.fps, back.size, back.layout, back.source) == (30.0, (640, 360), "coco17", "c.mp4")
    assert back.track(12).detected.tolist() == [False] * 3 + [True] * 3


def test_single_person_callers_read_the_largest_person_or_the_track_they_name(
    tmp_path: Path,
) -> None:
    people = make_people()
    path = save_people(tmp_path / "people.npz", people)
    default = load_keypoints(path)
    assert isinstance(default, Keypoints)
    np.testing.assert_array_equal(default.keypoints, people.keypoints[:, 1])  # the largest
    np.testing.assert_array_equal(load_keypoints(path, person=12).scores, people.scores[:, 2])
    with pytest.raises(ValueError, match=r"people\.npz: no track 7 .*\[10, 11, 12\]"):
        load_keypoints(path, person=7)


def test_a_file_written_by_the_previous_release_loads_as_one_person() -> None:
    """tests/data/keypoints_v1.npz was written by sportslens at commit 2d573e8 (save_keypoints,
    version 1: keypoints (6, 17, 2), frame 2 undetected)."""
    people = load_people(DATA / "keypoints_v1.npz")
    single = load_keypoints(DATA / "keypoints_v1.npz")
    assert people.num_people == 1 and people.track_ids.tolist() == [0]
    assert people.keypoints.shape == (6, 1, 17, 2) and people.num_frames == 6
    np.testing.assert_array_equal(people.person(0).keypoints, single.keypoints)
    assert single.detected.tolist() == [True, True, False, True, True, True]
    assert (people.fps, people.size, people.source) == (30.0, (320, 240), "clip.mp4")


def test_one_person_saved_today_is_still_version_1_and_round_trips(tmp_path: Path) -> None:
    one = make_people().person(0)
    path = save_keypoints(tmp_path / "one.npz", one)
    back = load_people(path)
    assert back.num_people == 1
    np.testing.assert_array_equal(back.person(0).keypoints, one.keypoints)


def test_select_keeps_the_people_seen_largest_in_track_order() -> None:
    people = make_people()
    assert people.select("all") is people
    assert people.select("largest").track_ids.tolist() == [11]
    assert people.select(2).track_ids.tolist() == [10, 11]
    assert people.select(9).num_people == 3
    with pytest.raises(ValueError, match="at least 1"):
        people.select(0)


def test_bad_people_are_refused_with_the_shapes() -> None:
    people = make_people()
    with pytest.raises(ValueError, match=r"track_ids \(P,\); got \(6, 3, 17, 2\)"):
        People(people.keypoints, people.scores, np.array([1, 2]), "coco17", 30, (9, 9), "x")
    with pytest.raises(ValueError, match="distinct"):
        People(people.keypoints, people.scores, np.array([1, 1, 2]), "coco17", 30, (9, 9), "x")
    with pytest.raises(ValueError, match="unknown keypoint layout"):
        People(np.zeros((4, 0, 17, 2)), np.zeros((4, 0, 17)), np.zeros(0), "x", 30, (9, 9), "x")


def test_a_file_with_nobody_gives_an_undetected_person(tmp_path: Path) -> None:
    empty = People(np.zeros((4, 0, 17, 2)), np.zeros((4, 0, 17)), np.zeros(0), "coco17", 30,
                   (9, 9), "x")  # fmt: skip
    path = save_people(tmp_path / "nobody.npz", empty)
    assert load_people(path).num_people == 0
    assert not load_keypoints(path).detected.any()


def test_the_import_backend_reads_the_largest_person_of_a_version_2_file(tmp_path: Path) -> None:
    people = make_people()
    path = save_people(tmp_path / "people.npz", people)
    kp = import_keypoints(path, fps=30.0, size=(640, 360), num_frames=6)
    np.testing.assert_allclose(kp.keypoints, people.keypoints[:, 1])


def test_map_changes_each_person_alone_and_subset_of_picks_tracks_in_order() -> None:
    from sportslens.pose import smooth_keypoints

    people = make_people()
    smoothed = people.map(lambda kp: smooth_keypoints(kp, "savgol"))
    assert smoothed.track_ids.tolist() == [10, 11, 12]
    for p in range(3):  # as smoothing each person's single-person keypoints
        alone = smooth_keypoints(people.person(p), "savgol")
        np.testing.assert_array_equal(smoothed.keypoints[:, p], alone.keypoints)
    picked = people.subset_of([12, 10])
    assert picked.track_ids.tolist() == [12, 10]
    np.testing.assert_array_equal(picked.keypoints[:, 0], people.keypoints[:, 2])
    with pytest.raises(ValueError, match=r"no track 5; the tracks are \[10, 11, 12\]"):
        people.subset_of([5])
