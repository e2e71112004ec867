"""Attribute heads: targets from dive numbers, the joint loss, composed predictions, and a tiny
multi-head model that trains, saves, reloads, predicts and is evaluated on synthetic dives."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from conftest import TINY_TRAINING
from sportslens.bench import evaluate_composition
from sportslens.checkpoint import load_checkpoint, read_info, save_checkpoint
from sportslens.cli import app
from sportslens.data import ClipConfig, VideoDataset, read_catalog
from sportslens.dive.attributes import (
    ATTRIBUTES,
    AttributeObjective,
    attribute_targets,
    compose_prediction,
    head_weights,
)
from sportslens.dive.evaluation import attribute_metrics
from sportslens.dive.heads import DiveAttributeHeads
from sportslens.evaluate import EvalConfig, evaluate_run
from sportslens.models import create_model
from sportslens.models.heads import add_heads
from sportslens.predict import Predictor
from sportslens.synth.dives import make_dive_dataset
from sportslens.synth.settings import DIVE_SETTINGS
from sportslens.train import TrainConfig, fit

TRAINED = ["101B", "103C", "201C", "203B"]
HELD_OUT = ["101C", "203C"]  # each attribute value of these occurs among TRAINED


@pytest.fixture(scope="module")
def dives(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Tiny synthetic dives: trained numbers (6 clips each) and held-out ones (2 clips each)."""
    root = tmp_path_factory.mktemp("dives")
    settings = replace(DIVE_SETTINGS, num_frames=8, size=64)
    options = {"workers": 1, "progress": False}
    train = make_dive_dataset(root / "train", settings, dives=TRAINED, per_class=6, **options)  # type: ignore[arg-type]
    held_settings = replace(settings, seed=1)
    held = make_dive_dataset(root / "held", held_settings, dives=HELD_OUT, per_class=2, **options)  # type: ignore[arg-type]
    return train, held


@pytest.fixture(scope="module")
def run(dives: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(epochs=1, heads="attributes", **TINY_TRAINING)  # type: ignore[arg-type]
    fit(dives[0], out, cfg)
    return out


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        (["101B"], [[0, 0, 0, 1]]),
        (["5253B Back 2½ somersaults, 1½ twists, pike", "407C"], [[1, 4, 3, 1], [3, 6, 0, 2]]),
    ],
)
def test_targets_come_from_dive_numbers(classes: list[str], expected: list[list[int]]) -> None:
    assert attribute_targets(classes).tolist() == expected


@pytest.mark.parametrize(
    ("classes", "message"),
    [(["squat"], "not a dive number"), (["112B"], "flying"), (["612B"], "armstand")],
)
def test_targets_refuse_what_the_heads_cannot_say(classes: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        attribute_targets(classes)


def test_head_weights() -> None:
    assert head_weights({"position": 2}) == {
        "class": 1.0, "direction": 1.0, "half_somersaults": 1.0, "half_twists": 1.0,
        "position": 2.0,
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown head weights \\['twist'\\]"):
        head_weights({"twist": 1})
    with pytest.raises(ValueError, match="non-negative"):
        head_weights({"class": -1})
    with pytest.raises(ValueError, match="heads must be one of"):
        TrainConfig(heads="attribute")  # type: ignore[arg-type]


def _one_hot(name: str, value: str, p: float = 0.9) -> torch.Tensor:
    values = ATTRIBUTES[name]
    probs = torch.full((len(values),), (1 - p) / (len(values) - 1))
    probs[values.index(value)] = p
    return probs


@pytest.mark.parametrize(
    ("values", "number", "seen"),
    [
        (("back", "3", "0", "pike"), "203B", True),
        (("forward", "1", "0", "tuck"), "101C", False),
        (("reverse", "5", "3", "pike"), "5353B", False),
    ],
)
def test_compose_prediction(values: tuple[str, ...], number: str, seen: bool) -> None:
    probs = {name: _one_hot(name, v) for name, v in zip(ATTRIBUTES, values, strict=True)}
    dive = compose_prediction(probs, TRAINED)
    assert (dive.number, dive.seen) == (number, seen)
    assert dive.probability == pytest.approx(0.9**4, rel=1e-5)
    direction = dive.to_dict()["attributes"]["direction"]
    assert direction == {"value": values[0], "probability": pytest.approx(0.9)}


def test_attribute_metrics_count_every_video() -> None:
    true = [
        {"direction": "back", "half_somersaults": "3", "half_twists": "0", "position": "pike"},
        {"direction": "forward", "half_somersaults": "1", "half_twists": "0", "position": "tuck"},
    ]
    predicted = [dict(true[0]), dict(true[1], position="pike")]
    metrics = attribute_metrics(true, predicted, ["203B", "101B"])
    assert metrics["attributes"]["direction"]["accuracy"] == 1.0
    assert metrics["attributes"]["position"] == {
        "accuracy": 0.5, "values": ["pike", "tuck"], "confusion": [[1, 0], [1, 0]],
    }  # fmt: skip
    assert metrics["composed_accuracy"] == 0.5 and metrics["composed_unseen"] == 0.0
    with pytest.raises(ValueError, match="one prediction per video"):
        attribute_metrics(true, predicted[:1], [])


def test_the_joint_loss_falls_when_fitting_real_clips(dives: tuple[Path, Path]) -> None:
    torch.manual_seed(0)
    catalog = read_catalog(dives[0])
    model = add_heads(create_model("r2plus1d_tiny", 4, width=4), ATTRIBUTES)
    model.preprocess = replace(model.preprocess, clip_frames=4, crop_size=32, resize=36)
    records = list(catalog)[::6]  # 4 clips, one per class
    dataset = VideoDataset(records, model.preprocess, ClipConfig(mode="eval"))
    clips = torch.stack([dataset[i].clip for i in range(len(dataset))])  # (4, C, T, H, W)
    labels = torch.tensor([r.label_index for r in records])
    objective = AttributeObjective(attribute_targets(catalog.classes))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(10):
        loss, logits = objective(model.forward_heads(clips), labels)
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        losses.append(float(loss.detach()))
    assert logits.shape == (4, 4)
    assert losses[-1] < 0.5 * losses[0]
    for head in model.attribute_heads.values():
        assert isinstance(head, torch.nn.Linear)
        assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0


def test_trains_saves_reloads_and_predicts_composed_numbers(
    run: Path, dives: tuple[Path, Path]
) -> None:
    info = read_info(run)
    assert info.heads == {k: list(v) for k, v in ATTRIBUTES.items()}
    assert info.train_config["heads"] == "attributes"
    model, _ = load_checkpoint(run)
    assert set(model.attribute_heads) == set(ATTRIBUTES)
    again, _ = load_checkpoint(run)
    for (name, a), b in zip(model.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert any(k.startswith("attribute_heads.position") for k in model.state_dict())

    predictor = Predictor.from_checkpoint(run)
    assert isinstance(predictor.heads, DiveAttributeHeads)
    assert predictor.heads.trained_numbers == TRAINED
    held = [r.source for r in read_catalog(dives[1])]
    predictions = predictor.predict_many(held, top_k=2)
    for prediction in predictions:
        assert prediction.dive is not None
        assert prediction.dive.seen == (prediction.dive.number in TRAINED)
        assert prediction.labels[0] in TRAINED  # the flat head can only name trained classes
        as_dict = prediction.to_dict()
        assert as_dict["dive"]["number"] == prediction.dive.number
        assert set(as_dict["dive"]["attributes"]) == set(ATTRIBUTES)


def test_evaluation_reports_attributes_and_composition(run: Path, dives: tuple[Path, Path]) -> None:
    paths = evaluate_run(run, EvalConfig(workers=0), run / "eval")
    metrics = json.loads(paths["metrics"].read_text())
    attributes = metrics["attributes"]
    assert attributes["videos"] == metrics["num_videos"]
    for name in ATTRIBUTES:
        counts = attributes["attributes"][name]["confusion"]
        assert sum(map(sum, counts)) == metrics["num_videos"]
    assert "## Dive attributes" in paths["markdown"].read_text()
    page = paths["html"].read_text()
    assert page.index("<h2>Dive attributes</h2>") < page.index("</body>")
    assert "<h3>position (rows true, columns predicted)</h3>" in page

    held = evaluate_composition(run, dives[1])
    assert held["trained"] is None and held["held_out"]["videos"] == 4
    accuracy = held["held_out"]["composed_accuracy"]
    assert accuracy <= held["held_out"]["composed_unseen"]  # right there means unseen

    result = CliRunner().invoke(app, ["bench", "compose", str(run), str(dives[1]), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["held_out"]["composed_accuracy"] == accuracy


def test_evaluation_reads_each_video_once_for_every_head(
    run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attribute heads are evaluated from the same pass as the class head (a second
    inference pass over the split used to read every video twice)."""
    reads: list[int] = []
    read = VideoDataset.__getitem__

    def counted(self: VideoDataset, index: int) -> object:
        reads.append(index)
        return read(self, index)

    monkeypatch.setattr(VideoDataset, "__getitem__", counted)
    paths = evaluate_run(run, EvalConfig(workers=0), run / "eval-once")
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["attributes"]["videos"] == metrics["num_videos"]
    assert sorted(reads) == list(range(metrics["num_videos"]))


def test_flat_runs_cannot_compose(run: Path, tmp_path: Path, dives: tuple[Path, Path]) -> None:
    model, info = load_checkpoint(run)
    model.attribute_heads.clear()
    save_checkpoint(tmp_path / "flat", model, replace(info, heads={}))
    assert not load_checkpoint(tmp_path / "flat")[0].attribute_heads
    assert (
        Predictor.from_checkpoint(tmp_path / "flat").predict(read_catalog(dives[1])[0].source).dive
        is None
    )
    with pytest.raises(ValueError, match="no attribute heads"):
        evaluate_composition(tmp_path / "flat", dives[1])


def test_a_skeleton_model_composes_from_the_keypoints_beside_the_dives(
    dives: tuple[Path, Path], tmp_path: Path
) -> None:
    """The dives' keypoint files train a ``tcn`` with attribute heads; evaluation and the
    composition benchmark read those files, not the videos (no pose estimation)."""
    cfg = TrainConfig(
        epochs=2,
        heads="attributes",
        **{**TINY_TRAINING, "model": "tcn", "model_kwargs": {"width": 8, "levels": 1}, "frames": 8},  # type: ignore[arg-type]
    )
    fit(dives[0], tmp_path / "tcn", cfg)
    paths = evaluate_run(tmp_path / "tcn", EvalConfig(workers=0), tmp_path / "eval")
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["attributes"]["videos"] == metrics["num_videos"]
    held = evaluate_composition(tmp_path / "tcn", dives[1])
    assert held["held_out"]["videos"] == 4  # every held-out dive read from its .npz
