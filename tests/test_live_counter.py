"""The streaming repetition counter against the offline one, on the same keypoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportslens.pose.form import analyze_form
from sportslens.pose.keypoints import load_keypoints
from sportslens.pose.live_counter import LiveCounter, count_stream


@pytest.fixture(scope="module")
def athletes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic athletes long enough for several repetitions (5 s at 20 fps, 64 px)."""
    from sportslens.synth.clips import make_dataset
    from sportslens.synth.settings import ClipSettings

    out = tmp_path_factory.mktemp("live_athletes")
    settings = ClipSettings(fps=20, size=64).lasting(5.0)
    classes = ["squat", "jumping_jack", "push_up"]
    return make_dataset(out, settings, classes=classes, per_class=2, workers=1, progress=False)


@pytest.mark.parametrize("exercise", ["named", None])
def test_the_stream_counts_what_analyze_form_counts(athletes: Path, exercise: str | None) -> None:
    for path in sorted(athletes.rglob("*.npz")):
        kp = load_keypoints(path)
        name = path.parent.name if exercise else None
        offline = analyze_form(kp, name).repetitions
        live = count_stream(kp, name)
        assert len(live) == offline.count == int(np.load(path)["reps"]), path
        for found, truth in zip(live, offline.repetitions, strict=True):
            # Live ends where the signal falls back under ``low``; offline widens to rest.
            assert truth.end - 6 <= found.end <= truth.end


def test_a_repetition_is_reported_within_a_second_of_its_end(athletes: Path) -> None:
    path = sorted((athletes / "squat").glob("*.npz"))[0]
    kp = load_keypoints(path)
    counter = LiveCounter(kp.fps, "squat")
    assert counter.delay_frames / kp.fps < 1.0
    reported = []
    for t in range(kp.num_frames):
        one = type(kp)(
            kp.keypoints[t : t + 1], kp.scores[t : t + 1], kp.layout, kp.fps, kp.size, ""
        )
        reported += [(t, rep) for rep in counter.push(one)]
    offline = analyze_form(kp, "squat").repetitions.repetitions
    assert reported and len(reported) + len(counter.finish()) == len(offline)
    for (t, _), truth in zip(reported, offline, strict=False):
        assert (t - truth.end) / kp.fps < 1.0


def test_a_still_person_counts_nothing(athletes: Path) -> None:
    path = sorted((athletes / "squat").glob("*.npz"))[0]
    kp = load_keypoints(path)
    still = type(kp)(
        np.repeat(kp.keypoints[:1], 60, axis=0),
        np.repeat(kp.scores[:1], 60, axis=0),
        kp.layout,
        kp.fps,
        kp.size,
        "",
    )
    assert count_stream(still, "squat") == [] and count_stream(still) == []
