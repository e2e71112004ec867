"""ONNX export: every registered family exports, and onnxruntime answers as torch does on real
inputs (encoded videos, keypoint files) through the same Predictor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from conftest import TINY_TRAINING, MakeVideo
from serve_helpers import write_squat, write_tiny_checkpoint, write_tiny_skeleton_checkpoint
from sportslens.checkpoint import CheckpointInfo, save_checkpoint
from sportslens.cli import app
from sportslens.data import read_catalog
from sportslens.data.splits import load_splits
from sportslens.dive.attributes import ATTRIBUTES
from sportslens.export import OnnxClassifier, export_onnx, load_onnx
from sportslens.models import create_model, list_models
from sportslens.models.heads import add_heads
from sportslens.models.inputs import example_input
from sportslens.predict import Predictor
from sportslens.train import TrainConfig, fit
from tiny_models import TINY

pytest.importorskip("onnxruntime")
runner = CliRunner()
TOLERANCE = 1e-3  # the bar for the largest absolute logit difference


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread: None) -> Iterator[None]:
    yield


def _tiny_run(folder: Path, name: str, classes: int = 3) -> Path:
    """A run folder whose best checkpoint is a random-init tiny ``name``."""
    torch.manual_seed(0)
    model = create_model(name, classes, **TINY[name])
    info = CheckpointInfo(name, [f"c{i}" for i in range(classes)], model.preprocess)
    info.build_kwargs = model.build_kwargs
    save_checkpoint(folder / "best", model, info)
    return folder


@pytest.mark.parametrize("name", list_models())
def test_every_registered_model_exports_and_matches_torch(name: str, tmp_path: Path) -> None:
    run = _tiny_run(tmp_path / name, name)
    result = export_onnx(run)
    assert result.folder == run / "onnx" and result.max_abs_diff <= TOLERANCE
    torch_model = Predictor.from_checkpoint(run).model
    onnx_model = Predictor.from_checkpoint(run, runtime="onnx").model
    assert isinstance(onnx_model, OnnxClassifier)
    torch.manual_seed(1)
    clips = example_input(torch_model, 3)  # a batch size the trace never saw
    with torch.no_grad():
        expected = torch_model(clips)
    got = onnx_model(clips)
    assert got.shape == expected.shape == (3, 3)
    assert (got - expected).abs().max() <= TOLERANCE
    assert torch.equal(got.argmax(1), expected.argmax(1))


def test_a_trained_run_answers_its_test_split_as_torch_does(athletes: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    fit(athletes, run, TrainConfig(epochs=2, **TINY_TRAINING))  # type: ignore[arg-type]
    export_onnx(run)
    test = [
        r.source
        for r in load_splits(read_catalog(athletes), run / "splits.csv", root=athletes).split(
            "test"
        )
    ]
    eager, exported = Predictor.load(run), Predictor.load(run, runtime="onnx")
    clips = torch.stack([eager.preprocess(video)[0] for video in test])  # (N, C, T, H, W)
    with torch.no_grad():
        expected = eager.model(clips)
    got = exported.model(clips)
    assert len(test) >= 3 and (got - expected).abs().max() <= TOLERANCE
    assert torch.equal(got.argmax(1), expected.argmax(1))


def test_real_videos_get_the_same_logits_and_answers(make_video: MakeVideo, tmp_path: Path) -> None:
    run = write_tiny_checkpoint(tmp_path / "run")
    export_onnx(run)
    videos = [
        make_video(f"v{i}.mp4", frames=20 + 7 * i, height=48 + 8 * i, width=64) for i in range(4)
    ]
    eager, exported = Predictor.load(run), Predictor.load(run, runtime="onnx")
    clips = torch.stack([eager.preprocess(video)[0] for video in videos])  # (4, C, T, H, W)
    with torch.no_grad():
        expected = eager.model(clips)
    got = exported.model(clips)
    assert (got - expected).abs().max() <= TOLERANCE
    assert torch.equal(got.argmax(1), expected.argmax(1))
    for a, b in zip(eager.predict_many(videos), exported.predict_many(videos), strict=True):
        assert a.labels == b.labels and a.frames == b.frames
        assert a.scores == pytest.approx(b.scores, abs=1e-4)


def test_a_keypoint_file_gets_the_same_answer_from_a_skeleton_export(tmp_path: Path) -> None:
    run = write_tiny_skeleton_checkpoint(tmp_path / "run")
    export_onnx(run, tmp_path / "deploy")
    squat = write_squat(tmp_path).with_suffix(".npz")  # the synthetic squat's true keypoints
    eager = Predictor.load(run)
    exported = Predictor.load(tmp_path / "deploy", runtime="onnx")
    clip = eager.preprocess(squat)[0][None]  # (1, C, T, V, M)
    with torch.no_grad():
        assert (exported.model(clip) - eager.model(clip)).abs().max() <= TOLERANCE
    a, b = eager.predict(squat, top_k=3), exported.predict(squat, top_k=3)
    assert a.labels == b.labels and a.extras == b.extras
    assert a.scores == pytest.approx(b.scores, abs=1e-4)


def test_extra_heads_are_outputs_of_the_graph(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = add_heads(create_model("r2plus1d_tiny", 4, **TINY["r2plus1d_tiny"]), ATTRIBUTES)
    classes = ["101B", "103B", "201A", "403C"]
    heads = {k: list(v) for k, v in ATTRIBUTES.items()}
    info = CheckpointInfo("r2plus1d_tiny", classes, model.preprocess, model.build_kwargs)
    info.heads, info.train_config = heads, {"heads": "attributes"}
    save_checkpoint(tmp_path / "run" / "best", model, info)
    result = export_onnx(tmp_path / "run")
    assert result.outputs == ["class", *ATTRIBUTES]
    onnx_model, _ = load_onnx(tmp_path / "run")
    clips = example_input(model, 2)
    with torch.no_grad():
        expected = model.eval().forward_heads(clips)
    got = onnx_model.forward_heads(clips)
    assert set(got) == set(expected)
    for name, values in expected.items():
        assert (got[name] - values).abs().max() <= TOLERANCE, name


def test_config_json_carries_classes_preprocessing_and_the_input_spec(tmp_path: Path) -> None:
    run = write_tiny_checkpoint(tmp_path / "run")
    result = runner.invoke(app, ["export", str(run), "--format", "onnx", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["input_shape"] == ["batch", 3, 4, 32, 32] and answer["outputs"] == ["class"]
    config = json.loads((run / "onnx" / "config.json").read_text())
    assert config["classes"] == ["back_dive", "forward_dive", "squat", "push_up"]
    assert config["preprocess"]["crop_size"] == 32 and config["preprocess"]["resize"] == 36
    assert config["export"]["input"] == {
        "name": "clips",
        "shape": ["batch", 3, 4, 32, 32],
        "dtype": "float32",
        "layout": "B, C, T, H, W",
    }
    import onnx

    graph = onnx.load(str(run / "onnx" / "model.onnx")).graph
    assert [i.name for i in graph.input] == ["clips"]
    assert [o.name for o in graph.output] == ["class"]


def test_predict_runtime_onnx_answers_as_torch(make_video: MakeVideo, tmp_path: Path) -> None:
    run = write_tiny_checkpoint(tmp_path / "run")
    video = str(make_video("a.mp4", frames=30))
    command = ["predict", "--checkpoint", str(run), video, "--json", "--device", "cpu"]
    missing = runner.invoke(app, [*command, "--runtime", "onnx"])
    assert missing.exit_code == 2 and "sportslens export" in missing.output
    assert runner.invoke(app, ["export", str(run)]).exit_code == 0
    eager = json.loads(runner.invoke(app, command).output)
    exported = json.loads(runner.invoke(app, [*command, "--runtime", "onnx"]).output)
    assert [t["label"] for t in exported[0]["top"]] == [t["label"] for t in eager[0]["top"]]
    for a, b in zip(exported[0]["top"], eager[0]["top"], strict=True):
        assert a["score"] == pytest.approx(b["score"], abs=1e-4)


def test_an_export_replaces_an_export_but_never_another_folder(tmp_path: Path) -> None:
    run = write_tiny_checkpoint(tmp_path / "run")
    export_onnx(run, tmp_path / "deploy")
    export_onnx(run, tmp_path / "deploy")  # a rerun replaces the earlier export
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["export", str(run), "--out", str(tmp_path / "mine")])
    assert result.exit_code == 2 and "holds notes.txt, not an export" in result.output
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_unknown_formats_and_runtimes_are_refused(tmp_path: Path) -> None:
    run = write_tiny_checkpoint(tmp_path / "run")
    result = runner.invoke(app, ["export", str(run), "--format", "tflite"])
    assert result.exit_code == 2 and "unknown export format 'tflite'" in result.output
    with pytest.raises(ValueError, match="give --checkpoint"):
        Predictor.load(model="r2plus1d_tiny", weights="x", runtime="onnx")


def test_timeline_runtime_onnx_finds_the_same_segments(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    run = write_tiny_checkpoint(tmp_path / "run")
    export_onnx(run)
    video = str(make_video("long.mp4", frames=90))
    command = ["timeline", video, "--checkpoint", str(run), "--json", "--device", "cpu"]
    command += ["--window", "0.5", "--stride", "0.25"]
    eager = json.loads(runner.invoke(app, command).output)
    exported = json.loads(runner.invoke(app, [*command, "--runtime", "onnx"]).output)
    assert len(exported["windows"]) == len(eager["windows"]) > 4
    for a, b in zip(exported["windows"], eager["windows"], strict=True):
        assert [t["label"] for t in a["top"]] == [t["label"] for t in b["top"]]
    assert [s["label"] for s in exported["segments"]] == [s["label"] for s in eager["segments"]]


def test_the_server_runs_an_export_folder(make_video: MakeVideo, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from sportslens.serve import create_app

    run = write_tiny_checkpoint(tmp_path / "run")
    export_onnx(run, tmp_path / "deploy")
    video = make_video("jump.mp4", frames=30)
    expected = Predictor.load(run).predict(video).to_dict()["top"]
    predictor = Predictor.load(tmp_path / "deploy", runtime="onnx")
    with TestClient(create_app(predictor, checkpoint=tmp_path / "deploy")) as client:
        info = client.get("/v1/model").json()
        assert info["name"] == "r2plus1d_tiny" and info["num_classes"] == 4
        assert info["metrics"] == {"best_val_acc1": 0.25}
        files = {"file": (video.name, video.read_bytes(), "video/mp4")}
        body = client.post("/v1/predict", files=files).json()
    assert [t["label"] for t in body["top"]] == [t["label"] for t in expected]
    assert [t["score"] for t in body["top"]] == pytest.approx(
        [t["score"] for t in expected], abs=1e-4
    )


def test_bench_export_times_both_runtimes_of_a_run(tmp_path: Path) -> None:
    run = write_tiny_skeleton_checkpoint(tmp_path / "run")
    command = ["bench", "export", str(run), "--batch-size", "2", "--repeats", "1", "--json"]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["model"], r["runtime"], r["batch"]) for r in rows] == [
        ("tcn", "torch", 2),
        ("tcn", "onnx", 2),
    ]
    assert all(r["clips_per_s"] > 0 and r["max_abs_diff"] <= TOLERANCE for r in rows)
    assert not (run / "onnx").exists()  # the export it timed went to a temporary folder
