"""The model contract for every small and torchvision model, on tiny configurations."""

from __future__ import annotations

import copy
import functools
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file

from sportslens.models import VideoClassifier, create_model, get_entry, list_models, register_model
from sportslens.models.torchvision_video import TINY_KWARGS, create_torchvision_net, hub_cache_path
from sportslens.models.weights import load_state_dict_file
from sportslens.transforms import Preprocess

SMALL = list_models(family="small")
TORCHVISION = list_models(family="torchvision")


def tiny_kwargs(name: str) -> dict[str, Any]:
    return dict(TINY_KWARGS[name]) if name in TINY_KWARGS else {"width": 4}


def tiny_clips() -> torch.Tensor:
    """A random (B, C, T, H, W) batch that every tiny configuration accepts."""
    return torch.randn(2, 3, 8, 32, 32, generator=torch.Generator().manual_seed(0))


def create_tiny(name: str, num_classes: int = 3, **kwargs: Any) -> VideoClassifier:
    torch.manual_seed(0)
    return create_model(name, num_classes, **tiny_kwargs(name), **kwargs)


@functools.cache
def _cached_tiny(name: str) -> VideoClassifier:
    return create_tiny(name)


def tiny_model(name: str) -> VideoClassifier:
    """A fresh copy of the tiny 3-class ``name``: copying beats re-initialising 14 M weights."""
    return copy.deepcopy(_cached_tiny(name))


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(autouse=True, scope="module")
def free_cached_models() -> Iterator[None]:
    yield
    _cached_tiny.cache_clear()  # free the cached models' ~140 MB for the rest of the session


@pytest.fixture
def empty_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty torch hub cache, and any download attempt fails the test."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    assert Path(torch.hub.get_dir()).is_relative_to(tmp_path)

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to download")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    return tmp_path / "torch" / "hub"


def test_families_are_registered() -> None:
    assert {"r2plus1d_tiny", "r2plus1d_small"} <= set(SMALL)
    assert set(TORCHVISION) == set(TINY_KWARGS)


@pytest.mark.parametrize("name", SMALL + TORCHVISION)
def test_forward_backward_reaches_backbone_and_head(name: str) -> None:
    model = tiny_model(name).train()
    clips = tiny_clips()
    logits = model(clips)
    assert logits.shape == (clips.shape[0], 3)
    logits.logsumexp(dim=1).sum().backward()
    assert model.head.weight.grad is not None and model.head.weight.grad.abs().sum() > 0
    grads = [p.grad for p in model.backbone_parameters() if p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("name", SMALL + TORCHVISION)
def test_reset_classifier_changes_classes(name: str) -> None:
    model = tiny_model(name).eval()
    model.reset_classifier(7)
    with torch.no_grad():
        features = model.backbone(tiny_clips())
        logits = model(tiny_clips())
    assert model.num_classes == 7
    assert features.shape == (logits.shape[0], model.num_features)
    assert logits.shape[1] == 7
    head = {id(p) for p in model.head.parameters()}
    assert not head & {id(p) for p in model.backbone_parameters()}


@pytest.mark.parametrize("name", SMALL + TORCHVISION)
def test_safetensors_round_trip_gives_identical_logits(name: str, tmp_path: Path) -> None:
    model = tiny_model(name).eval()
    path = tmp_path / "model.safetensors"
    save_file(model.state_dict(), path)
    torch.manual_seed(1)  # a differently initialised model, then the file's weights
    reloaded = create_model(name, 3, pretrained=path, **tiny_kwargs(name)).eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(tiny_clips()), model(tiny_clips()))


@pytest.mark.parametrize("name", SMALL + TORCHVISION)
def test_build_kwargs_rebuild_the_architecture(name: str) -> None:
    model = tiny_model(name)
    kwargs = json.loads(json.dumps(model.build_kwargs))  # they must survive config.json
    with torch.device("meta"):  # shapes without allocating or initialising weights
        rebuilt = create_model(name, 3, **kwargs)
    shapes = {key: value.shape for key, value in model.state_dict().items()}
    assert {key: value.shape for key, value in rebuilt.state_dict().items()} == shapes
    assert rebuilt.preprocess == model.preprocess


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_state_dict_file_keeps_the_kinetics_head(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = create_torchvision_net(name, **tiny_kwargs(name)).eval()
    path = tmp_path / "torchvision.pth"
    torch.save(net.state_dict(), path)
    model = create_model(name, 400, pretrained=path, **tiny_kwargs(name)).eval()
    with torch.no_grad():
        torch.testing.assert_close(model(tiny_clips()), net(tiny_clips()))


def test_torchvision_weights_for_other_classes_get_a_fresh_head(tmp_path: Path) -> None:
    net = create_torchvision_net("r2plus1d_18", **TINY_KWARGS["r2plus1d_18"])
    path = tmp_path / "r2plus1d_18.pth"
    torch.save({"model": net.state_dict(), "epoch": 3}, path)  # a training-script checkpoint
    model = create_model("r2plus1d_18", 5, pretrained=path, **TINY_KWARGS["r2plus1d_18"])
    assert model.num_classes == 5
    for key, value in net.state_dict().items():
        if not key.startswith("fc."):
            torch.testing.assert_close(model.state_dict()[f"backbone.{key}"], value)


def test_kinetics_weights_load_from_the_hub_cache(empty_hub: Path) -> None:
    from torchvision.models.video import Swin3D_T_Weights

    net = create_torchvision_net("swin3d_t", **TINY_KWARGS["swin3d_t"]).eval()
    path = hub_cache_path(Swin3D_T_Weights.KINETICS400_V1.url)
    assert path.parent == empty_hub / "checkpoints"
    path.parent.mkdir(parents=True)
    torch.save(net.state_dict(), path)
    model = create_model("swin3d_t", 400, pretrained="kinetics400", **TINY_KWARGS["swin3d_t"])
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(tiny_clips()), net(tiny_clips()))


@pytest.mark.parametrize("name", TORCHVISION)
def test_missing_kinetics_weights_fail_at_once_naming_the_file(name: str, empty_hub: Path) -> None:
    from torchvision.models import get_model_weights

    url = get_model_weights(name).KINETICS400_V1.url
    start = time.monotonic()
    with pytest.raises(FileNotFoundError) as caught:
        create_model(name, 10, pretrained="kinetics400", **TINY_KWARGS[name])
    assert time.monotonic() - start < 10  # no download attempt (the fixture forbids one)
    message = str(caught.value)
    assert url in message
    assert "--weights PATH" in message
    assert str(hub_cache_path(url)) in message


@pytest.mark.parametrize(
    ("name", "listed"), [("r3d_18", "'kinetics400'"), ("r2plus1d_tiny", "none")]
)
def test_unknown_pretrained_name_lists_the_weights(name: str, listed: str) -> None:
    with pytest.raises(ValueError, match="imagenet") as caught:
        create_tiny(name, pretrained="imagenet")
    assert listed in str(caught.value)


def test_unknown_keyword_names_the_accepted_ones() -> None:
    with pytest.raises(TypeError, match=r"\['width'\].*layers"):
        create_model("r3d_18", 3, width=4)


def test_mismatched_weights_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "other.safetensors"
    save_file(create_tiny("r2plus1d_tiny").state_dict(), path)
    with pytest.raises(ValueError, match=r"other\.safetensors"):
        create_model("r2plus1d_small", 3, pretrained=path, width=8)


def test_pickled_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"weight": torch.zeros(1), "config": Preprocess()}, path)
    with pytest.raises(ValueError, match="refuses to unpickle"):
        load_state_dict_file(path)


def test_small_default_sizes() -> None:
    tiny = create_model("r2plus1d_tiny", 10)
    assert 300_000 < sum(p.numel() for p in tiny.parameters()) < 1_000_000
    assert tiny.num_features == 128
    assert create_model("r2plus1d_small", 10).num_features == 256


def test_tiny_mvit_takes_clips_of_its_own_size() -> None:
    pre = create_tiny("mvit_v2_s").preprocess
    assert (pre.clip_frames, pre.crop_size) == (8, 32)
    assert get_entry("mvit_v2_s").preprocess.crop_size == 224


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_preprocess_matches_the_weights_transforms(name: str) -> None:
    from torchvision.models import get_model_weights

    weights = get_model_weights(name).KINETICS400_V1
    transform = weights.transforms()
    pre = get_entry(name).preprocess
    assert pre.crop_size == transform.crop_size[0]
    assert pre.resize == transform.resize_size[0]
    assert pre.mean == pytest.approx(transform.mean)
    assert pre.std == pytest.approx(transform.std)
    assert pre.clip_frames >= weights.meta.get("min_temporal_size", 1)


def test_get_entry_unknown_name_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown model 'r9d'.*r2plus1d_tiny"):
        get_entry("r9d")


def test_registering_a_name_twice_is_an_error() -> None:
    entry = get_entry("r2plus1d_tiny")
    with pytest.raises(ValueError, match="already registered"):
        register_model(
            "r2plus1d_tiny",
            family="small",
            preprocess=entry.preprocess,
            input_adapter=entry.input_adapter,
        )(entry.builder)
    assert get_entry("r2plus1d_tiny") is entry


@pytest.mark.parametrize("name", list_models())
def test_every_entry_carries_a_valid_preprocess(name: str) -> None:
    entry = get_entry(name)
    assert entry.name == name
    assert entry.input_adapter.read_spec(entry.preprocess.to_dict()) == entry.preprocess


def test_list_models_is_sorted_and_filters_by_family() -> None:
    names = list_models()
    assert names == sorted(names)
    assert set(SMALL) | set(TORCHVISION) <= set(names)
    assert all(get_entry(name).family == "small" for name in SMALL)


def test_motion_channels_see_only_what_moves() -> None:
    from sportslens.models.small import R2Plus1dNet

    torch.manual_seed(0)
    net = R2Plus1dNet(width=4, motion=True).eval()
    still = torch.rand(1, 3, 1, 32, 32).expand(1, 3, 8, 32, 32)  # one frame repeated
    moving = torch.rand(1, 3, 8, 32, 32)
    with torch.no_grad():
        before = net(still), net(moving)
        net.stem[0].weight[:, 3:] += 1.0  # the stem's weights on the difference channels
        after = net(still), net(moving)
    torch.testing.assert_close(after[0], before[0])  # a still clip has no differences
    assert not torch.allclose(after[1], before[1])


def test_small_checkpoints_from_before_motion_channels_still_load(tmp_path: Path) -> None:
    from sportslens.checkpoint import CheckpointInfo, load_checkpoint, save_checkpoint

    old = create_model("r2plus1d_tiny", 3, width=4, motion=False).eval()
    kwargs = {"width": 4, "depth": 1, "dropout": 0.0}  # what such a checkpoint recorded
    info = CheckpointInfo("r2plus1d_tiny", ["a", "b", "c"], old.preprocess, kwargs)
    save_checkpoint(tmp_path / "ckpt", old, info)
    loaded, _ = load_checkpoint(tmp_path / "ckpt")
    clips = torch.rand(1, 3, 4, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded.eval()(clips), old(clips))
    assert create_model("r2plus1d_tiny", 3).build_kwargs["motion"] is True


@pytest.mark.parametrize("name", ["r2plus1d_tiny", "r3d_18", "swin3d_t"])
def test_any_input_size_builds_with_its_preprocess_following(name: str) -> None:
    model = create_tiny(name, clip_frames=6, crop_size=48).eval()
    pre, entry = model.preprocess, get_entry(name).preprocess
    assert (pre.clip_frames, pre.crop_size) == (6, 48)
    ratio = 48 / entry.crop_size  # the entry's own eval and training scales, at 48 px
    assert pre.resize == round(entry.resize * ratio)
    assert pre.train_scale == tuple(max(48, round(side * ratio)) for side in entry.train_scale)
    with torch.no_grad():
        assert model(torch.randn(1, 3, 6, 48, 48)).shape == (1, 3)


def test_mvit_is_built_for_its_input_size_or_says_why_not() -> None:
    model = create_model("mvit_v2_s", 3, clip_frames=8, crop_size=32, **TINY_KWARGS["mvit_v2_s"])
    assert (model.build_kwargs["temporal_size"], model.build_kwargs["spatial_size"]) == (8, 32)
    with pytest.raises(ValueError, match="clip_frames=4 contradicts temporal_size=8"):
        create_model("mvit_v2_s", 3, clip_frames=4, **TINY_KWARGS["mvit_v2_s"])
    with torch.device("meta"), pytest.raises(ValueError, match="need a block_setting"):
        create_model("mvit_v2_s", 3, clip_frames=8)  # torchvision's blocks fix 16 x 224


def test_s3d_refuses_clips_smaller_than_its_pool_without_global_pool() -> None:
    with pytest.raises(ValueError, match=r"s3d: clips of 16 x 112 px .* global_pool=True"):
        create_model("s3d", 3, clip_frames=16, crop_size=112)
    model = create_model("s3d", 3, clip_frames=8, crop_size=32, global_pool=True).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 8, 32, 32)).shape == (1, 3)
