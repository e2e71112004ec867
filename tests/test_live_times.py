"""StreamTimes: repetitions of a stream with dropped frames, placed back on the stream's clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from sportslens.live_times import StreamTimes
from sportslens.pose.form import analyze_form
from sportslens.pose.keypoints import Keypoints, load_keypoints
from sportslens.pose.live_counter import LiveCounter, LiveRepetition
from test_live_counter import athletes  # noqa: F401  (the module's long athletes)


def test_repetitions_are_placed_on_the_streams_frames_when_half_are_dropped(
    athletes: Path,  # noqa: F811
) -> None:
    kp = load_keypoints(sorted((athletes / "squat").glob("*.npz"))[0])
    counter, times = LiveCounter(kp.fps, "squat"), StreamTimes()
    found: list[LiveRepetition] = []
    raw: list[LiveRepetition] = []
    for t in range(0, kp.num_frames, 2):  # the analysis keeps up with every other frame
        one = Keypoints(
            kp.keypoints[t : t + 1], kp.scores[t : t + 1], kp.layout, kp.fps, kp.size, ""
        )
        times.push(t, t / kp.fps)
        reps = counter.push(one)
        raw += reps
        found += [times.place(rep) for rep in reps]
    for rep in counter.finish():
        raw.append(rep)
        found.append(times.place(rep))
    offline = analyze_form(kp, "squat").repetitions.repetitions
    assert len(found) == len(offline) > 0
    for placed, unplaced, truth in zip(found, raw, offline, strict=True):
        assert abs(placed.end - truth.end) <= 8  # within 0.4 s of the offline end
        assert placed.end_s == pytest.approx(placed.end / kp.fps)
        assert unplaced.end < placed.end  # the counter's own numbers run behind


def test_a_repetition_older_than_memory_keeps_its_numbers() -> None:
    times = StreamTimes(keep=3)
    for index in range(10):
        times.push(2 * index, index / 5)
    rep = LiveRepetition(1, "knees", 2, 9, 0.4, 1.8, 90.0, 170.0)
    assert times.place(rep) == rep  # frame 2 was forgotten
    late = LiveRepetition(2, "knees", 7, 9, 1.4, 1.8, 90.0, 170.0)
    assert (times.place(late).start, times.place(late).end_s) == (14, 9 / 5)
