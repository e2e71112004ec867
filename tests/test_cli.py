"""The command line, run through typer's runner; machine output parsed as JSON."""

from __future__ import annotations

import json
from pathlib import Path

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
        app, ["probe", str(path), "--sample", "8", "--size", "32", "--sheet", str(sheet)]
    )
    assert result.exit_code == 0, result.output
    assert "num_frames" in result.output and "45" in result.output
    assert sheet.stat().st_size > 0
    facts = json.loads(
        runner.invoke(app, ["probe", str(path), "--sample", "8", "--size", "32", "--json"]).output
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
    args = ["bench", "decode", "--videos", str(tmp_path), "--seconds", "0.5", "--repeats", "1"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 12  # 3 sizes x 2 keyframe intervals x 2 thread counts
    assert {row["threads"] for row in rows} == {1, 2}
    for row in rows:
        assert row["frames"] == 15
        assert row["read_frames_ms"] > 0 and row["naive_ms"] > 0 and row["decode_all_ms"] > 0
        assert row["speedup_vs_naive"] == row["naive_ms"] / row["read_frames_ms"]
