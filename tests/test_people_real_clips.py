"""``blazepose-multi`` on real footage from ../shared/clips (skipped where it is absent): one
track per person, for as long as each is seen, and no track on a body already followed."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sportslens.pose.people import People
from sportslens.pose.tracking import Tracker
from sportslens.video import iter_frames, probe

pytest.importorskip("mediapipe", reason="the backend runs the models in MediaPipe's wheel")
pytest.importorskip("ai_edge_litert", reason="the backend runs the models in LiteRT")
pytest.importorskip("scipy", reason="the tracker needs the people extra")


def clip(shared_clips: Path, name: str) -> Path:
    path = shared_clips / name
    if not path.exists():
        pytest.skip(f"{name} is not among the shared clips")
    return path


def hip_steps(people: People, person: int) -> float:
    """The largest move (px) of a COCO-17 track's mid-hip between consecutive seen frames."""
    seen = np.flatnonzero(people.scores[:, person, 11:13].min(axis=1) > 0)
    hips = people.keypoints[seen, person, 11:13].mean(axis=1)  # (S, 2)
    return float(np.linalg.norm(np.diff(hips, axis=0), axis=1).max())


def test_the_demo_clips_two_people_are_followed_each_on_one_track(shared_clips: Path) -> None:
    from sportslens.pose.backends.blazepose_multi import extract_blazepose_multi

    # A man on a box who jumps down and runs across (the whole clip), and a woman walking
    # through (about frames 40-200), 450 px apart: a swap would move a hip that far at once.
    people = extract_blazepose_multi(clip(shared_clips, "sports2d_demo.mp4")).to_coco17()
    assert people.num_people == 2
    frames = [np.flatnonzero(people.scores[:, p].any(axis=1)) for p in range(2)]
    assert frames[0][0] <= 5 and len(frames[0]) >= 200
    assert 30 <= frames[1][0] <= 60 and len(frames[1]) >= 140
    assert max(hip_steps(people, 0), hip_steps(people, 1)) < 150


def test_a_second_skeleton_on_a_bent_over_lifter_is_not_a_second_person(
    shared_clips: Path,
) -> None:
    from sportslens.pose.backends.blazepose_multi import (
        TRACKING,
        MultiPoseSettings,
        _Models,
        follow_people,
    )

    video = clip(shared_clips, "reps/jurisimo__deadlift.mp4")
    info = probe(video)
    frames = itertools.islice(iter_frames(video), 320)  # two pulls; a shadow in frames 0-104
    found = list(follow_people(frames, MultiPoseSettings(), _Models(), info.fps))
    counts = []
    for config in (replace(TRACKING, shadows=None), TRACKING):
        tracker = Tracker(info.fps, config)
        for index, (points, scores) in enumerate(found):
            tracker.update(index, points, scores)
        size = (info.width, info.height)
        counts.append(tracker.people(320, "blazepose33", info.fps, size, "x").num_people)
    assert counts == [2, 1]  # without the shadow rule, the lifter is two people
