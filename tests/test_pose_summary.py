"""The pose and form fields of a skeleton model's prediction: content, size cap, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from serve_helpers import write_tiny_skeleton_checkpoint
from sportslens.cli import app
from sportslens.pose import Keypoints, analyze_form, load_keypoints
from sportslens.pose.summary import form_summary, pose_summary


def _keypoints(frames: int, layout: str = "coco17", joints: int = 17) -> Keypoints:
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 100, (frames, joints, 2)).astype(np.float32)  # (T, V, 2)
    scores = np.ones((frames, joints), np.float32)
    scores[::2, 0] = 0  # the nose unseen in every other frame
    scores[1] = 0  # nobody in frame 1
    return Keypoints(points, scores, layout, fps=25.0, size=(120, 100), source="clip.mp4")


@pytest.mark.parametrize(
    ("frames", "max_frames", "stride", "kept"),
    [(10, 900, 1, 10), (900, 900, 1, 900), (901, 900, 2, 451), (2000, 900, 3, 667), (5, 1, 5, 1)],
)
def test_long_clips_keep_every_stride_th_frame(
    frames: int, max_frames: int, stride: int, kept: int
) -> None:
    kp = _keypoints(frames)
    summary = pose_summary(kp, max_frames)
    assert (summary["stride"], len(summary["keypoints"]), summary["frames"]) == (
        stride,
        kept,
        frames,
    )
    last = (kept - 1) * stride  # keypoints[i] is frame i * stride
    assert summary["keypoints"][-1][5] == pytest.approx(kp.keypoints[last, 5], abs=0.05)


def test_joints_are_rounded_pixels_or_null_and_blazepose_becomes_coco() -> None:
    kp = _keypoints(4, "blazepose33", 33)
    summary = pose_summary(kp)
    assert summary["layout"] == "coco17" and summary["size"] == [120, 100]
    assert summary["detected_fraction"] == 0.75  # frame 1 has nobody
    first = summary["keypoints"][0]
    assert len(first) == 17 and first[0] is None  # nose unseen in frame 0
    assert summary["keypoints"][1] == [None] * 17
    x, y = first[5]  # COCO left shoulder = BlazePose 11
    assert (x, y) == (
        round(float(kp.keypoints[0, 11, 0]), 1),
        round(float(kp.keypoints[0, 11, 1]), 1),
    )
    json.dumps(summary, allow_nan=False)  # plain JSON: no NaN, no numpy types
    with pytest.raises(ValueError, match="max_frames must be at least 1, got 0"):
        pose_summary(kp, 0)


def test_form_is_none_without_a_measured_angle() -> None:
    kp = _keypoints(6)
    nobody = Keypoints(kp.keypoints, np.zeros_like(kp.scores), "coco17", 25.0, (120, 100), "x")
    assert form_summary(nobody) is None
    assert form_summary(kp) == {
        key: value for key, value in analyze_form(kp).to_dict().items() if key != "source"
    }


def test_cli_predict_json_shows_pose_and_form(athletes: Path, tmp_path: Path) -> None:
    run = write_tiny_skeleton_checkpoint(tmp_path / "run")
    npz = sorted((athletes / "squat").glob("*.npz"))[0]
    result = CliRunner().invoke(app, ["predict", str(npz), "--checkpoint", str(run), "--json"])
    assert result.exit_code == 0, result.output
    (answer,) = json.loads(result.output)
    kp = load_keypoints(npz)
    assert answer["pose"]["frames"] == kp.num_frames == len(answer["pose"]["keypoints"])
    count = analyze_form(kp).repetitions.count
    assert answer["form"]["count"] == count
    table = CliRunner().invoke(app, ["predict", str(npz), "--checkpoint", str(run)])
    assert table.exit_code == 0, table.output
    plural = "" if count == 1 else "s"
    line = f"person found in 100% of {kp.num_frames} frames; {count} repetition{plural}"
    assert line in table.output.replace("\n", " ")
