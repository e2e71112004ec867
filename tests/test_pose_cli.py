"""``sportslens pose`` and ``pose-extract`` through typer's runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from conftest import MakeVideo
from sportslens.cli import app
from sportslens.pose import load_keypoints
from sportslens.pose.extract import keypoint_paths
from sportslens.video import probe

runner = CliRunner()


def test_pose_imports_keypoints_smooths_and_draws_an_overlay(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    video = make_video("clip.mp4", frames=10)
    (tmp_path / "other.json").write_text(json.dumps(np.full((10, 17, 3), 20.0).tolist()))
    out, overlay = tmp_path / "kp.npz", tmp_path / "overlay.mp4"
    args = ["pose", str(video), "--out-file", str(out), "--from", str(tmp_path / "other.json")]
    result = runner.invoke(app, [*args, "--overlay", str(overlay), "--smooth", "savgol", "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["frames"] == 10 and facts["detected"] == 1.0 and facts["layout"] == "coco17"
    kp = load_keypoints(out)
    assert (kp.num_frames, kp.size, kp.source) == (10, (96, 64), str(video))
    with np.load(out) as data:
        assert str(data["backend"]) == "import" and str(data["smoothing"]) == "savgol"
    assert probe(overlay).num_frames == 10


def test_pose_reports_bad_input_with_exit_code_2(make_video: MakeVideo, tmp_path: Path) -> None:
    video = make_video(frames=3)
    result = runner.invoke(app, ["pose", str(tmp_path / "none.mp4"), "--out-file", "kp.npz"])
    assert result.exit_code == 2 and "none.mp4: no such file" in result.output
    result = runner.invoke(app, ["pose", str(video), "--out-file", "kp.npz", "--backend", "import"])
    assert result.exit_code == 2 and "needs the keypoint file" in result.output


def test_pose_names_a_still_image_and_keeps_a_one_frame_videos_fps(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    """A PNG renamed .mp4 once became a one-frame video with a made-up fps (-1535890.35) that
    failed later without naming the file; a real one-frame video keeps its own rate."""
    keypoints = tmp_path / "other.json"
    keypoints.write_text(json.dumps(np.full((1, 17, 3), 20.0).tolist()))
    photo = tmp_path / "photo.mp4"
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(photo, format="PNG")
    args = ["--out-file", str(tmp_path / "kp.npz"), "--backend", "import", "--from", str(keypoints)]
    result = runner.invoke(app, ["pose", str(photo), *args])
    assert result.exit_code == 2
    assert "photo.mp4: is a still image (png), not a video" in result.output
    one = make_video("one.mp4", frames=1, fps=24)
    assert runner.invoke(app, ["pose", str(one), *args]).exit_code == 0
    assert load_keypoints(tmp_path / "kp.npz").fps == 24.0


@pytest.fixture
def dataset(tmp_path: Path, make_video: MakeVideo) -> Path:
    """Two classes of short videos with no person in them, and one file that is not a video."""
    root = tmp_path / "data"
    for name in ["lift/a.mp4", "lift/b.mp4", "jump/c.mp4"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(make_video(Path(name).name, frames=6), root / name)
    (root / "jump" / "broken.mp4").write_bytes(b"\x00" * 500)
    return root


def extract(data: Path, out: Path, *extra: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(
        app, ["pose-extract", str(data), "--out", str(out), "--workers", "1", "--json", *extra]
    )
    return result.exit_code, json.loads(result.output)


def test_pose_extract_mirrors_paths_reports_failures_and_resumes(
    dataset: Path, tmp_path: Path
) -> None:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    out = tmp_path / "kp"
    code, summary = extract(dataset, out)
    assert code == 1  # one video failed; the others are written
    assert (summary["videos"], summary["done"], summary["skipped"]) == (4, 3, 0)
    failed = summary["failed"]
    assert isinstance(failed, list) and [Path(f["source"]).name for f in failed] == ["broken.mp4"]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.npz")) == [
        "jump/c.npz",
        "lift/a.npz",
        "lift/b.npz",
    ]
    few = summary["few_detections"]
    assert isinstance(few, list) and len(few) == 3 and {f["detected"] for f in few} == {0.0}
    assert load_keypoints(out / "lift" / "a.npz").num_frames == 6

    (out / "lift" / "b.npz").unlink()  # as if the first run had stopped before this video
    code, summary = extract(dataset, out)
    assert (code, summary["done"], summary["skipped"]) == (1, 1, 2)

    (dataset / "jump" / "broken.mp4").unlink()
    code, summary = extract(dataset, out, "--min-detected", "0")
    assert (code, summary["done"], summary["skipped"], summary["few_detections"]) == (0, 0, 3, [])
    assert not list(out.rglob("*.tmp*"))


def test_pose_extract_prints_a_summary(dataset: Path, tmp_path: Path) -> None:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    (dataset / "jump" / "broken.mp4").unlink()
    (dataset / "jump" / "c.mp4").unlink()
    args = ["pose-extract", str(dataset), "--out", str(tmp_path / "kp"), "--workers", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2 videos: 2 extracted, 0 already done, 0 failed" in result.output
    assert "a person in fewer than 50% of frames" in result.output


@pytest.mark.slow
def test_pose_extract_in_worker_processes(dataset: Path, tmp_path: Path) -> None:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    code, summary = extract(dataset, tmp_path / "kp", "--workers", "2")
    assert (code, summary["done"], len(summary["failed"])) == (1, 3, 1)  # type: ignore[arg-type]


def test_pose_extract_stops_at_once_when_the_model_is_missing(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("transformers", reason="the hf extra is not installed")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    args = [
        "--backend",
        "vitpose",
        "--vitpose-model",
        "sportslens-tests/none",
        "--detector",
        "none",
    ]
    result = runner.invoke(app, ["pose-extract", str(dataset), "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert "hf download sportslens-tests/none" in " ".join(result.output.split())


def test_pose_extract_refuses_the_import_backend(dataset: Path, tmp_path: Path) -> None:
    args = ["pose-extract", str(dataset), "--out", str(tmp_path), "--backend", "import"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "import one file" in result.output


def test_keypoint_paths_mirror_the_dataset_and_refuse_clashes(tmp_path: Path) -> None:
    root, out = tmp_path / "data", tmp_path / "kp"
    sources = [str(root / "a" / "x.mp4"), str(root / "b" / "y.avi"), str(root / "a" / "x.mp4")]
    paths = keypoint_paths(sources, root, out)
    assert paths == {sources[0]: out / "a" / "x.npz", sources[1]: out / "b" / "y.npz"}
    elsewhere = [str(tmp_path / "v" / "1" / "x.mp4"), str(tmp_path / "v" / "2" / "x.mp4")]
    assert list(keypoint_paths(elsewhere, root, out).values()) == [
        out / "1" / "x.npz",
        out / "2" / "x.npz",
    ]
    with pytest.raises(ValueError, match="share a keypoint file"):
        keypoint_paths([str(root / "x.mp4"), str(root / "x.avi")], root, out)
