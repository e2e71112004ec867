"""The skeleton model contract: (B, C, T, V, M) -> (B, K), replaceable head, exact reloads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sportslens.checkpoint import CheckpointInfo, load_checkpoint, save_checkpoint
from sportslens.models import VideoClassifier, create_model, get_entry, list_models
from sportslens.models.skeleton import skeleton_adjacency
from sportslens.pose import COCO17_EDGES

SKELETON = list_models(family="skeleton")
TINY = {"stgcn": {"width": 4}, "tcn": {"width": 8, "levels": 2}}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def skeletons(batch: int = 2, frames: int = 16, persons: int = 1) -> torch.Tensor:
    """A random (B, 3, T, 17, M) batch."""
    return torch.randn(batch, 3, frames, 17, persons, generator=torch.Generator().manual_seed(0))


def tiny(name: str, num_classes: int = 3) -> VideoClassifier:
    torch.manual_seed(0)
    return create_model(name, num_classes, **TINY[name])


def test_both_skeleton_models_are_registered_with_their_sequence_length() -> None:
    assert SKELETON == ["stgcn", "tcn"]
    for name in SKELETON:
        assert get_entry(name).family == "skeleton"
        assert get_entry(name).preprocess.clip_frames == 64


@pytest.mark.parametrize("name", SKELETON)
@pytest.mark.parametrize("persons", [1, 2])
def test_forward_backward_reaches_backbone_and_head(name: str, persons: int) -> None:
    model = tiny(name).train()
    logits = model(skeletons(persons=persons))
    assert logits.shape == (2, 3)
    logits.logsumexp(dim=1).sum().backward()
    assert model.head.weight.grad is not None and model.head.weight.grad.abs().sum() > 0
    grads = [p.grad for p in model.backbone_parameters() if p.grad is not None]
    assert grads and all(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("name", SKELETON)
def test_any_sequence_length_gives_one_prediction_per_sequence(name: str) -> None:
    model = tiny(name).eval()
    with torch.no_grad():
        assert model(skeletons(frames=9)).shape == (2, 3)
        assert model(skeletons(frames=64)).shape == (2, 3)


@pytest.mark.parametrize("name", SKELETON)
def test_reset_classifier_changes_classes(name: str) -> None:
    model = tiny(name).eval()
    model.reset_classifier(7)
    with torch.no_grad():
        features = model.backbone(skeletons())
        logits = model(skeletons())
    assert features.shape == (2, model.num_features) and logits.shape == (2, 7)
    assert not {id(p) for p in model.head.parameters()} & {
        id(p) for p in model.backbone_parameters()
    }


@pytest.mark.parametrize("name", SKELETON)
def test_checkpoint_round_trip_gives_identical_logits(name: str, tmp_path: Path) -> None:
    model = tiny(name)
    model.train()
    model(skeletons())  # move the BatchNorm running statistics away from their initial values
    model.eval()
    info = CheckpointInfo(name, ["a", "b", "c"], model.preprocess, dict(model.build_kwargs))
    save_checkpoint(tmp_path / "ckpt", model, info)
    torch.manual_seed(1)  # the rebuilt model starts from other weights, then loads the file's
    reloaded, loaded_info = load_checkpoint(tmp_path / "ckpt")
    assert {k: loaded_info.build_kwargs[k] for k in TINY[name]} == TINY[name]
    with torch.no_grad():
        torch.testing.assert_close(reloaded.eval()(skeletons()), model(skeletons()))


@pytest.mark.parametrize("name", SKELETON)
def test_local_weights_file_loads(name: str, tmp_path: Path) -> None:
    from safetensors.torch import save_file

    model = tiny(name).eval()
    save_file(model.state_dict(), tmp_path / "w.safetensors")
    torch.manual_seed(2)
    loaded = create_model(name, 3, pretrained=tmp_path / "w.safetensors", **TINY[name]).eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(skeletons()), model(skeletons()))


def test_adjacency_partitions_the_normalised_neighbourhood() -> None:
    spatial = skeleton_adjacency("spatial")  # (3, V, V)
    uniform = skeleton_adjacency("uniform")  # (1, V, V)
    assert spatial.shape == (3, 17, 17) and uniform.shape == (1, 17, 17)
    np.testing.assert_allclose(spatial.sum(axis=0), uniform[0], atol=1e-6)  # a partition
    np.testing.assert_allclose(uniform[0].sum(axis=0), 1.0, atol=1e-6)  # averages neighbours
    np.testing.assert_allclose(np.diag(spatial[0]), np.diag(uniform[0]))  # self-loops are root
    links = {tuple(sorted(pair)) for pair in zip(*np.nonzero(uniform[0]), strict=True)}
    assert links == {(i, i) for i in range(17)} | {tuple(sorted(e)) for e in COCO17_EDGES}
    with pytest.raises(ValueError, match="partition"):
        skeleton_adjacency("distance")  # type: ignore[arg-type]


# What a skeleton checkpoint's config.json held before KeypointSpec: a video Preprocess whose sizes
# and statistics the keypoint input never read.
OLD_SKELETON_PREPROCESS = {
    "num_frames": 24,
    "sampling": "uniform",
    "sampling_rate": 1,
    "crop_size": 112,
    "resize": 128,
    "train_scale": [128, 160],
    "mean": [0.43216, 0.394666, 0.37645],
    "std": [0.22803, 0.22145, 0.216989],
}


@pytest.mark.parametrize("name", SKELETON)
def test_a_skeleton_model_describes_keypoint_input_not_video(name: str) -> None:
    from sportslens.models.keypoint_input import KeypointSpec
    from sportslens.models.summary import describe_input, model_table

    spec = create_model(name, 3, clip_frames=24, crop_size=48, **TINY[name]).preprocess
    assert spec == KeypointSpec(clip_frames=24)  # a crop size has nothing to change
    assert spec.to_dict() == {
        "input": "keypoints",
        "num_frames": 24,
        "sampling": "resample",
        "channels": 3,
        "joints": 17,
        "persons": 1,
    }
    row = next(row for row in model_table() if row["model"] == name)
    assert (row["frames"], row["crop_size"], describe_input(name)) == (64, None, "17 joints")


@pytest.mark.parametrize("name", SKELETON)
def test_skeleton_checkpoints_with_the_old_video_preprocess_still_load(
    name: str, tmp_path: Path
) -> None:
    import json

    from sportslens.models.keypoint_input import KeypointSpec

    model = tiny(name).eval()
    info = CheckpointInfo(name, ["a", "b", "c"], model.preprocess, dict(model.build_kwargs))
    folder = save_checkpoint(tmp_path / "ckpt", model, info)
    config = json.loads((folder / "config.json").read_text())
    config["preprocess"] = OLD_SKELETON_PREPROCESS
    (folder / "config.json").write_text(json.dumps(config))
    loaded, loaded_info = load_checkpoint(folder)
    assert loaded.preprocess == loaded_info.preprocess == KeypointSpec(clip_frames=24)
    with torch.no_grad():
        torch.testing.assert_close(loaded.eval()(skeletons()), model(skeletons()))


def test_a_keypoint_spec_names_what_it_does_not_know() -> None:
    from sportslens.models.keypoint_input import KeypointSpec

    with pytest.raises(ValueError, match=r"unknown KeypointSpec field\(s\) \['crop'\]"):
        KeypointSpec.from_dict({"num_frames": 8, "crop": 3})
    with pytest.raises(ValueError, match="clip_frames must be >= 1, got 0"):
        KeypointSpec(clip_frames=0)
