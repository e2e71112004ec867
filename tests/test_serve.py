"""The HTTP API through TestClient: answers match the Predictor, and every error is clear JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import MakeVideo
from serve_helpers import CLASSES, write_tiny_checkpoint
from sportslens.predict import Prediction, Predictor
from sportslens.serve import ServeSettings, create_app
from sportslens.video import Source


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_tiny_checkpoint(tmp_path / "run")


@pytest.fixture
def client(run_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = ServeSettings(max_upload_bytes=200_000, temp_dir=tmp_path)
    with TestClient(create_app(run_dir, settings)) as test_client:
        yield test_client


def upload(path: Path, media_type: str = "video/mp4") -> dict[str, Any]:
    return {"files": {"file": (path.name, path.read_bytes(), media_type)}}


def expected_top(run_dir: Path, video: Path, top_k: int = 5) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = (
        Predictor.from_checkpoint(run_dir).predict(video, top_k=top_k).to_dict()["top"]
    )
    return result


def test_predict_multipart_and_raw_body_match_the_predictor(
    client: TestClient, run_dir: Path, make_video: MakeVideo, tmp_path: Path
) -> None:
    video = make_video("jump.mp4", frames=30)
    response = client.post("/v1/predict", **upload(video))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "jump.mp4"
    assert body["model"] == "r2plus1d_tiny"
    assert [t["label"] for t in body["top"]] == [t["label"] for t in expected_top(run_dir, video)]
    assert [t["score"] for t in body["top"]] == pytest.approx(
        [t["score"] for t in expected_top(run_dir, video)], abs=1e-5
    )
    assert body["frames"] == Predictor.from_checkpoint(run_dir).predict(video).frames
    assert {"decode", "model", "upload", "wait", "total"} <= set(body["timing_ms"])

    raw = client.post(
        "/v1/predict?top_k=2",
        content=video.read_bytes(),
        headers={"content-type": "video/mp4", "x-filename": "../../etc/clip.mp4"},
    )
    assert raw.status_code == 200, raw.text
    raw_top = raw.json()["top"]
    assert [t["label"] for t in raw_top] == [t["label"] for t in body["top"][:2]]
    assert [t["score"] for t in raw_top] == pytest.approx([t["score"] for t in body["top"][:2]])
    assert raw.json()["source"] == "clip.mp4"  # a client's path is only ever a display name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jump.mp4", "run"]  # uploads deleted


def test_fields_that_do_not_apply_are_left_out(
    run_dir: Path, make_video: MakeVideo, tmp_path: Path
) -> None:
    video = make_video("jump.mp4", frames=12)
    # A model from the registry, with no run folder: no metrics to report.
    with TestClient(create_app(Predictor.from_checkpoint(run_dir))) as bare:
        answer = bare.post("/v1/predict", **upload(video)).json()
        info = bare.get("/v1/model").json()
    assert "top" in answer and not {"dive", "pose", "form"} & set(answer)  # no "dive": null
    assert "metrics" not in info and "metrics_source" not in info
    assert "dive" not in Predictor.from_checkpoint(run_dir).predict(video).to_dict()


def test_model_health_ready_and_openapi(client: TestClient, run_dir: Path) -> None:
    info = client.get("/v1/model").json()
    assert info["name"] == "r2plus1d_tiny" and info["classes"] == CLASSES
    assert info["preprocess"]["num_frames"] == 4
    assert info["metrics"] == {"best_val_acc1": 0.25}  # training metrics from the checkpoint
    assert info["metrics_source"] == "best/config.json"
    assert info["timeline"] is True and info["batching"] is True
    (run_dir / "metrics.json").write_text(json.dumps({"video_acc1": 61.5}))
    with TestClient(create_app(run_dir)) as fresh:  # an evaluation report wins
        assert fresh.get("/v1/model").json()["metrics"] == {"video_acc1": 61.5}
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready", "model": "r2plus1d_tiny"}
    schema = client.get("/openapi.json").json()
    assert {"/v1/predict", "/v1/timeline", "/v1/model", "/health", "/ready"} <= set(schema["paths"])
    predict = schema["paths"]["/v1/predict"]["post"]
    assert "multipart/form-data" in predict["requestBody"]["content"]
    assert {"200", "413", "415", "422", "503", "504"} <= set(predict["responses"])
    assert "PredictResponse" in schema["components"]["schemas"]


def error_of(response: Any) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"error", "message"}, body
    return response.status_code, body["error"], body["message"]


def test_too_large_uploads_get_413_whether_declared_or_streamed(
    client: TestClient, tmp_path: Path
) -> None:
    status, code, message = error_of(
        client.post("/v1/predict", content=b"\0" * 300_000, headers={"content-type": "video/mp4"})
    )
    assert (status, code) == (413, "upload_too_large") and "(200000 bytes)" in message

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap is met while streaming
        for _ in range(10):
            yield b"\0" * 65_536

    response = client.post("/v1/predict", content=chunks(), headers={"content-type": "video/mp4"})
    assert error_of(response)[:2] == (413, "upload_too_large")
    assert not list(tmp_path.glob("sportslens-upload-*"))


def test_unsupported_types_get_415_and_undecodable_videos_422(
    client: TestClient, tmp_path: Path
) -> None:
    text = client.post("/v1/predict", content=b"hello", headers={"content-type": "text/plain"})
    assert error_of(text)[:2] == (415, "unsupported_media_type")
    image = client.post("/v1/predict", files={"file": ("a.png", b"\x89PNG", "image/png")})
    assert error_of(image)[:2] == (415, "unsupported_media_type")
    garbage = client.post(
        "/v1/predict", files={"file": ("broken.mp4", b"not a video", "video/mp4")}
    )
    status, code, message = error_of(garbage)
    assert (status, code) == (422, "undecodable_video")
    assert message.startswith("broken.mp4: not a readable video container")  # the decoder's reason
    assert str(tmp_path) not in message  # the temporary path is not leaked
    no_file = client.post("/v1/predict", files={"note": (None, b"no file here")})
    assert error_of(no_file)[:2] == (400, "no_file")
    malformed = client.post(
        "/v1/predict",
        content=b"--XyZ\r\nbroken header line without a colon\r\n\r\n",
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert error_of(malformed)[:2] == (400, "bad_multipart")
    bad_query = client.post(
        "/v1/predict?top_k=0", content=b"x", headers={"content-type": "video/mp4"}
    )
    assert error_of(bad_query)[:2] == (422, "invalid_request")
    assert error_of(client.get("/v1/nothing"))[:2] == (404, "http_error")
    assert not list(tmp_path.glob("sportslens-upload-*"))


def test_timeline_matches_the_predictors_own(
    client: TestClient, run_dir: Path, make_video: MakeVideo
) -> None:
    video = make_video("long.mp4", frames=90)
    response = client.post("/v1/timeline?window=1&stride=0.5", **upload(video))
    assert response.status_code == 200, response.text
    expected = Predictor.from_checkpoint(run_dir).timeline(video, window=1, stride=0.5).to_dict()
    got = response.json()
    assert got["source"] == "long.mp4"
    assert [w["top"][0]["label"] for w in got["windows"]] == [
        w["top"][0]["label"] for w in expected["windows"]
    ]
    assert [(s["label"], s["start"], s["end"]) for s in got["segments"]] == [
        (s["label"], s["start"], s["end"]) for s in expected["segments"]
    ]


def test_api_key_is_required_when_set(run_dir: Path, make_video: MakeVideo) -> None:
    video = make_video("a.mp4", frames=30)
    with TestClient(create_app(run_dir, ServeSettings(api_key="s3cret"))) as keyed:
        assert error_of(keyed.get("/v1/model"))[:2] == (401, "missing_api_key")
        wrong = keyed.post("/v1/predict", headers={"x-api-key": "guess"}, **upload(video))
        assert error_of(wrong)[:2] == (401, "bad_api_key")
        right = keyed.post("/v1/predict", headers={"x-api-key": "s3cret"}, **upload(video))
        assert right.status_code == 200
        assert keyed.get("/health").status_code == 200  # probes and the page stay open
        assert keyed.get("/").status_code == 200


def test_cors_is_off_by_default_and_allows_configured_origins(run_dir: Path) -> None:
    preflight = {"origin": "https://example.org", "access-control-request-method": "POST"}
    with TestClient(create_app(run_dir)) as closed:
        response = closed.options("/v1/predict", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    settings = ServeSettings(cors_origins=("https://example.org",))
    with TestClient(create_app(run_dir, settings)) as opened:
        response = opened.options("/v1/predict", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://example.org"


@dataclass(frozen=True)
class DivePrediction(Prediction):
    """What a dive model's prediction will add (from another branch): extra to_dict fields."""

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "dive": {"number": "105B", "description": "forward 2½"}}


class DivePredictor(Predictor):
    def predict(self, video: Source, *, top_k: int = 5) -> Prediction:
        plain = super().predict(video, top_k=top_k)
        return DivePrediction(plain.source, plain.labels, plain.scores, plain.frames)


def test_extra_prediction_fields_pass_through(run_dir: Path, make_video: MakeVideo) -> None:
    plain = Predictor.from_checkpoint(run_dir)
    predictor = DivePredictor(plain.model, plain.classes)
    video = make_video("dive.mp4", frames=30)
    with TestClient(create_app(predictor)) as client:
        body = client.post("/v1/predict", **upload(video)).json()
    assert body["dive"] == {"number": "105B", "description": "forward 2½"}
    assert body["source"] == "dive.mp4"


def test_playground_page_is_self_contained(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "/v1/predict" in html and 'name="viewport"' in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # no external assets
    assert "https://" not in html and "<link" not in html and 'src="http' not in html


class EmptyTimeline:
    def to_dict(self) -> dict[str, Any]:
        return {"segments": [], "windows": []}


class TimelinePredictor(Predictor):
    """Records the options the server passes to Predictor.timeline."""

    options: dict[str, float | None] = {}  # noqa: RUF012  (one test, one instance)

    def timeline(  # type: ignore[override]
        self, video: Source, *, window: float | None = None, stride: float | None = None
    ) -> EmptyTimeline:
        TimelinePredictor.options = {"window": window, "stride": stride}
        assert Path(str(video)).is_file()  # the server's own temporary file, never a client path
        return EmptyTimeline()


def test_timeline_passes_window_and_stride_to_the_predictor(
    run_dir: Path, make_video: MakeVideo
) -> None:
    plain = Predictor.from_checkpoint(run_dir)
    video = make_video("long.mp4", frames=30)
    with TestClient(create_app(TimelinePredictor(plain.model, plain.classes))) as client:
        assert client.get("/v1/model").json()["timeline"] is True
        response = client.post("/v1/timeline?window=2&stride=0.5", **upload(video))
    assert response.status_code == 200, response.text
    assert response.json()["segments"] == [] and response.json()["source"] == "long.mp4"
    assert TimelinePredictor.options == {"window": 2.0, "stride": 0.5}
