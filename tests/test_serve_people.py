"""Every person over the API: a real server on 127.0.0.1, a generated crowd's tracks uploaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from serve_helpers import running_server, write_tiny_checkpoint, write_tiny_skeleton_checkpoint
from sportslens.predict import Predictor
from sportslens.serve import ServeSettings, create_app


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_skeleton_checkpoint(tmp_path_factory.mktemp("skeleton"))


@pytest.fixture(scope="module")
def server(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = ServeSettings(temp_dir=tmp_path_factory.mktemp("uploads"))
    with running_server(create_app(run_dir, settings)) as url:
        yield url


def upload(url: str, route: str, path: Path, **query: str) -> httpx.Response:
    with path.open("rb") as data:
        files = {"file": (path.name, data, "application/octet-stream")}
        return httpx.post(f"{url}/v1/{route}", files=files, params=query, timeout=120)


def test_predict_lists_every_person_with_the_old_fields_kept(
    server: str, crowd: Path, run_dir: Path
) -> None:
    npz = crowd.with_suffix(".npz")
    response = upload(server, "predict", npz, people="all")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["track_id"] for p in body["people"]] == [0, 1, 2]
    expected = Predictor.from_checkpoint(run_dir).predict(npz, people="all").to_dict()
    assert [p["top"] for p in body["people"]] == [p["top"] for p in expected["people"]]
    assert body["track_id"] == expected["track_id"]
    main = body["people"][[p["track_id"] for p in body["people"]].index(body["track_id"])]
    assert body["top"] == main["top"] and body["form"] == main["form"]  # one-person clients
    single = upload(server, "predict", npz).json()
    assert "people" not in single and "track_id" not in single


def test_timeline_of_a_video_has_a_lane_per_person_found(
    server: str, crowd: Path, run_dir: Path
) -> None:
    pytest.importorskip("ai_edge_litert", reason="people in a video need blazepose-multi")
    response = upload(server, "timeline", crowd, people="2")
    assert response.status_code == 200, response.text
    body = response.json()
    expected = Predictor.from_checkpoint(run_dir).timeline_people(crowd, 2).to_dict()
    assert [lane["track_id"] for lane in body["lanes"]] == [
        lane["track_id"] for lane in expected["lanes"]
    ]
    assert len(body["lanes"]) == 2  # the two largest of the three
    assert [lane["segments"] for lane in body["lanes"]] == [
        lane["segments"] for lane in expected["lanes"]
    ]
    assert body["segments"] == body["lanes"][[lane["track_id"] for lane in body["lanes"]].index(
        body["track_id"])]["segments"]  # fmt: skip


def test_a_bad_people_value_is_422(server: str, crowd: Path) -> None:
    response = upload(server, "predict", crowd.with_suffix(".npz"), people="everyone")
    assert response.status_code == 422 and "people" in response.text


def test_a_video_model_refuses_people_all(crowd: Path, tmp_path: Path) -> None:
    run = write_tiny_checkpoint(tmp_path / "run")
    with running_server(create_app(run, ServeSettings(temp_dir=tmp_path))) as url:
        response = upload(url, "predict", crowd, people="all")
    assert response.status_code == 422
    assert response.json()["error"] == "people_unsupported"
