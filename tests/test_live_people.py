"""Several people live: tracks and counts frame by frame, as offline on the same keypoints."""

from __future__ import annotations

import pytest

from sportslens.live_people import LivePeople
from sportslens.pose.live_counter import count_stream
from sportslens.pose.tracking import TrackerConfig, track_people
from sportslens.synth.crowds import crowd_truth, sample_crowd
from sportslens.synth.settings import ClipSettings


def _scene(seed: int, people: int = 3, seconds: float = 8.0):  # type: ignore[no-untyped-def]
    settings = ClipSettings(size=256, fps=10.0, seed=seed).lasting(seconds)
    return crowd_truth(sample_crowd(0, settings, people=people)).people  # coco17 (T, P, 17, 2)


@pytest.mark.parametrize("seed", [0, 1, 4])
def test_each_track_counts_what_the_offline_tracks_count(seed: int) -> None:
    """The same detections in: the same tracks and the same repetitions (stream frames) out.

    Offline stitching is off: it joins a track lost for longer than ``max_age`` to the one it
    continues once the whole video is seen, which a live run cannot (module docstring)."""
    truth = _scene(seed)
    frames = [(truth.keypoints[t], truth.scores[t]) for t in range(truth.num_frames)]
    offline = track_people(
        frames, num_frames=truth.num_frames, layout="coco17", fps=truth.fps,
        size=truth.size, source="crowd", config=TrackerConfig(max_stitch=0),
    )  # fmt: skip
    live = LivePeople(truth.fps, size=truth.size, layout="coco17")
    events = []
    for t, (points, scores) in enumerate(frames):
        events += [(t, e) for e in live.push(t, points, scores).events]
    events += [(truth.num_frames, e) for e in live.finish()]
    assert offline.num_people == truth.num_people
    for p in range(offline.num_people):
        expected = [(r.start, r.end) for r in count_stream(offline.person(p))]
        reps = [e for _, e in events if e["event"] == "repetition" and e["track_id"] == p]
        assert [(r["start"], r["end"]) for r in reps] == expected, p
        (left,) = [e for _, e in events if e["event"] == "person" and e["track_id"] == p]
        assert left["count"] == len(expected)


def test_a_person_who_leaves_is_finished_while_the_others_go_on() -> None:
    truth = _scene(1)  # the third person walks out at frame 50 of 80
    live = LivePeople(truth.fps, size=truth.size, layout="coco17")
    left_at = {}
    for t in range(truth.num_frames):
        for event in live.push(t, truth.keypoints[t], truth.scores[t]).events:
            if event["event"] == "person":
                left_at[event["track_id"]] = t
    assert len(left_at) == 1
    (track, frame), last = next(iter(left_at.items())), truth.scores[:, 2].any(axis=1).nonzero()
    assert frame == int(last[0][-1]) + 11  # unseen for more than max_age (1 s = 10 frames)
    assert [s.track_id for s in live.statuses()] == sorted({0, 1, 2} - {track})
