"""Prediction sees the same frames as evaluation, for every sampling kind; bad arguments fail."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import MakeVideo
from sportslens.checkpoint import CheckpointInfo, save_checkpoint
from sportslens.cli import app
from sportslens.data.dataset import ClipConfig, VideoDataset
from sportslens.models import create_model
from sportslens.predict import Predictor, pretrained_class_names


@dataclass(frozen=True)
class Rec:
    source: str
    label_index: int = 0
    start_frame: int | None = None
    end_frame: int | None = None


@pytest.mark.parametrize("kind", ["uniform", "segments", "clip"])
def test_predict_uses_the_evaluation_frames(make_video: MakeVideo, kind: str) -> None:
    video = make_video("a.mp4", frames=37)
    model = create_model("r2plus1d_tiny", 2, width=4)
    model.preprocess = replace(
        model.preprocess, sampling=kind, clip_frames=5, sampling_rate=3, crop_size=32, resize=36,
        train_scale=(32, 40),
    )  # fmt: skip
    predicted = Predictor(model, ["a", "b"]).predict(video).frames
    dataset = VideoDataset([Rec(str(video))], model.preprocess, ClipConfig(mode="eval"))
    assert predicted == dataset._indices(37, 0, 36, rng=None).ravel().tolist()  # type: ignore[arg-type]


def test_top_k_below_one_is_refused_in_python_and_on_the_command_line(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    video = make_video("a.mp4", frames=20)
    model = create_model("r2plus1d_tiny", 2, width=4)
    predictor = Predictor(model, ["a", "b"])
    for top_k in (0, -1):  # an empty list and a RuntimeError from topk before
        with pytest.raises(ValueError, match=f"top_k must be at least 1, got {top_k}"):
            predictor.predict(video, top_k=top_k)
    assert len(predictor.predict(video, top_k=9).labels) == 2  # more than there are: all
    info = CheckpointInfo("r2plus1d_tiny", ["a", "b"], model.preprocess, model.build_kwargs)
    checkpoint = save_checkpoint(tmp_path / "ckpt", model, info)
    for top_k in ("0", "-1"):
        command = ["predict", str(video), "--checkpoint", str(checkpoint), "--top-k", top_k]
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert "Invalid value for '--top-k'" in result.output
        assert "greater than or equal to 1" in result.output


def test_class_names_of_a_local_folder_never_ask_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transformers = pytest.importorskip("transformers")
    config = transformers.VideoMAEConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
        image_size=32, patch_size=16, num_frames=4, id2label={0: "pike", 1: "tuck"},
    )  # fmt: skip
    config.save_pretrained(tmp_path / "org" / "tiny")  # a folder that also looks like a hub id
    calls: list[dict[str, Any]] = []
    real = transformers.AutoConfig.from_pretrained

    def spy(source: str, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(source, **kwargs)

    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", spy)
    monkeypatch.chdir(tmp_path)
    assert pretrained_class_names("videomae", "org/tiny") == ["pike", "tuck"]
    assert calls == [{"local_files_only": True}]


def test_load_takes_a_checkpoint_or_a_model_with_weights(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    from serve_helpers import write_tiny_checkpoint

    run = write_tiny_checkpoint(tmp_path / "run")
    video = make_video("a.mp4", frames=20)
    loaded = Predictor.load(run).predict(video).to_dict()
    assert loaded == Predictor.from_checkpoint(run).predict(video).to_dict() | {
        "timing_ms": loaded["timing_ms"]
    }
    for partial in ({}, {"model": "r2plus1d_tiny"}, {"weights": "kinetics400"}):
        with pytest.raises(ValueError, match=r"--checkpoint RUN_DIR, or --model NAME with"):
            Predictor.load(**partial)
