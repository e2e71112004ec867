"""``live --overlay``: the analysed frames, drawn, written as they are analysed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from sportslens.live import LiveStatus, imported_pose, run_live
from sportslens.pose.keypoints import Keypoints, load_keypoints
from sportslens.video import iter_frames, probe

runner = CliRunner()


@pytest.fixture(scope="module")
def squats(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated athlete (128 px, 40 frames) and its true keypoints beside it (.npz)."""
    from sportslens.synth.clips import sample_clip_spec, write_clip
    from sportslens.synth.settings import ClipSettings

    spec = sample_clip_spec("squat", 0, ClipSettings(num_frames=40, size=128, seed=0))
    return write_clip(spec, tmp_path_factory.mktemp("annotated") / "squat.mp4")


def _drawn_at_joints(source: Path, drawn: Path, kp: Keypoints) -> list[float]:
    """Per frame: the median, over the joints seen, of |drawn - source| at each joint's pixel."""
    gaps = []
    pairs = zip(iter_frames(source), iter_frames(drawn), strict=True)
    for (t, before), (_, after) in pairs:
        seen = kp.scores[t] > 0
        x, y = np.round(kp.keypoints[t, seen]).astype(int).T  # (S,) each
        x, y = x.clip(0, before.shape[1] - 1), y.clip(0, before.shape[0] - 1)
        gap = np.abs(after[y, x].astype(int) - before[y, x].astype(int)).sum(axis=-1)  # (S,)
        gaps.append(float(np.median(gap)))
    return gaps


def test_annotated_video_holds_every_analysed_frame_drawn(squats: Path, tmp_path: Path) -> None:
    npz, out, events = squats.with_suffix(".npz"), tmp_path / "live.mp4", tmp_path / "ev.jsonl"
    args = ["live", str(squats), "--keypoints", str(npz), "--exercise", "squat"]
    result = runner.invoke(app, [*args, "--overlay", str(out), "--events", str(events)])
    assert result.exit_code == 0, result.output
    summary = json.loads(events.read_text().splitlines()[-1])
    info = probe(out)
    assert info.num_frames == summary["analysed"] == 40
    assert (info.width, info.height) == (128, 128) and info.fps == pytest.approx(probe(squats).fps)
    # the skeleton's dots sit on the joints: those pixels changed (H.264 noise is a few levels)
    gaps = _drawn_at_joints(squats, out, load_keypoints(npz))
    assert min(gaps) > 60, gaps
    untouched = _drawn_at_joints(squats, squats, load_keypoints(npz))
    assert max(untouched) == 0  # (the measure itself: a video against itself)


def test_ctrl_c_closes_the_annotated_video_with_the_frames_so_far(
    squats: Path, tmp_path: Path
) -> None:
    out = tmp_path / "stopped.mp4"

    def interrupt(status: LiveStatus) -> None:
        if status.frame == 14:
            raise KeyboardInterrupt

    pose = imported_pose(load_keypoints(squats.with_suffix(".npz")))
    summary = run_live(str(squats), pose, exercise="squat", on_status=interrupt, annotated=out)
    assert summary.ended == "interrupted" and summary.analysed == 15
    assert probe(out).num_frames == 15 == sum(1 for _ in iter_frames(out))  # a finished file


def test_people_all_refuses_a_keypoint_file(squats: Path) -> None:
    args = ["live", str(squats), "--keypoints", str(squats.with_suffix(".npz")), "--people", "all"]
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and "--people all or N" in " ".join(result.output.split())
