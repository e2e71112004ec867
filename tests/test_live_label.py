"""LiveLabeler: a skeleton model on the last 3 s of a stream, as a timeline scores a window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from live_helpers import NoPose, athlete, jpeg
from serve_helpers import SKELETON_CLASSES, write_tiny_checkpoint, write_tiny_skeleton_checkpoint
from sportslens.live_label import LiveLabeler
from sportslens.pose.keypoints import Keypoints, load_keypoints
from sportslens.predict import Predictor
from sportslens.serve import ServeSettings, create_app
from sportslens.timeline.skeleton import window_sequence


@pytest.fixture(scope="module")
def squat(tmp_path_factory: pytest.TempPathFactory) -> Keypoints:
    from sportslens.synth.clips import sample_clip_spec, write_clip
    from sportslens.synth.settings import ClipSettings

    settings = ClipSettings(fps=10, size=96, seed=3).lasting(5.0)
    video = write_clip(
        sample_clip_spec("squat", 0, settings), tmp_path_factory.mktemp("l") / "s.mp4"
    )
    return load_keypoints(video.with_suffix(".npz"))


def test_the_label_is_the_models_answer_on_the_last_window(
    squat: Keypoints, tmp_path: Path
) -> None:
    predictor = Predictor.from_checkpoint(write_tiny_skeleton_checkpoint(tmp_path / "run"))
    labeler = LiveLabeler(predictor, squat.fps)
    assert (labeler.window, labeler.stride) == (30, 8)
    updates = []
    for t in range(squat.num_frames):
        frame = Keypoints(
            squat.keypoints[t : t + 1], squat.scores[t : t + 1], "coco17", 10, squat.size, ""
        )
        if labeler.push(frame):
            updates.append((t, labeler.label, labeler.score))
    assert [t for t, _, _ in updates] == [31, 39, 47]  # frames 32, 40, 48 have been seen
    t, label, score = updates[-1]
    clip = window_sequence(squat, t - 29, t, predictor.model.preprocess.clip_frames)  # type: ignore[union-attr]
    probs = predictor.forward(torch.from_numpy(clip[None]))[0]
    assert label == SKELETON_CLASSES[int(probs.argmax())] and score == pytest.approx(
        float(probs.max())
    )


def test_a_video_model_cannot_label_live(tmp_path: Path) -> None:
    predictor = Predictor.from_checkpoint(write_tiny_checkpoint(tmp_path / "run"))
    with pytest.raises(ValueError, match="live labels need a skeleton model"):
        LiveLabeler(predictor, 30)


def test_a_server_with_a_skeleton_model_sends_the_label(tmp_path: Path) -> None:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    frames, _ = athlete(4.0, 10)
    pose = NoPose(mediapipe=True)
    app = create_app(
        write_tiny_skeleton_checkpoint(tmp_path / "run"), ServeSettings(), live_pose=pose
    )
    labels = []
    with TestClient(app) as client, client.websocket_connect("/v1/live?fps=10") as ws:
        ws.receive_json()
        for frame in frames:
            ws.send_bytes(jpeg(frame))
            while (message := ws.receive_json())["event"] != "frame":
                pass
            labels.append((message["label"], message["label_score"]))
    assert pose.wait_until_left()
    assert all(label is None for label, _ in labels[:29])  # under 3 s seen: no label yet
    assert labels[-1][0] in SKELETON_CLASSES and 0 < labels[-1][1] <= 1
    assert np.isfinite(labels[-1][1])
