"""Hugging Face transformers video classifiers: TimeSformer, VideoMAE, ViViT and V-JEPA 2.

Each builder makes a transformers ``*ForVideoClassification`` model and splits it along the
sportslens contract: its ``classifier`` becomes the `VideoClassifier` head, and the rest (encoder
plus that model's own pooling) becomes the backbone. So a pretrained head and pooling carry over
exactly, and one adapter (`_HFBackbone`) serves every family member.

The clip length and input side are config fields (``num_frames``/``image_size``, or V-JEPA 2's
``frames_per_clip``/``crop_size``): ``create_model(..., clip_frames=, crop_size=)`` sets them before
the model is built. On top of a checkpoint the side is fixed, and a new clip length depends on the
position embeddings: TimeSformer interpolates its learned time embeddings, VideoMAE (sinusoidal,
recomputed from the config) and V-JEPA 2 (rotary) take any length, ViViT's learned embeddings
refuse another one.

transformers is the ``hf`` extra: it is imported inside the builders, never at module import,
because `sportslens.models` imports this module at startup.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from sportslens.hub import load_from_hub
from sportslens.models.base import VideoClassifier
from sportslens.models.registry import register_model
from sportslens.models.video_input import VideoInput
from sportslens.transforms import Preprocess

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_INSTALL_HINT = 'pip install "sportslens[hf]"'
_MIN_TRANSFORMERS = "4.53"  # the first release with V-JEPA 2 classification; tested up to 5.23
# Config fields every one of these ViTs has; each spec adds its own geometry.
_VIT_KEYS = (
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "hidden_act",
    "layer_norm_eps",
)
_DROPOUT_KEYS = ("hidden_dropout_prob", "attention_probs_dropout_prob")


@dataclass(frozen=True)
class _Spec:
    """How one transformers video classifier maps onto the sportslens model contract."""

    name: str
    weights: Mapping[str, str]  # short weights name ("kinetics400") -> its hub id
    model_type: str  # ``config.model_type`` of its checkpoints
    class_name: str  # the ``*ForVideoClassification`` class in transformers
    geometry_keys: tuple[str, ...]
    """Config fields of the model's own geometry (patches, tubelets, widths) besides the clip
    length, the side and the ViT fields every one has: see :attr:`arch_keys`."""
    frames_on_load: Literal["config", "interpolate", "fixed"]
    """What a clip length other than the checkpoint's needs: only a config change (positions are
    sinusoidal or rotary), resizing learned time embeddings, or it is impossible."""
    preprocess: Preprocess  # the listed checkpoint's input; an instance's follows its config
    description: str
    input_name: str = "pixel_values"  # forward keyword taking the clip (B, T, C, H, W)
    frames_key: str = "num_frames"  # config field for the clip length
    size_key: str = "image_size"  # config field for the (square) input side
    tuning_keys: tuple[str, ...] = _DROPOUT_KEYS  # dropout-like, free to change on a checkpoint
    choices: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    """Config fields that take one of a few strings, and those strings."""
    defaults: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Config values for random init, so ``pretrained=None`` has the listed checkpoint's shape."""
    dropped: tuple[str, ...] = ()
    """Submodules classification never runs; replaced by Identity so no dead weights remain."""

    @property
    def arch_keys(self) -> tuple[str, ...]:
        """Config fields that fix parameter shapes and numerics: recorded in ``build_kwargs`` so
        the architecture rebuilds exactly; a pretrained checkpoint fixes them (except the clip
        length)."""
        return (self.frames_key, self.size_key, *self.geometry_keys, *_VIT_KEYS)

    @property
    def accepted_keys(self) -> tuple[str, ...]:
        return self.arch_keys + self.tuning_keys


class _HFBackbone(nn.Module):
    """A transformers video classifier whose classifier is an Identity: clips in, features out."""

    def __init__(self, model: nn.Module, input_name: str) -> None:
        super().__init__()
        self.model = model
        self.input_name = input_name

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        batch = clips.shape[0]
        pixel_values = clips.transpose(1, 2)  # (B, C, T, H, W) -> (B, T, C, H, W)
        # With an Identity classifier the model's "logits" are its pooled features.
        features: torch.Tensor = self.model(**{self.input_name: pixel_values}).logits  # (B, F)
        if features.shape[0] != batch:
            # TimeSformer "space_only" pools each frame on its own, (B*T, F); average over time as
            # the original TimeSformer does (transformers returns per-frame logits instead).
            features = features.reshape(batch, -1, features.shape[-1]).mean(dim=1)
        return features


def _checkpoint_classes(name: str, pretrained: str | Path) -> list[str]:
    """The class names (``id2label``) in the config of a weights name, hub id or local folder."""
    spec = _SPECS[name]
    source, local = _resolve_source(spec, pretrained)
    config = _load_config(spec, source, local)
    return [config.id2label[i] for i in sorted(config.id2label)]


HF_INPUT = VideoInput(class_names=_checkpoint_classes)


# --- the registered entries ----------------------------------------------------------------------

_TIMESFORMER_PRE = Preprocess(
    clip_frames=8,
    sampling="uniform",  # 8 frames spread over a 10 s Kinetics clip ~ the original 8x32 clip
    crop_size=224,
    resize=224,  # eval: short side 224, centre crop 224 (the checkpoint's processor)
    train_scale=(256, 320),
    mean=(0.45, 0.45, 0.45),  # the original TimeSformer statistics, not ImageNet's
    std=(0.225, 0.225, 0.225),
)
_TIMESFORMER = _Spec(
    name="timesformer",
    preprocess=_TIMESFORMER_PRE,
    description="TimeSformer (divided space-time attention ViT-B/16, 8x224); light variants "
    "via num_hidden_layers/hidden_size/attention_type; transformers",
    weights={"kinetics400": "facebook/timesformer-base-finetuned-k400"},
    model_type="timesformer",
    class_name="TimesformerForVideoClassification",
    geometry_keys=("patch_size", "attention_type", "intermediate_size", "qkv_bias"),
    # Tuning keys as default, no drop_path_rate: transformers 5.x types it `int` in
    # TimesformerConfig and rejects 0.1.
    frames_on_load="interpolate",
    choices={"attention_type": ("divided_space_time", "space_only", "joint_space_time")},
)


_VIDEOMAE_PRE = Preprocess(
    clip_frames=16,
    sampling="clip",
    sampling_rate=4,  # VideoMAE's Kinetics recipe: 16 frames, every 4th
    crop_size=224,
    resize=224,
    train_scale=(256, 320),
    mean=IMAGENET_MEAN,
    std=IMAGENET_STD,
)
_VIDEOMAE = _Spec(
    name="videomae",
    preprocess=_VIDEOMAE_PRE,
    description="VideoMAE ViT-B/16 (16x224, tubelet 2, mean pooling); transformers",
    weights={"kinetics400": "MCG-NJU/videomae-base-finetuned-kinetics"},
    model_type="videomae",
    class_name="VideoMAEForVideoClassification",
    # Not the q/v bias switch: transformers 5 renamed it (qkv_bias -> qv_bias), and every
    # VideoMAE checkpoint keeps its default (True).
    geometry_keys=("patch_size", "tubelet_size", "intermediate_size", "use_mean_pooling"),
    frames_on_load="config",  # sinusoidal positions, recomputed from the config's num_frames
)


_VIVIT_PRE = Preprocess(
    clip_frames=32,
    sampling="clip",
    sampling_rate=2,  # ViViT's Kinetics clips: 32 frames, every 2nd
    crop_size=224,
    resize=256,
    train_scale=(256, 320),
    # The original (Scenic) ViViT sees frames in [-1, 1]. transformers' VivitVideoProcessor maps
    # to [-1, 1] and then normalises again with 0.5 / 0.5, giving [-3, 1]; we follow the original.
    mean=(0.5, 0.5, 0.5),
    std=(0.5, 0.5, 0.5),
)
_VIVIT = _Spec(
    name="vivit",
    preprocess=_VIVIT_PRE,
    description="ViViT-B over 2x16x16 tubelets with joint space-time attention (32x224); "
    "transformers",
    weights={"kinetics400": "google/vivit-b-16x2-kinetics400"},
    model_type="vivit",
    class_name="VivitForVideoClassification",
    # tubelet_size is [frames, height, width] of one token: ViViT has no separate patch_size.
    geometry_keys=("tubelet_size", "intermediate_size", "qkv_bias"),
    frames_on_load="fixed",
)


_VJEPA2_PRE = Preprocess(
    clip_frames=32,
    sampling="uniform",  # a dive spans its whole [start, end] range
    crop_size=256,
    resize=292,  # VJEPA2VideoProcessor: short side int(256 * 256 / 224), then centre crop 256
    train_scale=(292, 365),
    mean=IMAGENET_MEAN,
    std=IMAGENET_STD,
)
_VJEPA2 = _Spec(
    name="vjepa2",
    preprocess=_VJEPA2_PRE,
    description="V-JEPA 2 ViT-L/16 with an attentive-probe classifier (32x256); "
    "the Diving48 checkpoint is the strongest public one; transformers>=4.53",
    weights={"diving48": "facebook/vjepa2-vitl-fpc32-256-diving48"},
    model_type="vjepa2",
    class_name="VJEPA2ForVideoClassification",
    input_name="pixel_values_videos",
    frames_key="frames_per_clip",
    size_key="crop_size",
    geometry_keys=("patch_size", "tubelet_size", "mlp_ratio", "qkv_bias", "num_pooler_layers"),
    tuning_keys=("drop_path_rate", "attention_probs_dropout_prob"),
    frames_on_load="config",
    # The listed Diving48 classifier: ViT-L/16, 32 frames at 256 (VJEPA2Config defaults to 64).
    # The predictor only serves self-supervised pretraining and is dropped, so build a small one.
    defaults={
        "frames_per_clip": 32,
        "pred_num_hidden_layers": 1,
        "pred_hidden_size": 64,
        "pred_num_attention_heads": 1,
    },
    dropped=("vjepa2.predictor",),
)


def _build(
    spec: _Spec,
    num_classes: int,
    pretrained: str | Path | None,
    *,
    clip_frames: int | None = None,
    crop_size: int | None = None,
    **kwargs: Any,
) -> VideoClassifier:
    """``spec``'s model for clips of ``clip_frames`` x ``crop_size`` (config fields otherwise)."""
    for key, allowed in spec.choices.items():
        if key in kwargs and kwargs[key] not in allowed:
            raise ValueError(
                f"{spec.name}: {key}={kwargs[key]!r} is not one of "
                + ", ".join(repr(value) for value in allowed)
            )
    kwargs = _with_input_size(spec, kwargs, clip_frames, crop_size)
    return _create(spec, num_classes, pretrained, kwargs)


_SPECS = {spec.name: spec for spec in (_TIMESFORMER, _VIDEOMAE, _VIVIT, _VJEPA2)}


def _register_all() -> None:
    for spec in _SPECS.values():
        register_model(
            spec.name,
            family="hf",
            preprocess=spec.preprocess,
            input_adapter=HF_INPUT,
            weights=(*spec.weights, *spec.weights.values()),
            description=spec.description,
        )(functools.partial(_build, spec))


_register_all()


# --- building ----------------------------------------------------------------------------------


def _with_input_size(
    spec: _Spec, kwargs: dict[str, Any], clip_frames: int | None, crop_size: int | None
) -> dict[str, Any]:
    """``kwargs`` with the clip length and side set in the config's own fields."""
    fitted = dict(kwargs)
    for key, label, value in (
        (spec.frames_key, "clip_frames", clip_frames),
        (spec.size_key, "crop_size", crop_size),
    ):
        if value is None:
            continue
        if key in kwargs and _jsonable(kwargs[key]) != value:
            option = "frames" if label == "clip_frames" else "size"
            raise ValueError(
                f"{spec.name}: {label}={value} contradicts {key}={kwargs[key]!r}: this "
                f"{spec.name} is built for {kwargs[key]!r} and accepts only that; set "
                f"{option}: {kwargs[key]!r}, or drop {key} from model_kwargs to build it for "
                f"{value}"
            )
        fitted[key] = value
    return fitted


def _create(
    spec: _Spec,
    num_classes: int,
    pretrained: str | Path | None,
    kwargs: dict[str, Any],
) -> VideoClassifier:
    """Build ``spec`` at random or from a checkpoint, and wrap it as a `VideoClassifier`."""
    unknown = sorted(set(kwargs) - set(spec.accepted_keys))
    if unknown:
        raise ValueError(
            f"{spec.name}: unknown keyword argument(s) {unknown}; "
            f"accepted: {list(spec.accepted_keys)}"
        )
    model_class = _model_class(spec)
    if pretrained is None:
        transformers = _import_transformers()
        config = transformers.AutoConfig.for_model(spec.model_type, **{**spec.defaults, **kwargs})
        _check_geometry(spec, config)
        hf_model = model_class(config)
        checkpoint_labels: dict[int, str] | None = None
    else:
        hf_model, checkpoint_labels = _from_pretrained(spec, model_class, pretrained, kwargs)
    for path in spec.dropped:
        parent, _, child = path.rpartition(".")
        setattr(hf_model.get_submodule(parent), child, nn.Identity())

    config = hf_model.config
    classifier = hf_model.classifier
    hf_model.classifier = nn.Identity()
    preprocess = spec.preprocess.with_input_size(
        getattr(config, spec.frames_key), getattr(config, spec.size_key)
    )
    backbone = _HFBackbone(hf_model, spec.input_name)
    model = VideoClassifier(backbone, config.hidden_size, num_classes, preprocess, HF_INPUT)
    labels: dict[int, str] = {}
    if checkpoint_labels is not None and _linear_with_outputs(classifier, num_classes):
        model.head = classifier  # the checkpoint's own head, so its class names still apply
        labels = checkpoint_labels
    _attach_labels(model, labels)
    model.build_kwargs = {key: _jsonable(getattr(config, key)) for key in spec.accepted_keys}
    return model


def _from_pretrained(
    spec: _Spec, model_class: Any, pretrained: str | Path, kwargs: dict[str, Any]
) -> tuple[Any, dict[int, str] | None]:
    """Load a hub id or local folder; also the checkpoint's labels if its head was loaded."""
    source, local = _resolve_source(spec, pretrained)
    config = _load_config(spec, source, local)
    if config.model_type != spec.model_type:
        raise ValueError(
            f"{source!r} holds a {config.model_type!r} model, not {spec.model_type!r}: "
            f"pass it to the matching model instead of {spec.name!r}"
        )
    frames = kwargs.get(spec.frames_key, getattr(config, spec.frames_key))
    _check_fixed_by_checkpoint(spec, source, config, kwargs)
    for key, value in kwargs.items():
        if key != spec.frames_key or spec.frames_on_load == "config":
            setattr(config, key, value)
    _check_geometry(spec, config)
    options = {"config": config, "use_safetensors": True, "output_loading_info": True}
    if local:
        hf_model, info = _load_local(model_class.from_pretrained, source, options)
    else:
        what = f"the {spec.name} weights"
        loader = model_class.from_pretrained
        hf_model, info = load_from_hub(loader, source, what=what, flag="--weights", **options)
    hf_model = hf_model.float()  # recent transformers keep a checkpoint's saved dtype
    if spec.frames_on_load == "interpolate" and frames != getattr(hf_model.config, spec.frames_key):
        _resize_time_embeddings(hf_model, frames)
    # A checkpoint without a classifier (a self-supervised one) loads with a random classifier.
    head_loaded = not any(key.startswith("classifier.") for key in info["missing_keys"])
    labels = {int(i): str(name) for i, name in hf_model.config.id2label.items()}
    return hf_model, labels if head_loaded else None


def _check_fixed_by_checkpoint(
    spec: _Spec, source: str, config: Any, kwargs: Mapping[str, Any]
) -> None:
    """Architecture kwargs may only repeat the checkpoint's values; name the first that differs."""
    free = [*spec.tuning_keys]
    if spec.frames_on_load != "fixed":
        free.insert(0, spec.frames_key)
    for key in spec.arch_keys:
        if key not in kwargs or key in free:
            continue
        wanted, stored = _jsonable(kwargs[key]), _jsonable(getattr(config, key))
        if wanted != stored:
            why = ""
            if key == spec.frames_key:  # frames_on_load == "fixed"
                why = "its learned position embeddings cover the checkpoint's clip length only; "
            raise ValueError(
                f"{spec.name}: {key}={wanted!r} differs from the checkpoint {source!r} "
                f"({key}={stored!r}); {why}on top of pretrained weights only "
                f"{', '.join(free)} can change"
            )


def _resize_time_embeddings(hf_model: Any, frames: int) -> None:
    """Give TimeSformer's learned time embeddings ``frames`` steps (nearest, as the original)."""
    embeddings = hf_model.timesformer.embeddings
    if hasattr(embeddings, "time_embeddings"):  # "space_only" has none
        old = embeddings.time_embeddings.data  # (1, T_old, D)
        new = nn.functional.interpolate(old.transpose(1, 2), size=frames, mode="nearest")
        embeddings.time_embeddings = nn.Parameter(new.transpose(1, 2).contiguous())  # (1, T, D)
    # One config object is shared by every layer, which reshapes tokens by config.num_frames.
    hf_model.config.num_frames = frames


def _check_geometry(spec: _Spec, config: Any) -> None:
    """Square input, whole patches and whole tubelets, or say which number breaks it."""
    size, frames = getattr(config, spec.size_key), getattr(config, spec.frames_key)
    if not isinstance(size, int):
        raise ValueError(
            f"{spec.name}: {spec.size_key} must be one int (square input), got {size!r}"
        )
    tubelet = getattr(config, "tubelet_size", 1)
    if isinstance(tubelet, list | tuple):  # ViViT: [frames, height, width]
        step, patch = tubelet[0], tubelet[1]
    else:
        step, patch = tubelet, config.patch_size
    if size % patch:
        raise ValueError(
            f"{spec.name}: {spec.size_key}={size} is not a multiple of the patch {patch}"
        )
    if frames % step:
        raise ValueError(
            f"{spec.name}: {spec.frames_key}={frames} is not a multiple of the tubelet "
            f"length {step}"
        )


def _linear_with_outputs(module: nn.Module, outputs: int) -> bool:
    return isinstance(module, nn.Linear) and module.out_features == outputs


def _attach_labels(model: VideoClassifier, id2label: dict[int, str]) -> None:
    """Class names of a kept checkpoint head (empty otherwise) as ``model.id2label``."""
    # VideoClassifier does not declare the attribute, so set it through Any for mypy.
    untyped: Any = model
    untyped.id2label = id2label


# --- transformers and the hub --------------------------------------------------------------------


def _import_transformers() -> Any:
    """The transformers module, imported on first use; a missing extra says how to install it."""
    try:
        return importlib.import_module("transformers")
    except ImportError as err:
        raise ImportError(
            f"Hugging Face models need the transformers package: {_INSTALL_HINT}"
        ) from err


def _model_class(spec: _Spec) -> Any:
    """The transformers class for ``spec``, or an ImportError naming the release that has it."""
    transformers = _import_transformers()
    model_class = getattr(transformers, spec.class_name, None)
    if model_class is None:
        raise ImportError(
            f"{spec.name} needs transformers>={_MIN_TRANSFORMERS} for {spec.class_name}; "
            f"installed: {getattr(transformers, '__version__', 'unknown')}. "
            f'pip install -U "transformers>={_MIN_TRANSFORMERS}"'
        )
    return model_class


_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")  # "org/name"


def _resolve_source(spec: _Spec, pretrained: str | Path) -> tuple[str, bool]:
    """``(source, is_local)``: an existing folder, else a weights name's hub id or a hub id."""
    path = Path(pretrained).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ValueError(
                f"{spec.name}: {str(path)!r} has no config.json; expected a folder written by "
                "transformers' save_pretrained (config.json and model.safetensors)"
            )
        return str(path), True
    text = str(pretrained)
    if isinstance(pretrained, str) and text in spec.weights:
        return spec.weights[text], False
    if path.exists() or isinstance(pretrained, Path) or not _HUB_ID.fullmatch(text):
        names = ", ".join(f"{name!r} ({hub_id})" for name, hub_id in spec.weights.items())
        raise ValueError(
            f"{spec.name}: pretrained={text!r} is neither one of its public weights ({names}), "
            "nor a folder with config.json and model.safetensors, nor a hub id (org/name)"
        )
    return text, False


def _load_config(spec: _Spec, source: str, local: bool) -> Any:
    """The transformers config of a local folder, or of a hub id from the cache or the hub."""
    from_pretrained = _import_transformers().AutoConfig.from_pretrained
    if local:
        return _load_local(from_pretrained, source, {})
    return load_from_hub(from_pretrained, source, what=f"the {spec.name} weights", flag="--weights")


def _load_local(loader: Any, folder: str, options: dict[str, Any]) -> Any:
    """``loader(folder)`` that never reaches the network, even for a folder named like org/name."""
    try:
        return loader(folder, local_files_only=True, **options)
    except OSError as err:
        raise ValueError(f"could not load the folder {folder!r}: {err}") from err


def _jsonable(value: Any) -> Any:
    """Config values as JSON keeps them: tuples become lists."""
    return list(value) if isinstance(value, tuple) else value
