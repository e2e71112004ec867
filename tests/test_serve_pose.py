"""A skeleton model behind the API: predictions carry the keypoints and the form analysis."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from serve_helpers import write_squat, write_tiny_checkpoint, write_tiny_skeleton_checkpoint
from sportslens.pose import COCO17_EDGES, analyze_form, load_keypoints
from sportslens.predict import Predictor
from sportslens.serve import ServeSettings, create_app
from sportslens.video import probe


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve_pose")


@pytest.fixture(scope="module")
def squat(folder: Path) -> Path:
    """A 2-second synthetic squat video; its true keypoints lie beside it as squat.npz."""
    return write_squat(folder)


@pytest.fixture(scope="module")
def run_dir(folder: Path) -> Path:
    return write_tiny_skeleton_checkpoint(folder / "run")


@pytest.fixture(scope="module")
def client(run_dir: Path, folder: Path) -> Iterator[TestClient]:
    uploads = folder / "uploads"
    uploads.mkdir()
    with TestClient(create_app(run_dir, ServeSettings(temp_dir=uploads))) as test_client:
        yield test_client
    assert list(uploads.iterdir()) == []  # every upload was deleted


def post(client: TestClient, name: str, data: bytes, media_type: str) -> Any:
    return client.post("/v1/predict", files={"file": (name, data, media_type)})


def test_a_keypoint_file_gets_its_pose_and_the_same_form_as_analyze_form(
    client: TestClient, run_dir: Path, squat: Path
) -> None:
    npz = squat.with_suffix(".npz")
    response = post(client, "squat.npz", npz.read_bytes(), "application/octet-stream")
    assert response.status_code == 200, response.text
    body = response.json()
    truth = load_keypoints(npz)
    expected = Predictor.from_checkpoint(run_dir).predict(npz, top_k=3).to_dict()
    assert body["source"] == "squat.npz" and body["model"] == "tcn"
    assert [t["label"] for t in body["top"]] == [t["label"] for t in expected["top"]]
    scores = [t["score"] for t in body["top"]]
    assert scores == pytest.approx([t["score"] for t in expected["top"]], abs=1e-6)
    assert body["frames"] == expected["frames"]

    pose = body["pose"]
    assert (pose["layout"], pose["frames"], pose["fps"], pose["size"]) == (
        "coco17",
        60,
        30,
        [160, 160],
    )
    assert pose["stride"] == 1 and len(pose["keypoints"]) == 60
    assert pose["detected_fraction"] == pytest.approx(truth.detected.mean(), abs=1e-4)
    assert pose["edges"] == [list(edge) for edge in COCO17_EDGES]
    for t in (0, 31, 59):  # joints as [x, y] to 0.1 px, null where the truth marks them unseen
        for joint, xy in enumerate(pose["keypoints"][t]):
            if truth.scores[t, joint] > 0:
                assert xy == pytest.approx(truth.keypoints[t, joint], abs=0.05)
            else:
                assert xy is None

    form = analyze_form(truth).to_dict()
    assert body["form"]["repetitions"] == form["repetitions"]
    assert body["form"]["count"] == form["count"] == int(np.load(npz)["reps"]) >= 1
    assert body["form"]["angles_per_frame"] == form["angles_per_frame"]
    assert body["form"]["feedback"] == form["feedback"]  # a verdict per repetition
    assert len(form["feedback"]) == form["count"]
    assert "source" not in body["form"]  # it would name the server's temporary file

    raw = client.post(
        "/v1/predict", content=npz.read_bytes(), headers={"content-type": "application/zip"}
    )
    assert raw.status_code == 200, raw.text
    assert raw.json()["form"] == body["form"]


def test_a_video_goes_through_pose_extraction(client: TestClient, squat: Path) -> None:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    body = post(client, "squat.mp4", squat.read_bytes(), "video/mp4").json()
    pose, form = body["pose"], body["form"]
    frames = probe(squat).num_frames
    assert pose["frames"] == len(pose["keypoints"]) == frames == 60
    assert 0 <= pose["detected_fraction"] <= 1
    found = [any(joint is not None for joint in frame) for frame in pose["keypoints"]]
    assert pose["detected_fraction"] == pytest.approx(np.mean(found), abs=1e-4)
    assert len(body["frames"]) == 16 and max(body["frames"]) < frames
    if form is not None:  # MediaPipe may miss a drawn figure; then there is nothing to count
        assert form["frames"] == frames
        assert all(0 <= rep["start"] <= rep["end"] < frames for rep in form["repetitions"])


def test_unusable_keypoint_uploads_are_422_naming_the_upload(
    client: TestClient, tmp_path: Path
) -> None:
    broken = post(client, "broken.npz", b"PK\x03\x04 but no archive", "application/zip")
    assert broken.status_code == 422
    assert broken.json()["error"] == "unusable_keypoints"
    assert broken.json()["message"].startswith("broken.npz: not a readable keypoint .npz file")

    nobody = io.BytesIO()
    np.savez(
        nobody, keypoints=np.zeros((6, 17, 2), np.float32), scores=np.zeros((6, 17), np.float32),
        layout="coco17", fps=30.0, size=np.array([64, 64]), source="nobody.mp4", version=1,
    )  # fmt: skip
    empty = post(client, "nobody.npz", nobody.getvalue(), "application/octet-stream")
    assert empty.status_code == 422, empty.text
    assert empty.json() == {
        "error": "unusable_keypoints",
        "message": "nobody.npz: no frame has a shoulder and a hip detected",
    }
    video = post(client, "broken.mp4", b"not a video either", "video/mp4")
    assert video.status_code == 422 and video.json()["error"] == "undecodable_video"
    assert video.json()["message"].startswith("broken.mp4: not a readable video container")
    text = post(client, "notes.txt", b"squat", "text/plain")
    assert text.status_code == 415


def test_video_models_answer_without_pose_and_refuse_keypoints(tmp_path: Path, squat: Path) -> None:
    run = write_tiny_checkpoint(tmp_path / "video_run")
    with TestClient(create_app(run, ServeSettings(temp_dir=tmp_path))) as client:
        video = post(client, "squat.mp4", squat.read_bytes(), "video/mp4").json()
        npz = post(client, "squat.npz", squat.with_suffix(".npz").read_bytes(), "application/zip")
    assert "pose" not in video and "form" not in video  # no "pose": null for video models
    assert npz.status_code == 422 and npz.json()["error"] == "undecodable_video"
    assert npz.json()["message"].startswith("squat.npz")


def test_openapi_documents_pose_and_form(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "application/zip" in schema["paths"]["/v1/predict"]["post"]["requestBody"]["content"]
    components = schema["components"]["schemas"]
    predict = components["PredictResponse"]["properties"]
    assert {"pose", "form"} <= set(predict)
    assert {"keypoints", "edges", "detected_fraction", "stride"} <= set(
        components["PoseSummary"]["properties"]
    )
    assert "repetitions" in components["FormSummary"]["properties"]
    assert {"start", "end", "duration_s"} <= set(components["RepetitionSummary"]["properties"])
