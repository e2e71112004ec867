"""The tracker: ids that survive occlusions and crossings, measured on synthetic crowds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sportslens.pose.tracking import Tracker, TrackerConfig, track_people
from sportslens.pose.tracking_benchmark import (
    SimulatedDetections,
    benchmark_tracking,
    simulate_detections,
)
from sportslens.synth.crowds import crowd_truth, make_crowds, sample_crowd
from sportslens.synth.settings import ClipSettings

pytest.importorskip("scipy")

SETTINGS = ClipSettings(size=160, fps=15.0, seed=2).lasting(7)


def walker(x0: float, dx: float, frames: int, y: float = 100.0) -> np.ndarray:
    """(T, 17, 2) a stick figure 60 px tall sliding ``dx`` px per frame."""
    body = np.stack([np.linspace(-8, 8, 17), np.linspace(-30, 30, 17)], axis=1)  # (17, 2)
    xs = x0 + dx * np.arange(frames)
    return (body[None] + np.stack([xs, np.full(frames, y)], axis=1)[:, None]).astype(np.float32)


def run(frames: list[tuple[np.ndarray, np.ndarray]], fps: float = 30.0, **kw: float) -> Tracker:
    tracker = Tracker(fps, TrackerConfig(**kw))  # type: ignore[arg-type]
    for t, (points, scores) in enumerate(frames):
        tracker.update(t, points, scores)
    return tracker


def test_two_people_crossing_keep_their_ids_and_one_hidden_for_a_moment_comes_back() -> None:
    a, b = walker(20, 4, 60), walker(260, -4, 60, y=104)  # cross near frame 30
    ones = np.ones(17, np.float32)
    frames = []
    for t in range(60):
        people = [(a[t], ones)] + ([] if 26 <= t < 36 else [(b[t], ones)])  # b hidden 10 frames
        order = [1, 0] if t % 2 and len(people) == 2 else [0, 1][: len(people)]
        points = np.stack([people[i][0] for i in order])
        scores = np.stack([people[i][1] for i in order])
        frames.append((points, scores))
    tracked = track_people(frames, num_frames=60, layout="coco17", fps=30, size=(320, 200),
                           source="x")  # fmt: skip
    assert tracked.num_people == 2
    first = tracked.track(0).keypoints[:, 0, 0]  # x of track 0's first joint over time
    seen = tracked.scores[:, 0, 0] > 0
    np.testing.assert_allclose(first[seen], a[seen, 0, 0])  # track 0 is always person a
    assert (tracked.scores[26:36, 1] == 0).all() and (tracked.scores[36:, 1] > 0).all()


def test_a_person_gone_longer_than_max_age_returns_with_a_new_id() -> None:
    a = walker(50, 0, 60)
    ones = np.ones((1, 17), np.float32)
    empty = (np.zeros((0, 17, 2), np.float32), np.zeros((0, 17), np.float32))
    frames = [(a[t][None], ones) if t < 20 or t >= 50 else empty for t in range(60)]
    tracker = run(frames, max_age=0.5)
    assert len(tracker.finished) + len(tracker.active) == 2


def test_crowds_are_followed_without_swaps_from_simulated_detections() -> None:
    crowd = sample_crowd(0, SETTINGS, people=2)
    assert crowd.people[0].xs[0] == crowd.people[1].xs[-1]  # the two swap stations
    truth = crowd_truth(crowd).people
    detections = simulate_detections(truth, np.random.default_rng(0))
    tracked = track_people(detections, num_frames=truth.num_frames, layout="coco17",
                           fps=truth.fps, size=truth.size, source="x")  # fmt: skip
    assert tracked.num_people == 2
    for q in range(tracked.num_people):  # every frame of a track is the same true person
        seen = tracked.scores[:, q].any(axis=1)  # (T,)
        gaps = np.linalg.norm(truth.keypoints[seen] - tracked.keypoints[seen, q, None], axis=-1)
        nearest = gaps.mean(axis=2).argmin(axis=1)  # (frames seen,)
        assert len(set(nearest.tolist())) == 1


def test_bench_tracking_on_written_crowd_videos(tmp_path: Path) -> None:
    videos = make_crowds(tmp_path, SETTINGS, count=3, workers=1)
    result = benchmark_tracking(videos, simulated=SimulatedDetections())
    assert result["videos"] == 3 and result["people"] >= 6
    assert result["idf1"] >= 0.9 and result["mota"] >= 0.85
    assert result["switches_per_person_minute"] <= 1.0
    perfect = benchmark_tracking(videos, simulated=SimulatedDetections(0.0, 0.0, 2.0))
    assert perfect["idf1"] == pytest.approx(1.0) and perfect["id_switches"] == 0


def test_bench_tracking_command_makes_crowds_when_the_folder_is_empty(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sportslens.cli import app

    data = tmp_path / "crowds"
    args = ["bench", "tracking", str(data), "--crowds", "2", "--size", "128", "--seconds", "6"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["videos"] == 2 and len(list(data.glob("crowd_*.mp4"))) == 2
    assert 0.0 <= figures["rep_exact_rate"] <= 1.0 and figures["idf1"] > 0.8


def test_a_person_back_from_behind_someone_in_another_pose_gets_their_id_back() -> None:
    """Stage two: joints jumped (the figure turned over, each joint 0.55 body sizes from
    where it was) but the body stands where it was, as big as it was."""
    a = walker(100, 0, 40)
    other = a[:, ::-1].copy()  # joint i where joint 16 - i was: mirrored through the centre
    other[..., 0] = 100 + (other[..., 0] - 100) * 2  # and twice as wide (size 1.1x)
    ones = np.ones((1, 17), np.float32)
    empty = (np.zeros((0, 17, 2), np.float32), np.zeros((0, 17), np.float32))
    frames = [(a[t][None], ones) for t in range(15)] + [empty] * 10
    frames += [(other[t][None], ones) for t in range(25, 40)]
    tracker = run(frames)
    assert len(tracker.finished) + len(tracker.active) == 1


def test_a_lost_track_stops_coasting_so_a_person_who_stopped_is_found_again() -> None:
    """A walker stops while hidden for 25 frames: predicted on at 4 px a frame, the track
    would be 80 px (1.3 body sizes) away; it coasts 0.5 s (15 frames) only, 40 px."""
    a = walker(20, 4, 60)
    a[30:] = a[30]  # stops at frame 30, hidden from 26 to 50
    ones = np.ones((1, 17), np.float32)
    empty = (np.zeros((0, 17, 2), np.float32), np.zeros((0, 17), np.float32))
    frames = [(a[t][None], ones) if not 26 <= t < 51 else empty for t in range(60)]
    tracker = run(frames)
    assert len(tracker.finished) + len(tracker.active) == 1


@pytest.mark.parametrize(("away", "stitch", "people"), [(50, 3.0, 1), (50, 0.0, 2), (100, 3.0, 2)])
def test_a_fragment_after_a_long_loss_is_stitched_within_max_stitch(
    away: int, stitch: float, people: int
) -> None:
    """Lost 50 frames (1.7 s, longer than max_age) where they stood: one person when
    stitching 3 s; two when stitching is off or they were gone 100 frames (3.3 s)."""
    a = walker(100, 0, 20 + away + 20)
    ones = np.ones((1, 17), np.float32)
    empty = (np.zeros((0, 17, 2), np.float32), np.zeros((0, 17), np.float32))
    frames = [empty if 20 <= t < 20 + away else (a[t][None], ones) for t in range(len(a))]
    tracker = run(frames, max_stitch=stitch)
    assert len(tracker.finished) + len(tracker.active) == 2  # two tracks while running
    found = tracker.people(len(a), "coco17", 30.0, (320, 200), "x")
    assert found.num_people == people
    assert (found.scores.any(axis=2).sum(axis=0) > 0).all()


def test_matching_on_a_joint_subset_ignores_noisy_extra_joints_and_keeps_them() -> None:
    # Six steady joints and two (a pose model's small face or hand points) that jump about:
    # on all eight the mean distance leaves the gate every frame; on the six it never does.
    rng = np.random.default_rng(0)
    body = walker(100, 1, 40)[:, :8].copy()  # (T, 8, 2)
    body[:, 6:] += rng.uniform(-90, 90, (40, 2, 2)).astype(np.float32)
    frames = [(body[t][None], np.ones((1, 8), np.float32)) for t in range(40)]
    assert len(run(frames).active) > 1  # every joint: the jumps break the track
    tracker = run(frames, joints=(0, 1, 2, 3, 4, 5))  # type: ignore[arg-type]
    assert [t.track_id for t in tracker.active] == [0]
    history = tracker.active[0].history
    kept = np.stack([history[t][0] for t in range(40)])  # (T, 8, 2): the history keeps all 8
    np.testing.assert_allclose(kept, body)


def test_short_gaps_are_filled_by_interpolation_and_long_ones_left_empty() -> None:
    a = walker(50, 2, 60)
    ones = np.ones((1, 17), np.float32)
    missed = set(range(10, 15)) | set(range(30, 50))  # 5 frames (1/6 s), then 20 (2/3 s)
    frames = [(a[t][None] if t not in missed else a[:0], ones[: int(t not in missed)])
              for t in range(60)]  # fmt: skip
    people = run(frames, max_fill=0.3).people(60, "coco17", 30.0, (320, 200), "x")
    assert people.num_people == 1
    np.testing.assert_allclose(people.keypoints[10:15, 0], a[10:15], atol=1e-4)  # a straight walk
    assert (people.scores[10:15, 0] == 1).all() and (people.scores[30:50, 0] == 0).all()
    unfilled = run(frames).people(60, "coco17", 30.0, (320, 200), "x")
    assert (unfilled.scores[10:15, 0] == 0).all()


def test_a_body_that_opens_up_during_a_two_frame_loss_keeps_its_id() -> None:
    # A somersault's tuck opening on landing: the joints turn over and the box grows 2.5x
    # while the person is missed for two frames (the demo clip's man). Longer losses still
    # need sizes within 1.5x.
    tucked = walker(100, 0, 40)
    centre = tucked[0].mean(axis=0)
    landed = centre - 2.5 * (tucked - centre)  # upside down and 2.5x the size
    ones = np.ones((1, 17), np.float32)

    def frames(gap: int) -> list[tuple[np.ndarray, np.ndarray]]:
        body = [tucked[t] if t < 20 else landed[t] for t in range(40)]
        return [(body[t][None], ones) if not 20 <= t < 20 + gap else (tucked[:0], ones[:0])
                for t in range(40)]  # fmt: skip

    assert run(frames(2)).people(40, "coco17", 30.0, (320, 200), "x").num_people == 1
    assert run(frames(12)).people(40, "coco17", 30.0, (320, 200), "x").num_people == 2


def test_a_track_that_begins_as_a_duplicate_just_before_another_ends_continues_it() -> None:
    # For two frames the backend sees one person twice (5 px apart); the copy then carries on
    # alone. Offline, the copy is the same person, so it continues the first track.
    a = walker(100, 0, 40)
    copy = a + 5
    ones = np.ones(17, np.float32)
    frames = []
    for t in range(40):
        people = [a[t]] if t < 18 else [a[t], copy[t]] if t < 20 else [copy[t]]
        frames.append((np.stack(people), np.stack([ones] * len(people))))
    people = run(frames).people(40, "coco17", 30.0, (320, 200), "x")
    assert people.num_people == 1 and (people.scores[:, 0] > 0).all()


def crossing_frames() -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Two walkers crossing (a right, b left, 3 px a frame) seen as one body for frames 10-19:
    first the landmarks' blend of both (10-12), then b in front (13-19); a is back at 20."""
    a, b = walker(100, 3, 40), walker(180, -3, 40)
    ones = np.ones(17, np.float32)
    frames = []
    for t in range(40):
        people = [a[t], b[t]] if not 10 <= t < 20 else [(a[t] + b[t]) / 2] if t < 13 else [b[t]]
        frames.append((np.stack(people), np.stack([ones] * len(people))))
    return a, b, frames


def test_a_crossing_the_tracker_got_wrong_is_swapped_back_by_motion_offline() -> None:
    # The lost track waits where b vanished (max_coast: one frame), so the track on the blend
    # follows b out of the crossing and b's old track takes a when a reappears: a swap.
    a, b, frames = crossing_frames()
    swapped = run(frames, max_coast=0.0, crossings=None).people(40, "coco17", 30.0, (320, 200), "x")
    assert swapped.num_people == 2
    np.testing.assert_allclose(swapped.keypoints[30, 0], b[30])  # track 0 began as a
    people = run(frames, max_coast=0.0).people(40, "coco17", 30.0, (320, 200), "x")
    assert people.num_people == 2
    for t in (0, 9, 20, 30, 39):
        np.testing.assert_allclose(people.keypoints[t, 0], a[t])
        np.testing.assert_allclose(people.keypoints[t, 1], b[t])


def test_a_second_skeleton_fitted_inside_one_body_is_dropped_offline() -> None:
    # A backend fits a second skeleton on the lifter for frames 35-59, its joints scattered
    # over the lifter's body (here upside down and smaller): a shadow.
    lifter = walker(100, 0, 60)
    centre = lifter.mean(axis=1, keepdims=True)  # (T, 1, 2)
    shadow = (lifter[:, ::-1] - centre) * 0.8 + centre
    ones = np.ones(17, np.float32)
    frames = []
    for t in range(60):
        people = [lifter[t], shadow[t]] if t >= 35 else [lifter[t]]
        frames.append((np.stack(people), np.stack([ones] * len(people))))
    assert run(frames, shadows=None).people(60, "coco17", 30.0, (320, 200), "x").num_people == 2
    people = run(frames).people(60, "coco17", 30.0, (320, 200), "x")
    assert people.num_people == 1
    np.testing.assert_allclose(people.keypoints[:, 0], lifter)
