"""``/v1/live``: camera frames over a WebSocket, a stream URL, the limits and their messages."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from live_helpers import NoPose, all_sessions_closed, athlete, jpeg
from serve_helpers import running_server, write_tiny_checkpoint
from sportslens.serve import ServeSettings, create_app
from sportslens.serve.live_limits import LiveSettings
from sportslens.synth.files import write_y4m


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_checkpoint(tmp_path_factory.mktemp("live") / "run")


def live_app(checkpoint: Path, pose: Any = None, **limits: Any) -> FastAPI:
    settings = ServeSettings(live=LiveSettings(**limits))
    return create_app(checkpoint, settings, live_pose=pose)


def closed_with(ws: Any) -> tuple[int, str]:
    """Read until the server closes; its close code and reason."""
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            ws.receive_json()
    return closed.value.code, closed.value.reason


def answer(ws: Any) -> dict[str, Any]:
    """The next ``frame`` message, skipping ``repetition`` events."""
    while (message := ws.receive_json())["event"] != "frame":
        pass
    return message


def test_the_camera_mode_counts_a_generated_athletes_squats(checkpoint: Path) -> None:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    frames, truth = athlete(3.0, 30)
    pose = NoPose(mediapipe=True)
    app = live_app(checkpoint, pose, max_fps=1000)  # the test sends as fast as answers come
    with TestClient(app) as client:
        with client.websocket_connect("/v1/live?exercise=squat&fps=30") as ws:
            ready = ws.receive_json()
            results = []
            for frame in frames:
                ws.send_bytes(jpeg(frame))
                results.append(answer(ws))
            assert app.state.live.open == 1
        assert all_sessions_closed(app.state.live) and pose.wait_until_left()
    assert ready["event"] == "ready" and ready["mode"] == "camera" and ready["edges"]
    assert truth >= 2 and results[-1]["count"] == truth
    assert [r["frame"] for r in results] == list(range(len(frames)))
    seen = [r for r in results if any(j is not None for j in r["keypoints"])]
    assert len(seen) > 0.9 * len(frames) and seen[0]["size"] == [256, 256]
    assert results[-1]["angle"] is not None and results[-1]["signal"] == "knees"


@pytest.mark.parametrize(
    ("limits", "query", "code", "reason"),
    [
        ({}, "exercise=cartwheel", 1008, "unknown exercise 'cartwheel'"),
        ({"max_fps": 20, "default_fps": 10}, "fps=25", 1008, "fps=25 is outside 0-20"),
        ({}, "source=file:///etc/passwd", 1008, "a stream URL must start with one of rtsp"),
        ({"streams": False}, "source=rtsp://x", 1008, "this server does not read stream URLs"),
    ],
)
def test_bad_parameters_close_with_a_reason(
    checkpoint: Path, limits: dict[str, Any], query: str, code: int, reason: str
) -> None:
    app = live_app(checkpoint, NoPose(), **limits)
    with TestClient(app) as client, client.websocket_connect(f"/v1/live?{query}") as ws:
        closed = closed_with(ws)
    assert closed[0] == code and closed[1].startswith(reason), closed
    assert app.state.live.open == 0


def test_the_api_key_comes_in_the_query(checkpoint: Path) -> None:
    settings = ServeSettings(api_key="sesame", live=LiveSettings())
    app = create_app(checkpoint, settings, live_pose=NoPose())
    with TestClient(app) as client:
        with client.websocket_connect("/v1/live?key=wrong") as ws:
            assert closed_with(ws) == (
                1008,
                "this server needs its API key (?key=) for live sessions",
            )
        with client.websocket_connect("/v1/live?key=sesame") as ws:
            assert ws.receive_json()["event"] == "ready"


def test_one_session_too_many_is_told_to_try_again_later(checkpoint: Path) -> None:
    pose = NoPose()
    app = live_app(checkpoint, pose, max_sessions=1)
    with TestClient(app) as client:
        with client.websocket_connect("/v1/live") as first:
            assert first.receive_json()["event"] == "ready"
            with client.websocket_connect("/v1/live") as second:
                code, reason = closed_with(second)
            assert app.state.live.open == 1
        with client.websocket_connect("/v1/live") as third:  # the first one's slot is free
            assert third.receive_json()["event"] == "ready"
    assert (code, reason) == (1013, "all 1 live sessions are in use; try again later")
    assert pose.entered == pose.left == 2


@pytest.mark.parametrize(
    ("limits", "size", "code", "reason"),
    [
        ({"max_frame_bytes": 2000}, 128, 1009, "a frame of "),
        ({"max_frame_pixels": 64 * 64}, 128, 1009, "a 128x128 frame is over the limit of 4096"),
    ],
)
def test_a_frame_over_the_size_limits_closes_the_session(
    checkpoint: Path, limits: dict[str, Any], size: int, code: int, reason: str
) -> None:
    frames, _ = athlete(0.2, 10, size=size)
    pose = NoPose()
    app = live_app(checkpoint, pose, **limits)
    with TestClient(app) as client, client.websocket_connect("/v1/live") as ws:
        ws.receive_json()
        ws.send_bytes(jpeg(frames[0]))
        closed = closed_with(ws)
    assert closed[0] == code and closed[1].startswith(reason), closed
    assert pose.frames == [] and pose.entered == pose.left == 1


def test_frames_faster_than_the_limit_close_the_session(checkpoint: Path) -> None:
    frames, _ = athlete(0.2, 10, size=64)
    pose = NoPose()
    app = live_app(checkpoint, pose, max_fps=3, default_fps=3)
    with TestClient(app) as client, client.websocket_connect("/v1/live") as ws:
        ws.receive_json()
        for _ in range(6):  # 6 frames at once: a second's burst (3) and then too many
            ws.send_bytes(jpeg(frames[0]))
        closed = closed_with(ws)
    assert closed == (1008, "frames arrive faster than the limit of 3 per second")
    assert len(pose.frames) <= 3  # the burst's frames at most (none when the close came first)


def test_a_frame_that_is_not_an_image_is_refused(checkpoint: Path) -> None:
    app = live_app(checkpoint, NoPose())
    with TestClient(app) as client, client.websocket_connect("/v1/live") as ws:
        ws.receive_json()
        ws.send_bytes(b"not a jpeg")
        code, reason = closed_with(ws)
    assert code == 1008 and reason.startswith("a frame is not a readable image")


def test_a_camera_that_sends_nothing_ends_its_session(checkpoint: Path) -> None:
    pose = NoPose()
    app = live_app(checkpoint, pose, idle_timeout_s=0.3)
    with TestClient(app) as client, client.websocket_connect("/v1/live") as ws:
        ws.receive_json()
        assert closed_with(ws) == (4408, "no frame for 0.3 s; the session ended")
    assert app.state.live.open == 0 and pose.entered == pose.left == 1


def _raw_websocket(url: str, path: str) -> socket.socket:
    """A real client's handshake by hand, so that the test can vanish without a close frame."""
    host, port = url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    conn.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += conn.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return conn


def _binary_frame(payload: bytes) -> bytes:
    """One masked client-to-server binary frame (RFC 6455 §5.2)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:  # the shortest length encoding, as the RFC requires
        size = bytes([0x80 | length])
    elif length < 2**16:
        size = bytes([0x80 | 126]) + struct.pack(">H", length)
    else:
        size = bytes([0x80 | 127]) + struct.pack(">Q", length)
    head = bytes([0x82]) + size
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


def test_a_client_that_vanishes_mid_session_releases_it(checkpoint: Path) -> None:
    frames, _ = athlete(0.2, 10, size=64)
    pose = NoPose()
    app = live_app(checkpoint, pose)
    with running_server(app) as url:
        conn = _raw_websocket(url, "/v1/live")
        conn.sendall(_binary_frame(jpeg(frames[0])))
        deadline = time.monotonic() + 10
        while not pose.frames and time.monotonic() < deadline:
            time.sleep(0.01)
        assert app.state.live.open == 1
        conn.shutdown(socket.SHUT_RDWR)  # gone: no close frame, the TCP connection just ends
        conn.close()
        assert all_sessions_closed(app.state.live) and pose.entered == pose.left == 1


@contextmanager
def stream_server(y4m: bytes, fps: float, stall_after: int | None = None) -> Iterator[str]:
    """An HTTP camera on 127.0.0.1: a y4m stream at ``fps``, or stalling after some frames."""
    header, *chunks = y4m.split(b"FRAME\n")
    release = threading.Event()

    class Camera(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with contextlib.suppress(ConnectionError):  # a reader that leaves early
                self._send()

        def _send(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "video/x-yuv4mpeg")
            self.send_header("Content-Length", str(len(y4m)))  # a finite stream ends cleanly
            self.end_headers()
            self.wfile.write(header)
            for index, chunk in enumerate(chunks):
                if index == stall_after:
                    release.wait(30)  # a stalled camera: the connection stays open, silent
                    return
                self.wfile.write(b"FRAME\n" + chunk)
                self.wfile.flush()
                time.sleep(1 / fps)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Camera)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/camera.y4m"
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def _y4m_bytes(frames: list[Any], fps: float, tmp_path: Path) -> bytes:
    path = tmp_path / "camera.y4m"
    write_y4m(path, frames, fps)
    return path.read_bytes()


def test_the_stream_mode_reads_a_url_and_counts(checkpoint: Path, tmp_path: Path) -> None:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    # The one the camera mode counts: a 30 fps stream, sent at 15 frames a second so that each
    # frame has 66 ms to be analysed before the next one arrives (about 20 ms on an idle core;
    # sent at 30, a loaded CI machine dropped 20 of 90 frames).
    frames, truth = athlete(3.0, 30)
    pose = NoPose(mediapipe=True)
    app = live_app(checkpoint, pose)
    with (
        stream_server(_y4m_bytes(frames, 30, tmp_path), 15) as url,
        TestClient(app) as client,
        client.websocket_connect(f"/v1/live?exercise=squat&source={url}") as ws,
    ):
        ready = ws.receive_json()
        pictures, messages = 0, []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                message = ws.receive()
                if message.get("bytes") is not None:
                    pictures += 1
                elif message.get("text") is not None:
                    messages.append(json.loads(message["text"]))
                else:
                    raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    assert pose.wait_until_left()
    shown = [m for m in messages if m["event"] == "frame"]
    summary = messages[-1]
    assert ready["mode"] == "stream" and ready["fps"] == 30
    assert (closed.value.code, closed.value.reason) == (1000, "the stream ended")
    assert pictures == len(shown) == summary["analysed"] > 0.8 * len(frames)
    assert summary["analysed"] + summary["dropped"] == len(frames)
    assert truth >= 2 and summary == {**summary, "event": "summary", "count": truth}


def test_a_stream_that_stalls_ends_the_session(checkpoint: Path, tmp_path: Path) -> None:
    frames, _ = athlete(1.0, 10, size=64)
    pose = NoPose()
    app = live_app(checkpoint, pose, idle_timeout_s=0.5)
    y4m = _y4m_bytes(frames, 10, tmp_path)
    with (
        stream_server(y4m, 10, stall_after=3) as url,
        TestClient(app) as client,
        client.websocket_connect(f"/v1/live?source={url}") as ws,
    ):
        ws.receive_json()
        code, reason = _close_of(ws)
    assert (code, reason) == (4408, "no frame from the stream for 0.5 s")
    assert app.state.live.open == 0 and pose.entered == pose.left == 1
    assert 1 <= len(pose.frames) <= 3  # the frames before the stall (a slow run drops some)


def _close_of(ws: Any) -> tuple[int, str]:
    while True:
        message = ws.receive()
        if message["type"] == "websocket.close":
            return message["code"], message.get("reason", "")


def test_a_stream_that_cannot_be_opened_says_so(checkpoint: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nobody listens here once the socket closes
    app = live_app(checkpoint, NoPose())
    with (
        TestClient(app) as client,
        client.websocket_connect(f"/v1/live?source=http://127.0.0.1:{port}/x") as ws,
    ):
        code, reason = _close_of(ws)
    assert code == 1011 and reason.startswith("cannot open the stream"), reason
    assert app.state.live.open == 0


def test_live_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="default_fps=40"):
        LiveSettings(max_fps=30, default_fps=40)
    with pytest.raises(ValueError, match="idle_timeout_s=0"):
        replace(LiveSettings(), idle_timeout_s=0)


def test_a_client_that_leaves_a_stream_session_releases_it(
    checkpoint: Path, tmp_path: Path
) -> None:
    frames, _ = athlete(3.0, 10, size=64)
    pose = NoPose()
    app = live_app(checkpoint, pose)
    with (
        stream_server(_y4m_bytes(frames, 10, tmp_path), 10) as url,
        TestClient(app) as client,
    ):
        with client.websocket_connect(f"/v1/live?source={url}") as ws:
            ws.receive_json()
            assert ws.receive_bytes()[:2] == b"\xff\xd8"  # a frame, as JPEG
            assert answer(ws)["frame"] == 0
        assert pose.wait_until_left()
        assert all_sessions_closed(app.state.live)
    assert 1 <= len(pose.frames) < len(frames)  # it stopped reading when the client left


def test_a_long_reason_is_cut_to_what_a_close_frame_holds(checkpoint: Path) -> None:
    app = live_app(checkpoint, NoPose())
    name = "é" * 100  # 200 bytes of UTF-8
    with TestClient(app) as client, client.websocket_connect(f"/v1/live?exercise={name}") as ws:
        code, reason = closed_with(ws)
    assert code == 1008 and reason.startswith("unknown exercise 'éé")
    assert len(reason.encode()) <= 123
