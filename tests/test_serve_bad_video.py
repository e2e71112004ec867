"""Uploads the decoder cannot use get 422 ``undecodable_video`` naming the upload, never a 500."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from conftest import MakeVideo
from frame_codes import coded_frame
from serve_helpers import write_tiny_checkpoint
from sportslens.serve import ServeSettings, create_app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    run_dir = write_tiny_checkpoint(tmp_path / "run")
    settings = ServeSettings(max_upload_bytes=200_000, temp_dir=tmp_path)
    with TestClient(create_app(run_dir, settings)) as test_client:
        yield test_client


def post(client: TestClient, route: str, name: str, data: bytes) -> tuple[int, str, str]:
    response = client.post(route, files={"file": (name, data, "video/mp4")})
    body = response.json()
    return response.status_code, body["error"], body["message"]


@pytest.mark.parametrize("route", ["/v1/predict", "/v1/timeline"])
def test_an_unknown_codec_and_a_still_image_get_422_naming_the_upload(
    client: TestClient, make_video: MakeVideo, tmp_path: Path, route: str
) -> None:
    video = make_video("clip.mp4", frames=10).read_bytes()
    unknown = post(client, route, "unknown.mp4", video.replace(b"avc1", b"zzzz"))
    assert unknown[:2] == (422, "undecodable_video")
    assert unknown[2].startswith("unknown.mp4: FFmpeg has no decoder for its video stream")
    png = io.BytesIO()
    Image.fromarray(coded_frame(5)).save(png, format="PNG")
    image = post(client, route, "photo.mp4", png.getvalue())
    assert image == (422, "undecodable_video", "photo.mp4: is a still image (png), not a video")
    assert not list(tmp_path.glob("sportslens-upload-*"))  # uploads deleted after an error too
