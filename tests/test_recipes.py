"""The shipped recipes: each trains, evaluates and predicts end to end with a tiny model of its
family and its own sampling, so none of them rots; the dance recipe's TSN clips are checked frame
by frame on videos whose frames spell their index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import MakeVideo
from frame_codes import read_codes
from sportslens.checkpoint import load_checkpoint
from sportslens.cli import app
from sportslens.data import ClipConfig, read_catalog
from sportslens.data.dataset import VideoDataset
from sportslens.evaluate import EvalConfig, evaluate_run
from sportslens.models.registry import get_entry
from sportslens.predict import Predictor
from sportslens.recipes import list_recipes, recipe_path
from sportslens.train import TrainConfig, fit, resolve_sampling
from sportslens.transforms import Preprocess
from sportslens.video import read_frames
from tiny_models import TINY

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("one_torch_thread")

RECIPES = ["dance", "diving48", "gym-keypoints", "hand-gestures", "hand-gestures-light",
           "torchvision-quickstart"]  # fmt: skip
SMOKE = {"epochs": 1, "batch_size": 4, "workers": 0, "pretrained": None, "precision": "fp32",
         "accumulate": 1, "split": (0.6, 0.2, 0.2), "device": "cpu"}  # fmt: skip


def smoke_config(name: str) -> TrainConfig:
    """The recipe with a tiny model of its family, small crops and one epoch; sampling kept."""
    recipe = TrainConfig.from_yaml(recipe_path(name))
    tiny = {k: v for k, v in TINY[recipe.model].items() if k not in ("clip_frames", "crop_size")}
    overrides: dict[str, Any] = dict(SMOKE)
    if get_entry(recipe.model).family == "skeleton":
        return TrainConfig.from_yaml(recipe_path(name), **overrides, model_kwargs=tiny, frames=16)
    tiny.pop("num_frames", None)  # the recipe's own clip length (TimeSformer interpolates)
    tiny.pop("image_size", None)
    if recipe.model_kwargs:  # the light variant stays lighter than the full tiny one
        tiny |= {"num_hidden_layers": 1}
    overrides |= {"model_kwargs": tiny, "size": 32}
    if recipe.sampling == "segments":  # two segments of the recipe's consecutive frames
        overrides["frames"] = 2 * (recipe.frames_per_segment or 1)
    elif recipe.frames is None or recipe.frames > 8:
        overrides["frames"] = 8 if recipe.model != "timesformer" else recipe.frames
    if recipe.train_scale is not None:  # the recipe's scale range, at the crop's ratio
        ratio = 32 / (recipe.size or 32)
        overrides["train_scale"] = tuple(round(side * ratio) + 1 for side in recipe.train_scale)
    return TrainConfig.from_yaml(recipe_path(name), **overrides)


def test_every_recipe_is_listed_with_what_it_reproduces_and_the_reported_result() -> None:
    found = {recipe.name: recipe for recipe in list_recipes()}
    assert sorted(found) == RECIPES
    for recipe in found.values():
        assert recipe.reproduces and recipe.reported and recipe.data and recipe.hardware
    assert "52.1%" in found["diving48"].reported
    result = runner.invoke(app, ["recipes", "--json"])
    assert result.exit_code == 0, result.output
    assert [row["name"] for row in json.loads(result.output)] == RECIPES
    assert "52.1%" in runner.invoke(app, ["recipes"]).output


@pytest.mark.parametrize("name", RECIPES)
def test_every_recipe_resolves_to_a_valid_preprocessing(name: str) -> None:
    cfg = TrainConfig.from_yaml(recipe_path(name))
    spec = get_entry(cfg.model).preprocess
    if isinstance(spec, Preprocess):
        resolve_sampling(cfg, spec)  # refuses a config the model would not accept


def test_the_dance_recipe_is_tsn_with_its_augmentation() -> None:
    cfg = TrainConfig.from_yaml(recipe_path("dance"))
    spec = get_entry(cfg.model).preprocess
    assert isinstance(spec, Preprocess)
    pre = resolve_sampling(cfg, spec)
    assert (pre.sampling, pre.clip_frames, pre.frames_per_segment) == ("segments", 16, 4)
    assert (pre.crop_size, pre.train_scale, cfg.split) == (244, (256, 320), (0.8, 0.1, 0.1))


def test_train_config_takes_a_recipe_name_and_names_the_recipes_for_a_bad_one(
    tmp_path: Path,
) -> None:
    assert recipe_path("dance").name == "dance.yaml"
    result = runner.invoke(app, ["train", str(tmp_path), "--out", str(tmp_path / "r"),
                                 "--config", "no-such-recipe"])  # fmt: skip
    assert result.exit_code != 0
    assert "no-such-recipe" in result.output and "diving48" in result.output


def _train_evaluate_predict(data: Path, run: Path, cfg: TrainConfig, probe: Path) -> Any:
    fit(data, run, cfg)
    paths = evaluate_run(run, EvalConfig(workers=0, batch_size=4))
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["num_videos"] >= 1 and 0.0 <= metrics["video_acc1"] <= 1.0
    result = Predictor.from_checkpoint(run).predict(probe, top_k=2)
    assert len(result.labels) == 2 and sum(result.scores) <= 1.0 + 1e-6
    return result


@pytest.mark.parametrize("name", ["diving48", "gym-keypoints", "torchvision-quickstart"])
def test_recipe_trains_evaluates_and_predicts(name: str, athletes: Path, tmp_path: Path) -> None:
    cfg = smoke_config(name)
    suffix = "*.npz" if cfg.model == "tcn" else "*.mp4"
    probe = next((athletes / "squat").glob(suffix))
    _train_evaluate_predict(athletes, tmp_path / "run", cfg, probe)
    _, info = load_checkpoint(tmp_path / "run")
    saved = TrainConfig.from_yaml(recipe_path(name))
    assert info.model == saved.model
    if isinstance(info.preprocess, Preprocess) and saved.sampling is not None:
        assert info.preprocess.sampling == saved.sampling


def test_hand_gesture_recipes_compare_the_full_and_the_light_model(
    athletes: Path, tmp_path: Path
) -> None:
    probe = next((athletes / "squat").glob("*.mp4"))
    for name in ("hand-gestures", "hand-gestures-light"):
        _train_evaluate_predict(athletes, tmp_path / name, smoke_config(name), probe)
    result = runner.invoke(
        app, ["compare", str(tmp_path / "hand-gestures"), str(tmp_path / "hand-gestures-light"),
              "--json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    full, light = rows["hand-gestures"], rows["hand-gestures-light"]
    assert light["model_info"]["params"] < full["model_info"]["params"]
    assert light["model_info"]["gflops"] < full["model_info"]["gflops"]
    assert {"video_acc1", "video_acc_topk"} <= set(full["metrics"])


@pytest.fixture
def coded_dances(make_video: MakeVideo, tmp_path: Path) -> Path:
    """Two classes of five 40-frame videos whose frames spell their own index."""
    for label in ("salsa", "tango"):
        (tmp_path / label).mkdir()
        for i in range(5):
            make_video(f"{label}/{label}{i}.mp4", frames=40)
    return tmp_path


def test_dance_recipe_clips_are_segments_of_consecutive_frames(
    coded_dances: Path, tmp_path: Path
) -> None:
    cfg = smoke_config("dance")
    per_segment = cfg.frames_per_segment or 1
    assert cfg.sampling == "segments" and per_segment > 1
    video = next((coded_dances / "salsa").glob("*.mp4"))
    result = _train_evaluate_predict(coded_dances, tmp_path / "run", cfg, video)
    _, info = load_checkpoint(tmp_path / "run")
    pre = info.preprocess
    assert isinstance(pre, Preprocess)
    saved = json.loads((tmp_path / "run" / "best" / "config.json").read_text())["preprocess"]
    assert (saved["sampling"], saved["frames_per_segment"]) == ("segments", per_segment)
    segments = pre.clip_frames // per_segment
    # Prediction: the centred segments, each of F consecutive frames.
    frames = np.asarray(result.frames).reshape(segments, per_segment)
    assert (np.diff(frames, axis=1) == 1).all()
    assert read_codes(read_frames(video, result.frames)) == result.frames
    # Training: random clips, still F consecutive frames inside each of the equal segments.
    records = list(read_catalog(coded_dances))
    train = VideoDataset(records, pre, ClipConfig(mode="train", seed=3))
    evaluate = VideoDataset(records, pre, ClipConfig(mode="eval", temporal_views=3))
    for dataset, rows in ((train, 1), (evaluate, 3)):
        for epoch in range(3):
            dataset.set_epoch(epoch)
            indices = dataset._indices(40, 0, 39, np.random.default_rng(epoch))  # (V, T)
            assert indices.shape == (rows, pre.clip_frames)
            for row in indices:
                decoded = read_codes(read_frames(video, row))
                blocks = np.asarray(decoded).reshape(segments, per_segment)
                assert (np.diff(blocks, axis=1) == 1).all()  # consecutive within a segment
                for k, block in enumerate(blocks):  # and inside segment k of 40 / S frames
                    assert k * 40 // segments <= block[0] and block[-1] < (k + 1) * 40 // segments


def test_a_frame_count_the_model_does_not_accept_is_refused_before_training(
    athletes: Path, tmp_path: Path
) -> None:
    # The config: VideoMAE built for 16 frames (model_kwargs) but fed clips of 8.
    tiny = {k: v for k, v in TINY["videomae"].items() if k != "num_frames"}
    config = tmp_path / "videomae.yaml"
    config.write_text(
        json.dumps({"model": "videomae", "model_kwargs": {**tiny, "num_frames": 16},
                    "frames": 8, "size": 32, "epochs": 1, "workers": 0})
    )  # fmt: skip
    run = tmp_path / "run"
    result = runner.invoke(
        app, ["train", str(athletes), "--out", str(run), "--config", str(config)]
    )
    assert result.exit_code != 0
    message = " ".join(result.output.split())
    assert "videomae" in message and "built for 16" in message and "frames: 16" in message
    assert not (run / "last").exists() and not (run / "metrics.jsonl").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"model": "r3d_18", "frames_per_segment": 4},
            "frames_per_segment applies to sampling: segments, but r3d_18 samples clip",
        ),
        (
            {"model": "r3d_18", "sampling": "segments", "frames_per_segment": 3, "frames": 16},
            "r3d_18: frames=16 is not a whole number of segments of frames_per_segment=3",
        ),
        (
            {"model": "r3d_18", "sampling": "uniform", "sampling_rate": 2},
            "sampling_rate applies to sampling: clip",
        ),
        ({"model": "tcn", "sampling": "clip"}, "tcn reads keypoint sequences"),
        ({"model": "r3d_18", "size": 244, "train_scale": (200, 320)}, "train_scale"),
    ],
)
def test_sampling_options_the_model_would_not_read_are_refused(
    options: dict[str, Any], message: str
) -> None:
    from sportslens.train import create_training_model
    from sportslens.typed_config import ConfigError

    with pytest.raises(ConfigError, match=message):
        create_training_model(TrainConfig(**options), 2)
