"""The command line, run through typer's runner; machine output parsed as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import sportslens
from conftest import MakeVideo
from sportslens.cli import app

runner = CliRunner()


def test_version_and_help() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert sportslens.__version__ in result.output
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "probe" in result.output and "bench" in result.output


def test_probe_json(make_video: MakeVideo) -> None:
    path = make_video("a.mp4", frames=45, fps=15)
    result = runner.invoke(app, ["probe", str(path), "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["num_frames"] == 45
    assert facts["fps"] == 15
    assert (facts["width"], facts["height"], facts["codec"]) == (96, 64, "h264")


def test_probe_table_and_sample_sheet(make_video: MakeVideo, tmp_path: Path) -> None:
    path = make_video("a.mp4", frames=45)
    sheet = tmp_path / "sheet.png"
    result = runner.invoke(
        app, ["probe", str(path), "--sample", "8", "--short-side", "32", "--sheet", str(sheet)]
    )
    assert result.exit_code == 0, result.output
    assert "num_frames" in result.output and "45" in result.output
    assert sheet.stat().st_size > 0
    facts = json.loads(
        runner.invoke(
            app, ["probe", str(path), "--sample", "8", "--short-side", "32", "--json"]
        ).output
    )
    assert facts["sample"]["indices"] == sportslens.sampling.uniform(45, 8).tolist()
    assert facts["sample"]["shape"] == [8, 3, 32, 48]


def test_probe_bad_file_exits_2_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    result = runner.invoke(app, ["probe", str(bad)])
    assert result.exit_code == 2
    assert "broken.mp4" in result.output


def test_bench_decode_runs_on_short_videos(tmp_path: Path) -> None:
    args = ["bench", "decode", "--videos", str(tmp_path), "--seconds", "0.2", "--repeats", "1"]
    result = runner.invoke(app, [*args, "--threads", "2", "--threads", "1", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 20  # (3 sizes x 2 keyframe intervals + 4 high-bitrate files) x 2 threads
    assert [row["threads"] for row in rows[:2]] == [2, 1]
    for row in rows:
        assert row["frames"] == 6
        assert row["read_frames_ms"] > 0 and row["naive_ms"] > 0 and row["decode_all_ms"] > 0
        assert row["speedup_vs_naive"] == row["naive_ms"] / row["read_frames_ms"]
        fastest = min(row["decode_all_ms"], row["decode_all_slices_ms"])
        assert row["ratio_to_decode_all"] == row["read_frames_ms"] / fastest
    # What the files are, read back from them, and what read_frames threads across with 2 threads.
    files = {r["video"]: (r["slices"], r["threading"]) for r in rows if r["threads"] == 2}
    assert files == {
        "320x240_default-gop_pan_1slice_0.2s.mp4": (1, "frames"),
        "320x240_gop30_pan_1slice_0.2s.mp4": (1, "frames"),
        "640x360_default-gop_pan_1slice_0.2s.mp4": (1, "frames"),
        "640x360_gop30_pan_1slice_0.2s.mp4": (1, "frames"),
        "1280x720_default-gop_pan_1slice_0.2s.mp4": (1, "frames"),
        "1280x720_gop30_pan_1slice_0.2s.mp4": (1, "frames"),
        "1280x720_default-gop_zoom_1slice_0.2s.mp4": (1, "frames"),
        "1280x720_default-gop_zoom_4slices_0.2s.mp4": (4, "slices"),
        "1280x720_default-gop_zoom-p-only_4slices_0.2s.mp4": (4, "frames"),
        "1920x1080_default-gop_zoom_4slices_0.2s.mp4": (4, "slices"),
    }
    assert {row["threading"] for row in rows if row["threads"] == 1} == {"none"}


def _class_tree(make_video: MakeVideo, root: Path) -> Path:
    """root/<class>/<video>: two classes, three videos each, plus a stray text file."""
    for label in ("squat", "lunge"):
        (root / label).mkdir(parents=True)
        for i in range(3):
            make_video(f"{root.name}/{label}/{label}_{i}.mp4", frames=20 + 10 * i)
    (root / "squat" / "notes.txt").write_text("not a video")
    return root


def test_catalog_table_json_and_outputs(make_video: MakeVideo, tmp_path: Path) -> None:
    data = _class_tree(make_video, tmp_path / "data")
    result = runner.invoke(app, ["catalog", str(data), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["videos"] == 6
    by_class = {row["label"]: row for row in report["classes"]}
    assert by_class["squat"]["videos"] == 3
    assert by_class["lunge"]["duration_max"] == pytest.approx(40 / 30, rel=1e-3)
    assert report["problems"][0][0].endswith("notes.txt")

    out = tmp_path / "out"
    result = runner.invoke(app, ["catalog", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "total" in result.output and "notes.txt" in result.output
    frame = pd.read_csv(out / "catalog.csv")
    assert len(frame) == 6 and frame["readable"].all()
    assert pd.read_parquet(out / "catalog.parquet")["frames"].tolist() == frame["frames"].tolist()
    for picture in ("class_counts.png", "contact_sheet.png"):
        assert (out / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_catalog_check_finds_a_video_corrupt_mid_way(make_video: MakeVideo, tmp_path: Path) -> None:
    data = _class_tree(make_video, tmp_path / "data")
    victim = data / "lunge" / "lunge_2.mp4"
    raw = bytearray(victim.read_bytes())
    third = len(raw) // 3
    raw[third : third + third // 2] = bytes(third // 2)
    victim.write_bytes(bytes(raw))
    assert runner.invoke(app, ["catalog", str(data), "--json"]).exit_code == 0  # probe can't tell
    result = runner.invoke(app, ["catalog", str(data), "--check", "--json"])
    assert result.exit_code == 1
    bad = json.loads(result.output)["undecodable"]
    assert [Path(path).name for path, _ in bad] == ["lunge_2.mp4"]


def test_split_saves_a_reproducible_assignment(make_video: MakeVideo, tmp_path: Path) -> None:
    data = _class_tree(make_video, tmp_path / "data")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (first, second):
        args = ["split", str(data), "--out-file", str(out), "--fractions", "0.34", "0.33", "0.33"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    assert first.read_text() == second.read_text()
    assert set(pd.read_csv(first)["split"]) == {"train", "val", "test"}


def test_models_lists_every_family_with_parameters() -> None:
    result = runner.invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["model"]: row for row in json.loads(result.output)}
    assert {"r2plus1d_tiny", "r3d_18", "swin3d_t", "timesformer", "vjepa2"} <= set(rows)
    assert rows["r3d_18"]["params_m"] == pytest.approx(33.37, abs=0.01)  # torchvision's count
    assert rows["r3d_18"]["weights"] == ["kinetics400"]
    assert rows["r2plus1d_tiny"]["frames"] == 16 and rows["r2plus1d_tiny"]["family"] == "small"


def test_labels_kinetics_and_sports() -> None:
    result = runner.invoke(app, ["labels", "kinetics400", "--json"])
    assert result.exit_code == 0
    names = json.loads(result.output)
    assert len(names) == 400 and names[0] == "abseiling"
    groups = json.loads(runner.invoke(app, ["labels", "kinetics400", "--sports", "--json"]).output)
    assert sum(len(members) for members in groups.values()) == 134
    assert "clean and jerk" in groups["weightlifting and fitness"]
    assert runner.invoke(app, ["labels", "imagenet"]).exit_code == 2


def test_predict_sports_only_ranks_only_sports(make_video: MakeVideo, tmp_path: Path) -> None:
    """A random 400-class r2plus1d_tiny with Kinetics names: every shown label is a sport."""
    from sportslens.checkpoint import CheckpointInfo, save_checkpoint
    from sportslens.labels import kinetics400_classes, kinetics400_sports
    from sportslens.models import create_model

    model = create_model("r2plus1d_tiny", 400, width=4)
    info = CheckpointInfo(
        "r2plus1d_tiny", kinetics400_classes(), model.preprocess, model.build_kwargs
    )
    save_checkpoint(tmp_path / "k400", model, info)
    video = make_video("a.mp4", frames=20)
    args = ["predict", str(video), "--checkpoint", str(tmp_path / "k400"), "--top-k", "10"]
    result = runner.invoke(app, [*args, "--sports-only", "--json"])
    assert result.exit_code == 0, result.output
    top = json.loads(result.output)[0]["top"]
    assert len(top) == 10 and {t["label"] for t in top} <= set(kinetics400_sports())
    assert sum(t["score"] for t in top) <= 1.0 + 1e-6
    everything = json.loads(runner.invoke(app, [*args, "--json"]).output)[0]["top"]
    assert len(everything) == 10


def test_synth_then_catalog(tmp_path: Path) -> None:
    out = tmp_path / "athletes"
    args = ["synth", str(out), "--classes", "squat", "--classes", "push_up", "--per-class", "3"]
    result = runner.invoke(app, [*args, "--seconds", "1", "--size", "64", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "squat").glob("*.npz")) == [
        f"squat_{i:04d}.npz" for i in range(3)
    ]
    report = json.loads(runner.invoke(app, ["catalog", str(out), "--json"]).output)
    assert report["videos"] == 6 and report["problems"] == []
    assert {row["label"]: row["videos"] for row in report["classes"]} == {"push_up": 3, "squat": 3}
    assert all(row["duration_mean"] == pytest.approx(1.0) for row in report["classes"])


@pytest.mark.parametrize("command", [["predict", "a.mp4"], ["timeline", "a.mp4"], ["serve"]])
def test_each_command_without_a_model_says_the_same_thing(command: list[str]) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    expected = "give --checkpoint RUN_DIR, or --model NAME with --weights"
    assert expected in result.output
