"""Prediction sees the same frames as evaluation, for every sampling kind."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from conftest import MakeVideo
from sportslens.data.dataset import ClipConfig, VideoDataset
from sportslens.models import create_model
from sportslens.predict import Predictor


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
