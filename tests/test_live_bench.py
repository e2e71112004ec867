"""``bench live`` on a short run: the camera loops, the figures add up (no timing asserted)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from sportslens.live_bench import LiveBenchConfig, LoopingCamera, camera_frames


def test_the_camera_loops_its_frames_at_640x480() -> None:
    config = LiveBenchConfig(loop_s=0.5, fps=10)
    frames = camera_frames(config)
    assert len(frames) == 5 and frames[0].shape == (480, 640, 3)
    camera = LoopingCamera(frames, 200.0)
    seen = [item[0] for _ in range(12) if (item := camera.next(5.0)) is not None]
    camera.close()
    assert len(seen) == 12 and seen == sorted(seen)  # newest frames, in order, past the loop
    assert seen[-1] >= 11 and camera.ended is None


def test_bench_live_reports_every_figure() -> None:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    args = ["bench", "live", "--seconds", "2", "--warmup", "1", "--fps", "10", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["size"] == "640x480" and figures["seconds"] == 2
    assert 0 < figures["analysed"] <= figures["captured"] <= 2 * 10 + 2
    assert figures["analysed"] + figures["dropped"] <= figures["captured"] + 1
    assert 0 < figures["latency_p50_ms"] <= figures["latency_p95_ms"]
    assert figures["rss_start_mb"] > 0 and figures["rss_growth_mb"] is not None
