"""Synthetic crowds: several athletes in one encoded video, with true tracks and reps per person."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sportslens.pose import load_keypoints, load_people
from sportslens.synth.crowds import crowd_truth, make_crowds, sample_crowd
from sportslens.synth.settings import ClipSettings
from sportslens.video import probe

SETTINGS = ClipSettings(size=128, fps=10.0, seed=1).lasting(7)


def test_crowds_hold_two_to_four_people_who_cross_enter_and_leave() -> None:
    crowds = [sample_crowd(i, SETTINGS) for i in range(12)]
    assert {len(c.people) for c in crowds} == {2, 3, 4}
    truths = [crowd_truth(c) for c in crowds]
    crossed = entered = left = passed = 0
    for truth in truths:
        x = truth.people.keypoints[..., 0].mean(axis=2)  # (T, P) centre x
        both = truth.present[:, 0] & truth.present[:, 1]
        order = np.sign(x[both, 0] - x[both, 1])
        crossed += bool((order > 0).any() and (order < 0).any())
        entered += int((~truth.present[0] & truth.present.any(axis=0)).sum())
        left += int((~truth.present[-1] & truth.present.any(axis=0)).sum())
        passed += int((truth.reps == 0).sum())
        assert all(r == 0 or 2 <= r <= 5 for r in truth.reps.tolist())
    assert crossed >= 6 and entered >= 3 and left >= 3 and passed >= 2


def test_the_same_index_gives_the_same_crowd() -> None:
    a, b = crowd_truth(sample_crowd(3, SETTINGS)), crowd_truth(sample_crowd(3, SETTINGS))
    np.testing.assert_array_equal(a.people.keypoints, b.people.keypoints)
    assert a.reps.tolist() == b.reps.tolist()


def test_written_crowds_are_videos_with_their_tracks_and_reps_beside(tmp_path: Path) -> None:
    (video,) = make_crowds(tmp_path, SETTINGS, count=1, people=3, workers=1)
    info = probe(video)
    assert (info.width, info.height, info.num_frames) == (128, 128, 70)
    people = load_people(video.with_suffix(".npz"))
    assert people.keypoints.shape == (70, 3, 17, 2) and people.track_ids.tolist() == [0, 1, 2]
    summary = json.loads(video.with_suffix(".json").read_text())
    with np.load(video.with_suffix(".npz")) as data:
        assert data["boxes"].shape == (70, 3, 4) and data["present"].shape == (70, 3)
        assert data["reps"].tolist() == [p["reps"] for p in summary["people"]]
    assert load_keypoints(video.with_suffix(".npz")).num_frames == 70  # one person still reads
    assert summary["video"] == video.name and len(summary["people"]) == 3


def test_too_short_a_crowd_is_refused() -> None:
    with pytest.raises(ValueError, match=r"at least 6\.0 s"):
        sample_crowd(0, ClipSettings(num_frames=30))
