"""The server under load and faults: limits, batching, leaks and clients that vanish."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import torch
from fastapi.testclient import TestClient
from torch import nn

from conftest import MakeVideo
from serve_helpers import running_server, write_tiny_checkpoint
from sportslens.predict import Predictor
from sportslens.serve import ServeSettings, create_app


class GatedHead(nn.Module):
    """The model's head, recording each batch size and holding calls while the gate is shut."""

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.head = head
        self.batch_sizes: list[int] = []
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.gate.set()

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        self.batch_sizes.append(len(features))  # (B, F)
        self.entered.set()
        assert self.gate.wait(timeout=60), "the test never opened the gate"
        logits: torch.Tensor = self.head(features)
        return logits


def gated_predictor(tmp_path: Path) -> tuple[Predictor, GatedHead]:
    predictor = Predictor.from_checkpoint(write_tiny_checkpoint(tmp_path / "run"))
    gated = GatedHead(predictor.model.head)
    predictor.model.head = gated
    return predictor, gated


def until(condition: Callable[[], bool], what: str, limit_s: float = 120) -> None:
    """Poll for a state the server reaches on its own; the limit only guards against a hang."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.01)


def post(url_or_client: Any, video: Path) -> Any:
    files = {"file": (video.name, video.read_bytes(), "video/mp4")}
    if isinstance(url_or_client, str):
        return httpx.post(f"{url_or_client}/v1/predict", files=files, timeout=60)
    return url_or_client.post("/v1/predict", files=files)


def test_requests_over_the_time_limit_get_504_and_keep_their_slot_until_the_work_ends(
    tmp_path: Path, make_video: MakeVideo
) -> None:
    predictor, gated = gated_predictor(tmp_path)
    gated.gate.clear()  # the model holds every call: the request cannot finish in time
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    settings = ServeSettings(request_timeout_s=0.2, max_in_flight=1, max_queue=0, temp_dir=uploads)
    app = create_app(predictor, settings)
    video = make_video("a.mp4", frames=30)
    with TestClient(app) as client:
        response = post(client, video)
        assert response.status_code == 504
        assert response.json() == {
            "error": "timeout",
            "message": "the request took longer than the limit of 0.2 s",
        }
        assert not any(uploads.iterdir())
        # The abandoned work still holds the only slot, so no more work than allowed runs.
        assert app.state.server.limiter.running == 1
        assert post(client, video).status_code == 503
        gated.gate.set()
        until(lambda: app.state.server.limiter.running == 0, "the abandoned work ends")


def test_a_full_queue_gets_503(tmp_path: Path, make_video: MakeVideo) -> None:
    predictor, gated = gated_predictor(tmp_path)
    gated.gate.clear()
    app = create_app(predictor, ServeSettings(max_in_flight=1, max_queue=1, batching=False))
    video = make_video("a.mp4", frames=30)
    with running_server(app) as url, ThreadPoolExecutor(2) as pool:
        working = pool.submit(post, url, video)
        assert gated.entered.wait(timeout=30)
        queued = pool.submit(post, url, video)
        until(lambda: app.state.server.limiter.waiting == 1, "the second request queues")
        refused = post(url, video)
        assert refused.status_code == 503
        assert refused.json()["error"] == "server_busy"
        gated.gate.set()
        assert working.result().status_code == 200 and queued.result().status_code == 200


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(
    tmp_path: Path, make_video: MakeVideo
) -> None:
    predictor, gated = gated_predictor(tmp_path)
    videos = [make_video(f"v{i}.mp4", frames=20 + 7 * i, width=64 + 16 * i) for i in range(6)]
    expected = [predictor.predict(video).to_dict()["top"] for video in videos]
    gated.batch_sizes.clear()
    gated.entered.clear()
    gated.gate.clear()  # hold the first request in the model while the others arrive
    settings = ServeSettings(max_in_flight=8, max_batch=8, batch_wait_ms=5000)
    app = create_app(predictor, settings)
    with running_server(app) as url, ThreadPoolExecutor(6) as pool:
        first = pool.submit(post, url, videos[0])
        assert gated.entered.wait(timeout=30)
        rest = [pool.submit(post, url, video) for video in videos[1:]]
        until(lambda: app.state.server.batcher.waiting == 5, "five calls wait for the model")
        gated.gate.set()
        answers = [future.result().json() for future in [first, *rest]]
    assert gated.batch_sizes == [1, 5]  # the five that arrived together ran as one batch
    for video, answer, top in zip(videos, answers, expected, strict=True):
        assert answer["source"] == video.name
        assert [t["label"] for t in answer["top"]] == [t["label"] for t in top]
        assert [t["score"] for t in answer["top"]] == pytest.approx(
            [t["score"] for t in top], abs=1e-5
        )


def test_without_batching_each_request_runs_alone(tmp_path: Path, make_video: MakeVideo) -> None:
    predictor, gated = gated_predictor(tmp_path)
    video = make_video("a.mp4", frames=30)
    app = create_app(predictor, ServeSettings(batching=False))
    with running_server(app) as url, ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: post(url, video), range(4)))
    assert all(answer.status_code == 200 for answer in answers)
    assert gated.batch_sizes == [1, 1, 1, 1]
    assert app.state.server.batcher is None


def rss_bytes() -> int:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) * 1024


def open_fds() -> int:
    return len(list(Path("/proc/self/fd").iterdir()))


def test_200_sequential_requests_leave_memory_and_file_descriptors_flat(
    tmp_path: Path, make_video: MakeVideo
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    video = make_video("a.mp4", frames=30)
    settings = ServeSettings(temp_dir=uploads)
    with TestClient(create_app(write_tiny_checkpoint(tmp_path / "run"), settings)) as client:
        for _ in range(20):  # warm up: allocator pools, thread pools, lazy imports
            assert post(client, video).status_code == 200
        rss, fds = rss_bytes(), open_fds()
        for _ in range(200):
            assert post(client, video).status_code == 200
        grown_mb = (rss_bytes() - rss) / 2**20
        assert grown_mb < 10, f"RSS grew by {grown_mb:.1f} MB over 200 requests"
        assert open_fds() <= fds + 2
    assert not list(uploads.iterdir())


def test_a_client_that_disconnects_mid_upload_leaves_no_temporary_file(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    app = create_app(write_tiny_checkpoint(tmp_path / "run"), ServeSettings(temp_dir=uploads))
    with running_server(app) as url:
        port = int(url.rsplit(":", 1)[1])
        head = (
            "POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 5000000\r\n\r\n"
            '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(head.encode() + b"\0" * 200_000)  # 200 kB of a promised 5 MB
            until(lambda: any(uploads.iterdir()), "the server spools the upload")
        until(lambda: not any(uploads.iterdir()), "the partial upload is deleted")
        assert httpx.get(f"{url}/health").status_code == 200
