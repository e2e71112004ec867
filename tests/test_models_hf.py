"""Transformers video classifiers behind the registry: tiny configs, offline checkpoints only."""

from __future__ import annotations

import json
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

transformers: Any = pytest.importorskip("transformers")

from sportslens.models import create_model, get_entry, hf, list_models  # noqa: E402
from sportslens.models.base import VideoClassifier  # noqa: E402
from tiny_models import HF_TINY as TINY  # noqa: E402  (tiny configs: 4 frames of 32 px)

# What a tiny transformers checkpoint needs beyond TINY (V-JEPA 2's self-supervised predictor).
CHECKPOINT_EXTRA: dict[str, dict[str, Any]] = {
    "vjepa2": {"pred_hidden_size": 32, "pred_num_attention_heads": 2, "pred_num_hidden_layers": 1}
}
# The transformers class behind each entry and its forward keyword for (B, T, C, H, W) clips.
HF_CLASSES = {
    "timesformer": ("TimesformerForVideoClassification", "pixel_values"),
    "videomae": ("VideoMAEForVideoClassification", "pixel_values"),
    "vivit": ("VivitForVideoClassification", "pixel_values"),
    "vjepa2": ("VJEPA2ForVideoClassification", "pixel_values_videos"),
}
HF_MODELS = list_models(family="hf")
FRAMES, SIZE = 4, 32


def clips(batch: int = 2, frames: int = FRAMES, seed: int = 0) -> torch.Tensor:
    """Normalised-looking float clips, (B, C, T, H, W)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 3, frames, SIZE, SIZE, generator=generator)


def tiny(name: str, num_classes: int = 3, **overrides: Any) -> VideoClassifier:
    torch.manual_seed(0)
    return create_model(name, num_classes, **{**TINY[name], **overrides})


def wrapped(model: VideoClassifier) -> Any:
    """The transformers model inside the backbone adapter."""
    return model.backbone.model


def save_checkpoint(name: str, folder: Path, labels: list[str], **overrides: Any) -> Any:
    """A tiny transformers classifier with class names, written by save_pretrained."""
    config = transformers.AutoConfig.for_model(
        name,  # each entry is named after its transformers model_type
        **{**TINY[name], **CHECKPOINT_EXTRA.get(name, {}), **overrides},
        id2label=dict(enumerate(labels)),
    )
    torch.manual_seed(1)
    model = getattr(transformers, HF_CLASSES[name][0])(config).eval()
    model.save_pretrained(folder)
    return model


def test_every_hf_entry_has_a_tiny_config() -> None:
    assert HF_MODELS == sorted(TINY) == sorted(HF_CLASSES)
    for name in HF_MODELS:
        entry = get_entry(name)
        assert entry.weights, name
        assert "/" not in entry.weights[0]  # a short name ("kinetics400") ...
        assert "/" in entry.weights[-1]  # ... and the hub id it stands for


@pytest.mark.parametrize(
    ("name", "frames", "crop", "mean"),
    [
        ("timesformer", 8, 224, (0.45, 0.45, 0.45)),
        ("videomae", 16, 224, (0.485, 0.456, 0.406)),
        ("vivit", 32, 224, (0.5, 0.5, 0.5)),
        ("vjepa2", 32, 256, (0.485, 0.456, 0.406)),
    ],
)
def test_entry_preprocess_matches_its_checkpoint(
    name: str, frames: int, crop: int, mean: tuple[float, ...]
) -> None:
    pre = get_entry(name).preprocess
    assert (pre.clip_frames, pre.crop_size, pre.mean) == (frames, crop, mean)


@pytest.mark.parametrize("name", HF_MODELS)
def test_forward_backward_and_preprocess(name: str) -> None:
    model = tiny(name, num_classes=5)
    logits = model(clips())
    assert logits.shape == (2, 5)
    logits.logsumexp(dim=1).mean().backward()
    assert model.head.weight.grad is not None
    assert all(p.grad is not None for p in model.backbone_parameters() if p.requires_grad)
    # The instance's preprocessing follows its config: clip length and input side.
    assert (model.preprocess.clip_frames, model.preprocess.crop_size) == (FRAMES, SIZE)
    assert model.preprocess.mean == get_entry(name).preprocess.mean
    assert model.id2label == {}


@pytest.mark.parametrize("name", HF_MODELS)
def test_reset_classifier(name: str) -> None:
    model = tiny(name)
    model.reset_classifier(7)
    assert model.num_classes == 7
    assert model(clips()).shape == (2, 7)


@pytest.mark.parametrize("name", HF_MODELS)
def test_safetensors_round_trip_through_build_kwargs(name: str, tmp_path: Path) -> None:
    model = tiny(name).eval()
    save_file(model.state_dict(), tmp_path / "model.safetensors")
    build_kwargs = json.loads(json.dumps(model.build_kwargs))  # what a checkpoint stores
    rebuilt = create_model(name, 3, **build_kwargs).eval()
    rebuilt.load_state_dict(load_file(tmp_path / "model.safetensors"))
    with torch.no_grad():
        assert torch.equal(rebuilt(clips()), model(clips()))


@pytest.mark.parametrize("attention_type", ["divided_space_time", "space_only", "joint_space_time"])
def test_timesformer_attention_types(attention_type: str) -> None:
    model = tiny("timesformer", attention_type=attention_type)
    assert model(clips()).shape == (2, 3)
    assert model.build_kwargs["attention_type"] == attention_type


def test_timesformer_space_only_averages_frame_features() -> None:
    model = tiny("timesformer", attention_type="space_only").eval()
    video = clips(batch=1)
    with torch.no_grad():
        features = model.backbone(video)
        # space_only attends within each frame, so a clip's features are its frames' mean.
        per_frame = [
            model.backbone(video[:, :, t : t + 1].repeat(1, 1, FRAMES, 1, 1)) for t in range(FRAMES)
        ]
    torch.testing.assert_close(features, torch.stack(per_frame).mean(0), rtol=1e-4, atol=1e-5)


def test_unknown_and_invalid_kwargs_are_named() -> None:
    with pytest.raises(ValueError, match=r"num_layers.*accepted"):
        create_model("timesformer", 3, num_layers=2)
    with pytest.raises(ValueError, match="attention_type='spatial'"):
        create_model("timesformer", 3, attention_type="spatial")
    with pytest.raises(ValueError, match="not a multiple of the patch"):
        create_model("timesformer", 3, **{**TINY["timesformer"], "image_size": 40})
    with pytest.raises(ValueError, match="not a multiple of the tubelet"):
        create_model("videomae", 3, **{**TINY["videomae"], "num_frames": 3})


@pytest.mark.parametrize("name", HF_MODELS)
def test_pretrained_folder_keeps_labels_and_logits(name: str, tmp_path: Path) -> None:
    labels = ["pike", "tuck", "straight"]
    original = save_checkpoint(name, tmp_path, labels)
    model = create_model(name, 3, pretrained=tmp_path, **TINY[name]).eval()
    assert model.id2label == dict(enumerate(labels))
    video = clips()
    with torch.no_grad():
        pixel_values = video.transpose(1, 2)  # (B, T, C, H, W), as transformers takes it
        expected = original(**{HF_CLASSES[name][1]: pixel_values}).logits
        torch.testing.assert_close(model(video), expected, rtol=0, atol=1e-6)


def test_pretrained_with_other_class_count_gets_fresh_head(tmp_path: Path) -> None:
    original = save_checkpoint("timesformer", tmp_path, ["a", "b", "c"])
    model = create_model("timesformer", 5, pretrained=str(tmp_path))
    assert model.num_classes == 5
    assert model.id2label == {}
    backbone_weight = wrapped(model).timesformer.embeddings.patch_embeddings.projection.weight
    assert torch.equal(
        backbone_weight, original.timesformer.embeddings.patch_embeddings.projection.weight
    )


@pytest.mark.parametrize("name", ["timesformer", "videomae", "vjepa2"])
def test_pretrained_takes_another_clip_length(name: str, tmp_path: Path) -> None:
    frames_key = "frames_per_clip" if name == "vjepa2" else "num_frames"
    save_checkpoint(name, tmp_path, ["a", "b", "c"], **{frames_key: 2})
    model = create_model(name, 3, pretrained=tmp_path, **{frames_key: 4}).eval()
    assert model.preprocess.clip_frames == 4
    assert model.build_kwargs[frames_key] == 4
    rebuilt = create_model(name, 3, **dict[str, Any](model.build_kwargs)).eval()
    rebuilt.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.equal(rebuilt(clips(frames=4)), model(clips(frames=4)))


# Each entry's config fields for the clip length and the input side.
INPUT_KEYS = dict.fromkeys(HF_CLASSES, ("num_frames", "image_size")) | {
    "vjepa2": ("frames_per_clip", "crop_size")
}


def without_input_size(name: str) -> dict[str, Any]:
    return {k: v for k, v in TINY[name].items() if k not in INPUT_KEYS[name]}


@pytest.mark.parametrize("name", HF_MODELS)
def test_clip_frames_and_crop_size_are_built_into_the_config(name: str) -> None:
    frames_key, size_key = INPUT_KEYS[name]
    model = create_model(name, 3, clip_frames=6, crop_size=48, **without_input_size(name)).eval()
    assert (model.build_kwargs[frames_key], model.build_kwargs[size_key]) == (6, 48)
    pre, entry = model.preprocess, get_entry(name).preprocess
    assert (pre.clip_frames, pre.crop_size) == (6, 48)
    # The sizes around the crop keep the entry's own ratios (scales_for_crop).
    assert pre.resize == max(48, round(entry.resize * 48 / entry.crop_size))
    with torch.no_grad():
        assert model(torch.randn(1, 3, 6, 48, 48)).shape == (1, 3)


@pytest.mark.parametrize("name", HF_MODELS)
def test_an_input_size_contradicting_the_config_kwargs_is_refused(name: str) -> None:
    frames_key, _ = INPUT_KEYS[name]
    with pytest.raises(ValueError, match=f"clip_frames=6 contradicts {frames_key}=4"):
        create_model(name, 3, clip_frames=6, **TINY[name])


@pytest.mark.parametrize("name", HF_MODELS)
def test_pretrained_weights_at_another_clip_length_adapt_or_refuse(
    name: str, tmp_path: Path
) -> None:
    frames_key, size_key = INPUT_KEYS[name]
    save_checkpoint(name, tmp_path, ["a", "b", "c"], **{frames_key: 2})
    if name == "vivit":  # learned joint space-time position embeddings: one clip length only
        with pytest.raises(ValueError, match="learned position embeddings"):
            create_model(name, 3, pretrained=tmp_path, clip_frames=4)
        return
    model = create_model(name, 3, pretrained=tmp_path, clip_frames=4).eval()
    assert model.preprocess.clip_frames == model.build_kwargs[frames_key] == 4
    assert model.id2label == {0: "a", 1: "b", 2: "c"}  # the checkpoint's head is kept
    with torch.no_grad():
        assert model(clips(frames=4)).shape == (2, 3)
    with pytest.raises(ValueError, match=f"{size_key}=64 differs from the checkpoint"):
        create_model(name, 3, pretrained=tmp_path, crop_size=64)


def test_train_frames_and_size_reach_the_transformers_config() -> None:
    from sportslens.train import TrainConfig, create_training_model

    kwargs = without_input_size("timesformer")
    cfg = TrainConfig(model="timesformer", model_kwargs=kwargs, frames=2, size=48)
    model = create_training_model(cfg, 3).eval()
    assert (model.build_kwargs["num_frames"], model.build_kwargs["image_size"]) == (2, 48)
    assert wrapped(model).config.num_frames == 2
    assert (model.preprocess.clip_frames, model.preprocess.crop_size) == (2, 48)
    with torch.no_grad():
        assert model(torch.randn(1, 3, 2, 48, 48)).shape == (1, 3)


def test_timesformer_time_embeddings_are_resized_nearest(tmp_path: Path) -> None:
    original = save_checkpoint("timesformer", tmp_path, ["a", "b", "c"], num_frames=2)
    model = create_model("timesformer", 3, pretrained=tmp_path, num_frames=4)
    resized = wrapped(model).timesformer.embeddings.time_embeddings  # (1, 4, D)
    learned = original.timesformer.embeddings.time_embeddings  # (1, 2, D)
    assert torch.equal(resized[0], learned[0].repeat_interleave(2, dim=0))


def test_pretrained_architecture_is_fixed_by_the_checkpoint(tmp_path: Path) -> None:
    save_checkpoint("vivit", tmp_path / "vivit", ["a", "b"])
    save_checkpoint("timesformer", tmp_path / "timesformer", ["a", "b"])
    with pytest.raises(ValueError, match=r"hidden_size=64 differs from the checkpoint"):
        create_model("timesformer", 2, pretrained=tmp_path / "timesformer", hidden_size=64)
    with pytest.raises(ValueError, match=r"num_frames=8 differs .* only hidden_dropout_prob"):
        create_model("vivit", 2, pretrained=tmp_path / "vivit", num_frames=8)
    with pytest.raises(ValueError, match=r"holds a 'vivit' model, not 'timesformer'"):
        create_model("timesformer", 2, pretrained=tmp_path / "vivit")


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"nor a folder with config\.json"):
        create_model("timesformer", 3, pretrained=tmp_path / "nowhere")
    with pytest.raises(ValueError, match=r"public weights \('kinetics400' \(facebook/"):
        create_model("timesformer", 3, pretrained="kinetics")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"no config\.json"):
        create_model("timesformer", 3, pretrained=tmp_path / "empty")


def test_unreachable_hub_id_fails_fast_with_download_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub_id = "sportslens-tests/no-such-timesformer"
    start = time.perf_counter()
    with pytest.raises(FileNotFoundError, match="--weights") as error:
        create_model("timesformer", 3, pretrained=hub_id)
    assert time.perf_counter() - start < 5
    assert hub_id in str(error.value)


def test_missing_transformers_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # makes `import transformers` fail
    with pytest.raises(ImportError, match=r'pip install "sportslens\[hf\]"'):
        create_model("videomae", 3, **TINY["videomae"])


def test_vjepa2_on_an_old_transformers_names_the_release(monkeypatch: pytest.MonkeyPatch) -> None:
    old_release = types.SimpleNamespace(__version__="4.40.0")  # a transformers before V-JEPA 2
    monkeypatch.setattr(hf, "_import_transformers", lambda: old_release)
    with pytest.raises(ImportError, match=r"transformers>=4\.53 .* installed: 4\.40\.0"):
        create_model("vjepa2", 3, **TINY["vjepa2"])
