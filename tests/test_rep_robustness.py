"""Counting on footage-like signals: breaks, pauses, half repetitions, impossible joints."""

from __future__ import annotations

import numpy as np
import pytest

from sportslens.pose import Keypoints
from sportslens.pose.angles import ANGLE_NAMES, JointAngles
from sportslens.pose.counting import count_in_spans
from sportslens.pose.exercises import EXERCISES, find_exercise
from sportslens.pose.form import analyze_form
from sportslens.pose.reps import count_repetitions
from sportslens.pose.signal import Span, find_spans, implausible_angles, plausible

FPS = 30.0


def dips(reps: int, period_s: float = 1.5, top: float = 175.0, bottom: float = 85.0) -> np.ndarray:
    """(T,) ``reps`` cosine dips from ``top`` to ``bottom`` and back, no rest around them."""
    phase = np.arange(round(reps * period_s * FPS)) / (period_s * FPS)
    return (top + bottom) / 2 + (top - bottom) / 2 * np.cos(2 * np.pi * phase)


def hold(seconds: float, value: float = 175.0) -> np.ndarray:
    return np.full(round(seconds * FPS), value)


def angles_with(knee: np.ndarray) -> JointAngles:
    """Both knees follow ``knee``; every other angle idles at 160°."""
    degrees = np.full((len(knee), len(ANGLE_NAMES)), 160.0)
    for name in ("left_knee", "right_knee"):
        degrees[:, ANGLE_NAMES.index(name)] = knee
    return JointAngles(ANGLE_NAMES, degrees, FPS)


def whole(frames: int) -> list[Span]:
    return [Span(0, frames - 1, "start")]


def test_exercises_are_found_by_any_spelling_and_name_their_signal() -> None:
    for name in ("pull_up", "sit_up", "curl", "bench_press", "lunge", "burpee"):
        assert name in EXERCISES
    assert find_exercise("Push-ups") is EXERCISES["push_up"]
    assert find_exercise("jumping jack") is EXERCISES["jumping_jack"]
    assert find_exercise("Bench Press") is EXERCISES["bench_press"]
    assert find_exercise("chin-up") is EXERCISES["pull_up"]
    assert find_exercise("kettlebell swing") is None
    knee = np.concatenate([hold(0.5), dips(3), hold(0.5)])
    assert count_repetitions(angles_with(knee), "Squats").signal == "knees"


def test_long_pauses_between_repetitions_do_not_change_the_count() -> None:
    knee = np.concatenate([hold(1.0), *[np.concatenate([dips(1), hold(4.0)]) for _ in range(4)]])
    knee = knee + np.random.default_rng(0).normal(0.0, 2.0, knee.shape)
    report = count_in_spans(angles_with(knee), whole(len(knee)))
    assert report.count == 4 and report.partial == ()


def test_half_repetitions_at_the_ends_are_partial_not_counted() -> None:
    # Starts at the bottom of a squat (filmed late), ends half way down (filmed off early).
    knee = np.concatenate([dips(4)[22:], dips(1)[:25]])
    report = count_in_spans(angles_with(knee), whole(len(knee)), "squat")
    assert report.count == 3
    assert len(report.partial) == 2
    assert report.partial[0].start == 0 and report.partial[1].end == len(knee) - 1


def test_a_break_splits_the_signal_instead_of_joining_across_it() -> None:
    # Two takes of a set cut together mid-repetition: joined, the halves make one false repetition.
    first, second = dips(3)[:-20], dips(3)[25:]  # each take ends / starts half way through
    knee = np.concatenate([hold(0.5), first, second, hold(0.5)])
    cut = len(hold(0.5)) + len(first)
    split = [Span(0, cut - 1, "start"), Span(cut, len(knee) - 1, "cut")]
    report = count_in_spans(angles_with(knee), split, "squat")
    assert report.count == 4  # 2 whole in each take
    assert len(report.partial) == 2  # the take-ends
    assert all(r.end < cut or r.start >= cut for r in (*report.repetitions, *report.partial))


def test_a_quiet_span_counts_nothing() -> None:
    # A second take where the athlete only stands: its sway must not be scaled up into reps.
    knee = np.concatenate([hold(0.5), dips(3), hold(0.5), 172 + 3 * np.sin(np.arange(120) / 4)])
    spans = [Span(0, len(knee) - 121, "start"), Span(len(knee) - 120, len(knee) - 1, "cut")]
    assert count_in_spans(angles_with(knee), spans).count == 3


def _standing(frames: int) -> tuple[np.ndarray, np.ndarray]:
    """COCO-17 keypoints (T, 17, 2) of a person standing still, and scores (T, 17) of 0.9."""
    base = np.array(
        [[50, 10], [48, 8], [52, 8], [46, 9], [54, 9], [40, 20], [60, 20], [38, 35], [62, 35],
         [37, 50], [63, 50], [44, 50], [56, 50], [44, 70], [56, 70], [44, 90], [56, 90]],
        dtype=np.float32,
    )  # fmt: skip
    return np.repeat(base[None], frames, axis=0), np.full((frames, 17), 0.9, np.float32)


def test_spans_break_at_gaps_and_cuts_but_not_at_a_slow_pan_or_unsure_joints() -> None:
    points, scores = _standing(300)
    points[:, :, 0] += np.linspace(0, 40, 300)[:, None]  # a slow pan: no break
    scores[100:130] = 0.0  # out of frame for 1 s: a gap
    scores[60:70, 11] = 0.2  # MediaPipe unsure of the left hip for a moment: no break
    points[200:] = points[200:] * 2.0 + 30  # a cut to a closer camera
    kp = Keypoints(points, scores, "coco17", FPS, (200, 200), "clip")
    spans = find_spans(kp)
    assert [(s.start, s.end, s.opened_by) for s in spans] == [
        (0, 99, "start"),
        (130, 199, "gap"),
        (200, 299, "cut"),
    ]
    assert [s.start for s in find_spans(kp, cuts=[250])] == [0, 130, 200, 250]


def test_a_flicker_of_detection_is_dropped() -> None:
    points, scores = _standing(200)
    scores[:150] = 0.0
    scores[20:25] = 0.9  # five frames of a false detection in an empty frame
    kp = Keypoints(points, scores, "coco17", FPS, (200, 200), "clip")
    assert [(s.start, s.end) for s in find_spans(kp)] == [(150, 199)]


def test_impossible_angles_are_flagged_and_left_out() -> None:
    knee = np.concatenate([hold(0.5), dips(3), hold(0.5)])
    knee[40] = knee[39] - 170  # a one-frame flip
    knee[100:103] = 4.0  # a knee folded flat: the pose model lost the leg
    angles = angles_with(knee)
    flagged = implausible_angles(angles)[:, ANGLE_NAMES.index("left_knee")]
    assert set(np.flatnonzero(flagged)) == {40, 100, 101, 102}
    assert np.isnan(plausible(angles)["left_knee"][[40, 100]]).all()
    assert not implausible_angles(angles)[:, ANGLE_NAMES.index("left_elbow")].any()


@pytest.mark.parametrize("exercise", [None, "squat"])
def test_form_counts_a_squatter_who_leaves_the_frame_between_two_sets(
    exercise: str | None,
) -> None:
    frames = 420
    points, scores = _standing(frames)
    bend = 1 - np.cos(2 * np.pi * np.arange(45) / 45)  # (45,) 0 → 2 → 0: one repetition
    knee_bend = np.concatenate([np.zeros(30), *[bend] * 3, np.zeros(105), *[bend] * 2])
    knee_bend = np.concatenate([knee_bend, np.zeros(frames - len(knee_bend))])  # 3 reps, 2 reps
    points[:, :13, 1] += 12 * knee_bend[:, None]  # the upper body sinks
    points[:, 13:15, 0] += 10 * knee_bend[:, None]  # the knees push forward
    scores[200:260] = 0.0  # gone for 2 s between the sets
    kp = Keypoints(points, scores, "coco17", FPS, (200, 200), "clip")
    report = analyze_form(kp, exercise).repetitions
    assert report.count == 5 and len(report.spans) == 2


def _push_up_set(reps: int, last_onto_knees: bool, last_depth: float = 1.0) -> JointAngles:
    """Elbows dip ``reps`` times from the plank (knees and hips straight); the last dip may go
    only ``last_depth`` of the way, or end with the athlete pushing up onto the knees."""
    elbow = np.concatenate([hold(1.0, 165), dips(reps - 1, 1.8, 165, 75)])
    last = dips(1, 1.8, 165, 165 - 90 * last_depth)
    elbow = np.concatenate([elbow, last, hold(1.5, 165)])
    knee, hip = np.full(len(elbow), 172.0), np.full(len(elbow), 178.0)
    if last_onto_knees:
        start = len(elbow) - len(hold(1.5)) - len(last) // 2  # from the bottom of the last dip
        drop = np.clip(np.arange(len(elbow) - start) / (0.8 * FPS), 0, 1)  # (R,) 0 → 1 in 0.8 s
        knee[start:] -= 80 * drop  # kneeling
        hip[start:] -= 60 * drop
    noise = np.random.default_rng(1).normal(0.0, 2.0, (len(elbow), len(ANGLE_NAMES)))
    degrees = np.full((len(elbow), len(ANGLE_NAMES)), 90.0) + noise
    for side in ("left", "right"):
        degrees[:, ANGLE_NAMES.index(f"{side}_elbow")] += elbow - 90
        degrees[:, ANGLE_NAMES.index(f"{side}_knee")] += knee - 90
        degrees[:, ANGLE_NAMES.index(f"{side}_hip")] += hip - 90
    return JointAngles(ANGLE_NAMES, degrees, FPS)


@pytest.mark.parametrize("exercise", [None, "push_up"])
def test_a_last_descent_that_ends_on_the_knees_is_partial(exercise: str | None) -> None:
    whole_set = _push_up_set(6, last_onto_knees=False)
    report = count_in_spans(whole_set, whole(whole_set.num_frames), exercise)
    assert (report.count, len(report.partial)) == (6, 0)
    onto_knees = _push_up_set(6, last_onto_knees=True)
    report = count_in_spans(onto_knees, whole(onto_knees.num_frames), exercise)
    assert (report.count, len(report.partial)) == (5, 1)
    assert report.partial[0].start > report.repetitions[-1].start  # the last one


def test_a_shallow_last_dip_is_partial_but_a_slightly_shorter_one_counts() -> None:
    shallow = _push_up_set(6, last_onto_knees=False, last_depth=0.45)
    report = count_in_spans(shallow, whole(shallow.num_frames), "push_up")
    assert (report.count, len(report.partial)) == (5, 1)
    tired = _push_up_set(6, last_onto_knees=False, last_depth=0.8)
    assert count_in_spans(tired, whole(tired.num_frames), "push_up").count == 6


def test_edges_of_a_short_set_are_not_judged() -> None:
    # Three repetitions are too few to say what the set's position is: the last one counts.
    few = _push_up_set(3, last_onto_knees=True)
    assert count_in_spans(few, whole(few.num_frames), "push_up").count == 3


def _athlete(label: str, yaw: float, reps: int = 5) -> Keypoints:
    """Ground-truth keypoints of a synthetic athlete doing ``reps`` repetitions, seen from
    ``yaw`` degrees off the front (0: facing the camera)."""
    from dataclasses import replace

    from sportslens.synth import clips
    from sportslens.synth.motion import Schedule
    from sportslens.synth.scene import clip_keypoints
    from sportslens.synth.settings import ClipSettings

    spec = clips.sample_clip_spec(label, 0, ClipSettings(num_frames=240, size=160))
    schedule = Schedule(reps, 1.5, 0.5, (1.0,) * reps, (0.0, 0.0, 0.0))
    points, visibility = clip_keypoints(replace(spec, yaw=yaw, schedule=schedule))
    return Keypoints(
        points.astype(np.float32), visibility.astype(np.float32), "coco17", FPS, (160, 160), label
    )


@pytest.mark.parametrize("label", ["squat", "push_up", "jumping_jack", "deadlift"])
@pytest.mark.parametrize("yaw", [0.0, 10.0])
def test_exercises_seen_from_the_front_are_counted(label: str, yaw: float) -> None:
    # From the front a push-up's elbows bend towards the camera (4° of 2-D range at yaw 0) and a
    # deadlift's hips hardly open: the counter takes the signal the movement still shows in.
    kp = _athlete(label, yaw)
    assert analyze_form(kp).repetitions.count == 5
    assert analyze_form(kp, label).repetitions.count == 5


def test_a_zoom_and_pan_during_the_set_change_nothing() -> None:
    kp = _athlete("squat", 60.0)
    t = np.arange(kp.num_frames)[:, None, None]  # (T, 1, 1)
    zoom = 1.0 + 0.6 * t / kp.num_frames  # slowly closer, to 1.6 times
    centre = np.array([80.0, 80.0])
    moved = (kp.keypoints - centre) * zoom + centre + np.array([0.3, -0.1]) * t  # and panning
    from dataclasses import replace

    zoomed = replace(kp, keypoints=moved.astype(np.float32))
    report = analyze_form(zoomed).repetitions
    assert report.count == analyze_form(kp).repetitions.count == 5
    assert len(report.spans) == 1  # a gradual zoom is no cut


def test_joints_the_pose_model_is_unsure_of_are_left_out() -> None:
    # MediaPipe guesses the far side's joints (visibility ~0.3): here the far leg is guessed
    # half a repetition out of step, so the mean of both knees hardly moves. Those guesses must
    # not be counted on: the near side still counts every squat.
    kp = _athlete("squat", 60.0)
    left, right = [11, 13, 15], [12, 14, 16]  # hip, knee, ankle
    near, far = (right, left) if kp.keypoints[0, 11, 0] < kp.keypoints[0, 12, 0] else (left, right)
    points, scores = kp.keypoints.copy(), kp.scores.copy()
    points[:, far] = np.roll(points[:, near], 22, axis=0)  # 22 frames: half of a 1.5 s squat
    scores[:, far] = 0.3
    from dataclasses import replace

    unsure = replace(kp, keypoints=points, scores=scores)
    assert analyze_form(unsure, "squat").repetitions.count == 5
    assert analyze_form(unsure).repetitions.count == 5
    # Trusting every joint (min_score 0) counts on the guesses too, and gets it wrong.
    assert analyze_form(unsure, "squat", min_score=0.0).repetitions.count != 5


def test_without_a_whole_repetition_no_shallow_edge_is_judged() -> None:
    # Filmed from the bottom of a squat, then a small dip: no set to measure the dip against.
    knee = np.concatenate([dips(1)[22:], hold(1.0), dips(1, 1.5, 175.0, 140.0), hold(1.0)])
    report = count_in_spans(angles_with(knee), whole(len(knee)), "squat")
    assert report.count == 0 and len(report.partial) == 1  # the cut one only


def test_a_shallow_dip_after_the_set_is_a_partial_repetition() -> None:
    knee = np.concatenate([hold(0.5), dips(4), hold(1.0), dips(1, 1.5, 175.0, 135.0), hold(1.0)])
    report = count_in_spans(angles_with(knee), whole(len(knee)), "squat")
    assert report.count == 4 and len(report.partial) == 1
    assert report.partial[0].angle_min == pytest.approx(135.0, abs=3.0)


def test_a_lunge_whose_leading_left_leg_reads_shallow_counts_every_repetition() -> None:
    # A pose model placing the left knee near the hip-ankle line whenever that leg leads (as
    # blazepose-multi does in a crowd): the mean of both knees dips 36° on those lunges and 71°
    # on the others, short of the far threshold of a span scaled by the deep ones.
    from dataclasses import replace

    from sportslens.pose.angles import joint_angles

    kp = _athlete("lunge", 60.0)
    angles = joint_angles(kp)
    leads = angles["left_knee"] < angles["right_knee"]  # (T,) the left leg in front
    points = kp.keypoints.copy()  # (T, 17, 2) COCO-17
    towards_line = (points[:, 11] + points[:, 15]) / 2 - points[:, 13]  # knee to hip-ankle middle
    points[leads, 13] += 0.8 * towards_line[leads]
    shallow = replace(kp, keypoints=points)
    knees = joint_angles(shallow)
    mean = (knees["left_knee"] + knees["right_knee"]) / 2  # (T,)
    assert np.nanmin(mean[leads]) > 140.0 > 110.0 > np.nanmin(mean[~leads])  # one side shallow
    assert analyze_form(shallow, "lunge").repetitions.count == 5


def _alternating(deep: float, shallow: float, reps: int = 3) -> np.ndarray:
    """(T,) knee: ``reps`` dips to ``deep`` with a dip to ``shallow`` after each but the last."""
    parts = [hold(0.5)]
    for rep in range(reps):
        parts.append(dips(1, 1.5, 175.0, deep))
        if rep < reps - 1:
            parts.append(dips(1, 1.5, 175.0, shallow))
    return np.concatenate([*parts, hold(0.5)])


def test_an_inner_dip_past_half_the_sets_depth_counts_and_one_short_of_it_does_not() -> None:
    # Deep dips of 90°: an inner one of 50° (56%) is a repetition, one of 36° (40%) is not.
    counted = _alternating(85.0, 125.0)
    assert count_in_spans(angles_with(counted), whole(len(counted)), "squat").count == 5
    short = _alternating(85.0, 139.0)
    assert count_in_spans(angles_with(short), whole(len(short)), "squat").count == 3


def test_an_inner_dip_under_min_range_degrees_never_counts() -> None:
    # Deep dips of 30°: an inner one of 17° is past half of them but under min_range (20°).
    knee = _alternating(145.0, 158.0)
    assert count_in_spans(angles_with(knee), whole(len(knee)), "squat").count == 3


def test_one_repetition_is_no_set_to_measure_a_smaller_dip_against() -> None:
    # After a single squat, a dip of 56% of it is a half repetition, not a second one.
    knee = np.concatenate([hold(0.5), dips(1), dips(1, 1.5, 175.0, 125.0), hold(0.5)])
    report = count_in_spans(angles_with(knee), whole(len(knee)), "squat")
    assert report.count == 1 and len(report.partial) == 1
