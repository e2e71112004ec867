"""One client must not exhaust the server: decompression bombs, slow clients, bad query values.

Each case was found by an abuse campaign (issue 13): a 16 KB video of 8192x8192 frames, a 620 KB
``.npz`` holding a 600 MB array, clients trickling a byte every 2 s or stopping half-way through
their headers, ``window=inf``, a UTF-8 file name that came back garbled.
"""

from __future__ import annotations

import io
import json
import socket
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

import sportslens.models.video_input
from conftest import MakeVideo
from serve_helpers import running_server, write_tiny_checkpoint, write_tiny_skeleton_checkpoint
from sportslens.serve import ServeSettings, create_app, server_options
from sportslens.writer import VideoWriter


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_tiny_checkpoint(tmp_path / "run")


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The frame indices of every ``read_frames`` call the predictor makes."""
    calls: list[Any] = []
    read_frames = sportslens.models.video_input.read_frames

    def spy(video: Any, indices: Any, **options: Any) -> Any:
        calls.append(indices)
        return read_frames(video, indices, **options)

    monkeypatch.setattr(sportslens.models.video_input, "read_frames", spy)
    return calls


def serve(source: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(source, ServeSettings(**settings)))


def post_file(client: TestClient, path: Path, query: str = "", endpoint: str = "predict") -> Any:
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    return client.post(f"/v1/{endpoint}{query}", files=files)


def error_of(response: Any) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"error", "message"}, body
    return response.status_code, body["error"], body["message"]


def blank_video(path: Path, width: int, height: int, frames: int) -> Path:
    """Black H.264 frames: a few kilobytes, however large the frames (``ultrafast``: quick)."""
    with VideoWriter(path, 30, options={"preset": "ultrafast"}) as writer:
        for _ in range(frames):
            writer.write(np.zeros((height, width, 3), np.uint8))
    return path


# ---------------------------------------------------------------------------------------------
# Decompression bombs: videos


def test_a_video_of_huge_frames_is_refused_before_a_frame_is_decoded(
    run_dir: Path, uploads: Path, tmp_path: Path, decoded: list[Any]
) -> None:
    bomb = blank_video(tmp_path / "bomb.mp4", 4096, 4098, frames=2)  # just over 4096x4096
    assert bomb.stat().st_size < 100_000
    with serve(run_dir, temp_dir=uploads) as client:  # the default limits
        response = post_file(client, bomb)
    assert error_of(response) == (
        413,
        "frame_too_large",
        "bomb.mp4: frames of 4096x4098 are larger than the limit of 16777216 pixels "
        "(about 4096x4096); send a smaller video",
    )
    assert response.headers["connection"] == "close"
    assert decoded == [] and not any(uploads.iterdir())


def test_frames_that_grow_past_the_limit_mid_stream_are_refused_while_decoding(
    run_dir: Path, tmp_path: Path
) -> None:
    from test_video_bad_input import growing_video

    video = growing_video(tmp_path)  # headers say 96x64; frames 10-19 are 256x192
    with serve(run_dir, max_frame_pixels=2 * 96 * 64) as client:
        status, code, message = error_of(post_file(client, video))
    assert (status, code) == (422, "undecodable_video")
    assert message.startswith("growing.mkv: ") and "12288 pixels" in message


def test_the_frame_limit_counts_width_times_height(
    run_dir: Path, make_video: MakeVideo, decoded: list[Any]
) -> None:
    at_limit = make_video("at.mp4", frames=8, width=96, height=64)
    over = make_video("over.mp4", frames=8, width=96, height=66)
    with serve(run_dir, max_frame_pixels=96 * 64) as client:
        assert post_file(client, at_limit).status_code == 200
        assert error_of(post_file(client, over))[:2] == (413, "frame_too_large")
    assert len(decoded) == 1  # the video at the limit only


def test_a_long_video_is_refused_by_the_pixels_it_would_decode(
    run_dir: Path, make_video: MakeVideo, decoded: list[Any]
) -> None:
    fits = make_video("fits.mp4", frames=30, width=96, height=64)
    longer = make_video("longer.mp4", frames=31, width=96, height=64)
    with serve(run_dir, max_video_pixels=30 * 96 * 64) as client:
        assert post_file(client, fits).status_code == 200
        status, code, message = error_of(post_file(client, longer))
        timeline = post_file(client, longer, endpoint="timeline")
    assert (status, code) == (413, "video_too_large")
    assert message.startswith("longer.mp4: 31 frames of 96x64 are 1.9e+05 pixels to decode")
    assert error_of(timeline)[:2] == (413, "video_too_large")
    assert len(decoded) == 1


def test_a_file_that_is_not_a_video_is_still_the_decoders_422(
    run_dir: Path, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\0\0\0\x18ftypmp42" + bytes(range(256)) * 8)
    with serve(run_dir) as client:
        status, code, message = error_of(post_file(client, garbage))
    assert (status, code) == (422, "undecodable_video") and message.startswith("garbage.mp4: ")


# ---------------------------------------------------------------------------------------------
# Decompression bombs: keypoint files


def add_array(archive: zipfile.ZipFile, name: str, value: Any) -> None:
    buffer = io.BytesIO()
    np.save(buffer, value)
    archive.writestr(f"{name}.npy", buffer.getvalue())


def add_zeros(
    archive: zipfile.ZipFile, name: str, shape: tuple[int, ...], stored: int | None = None
) -> None:
    """A float32 ``.npy`` member of ``shape`` whose data are ``stored`` zero bytes (default: all
    of them), streamed: a huge array costs the test no memory and deflates to almost nothing."""
    with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
        header = {"descr": "<f4", "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(member, header)  # type: ignore[no-untyped-call]
        left = 4 * int(np.prod(shape)) if stored is None else stored
        block = bytes(2**20)
        while left > 0:
            member.write(block[: min(left, len(block))])
            left -= len(block)


def add_metadata(archive: zipfile.ZipFile) -> None:
    metadata = {"layout": np.str_("coco17"), "fps": np.float64(30), "version": np.int64(1)}
    metadata |= {"size": np.array([64, 64]), "source": np.str_("athlete.mp4")}
    for name, value in metadata.items():
        add_array(archive, name, value)


@pytest.fixture
def skeleton_run(tmp_path: Path) -> Path:
    return write_tiny_skeleton_checkpoint(tmp_path / "skeleton_run")


def test_a_compressed_keypoint_bomb_is_refused_before_loading(
    skeleton_run: Path, tmp_path: Path, uploads: Path
) -> None:
    frames = 80 * 2**20 // (17 * 2 * 4)  # 80 MB of keypoints, over the default 64 MB
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        add_zeros(archive, "keypoints", (frames, 17, 2))
        add_zeros(archive, "scores", (frames, 17))
        add_metadata(archive)
    assert bomb.stat().st_size < 200_000
    with serve(skeleton_run, temp_dir=uploads) as client:
        response = post_file(client, bomb)
    assert error_of(response) == (
        413,
        "keypoints_too_large",
        "bomb.npz: its keypoint arrays hold 120 MB uncompressed, over the limit of 64 MB "
        "(67108864 bytes)",
    )
    assert response.headers["connection"] == "close" and not any(uploads.iterdir())


def test_an_array_header_declaring_more_than_its_data_is_refused(
    skeleton_run: Path, tmp_path: Path
) -> None:
    liar = tmp_path / "liar.npz"  # numpy would allocate what the header declares: 136 GB
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as archive:
        add_zeros(archive, "keypoints", (10**9, 17, 2), stored=1024)
        add_metadata(archive)
    with serve(skeleton_run) as client:
        status, code, message = error_of(post_file(client, liar))
    assert (status, code) == (413, "keypoints_too_large")
    assert message.startswith("liar.npz: its keypoint arrays hold 1.297e+05 MB uncompressed")


def test_arrays_of_unknown_keys_are_neither_counted_nor_loaded(
    skeleton_run: Path, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    upload = tmp_path / "athlete.npz"
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as archive:
        add_array(archive, "keypoints", rng.uniform(8, 56, (20, 17, 2)).astype(np.float32))
        add_array(archive, "scores", np.ones((20, 17), np.float32))
        add_metadata(archive)
        add_zeros(archive, "padding", (70 * 2**20 // 4,))  # 70 MB: over the limit if counted
        add_array(archive, "pickled", np.array([{"a": 1}], dtype=object))  # needs unpickling
    with serve(skeleton_run) as client:
        response = post_file(client, upload)
    assert response.status_code == 200, response.text
    assert response.json()["pose"]["frames"] == 20


# ---------------------------------------------------------------------------------------------
# Timeline query values


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("window=inf", "query.window: Input should be a finite number"),
        ("window=-inf", "query.window: Input should be a finite number"),
        ("window=nan", "query.window: Input should be a finite number"),
        ("window=1e308", "query.window: Input should be less than or equal to 3600"),
        ("window=3601", "query.window: Input should be less than or equal to 3600"),
        ("window=0", "query.window: Input should be greater than 0"),
        ("stride=inf", "query.stride: Input should be a finite number"),
        ("window=1e-9", "query.window: 1e-09 s is shorter than one frame of this 30 fps video"),
        ("stride=1e-9", "query.stride: 1e-09 s is shorter than one frame of this 30 fps video"),
        ("window=1&stride=0.01", "query.stride: 0.01 s is shorter than one frame of this 30 fps"),
    ],
)
def test_timeline_windows_out_of_range_are_422(
    run_dir: Path, make_video: MakeVideo, query: str, reason: str
) -> None:
    video = make_video("clip.mp4", frames=30)
    with serve(run_dir) as client:
        status, code, message = error_of(post_file(client, video, f"?{query}", "timeline"))
    assert (status, code) == (422, "invalid_request")
    assert message.startswith(reason), message


def test_a_window_of_exactly_one_frame_is_accepted(run_dir: Path, make_video: MakeVideo) -> None:
    video = make_video("clip.mp4", frames=30)
    with serve(run_dir) as client:
        response = post_file(client, video, "?window=0.5&stride=0.034", "timeline")
    assert response.status_code == 200, response.text
    assert response.json()["stride_frames"] == 1


# ---------------------------------------------------------------------------------------------
# A real uvicorn with the options ``sportslens serve`` gives it, and raw clients


@pytest.fixture
def server(run_dir: Path, uploads: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A running server; ``@pytest.mark.parametrize("server", [settings], indirect=True)``."""
    settings = ServeSettings(temp_dir=uploads, **getattr(request, "param", {}))
    with running_server(create_app(run_dir, settings), **server_options(settings)) as url:
        yield url


def connect(url: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))


def trickle(sock: socket.socket, data: bytes, every_s: float, limit_s: float) -> bytes:
    """Send ``data`` a byte every ``every_s`` until the server closes the connection; return
    what the server sent. Fails when the connection is still open after ``limit_s``."""
    sock.settimeout(every_s)
    received = b""
    deadline = time.monotonic() + limit_s
    sent = 0
    while time.monotonic() < deadline:
        try:
            if sent < len(data):
                sock.sendall(data[sent : sent + 1])
                sent += 1
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"still connected after {limit_s} s ({sent} bytes sent): {received!r}")


# ---------------------------------------------------------------------------------------------
# File names (sent by a real client: the test client re-encodes header bytes as UTF-8)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("héllo wörld ✓.mp4".encode(), "héllo wörld ✓.mp4"),  # raw UTF-8, as curl sends it
        (b"h%C3%A9llo%20w%C3%B6rld.mp4", "héllo wörld.mp4"),  # percent-encoded
        ("héllo.mp4".encode("latin-1"), "héllo.mp4"),  # Latin-1 bytes, not UTF-8
        (b"100%real.mp4", "100%real.mp4"),  # a % that is no escape stays
    ],
)
def test_the_x_filename_header_comes_back_as_sent(
    server: str, make_video: MakeVideo, header: bytes, name: str
) -> None:
    video = make_video("clip.mp4", frames=8).read_bytes()
    headers = {"content-type": "video/mp4", "x-filename": header}  # sent as these very bytes
    response = httpx.post(f"{server}/v1/predict", content=video, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["source"] == name


def test_a_utf8_multipart_file_name_comes_back_as_sent(
    run_dir: Path, make_video: MakeVideo
) -> None:
    video = make_video("clip.mp4", frames=8).read_bytes()
    with serve(run_dir) as client:
        response = client.post("/v1/predict", files={"file": ("sprung ü.mp4", video, "video/mp4")})
    assert response.json()["source"] == "sprung ü.mp4"


# ---------------------------------------------------------------------------------------------
# Slow clients


UPLOAD_HEAD = (
    b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: video/mp4\r\n"
    b"Content-Length: 1000\r\n\r\n"
)


@pytest.mark.parametrize("server", [{"upload_timeout_s": 1.0}], indirect=True)
def test_a_trickled_upload_is_cut_off_with_408(server: str, uploads: Path) -> None:
    with connect(server) as sock:
        sock.sendall(UPLOAD_HEAD)
        start = time.monotonic()
        answer = trickle(sock, bytes(1000), every_s=0.5, limit_s=10)
    assert time.monotonic() - start < 5
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"connection: close" in head.lower()
    error = json.loads(body)
    assert error["error"] == "upload_timeout"
    assert error["message"].startswith("the upload took longer than the limit of 1 s (")
    assert not any(uploads.iterdir())
    assert httpx.get(f"{server}/health").status_code == 200


@pytest.mark.parametrize("server", [{"header_timeout_s": 1.0}], indirect=True)
def test_half_sent_and_trickled_headers_are_cut_off(server: str) -> None:
    with connect(server) as half, connect(server) as silent:
        half.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        start = time.monotonic()
        assert trickle(half, b"X-Slow: " + b"a" * 1000, every_s=0.5, limit_s=10) == b""
        assert trickle(silent, b"", every_s=0.5, limit_s=10) == b""
    assert time.monotonic() - start < 5
    assert httpx.get(f"{server}/health").status_code == 200


@pytest.mark.parametrize("server", [{"header_timeout_s": 1.0, "api_key": "k"}], indirect=True)
def test_a_body_trickled_after_an_early_answer_is_cut_off(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(UPLOAD_HEAD)  # no key: 401 before the body is read
        start = time.monotonic()
        answer = trickle(sock, bytes(1000), every_s=0.5, limit_s=10)
    assert time.monotonic() - start < 5
    assert answer.startswith(b"HTTP/1.1 401 ")


@pytest.mark.parametrize("server", [{"header_timeout_s": 0.5}], indirect=True)
def test_a_body_slower_than_the_head_timeout_but_in_time_is_served(
    server: str, make_video: MakeVideo
) -> None:
    video = make_video("clip.mp4", frames=8).read_bytes()
    head = UPLOAD_HEAD.replace(b"1000", str(len(video)).encode())
    with connect(server) as sock:
        sock.sendall(head)
        for part in (video[:100], video[100:-100], video[-100:]):  # 1.5 s for the body
            time.sleep(0.5)
            sock.sendall(part)
        sock.settimeout(60)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 "), answer


@pytest.mark.parametrize("server", [{"header_timeout_s": 1.0}], indirect=True)
def test_keep_alive_clients_are_served_as_before(server: str, make_video: MakeVideo) -> None:
    video = make_video("clip.mp4", frames=8).read_bytes()
    with httpx.Client(base_url=server) as client:  # one connection, three requests
        for _ in range(3):
            response = client.post("/v1/predict", content=video, headers={"x-filename": "a.mp4"})
            assert response.status_code == 200
            time.sleep(0.6)  # idle within the keep-alive time but over half the head timeout


@pytest.mark.parametrize("server", [{"max_connections": 2}], indirect=True)
def test_connections_beyond_the_limit_get_503(server: str) -> None:
    with connect(server):  # an idle connection and the request's own: the limit of 2
        deadline = time.monotonic() + 10
        while (status := httpx.get(f"{server}/health").status_code) != 503:
            assert time.monotonic() < deadline, f"still {status} with the connections taken"
            time.sleep(0.05)
    deadline = time.monotonic() + 10
    while httpx.get(f"{server}/health").status_code != 200:
        assert time.monotonic() < deadline, "the places were not given back"
        time.sleep(0.05)


@pytest.mark.parametrize(
    "field", ["upload_timeout_s", "header_timeout_s", "max_frame_pixels", "max_connections"]
)
def test_limits_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=f"ServeSettings.{field}=0"):
        ServeSettings(**{field: 0})
    if field.endswith("_s"):
        with pytest.raises(ValueError, match=f"ServeSettings.{field}=inf"):
            ServeSettings(**{field: float("inf")})
