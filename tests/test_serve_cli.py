"""``sportslens serve`` wiring (uvicorn replaced by a recorder) and the load generator."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import MakeVideo
from serve_helpers import running_server, write_tiny_checkpoint
from sportslens.cli import app
from sportslens.serve import create_app
from sportslens.serve.connections import HeadDeadlineProtocol
from sportslens.serve.loadtest import post_for, summarize_load

runner = CliRunner()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What ``sportslens serve`` hands to uvicorn, instead of serving forever."""
    calls: dict[str, Any] = {}

    def record(server: uvicorn.Server, sockets: list[socket.socket]) -> None:
        config = server.config
        keys = ("app", "host", "port", "http", "limit_concurrency", "timeout_keep_alive")
        calls.update({key: getattr(config, key) for key in keys})
        calls["bound"] = [s.getsockname()[1] for s in sockets]
        for listening in sockets:
            listening.close()

    monkeypatch.setattr(uvicorn.Server, "run", record)
    return calls


def test_serve_builds_the_app_from_its_options(served: dict[str, Any], tmp_path: Path) -> None:
    run_dir = write_tiny_checkpoint(tmp_path / "run")
    options = ["--checkpoint", str(run_dir), "--port", "8123", "--no-batching"]
    result = runner.invoke(app, ["serve", *options, "--max-upload-mb", "1"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    with TestClient(served["app"]) as client:
        info = client.get("/v1/model").json()
    assert info["batching"] is False and info["max_upload_bytes"] == 2**20
    assert info["name"] == "r2plus1d_tiny"


def test_serve_bounds_connections_uploads_and_decoded_sizes(
    served: dict[str, Any], tmp_path: Path
) -> None:
    run_dir = write_tiny_checkpoint(tmp_path / "run")
    limits = {
        "--max-connections": "7", "--header-timeout": "2.5", "--keep-alive": "3",
        "--upload-timeout": "30", "--max-frame-pixels": "1000000",
        "--max-video-pixels": "5000000000", "--max-keypoint-mb": "2",
    }  # fmt: skip
    options = [item for pair in limits.items() for item in pair]
    result = runner.invoke(app, ["serve", "--checkpoint", str(run_dir), *options])
    assert result.exit_code == 0, result.output
    assert (served["limit_concurrency"], served["timeout_keep_alive"]) == (7, 3)
    assert issubclass(served["http"], HeadDeadlineProtocol)
    assert served["http"].head_timeout_s == 2.5
    with TestClient(served["app"]) as client:
        settings = client.app.state.server.settings  # type: ignore[attr-defined]
    assert (settings.upload_timeout_s, settings.max_frame_pixels) == (30, 10**6)
    assert (settings.max_video_pixels, settings.max_keypoint_bytes) == (5 * 10**9, 2 * 2**20)


def test_serve_sets_the_live_limits(served: dict[str, Any], tmp_path: Path) -> None:
    run_dir = write_tiny_checkpoint(tmp_path / "run")
    limits = ["--max-live-sessions", "3", "--max-live-fps", "10", "--max-live-frame-kb", "100"]
    args = ["serve", "--checkpoint", str(run_dir), *limits, "--no-live-streams"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    live = served["app"].state.live.settings
    assert (live.max_sessions, live.max_fps, live.default_fps) == (3, 10, 10)
    assert (live.max_frame_bytes, live.streams) == (100 * 1024, False)


def test_serve_takes_the_api_key_from_the_environment(
    served: dict[str, Any], tmp_path: Path
) -> None:
    run_dir = write_tiny_checkpoint(tmp_path / "run")
    env = {"SPORTSLENS_API_KEY": "from-env"}
    result = runner.invoke(app, ["serve", "--checkpoint", str(run_dir)], env=env)
    assert result.exit_code == 0, result.output
    with TestClient(served["app"]) as client:
        assert client.get("/v1/model").status_code == 401
        assert client.get("/v1/model", headers={"x-api-key": "from-env"}).status_code == 200


def test_serve_without_a_model_says_what_to_give(served: dict[str, Any]) -> None:
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "--checkpoint RUN_DIR, or --model NAME with --weights" in result.output
    assert not served


def test_serve_puts_the_model_on_the_device_given(served: dict[str, Any], tmp_path: Path) -> None:
    run_dir = write_tiny_checkpoint(tmp_path / "run")
    result = runner.invoke(app, ["serve", "--checkpoint", str(run_dir), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    with TestClient(served["app"]) as client:
        predictor = client.app.state.server.predictor  # type: ignore[attr-defined]
    assert predictor.device == torch.device("cpu")
    assert next(predictor.model.parameters()).device == torch.device("cpu")
    bad = runner.invoke(app, ["serve", "--checkpoint", str(run_dir), "--device", "gpu9"])
    assert bad.exit_code != 0 and "gpu9" in bad.output and "Traceback" not in bad.output


@pytest.mark.parametrize("spelling", ["--weights", "--pretrained"])
def test_serve_takes_weights_as_predict_does(
    served: dict[str, Any], tmp_path: Path, spelling: str
) -> None:
    """``--weights`` is the name, ``--pretrained`` its alias; both reach the model loader."""
    weights = tmp_path / "mine.safetensors"
    args = ["serve", "--model", "r2plus1d_tiny", spelling, str(weights), "--device", "cpu"]
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and str(weights) in result.output
    assert "Traceback" not in result.output and not served
    shown = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
    help_text = " ".join(shown.replace("│", " ").split())  # help wraps in a box
    assert "--weights" in help_text and "a hub id or a local path" in help_text


def test_a_bad_checkpoint_is_one_error_line(served: dict[str, Any], tmp_path: Path) -> None:
    run_dir = write_tiny_checkpoint(tmp_path / "run")
    (run_dir / "best" / "model.safetensors").write_bytes(b"not a safetensors file")
    result = runner.invoke(app, ["serve", "--checkpoint", str(run_dir)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("error: ") and "not a readable safetensors file" in result.output
    assert "Traceback" not in result.output and len(lines) <= 3  # one message, soft-wrapped
    assert not served  # no server was started


def test_port_0_prints_the_port_the_server_answers_on(tmp_path: Path) -> None:
    run_dir = write_tiny_checkpoint(tmp_path / "run")
    src = str(Path(__file__).resolve().parents[1] / "src")
    command = [sys.executable, "-m", "sportslens", "serve", "--checkpoint", str(run_dir)]
    server = subprocess.Popen(
        [*command, "--port", "0", "--log-level", "warning"],
        env={**os.environ, "PYTHONPATH": src, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # printed once the model is loaded and the port bound
        found = re.search(r"playground: http://127\.0\.0\.1:(\d+)/", line)
        assert found, line
        port = int(found.group(1))
        assert port != 0
        ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=30)
        assert ready.json() == {"status": "ready", "model": "r2plus1d_tiny"}
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_load_generator_counts_answers_and_orders_percentiles(
    tmp_path: Path, make_video: MakeVideo
) -> None:
    video = make_video("a.mp4", frames=30).read_bytes()
    with running_server(create_app(write_tiny_checkpoint(tmp_path / "run"))) as url:
        latencies, errors, elapsed = post_for(url, video, clients=2, seconds=0.3)
        _, refused, _ = post_for(url, b"not a video", clients=1, seconds=0.1)
    assert errors == 0 and len(latencies) >= 2 and refused >= 1
    row = summarize_load(latencies, errors, elapsed)
    assert row["requests"] == len(latencies)
    assert row["requests_per_s"] == len(latencies) / elapsed
    assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= max(latencies)


DOCS = Path(__file__).resolve().parents[1] / "docs" / "serving.md"


def test_the_curl_examples_in_the_serving_guide_work(tmp_path: Path, make_video: MakeVideo) -> None:
    make_video("clip.mp4", frames=30)
    blocks = re.findall(r"```bash\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    commands = [
        line
        for block in blocks
        for line in block.replace("\\\n", " ").splitlines()
        if line.startswith("curl ")
    ]
    assert len(commands) == 3
    with running_server(create_app(write_tiny_checkpoint(tmp_path / "run"))) as url:
        for command in commands:
            command = command.replace("http://127.0.0.1:8000", url)
            done = subprocess.run(
                ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, check=True
            )
            answer = json.loads(done.stdout)
            assert "error" not in answer, (command, answer)
            assert answer.get("source", "clip.mp4") == "clip.mp4"


def test_the_python_example_in_the_serving_guide_builds_an_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tiny_checkpoint(tmp_path / "runs" / "quickstart")
    monkeypatch.chdir(tmp_path)
    [block] = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(block, str(DOCS), "exec"), namespace)
    with TestClient(namespace["app"]) as client:  # the lifespan loads the run folder
        info = client.get("/v1/model").json()
    assert info["name"] == "r2plus1d_tiny" and info["max_upload_bytes"] == 50 * 2**20
