"""torchvision's video networks behind the `VideoClassifier` contract, with their Kinetics weights.

Each network keeps torchvision's module names, so its state dicts and Kinetics-400 files load
unchanged; only the classifier moves: the last layer becomes the `VideoClassifier` head and the
network returns the pooled features (B, F). Kinetics weights keep their 400-class head when
``num_classes == 400`` and get a fresh head otherwise (fine-tuning).

Every model also builds tiny for tests and quick experiments (the registered default is always the
real architecture); ``TINY_KWARGS`` lists a configuration per model and its docstrings the inputs
each accepts. Public weights are read from torch's hub cache, never downloaded: an offline
machine fails at once with the URL to fetch (see `weights.missing_weights_error`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from torch import Tensor, nn

from sportslens.models.base import VideoClassifier
from sportslens.models.registry import register_model
from sportslens.models.video_input import VideoInput
from sportslens.models.weights import (
    HEAD_KEYS,
    load_classifier_state,
    load_state_dict_file,
    local_weights_path,
    missing_weights_error,
)
from sportslens.transforms import KINETICS_MEAN, KINETICS_STD, Preprocess

__all__ = ["TINY_KWARGS", "TORCHVISION_INPUT", "create_torchvision_net", "hub_cache_path"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# The clips each Kinetics recipe trained on. torchvision's `frame_rate` resamples videos to that
# rate before taking consecutive frames; on the usual 30 fps video that is every 2nd frame at
# 15 fps and every 4th at 7.5 fps, hence "clip" sampling with those rates. Eval sizes are those of
# the weights' own `transforms()`: short side 128 -> crop 112, or 256 -> 224.
_RESNET_PREPROCESS = Preprocess(  # 16 x 112 at 15 fps
    clip_frames=16,
    sampling="clip",
    sampling_rate=2,
    crop_size=112,
    resize=128,
    train_scale=(128, 160),
    mean=KINETICS_MEAN,
    std=KINETICS_STD,
)
_S3D_PREPROCESS = Preprocess(  # trained on 64 frames at 15 fps (torchvision PR 6537)
    clip_frames=64,
    sampling="clip",
    sampling_rate=2,
    crop_size=224,
    resize=256,
    train_scale=(256, 320),
    mean=KINETICS_MEAN,
    std=KINETICS_STD,
)
_MVIT_PREPROCESS = Preprocess(  # 16 frames at 7.5 fps; the positional embedding fixes 16 x 224
    clip_frames=16,
    sampling="clip",
    sampling_rate=4,
    crop_size=224,
    resize=256,
    train_scale=(256, 320),
    mean=(0.45, 0.45, 0.45),
    std=(0.225, 0.225, 0.225),
)
_SWIN_PREPROCESS = Preprocess(  # 32 frames at 15 fps
    clip_frames=32,
    sampling="clip",
    sampling_rate=2,
    crop_size=224,
    resize=256,
    train_scale=(256, 320),
    mean=IMAGENET_MEAN,
    std=IMAGENET_STD,
)


# --- networks: keyword arguments -> a torchvision net with its 400-class Kinetics head ----------


def _video_resnet(kind: str, *, layers: Sequence[int] = (2, 2, 2, 2)) -> nn.Module:
    """R3D, MC3 or R(2+1)D with ``layers`` blocks per stage; ``layers=(1, 1, 1, 1)`` is tiny.

    Widths are fixed at 64-512 by torchvision. Any input of at least 1 x 16 x 16 works.
    """
    from torchvision.models.video import resnet

    if len(layers) != 4:
        raise ValueError(f"layers needs 4 block counts, one per stage, got {list(layers)}")
    conv_makers: list[type[nn.Module]]
    match kind:
        case "r3d":
            conv_makers, stem = [resnet.Conv3DSimple] * 4, resnet.BasicStem
        case "mc3":  # 3-D convolutions in the first stage, 2-D (1 x 3 x 3) after it
            conv_makers = [resnet.Conv3DSimple] + [resnet.Conv3DNoTemporal] * 3
            stem = resnet.BasicStem
        case "r2plus1d":
            conv_makers, stem = [resnet.Conv2Plus1D] * 4, resnet.R2Plus1dStem
        case _:
            raise ValueError(f"unknown video ResNet kind {kind!r}")
    net: nn.Module = resnet.VideoResNet(resnet.BasicBlock, conv_makers, list(layers), stem)
    return net


def _s3d(*, dropout: float = 0.2, global_pool: bool = False) -> nn.Module:
    """S3D (a fixed architecture); its final 2 x 7 x 7 average pool needs 13 x 224 x 224 clips.

    ``global_pool=True`` averages over all of (T, H, W) instead, so clips from 8 x 32 x 32 up work
    (the quick test configuration). Both give the same features when the last feature map is
    2 x 7 x 7 (16 x 224 x 224 clips) and nearly the same on larger ones; the pool has no weights,
    so Kinetics weights load either way.
    """
    from torchvision.models.video import S3D

    net: nn.Module = S3D(dropout=dropout)
    if global_pool:
        net.avgpool = nn.AdaptiveAvgPool3d(1)
    return net


def _mvit(
    version: int,
    *,
    block_setting: Sequence[Mapping[str, Any]] | None = None,
    spatial_size: int = 224,
    temporal_size: int = 16,
    dropout: float = 0.5,
    stochastic_depth_prob: float = 0.2,
) -> nn.Module:
    """MViT v1-B or v2-S; ``block_setting`` (one dict of `MSBlockConfig` fields per block) with
    ``spatial_size`` and ``temporal_size`` builds another, smaller one.

    Inputs must be exactly ``temporal_size`` x ``spatial_size`` x ``spatial_size``: the
    positional embeddings are sized at construction.
    """
    from torchvision.models.video import mvit

    v2 = version == 2
    if block_setting is None:
        if (spatial_size, temporal_size) != (224, 16):
            raise ValueError(
                "spatial_size and temporal_size need a block_setting: torchvision's MViT "
                "blocks are defined for 16 x 224 x 224 clips"
            )
        create = mvit.mvit_v2_s if v2 else mvit.mvit_v1_b
        net: nn.Module = create(dropout=dropout, stochastic_depth_prob=stochastic_depth_prob)
        return net
    # The flags that mvit_v1_b / mvit_v2_s pass to MViT.
    net = mvit.MViT(
        spatial_size=(spatial_size, spatial_size),
        temporal_size=temporal_size,
        block_setting=[mvit.MSBlockConfig(**block) for block in block_setting],
        residual_pool=v2,
        residual_with_cls_embed=False,
        rel_pos_embed=v2,
        proj_after_attn=v2,
        dropout=dropout,
        stochastic_depth_prob=stochastic_depth_prob,
    )
    return net


# torchvision's swin3d_t / swin3d_s / swin3d_b configurations.
_SWIN_CONFIGS: dict[str, dict[str, Any]] = {
    "t": {"embed_dim": 96, "depths": (2, 2, 6, 2), "num_heads": (3, 6, 12, 24)},
    "s": {"embed_dim": 96, "depths": (2, 2, 18, 2), "num_heads": (3, 6, 12, 24)},
    "b": {"embed_dim": 128, "depths": (2, 2, 18, 2), "num_heads": (4, 8, 16, 32)},
}


def _swin3d(
    size: str,
    *,
    embed_dim: int | None = None,
    depths: Sequence[int] | None = None,
    num_heads: Sequence[int] | None = None,
    window_size: Sequence[int] = (8, 7, 7),
    patch_size: Sequence[int] = (2, 4, 4),
    stochastic_depth_prob: float = 0.1,
) -> nn.Module:
    """Video Swin; any of its sizes can be overridden, e.g. ``embed_dim=8, depths=(1, 1)``.

    Takes any input size: windows are padded. Features are ``embed_dim * 2 ** (len(depths) - 1)``.
    """
    from torchvision.models.video import SwinTransformer3d

    config = _SWIN_CONFIGS[size]
    depths = config["depths"] if depths is None else depths
    num_heads = config["num_heads"] if num_heads is None else num_heads
    if len(depths) != len(num_heads):
        raise ValueError(
            f"depths {list(depths)} and num_heads {list(num_heads)} need one entry per stage each"
        )
    net: nn.Module = SwinTransformer3d(
        patch_size=list(patch_size),
        embed_dim=config["embed_dim"] if embed_dim is None else embed_dim,
        depths=list(depths),
        num_heads=list(num_heads),
        window_size=list(window_size),
        stochastic_depth_prob=stochastic_depth_prob,
    )
    return net


# --- the registered models ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    name: str
    create: Callable[..., nn.Module]
    head: str  # the module path of the Kinetics classifier inside the torchvision net
    weights: Mapping[str, str]  # sportslens weights name -> "EnumClass.MEMBER" in models.video
    preprocess: Preprocess
    description: str
    input_kwargs: tuple[str, str] | None = None
    """The build kwargs (frames, side) that fix the input size, for nets built for one size."""


_KINETICS = "kinetics400"
_SPECS = (
    _Spec(
        name="r3d_18",
        create=functools.partial(_video_resnet, "r3d"),
        head="fc",
        weights={_KINETICS: "R3D_18_Weights.KINETICS400_V1"},
        preprocess=_RESNET_PREPROCESS,
        description="ResNet3D-18, 33.4 M parameters; Kinetics-400 acc@1 63.2",
    ),
    _Spec(
        name="mc3_18",
        create=functools.partial(_video_resnet, "mc3"),
        head="fc",
        weights={_KINETICS: "MC3_18_Weights.KINETICS400_V1"},
        preprocess=_RESNET_PREPROCESS,
        description="Mixed-convolution ResNet-18, 11.7 M parameters; Kinetics-400 acc@1 64.0",
    ),
    _Spec(
        name="r2plus1d_18",
        create=functools.partial(_video_resnet, "r2plus1d"),
        head="fc",
        weights={_KINETICS: "R2Plus1D_18_Weights.KINETICS400_V1"},
        preprocess=_RESNET_PREPROCESS,
        description="R(2+1)D-18, 31.5 M parameters; Kinetics-400 acc@1 67.5",
    ),
    # S3D ends in Dropout + a 1x1x1 conv, then a mean over (T, H, W); a 1x1x1 conv is linear, so
    # the mean can come first and the conv becomes the linear head with the same outputs.
    _Spec(
        name="s3d",
        create=_s3d,
        head="classifier.1",
        weights={_KINETICS: "S3D_Weights.KINETICS400_V1"},
        preprocess=_S3D_PREPROCESS,
        description="S3D, 8.3 M parameters; Kinetics-400 acc@1 68.4",
    ),
    _Spec(
        name="mvit_v1_b",
        create=functools.partial(_mvit, 1),
        head="head.1",
        weights={_KINETICS: "MViT_V1_B_Weights.KINETICS400_V1"},
        preprocess=_MVIT_PREPROCESS,
        description="MViT v1-B, 36.6 M parameters; Kinetics-400 acc@1 78.5",
        input_kwargs=("temporal_size", "spatial_size"),
    ),
    _Spec(
        name="mvit_v2_s",
        create=functools.partial(_mvit, 2),
        head="head.1",
        weights={_KINETICS: "MViT_V2_S_Weights.KINETICS400_V1"},
        preprocess=_MVIT_PREPROCESS,
        description="MViT v2-S, 34.5 M parameters; Kinetics-400 acc@1 80.8",
        input_kwargs=("temporal_size", "spatial_size"),
    ),
    _Spec(
        name="swin3d_t",
        create=functools.partial(_swin3d, "t"),
        head="head",
        weights={_KINETICS: "Swin3D_T_Weights.KINETICS400_V1"},
        preprocess=_SWIN_PREPROCESS,
        description="Video Swin-T, 28.2 M parameters; Kinetics-400 acc@1 77.7",
    ),
    _Spec(
        name="swin3d_s",
        create=functools.partial(_swin3d, "s"),
        head="head",
        weights={_KINETICS: "Swin3D_S_Weights.KINETICS400_V1"},
        preprocess=_SWIN_PREPROCESS,
        description="Video Swin-S, 49.8 M parameters; Kinetics-400 acc@1 79.5",
    ),
    _Spec(
        name="swin3d_b",
        create=functools.partial(_swin3d, "b"),
        head="head",
        weights={
            _KINETICS: "Swin3D_B_Weights.KINETICS400_V1",
            "kinetics400_imagenet22k": "Swin3D_B_Weights.KINETICS400_IMAGENET22K_V1",
        },
        preprocess=_SWIN_PREPROCESS,
        description="Video Swin-B, 88.0 M parameters; Kinetics-400 acc@1 79.4 (81.6 via IN-22k)",
    ),
)
_SPECS_BY_NAME = {spec.name: spec for spec in _SPECS}

# Two blocks, 8 -> 16 channels, pooling the queries once: every code path of MViT, tiny.
# fmt: off
_TINY_MVIT_BLOCKS = [
    {"num_heads": 1, "input_channels": 8, "output_channels": 16, "kernel_q": [3, 3, 3],
     "kernel_kv": [3, 3, 3], "stride_q": [1, 2, 2], "stride_kv": [1, 2, 2]},
    {"num_heads": 2, "input_channels": 16, "output_channels": 16, "kernel_q": [3, 3, 3],
     "kernel_kv": [3, 3, 3], "stride_q": [1, 1, 1], "stride_kv": [1, 1, 1]},
]
# fmt: on
_TINY_MVIT = {"block_setting": _TINY_MVIT_BLOCKS, "spatial_size": 32, "temporal_size": 8}
_TINY_SWIN = {"embed_dim": 8, "depths": [1, 1], "num_heads": [1, 2], "window_size": [2, 4, 4]}
TINY_KWARGS: dict[str, dict[str, Any]] = {
    "r3d_18": {"layers": [1, 1, 1, 1]},
    "mc3_18": {"layers": [1, 1, 1, 1]},
    "r2plus1d_18": {"layers": [1, 1, 1, 1]},
    "s3d": {"global_pool": True},  # the architecture is fixed; this lets it take small clips
    "mvit_v1_b": _TINY_MVIT,
    "mvit_v2_s": _TINY_MVIT,
    "swin3d_t": _TINY_SWIN,
    "swin3d_s": _TINY_SWIN,
    "swin3d_b": _TINY_SWIN,
}
"""Small configurations of each model for tests and quick experiments: ``create_model(name, k,
**TINY_KWARGS[name])`` builds in well under a second and runs on 8 x 32 x 32 clips (MViT: exactly
that size). The video ResNets stay at 5-14 M parameters: torchvision fixes their widths."""


def create_torchvision_net(name: str, **kwargs: Any) -> nn.Module:
    """The plain torchvision network behind model ``name``, with its 400-class Kinetics head.

    Random weights; ``kwargs`` as for `create_model`. Useful to compare outputs with torchvision
    or to write a state dict in torchvision's own layout.
    """
    spec = _spec(name)
    accepted = [
        p.name
        for p in inspect.signature(spec.create).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise TypeError(f"model {name!r} takes no argument(s) {unknown}; it accepts {accepted}")
    return spec.create(**kwargs)


def hub_cache_path(url: str) -> Path:
    """Where `torch.hub.load_state_dict_from_url` caches the file of ``url``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name


def _spec(name: str) -> _Spec:
    if name not in _SPECS_BY_NAME:
        raise ValueError(f"{name!r} is not a torchvision model; known: {sorted(_SPECS_BY_NAME)}")
    return _SPECS_BY_NAME[name]


def _build(
    spec: _Spec,
    num_classes: int,
    pretrained: str | Path | None,
    *,
    clip_frames: int | None = None,
    crop_size: int | None = None,
    **kwargs: Any,
) -> VideoClassifier:
    kwargs = _fit_input_size(spec, kwargs, clip_frames, crop_size)
    # Weights first: a missing or unknown file fails before seconds of building.
    loaded = None if pretrained is None else _read_pretrained(spec, pretrained)
    net = create_torchvision_net(spec.name, **kwargs)
    num_features = _remove_head(net, spec.head)
    preprocess = _preprocess(spec, kwargs, clip_frames, crop_size)
    model = VideoClassifier(net, num_features, num_classes, preprocess, TORCHVISION_INPUT)
    model.build_kwargs = {key: _jsonable(value) for key, value in kwargs.items()}
    if loaded is not None:
        state, source = loaded
        load_classifier_state(model, _as_classifier_state(state, spec.head), source)
    return model


# S3D's last average pool is 2 x 7 x 7: the feature map of clips of at least 13 x 224 x 224.
_S3D_MIN_FRAMES, _S3D_MIN_SIDE = 13, 224


def _fit_input_size(
    spec: _Spec, kwargs: dict[str, Any], clip_frames: int | None, crop_size: int | None
) -> dict[str, Any]:
    """The build kwargs for clips of ``clip_frames`` x ``crop_size``, or an error saying why not.

    MViT sizes its positional embeddings for one input size (its ``temporal_size`` and
    ``spatial_size``); S3D's fixed pool needs large clips unless ``global_pool``; the video
    ResNets and Swin take any size.
    """
    if spec.input_kwargs is not None:
        fitted = dict(kwargs)
        for key, value in zip(spec.input_kwargs, (clip_frames, crop_size), strict=True):
            if value is None:
                continue
            if key in kwargs and kwargs[key] != value:
                name = "clip_frames" if key == spec.input_kwargs[0] else "crop_size"
                raise ValueError(f"{spec.name}: {name}={value} contradicts {key}={kwargs[key]}")
            fitted[key] = value
        return fitted
    if spec.name == "s3d" and not kwargs.get("global_pool", False):
        frames = clip_frames or spec.preprocess.clip_frames
        side = crop_size or spec.preprocess.crop_size
        if frames < _S3D_MIN_FRAMES or side < _S3D_MIN_SIDE:
            raise ValueError(
                f"s3d: clips of {frames} x {side} px are smaller than its 2 x 7 x 7 average pool "
                f"takes (at least {_S3D_MIN_FRAMES} frames of {_S3D_MIN_SIDE} px); build it "
                "with global_pool=True for smaller clips"
            )
    return kwargs


def _remove_head(net: nn.Module, path: str) -> int:
    """Replace the classifier at ``path`` with the identity; its number of input features."""
    parent_path, _, child = path.rpartition(".")
    parent = net.get_submodule(parent_path)
    head = getattr(parent, child)
    num_features = head.in_features if isinstance(head, nn.Linear) else head.in_channels
    setattr(parent, child, nn.Identity())
    return int(num_features)


def _preprocess(
    spec: _Spec, kwargs: Mapping[str, Any], clip_frames: int | None, crop_size: int | None
) -> Preprocess:
    """The entry's preprocessing at this instance's input size (an MViT's from its kwargs)."""
    if spec.input_kwargs is not None:
        frames_key, side_key = spec.input_kwargs
        clip_frames, crop_size = kwargs.get(frames_key), kwargs.get(side_key)
    return spec.preprocess.with_input_size(clip_frames, crop_size)


def _read_pretrained(spec: _Spec, pretrained: str | Path) -> tuple[dict[str, Tensor], str]:
    """The state dict named by ``pretrained`` (public weights or a local file), and its source."""
    if isinstance(pretrained, str) and pretrained in spec.weights:
        url: str = _weights_enum(spec, pretrained).url
        path = hub_cache_path(url)
        if not path.is_file():
            raise missing_weights_error(spec.name, pretrained, url, path)
    else:
        path = local_weights_path(spec.name, pretrained, tuple(spec.weights))
    return load_state_dict_file(path), str(path)


def _as_classifier_state(state: Mapping[str, Tensor], head: str) -> dict[str, Tensor]:
    """A torchvision state dict in `VideoClassifier` layout; one already in it passes through."""
    if any(key.startswith("backbone.") for key in state):
        return dict(state)
    renamed = {f"{head}.weight": HEAD_KEYS[0], f"{head}.bias": HEAD_KEYS[1]}
    converted: dict[str, Tensor] = {}
    for key, tensor in state.items():
        if key in renamed:  # S3D's (K, F, 1, 1, 1) conv weight becomes a (K, F) linear one
            converted[renamed[key]] = tensor.flatten(1) if tensor.ndim > 1 else tensor
        else:
            converted[f"backbone.{key}"] = tensor
    return converted


def _jsonable(value: Any) -> Any:
    """Tuples become lists, recursively, so build kwargs survive a JSON round trip unchanged."""
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


def _kinetics_classes(name: str, pretrained: str | Path) -> list[str]:
    """The Kinetics-400 class names shipped with torchvision's metadata of public weights."""
    spec = _spec(name)
    if not isinstance(pretrained, str) or pretrained not in spec.weights:
        return []  # a local file: its classes are not recorded
    return list(_weights_enum(spec, pretrained).meta["categories"])


def _weights_enum(spec: _Spec, pretrained: str) -> Any:
    """torchvision's ``WeightsEnum`` member behind the public weights name ``pretrained``."""
    import torchvision.models.video as video

    enum_name, member = spec.weights[pretrained].split(".")
    return getattr(video, enum_name)[member]


TORCHVISION_INPUT = VideoInput(class_names=_kinetics_classes)


def _register_all() -> None:
    for spec in _SPECS:
        register_model(
            spec.name,
            family="torchvision",
            preprocess=spec.preprocess,
            input_adapter=TORCHVISION_INPUT,
            weights=tuple(spec.weights),
            description=spec.description,
        )(functools.partial(_build, spec))


_register_all()
