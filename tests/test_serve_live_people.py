"""``/v1/live?people=``: every person of a generated two-person video, over the socket."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from live_helpers import NoPose, all_sessions_closed, jpeg
from serve_helpers import write_tiny_checkpoint
from sportslens.cli import app as cli_app
from sportslens.serve import ServeSettings, create_app
from sportslens.serve.live_limits import LiveSettings
from sportslens.synth.files import write_y4m
from sportslens.video import iter_frames, probe

LEAVE_FRAMES = 25
"""Empty frames after the video: more than the tracker's max_age (1 s, 10 frames at 10 fps)
plus the detector's hold, so that everyone is retired and sends a ``person`` event."""


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_checkpoint(tmp_path_factory.mktemp("live-people") / "run")


def _app(checkpoint: Path, **limits: Any) -> FastAPI:
    return create_app(checkpoint, ServeSettings(live=LiveSettings(**limits)), live_pose=NoPose())


def _until_frame(ws: Any) -> list[dict[str, Any]]:
    """The messages up to and with the next ``frame`` message."""
    messages = [ws.receive_json()]
    while messages[-1]["event"] != "frame":
        messages.append(ws.receive_json())
    return messages


def _detected(frame: dict[str, Any]) -> set[int]:
    """The track ids of the people with joints found in one ``frame`` message."""
    return {p["track_id"] for p in frame["people"] if any(j is not None for j in p["keypoints"])}


def _cli_people(video: Path, out: Path) -> dict[int, int]:
    """``sportslens live --people all --exercise squat``: each person's count as they left."""
    events = out / "events.jsonl"
    result = CliRunner().invoke(
        cli_app,
        ["live", str(video), "--people", "all", "--exercise", "squat", "--events", str(events)],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    return {e["track_id"]: e["count"] for e in lines if e["event"] == "person"}


def test_every_person_is_followed_and_counted_as_the_cli_counts(
    checkpoint: Path, crossing: Path, tmp_path: Path
) -> None:
    pytest.importorskip("mediapipe", reason="the backend runs the models in MediaPipe's wheel")
    pytest.importorskip("ai_edge_litert", reason="the backend runs the models in LiteRT")
    frames = [frame for _, frame in iter_frames(crossing)]
    frames += [np.zeros_like(frames[0])] * LEAVE_FRAMES  # everyone gone: each person leaves
    fps = probe(crossing).fps
    app = _app(checkpoint, max_fps=1000)  # the test sends as fast as answers come
    messages: list[dict[str, Any]] = []
    with TestClient(app) as client:
        with client.websocket_connect(f"/v1/live?people=all&exercise=squat&fps={fps:g}") as ws:
            ready = ws.receive_json()
            for frame in frames:
                ws.send_bytes(jpeg(frame, quality=95))
                messages += _until_frame(ws)
        assert all_sessions_closed(app.state.live)
    shown = [m for m in messages if m["event"] == "frame"]
    assert ready["people"] == 8 and [m["frame"] for m in shown] == list(range(len(frames)))
    seen = [_detected(m) for m in shown[: probe(crossing).num_frames]]
    # the one passing in front is found once the two have swapped; both are followed from then on
    first = seen.index({0, 1})
    assert seen[first:] == [{0, 1}] * (len(seen) - first) and first < len(seen) / 2
    left = {m["track_id"]: m["count"] for m in messages if m["event"] == "person"}
    truth = np.load(crossing.with_suffix(".npz"))["reps"].tolist()
    assert left == _cli_people(crossing, tmp_path) and sorted(left.values()) == sorted(truth)
    for track, count in left.items():  # each repetition message names its person
        reps = [m for m in messages if m["event"] == "repetition" and m["track_id"] == track]
        assert len(reps) == count
    assert shown[-1]["people"] == []  # everyone left with the empty frames


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("people=everyone", "people='everyone' must be all, largest or a count of at least 1"),
        ("people=0", "people='0' must be all, largest or a count of at least 1"),
        ("people=9", "people=9 is over the limit of 8 people"),
    ],
)
def test_a_bad_people_value_closes_with_a_reason(checkpoint: Path, query: str, reason: str) -> None:
    app = _app(checkpoint)
    with (
        TestClient(app) as client,
        client.websocket_connect(f"/v1/live?{query}") as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert (closed.value.code, closed.value.reason) == (1008, reason)
    assert app.state.live.open == 0


def test_a_stream_with_people_ends_with_each_person_and_a_summary(
    checkpoint: Path, crossing: Path, tmp_path: Path
) -> None:
    pytest.importorskip("mediapipe", reason="the backend runs the models in MediaPipe's wheel")
    pytest.importorskip("ai_edge_litert", reason="the backend runs the models in LiteRT")
    from test_serve_live import stream_server

    fps = probe(crossing).fps
    y4m = tmp_path / "camera.y4m"
    write_y4m(y4m, [frame for _, frame in iter_frames(crossing)], fps)
    app = _app(checkpoint)
    messages: list[dict[str, Any]] = []
    with (
        stream_server(y4m.read_bytes(), fps) as url,
        TestClient(app) as client,
        client.websocket_connect(f"/v1/live?people=2&exercise=squat&source={url}") as ws,
    ):
        ready = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                message = ws.receive()
                if message.get("text") is not None:
                    messages.append(json.loads(message["text"]))
                elif message.get("bytes") is None:
                    raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    assert all_sessions_closed(app.state.live)
    assert ready["mode"] == "stream" and ready["people"] == 2
    assert (closed.value.code, closed.value.reason) == (1000, "the stream ended")
    summary = messages[-1]
    left = [{"track_id": m["track_id"], "count": m["count"]} for m in messages[:-1]
            if m["event"] == "person"]  # fmt: skip
    # the stream's end finishes everyone still followed: each person once, in the summary
    assert summary["event"] == "summary" and summary["people"] == left and len(left) >= 2
    assert summary["analysed"] + summary["dropped"] == probe(crossing).num_frames
    assert "count" not in summary and all(len(m["people"]) <= 2 for m in messages[:-1]
                                          if m["event"] == "frame")  # fmt: skip


def test_a_session_without_people_sends_the_one_person_messages(checkpoint: Path) -> None:
    """Leaving ``people`` out keeps the one-person messages, field for field and in order."""
    frames = [np.zeros((64, 64, 3), np.uint8)]
    app = _app(checkpoint)
    with TestClient(app) as client, client.websocket_connect("/v1/live") as ws:
        ready = ws.receive_json()
        ws.send_bytes(jpeg(frames[0]))
        frame = ws.receive_json()
    assert list(ready) == ["event", "mode", "layout", "edges", "fps", "limits"]
    assert list(frame) == [
        "event", "frame", "size", "keypoints", "count", "angle", "signal",
        "latency_ms", "dropped", "label", "label_score",
    ]  # fmt: skip
