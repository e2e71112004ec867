"""Small R(2+1)D networks that train on a laptop CPU: the quick-start default and test workhorse.

R(2+1)D (Tran et al., "A Closer Look at Spatiotemporal Convolutions", 2018) factorises each 3-D
convolution into a spatial 1×k×k convolution and a temporal t×1×1 one with a BatchNorm and ReLU
between them. Here the widths are a quarter (``tiny``) or half (``small``) of ResNet-18's
64-128-256-512 and each stage has ``depth`` residual blocks. Both registered models also feed the
stem each frame's difference from the clip's mean frame (``motion=True``), which lets them learn
from scratch on a few hundred clips in a few minutes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from sportslens.models.base import VideoClassifier
from sportslens.models.registry import register_model
from sportslens.models.video_input import VideoInput
from sportslens.models.weights import (
    load_classifier_state,
    load_state_dict_file,
    local_weights_path,
)
from sportslens.transforms import Preprocess

__all__ = ["SMALL_INPUT", "SMALL_PREPROCESS", "R2Plus1dNet"]

# 16 frames at 112 px: the input of torchvision's R(2+1)D-18, so these numbers transfer to the
# larger models. Eval resizes the short side to 128 (112/128 as torchvision), training draws it
# from 112-144 so the random crop sees some scale jitter without losing much of the frame.
SMALL_PREPROCESS = Preprocess(
    clip_frames=16, sampling="uniform", crop_size=112, resize=128, train_scale=(112, 144)
)


def _factorised_conv(
    in_channels: int, out_channels: int, stride: tuple[int, int] = (1, 1)
) -> nn.Sequential:
    """A 1×3×3 spatial conv, BatchNorm, ReLU, then a 3×1×1 temporal conv; ``stride`` is (t, s).

    The middle width equals ``out_channels``: narrower than the paper's parameter-matched width
    (up to 2.25× wider), which would cost CPU time for little gain at this size.
    """
    temporal_stride, spatial_stride = stride
    return nn.Sequential(
        nn.Conv3d(
            in_channels,
            out_channels,
            (1, 3, 3),
            stride=(1, spatial_stride, spatial_stride),
            padding=(0, 1, 1),
            bias=False,
        ),
        nn.BatchNorm3d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv3d(
            out_channels,
            out_channels,
            (3, 1, 1),
            stride=(temporal_stride, 1, 1),
            padding=(1, 0, 0),
            bias=False,
        ),
    )


class _ResidualBlock(nn.Module):
    """Two factorised convs with a shortcut; a 1×1×1 projection where the shape changes."""

    def __init__(self, in_channels: int, out_channels: int, stride: tuple[int, int]) -> None:
        super().__init__()
        self.conv1 = _factorised_conv(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm3d(out_channels)
        self.conv2 = _factorised_conv(out_channels, out_channels)
        self.bn2 = nn.BatchNorm3d(out_channels)
        # Zero-init the last BatchNorm's scale: each block starts as the identity, which lets a
        # small model train from scratch with a larger learning rate (Goyal et al., 2017).
        nn.init.zeros_(self.bn2.weight)
        self.shortcut: nn.Module = nn.Identity()
        if stride != (1, 1) or in_channels != out_channels:
            temporal_stride, spatial_stride = stride
            self.shortcut = nn.Sequential(
                nn.Conv3d(
                    in_channels,
                    out_channels,
                    1,
                    stride=(temporal_stride, spatial_stride, spatial_stride),
                    bias=False,
                ),
                nn.BatchNorm3d(out_channels),
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))  # type: ignore[no-any-return]


class R2Plus1dNet(nn.Module):
    """The backbone: stem, four stages of widths ``width × (1, 2, 4, 8)``, global average pool.

    Maps float (B, 3, T, H, W) to features (B, 8 × width). The stem quarters H and W; stages 2-4
    halve T, H and W, so 16×112×112 ends at 2×4×4 before pooling.
    """

    def __init__(
        self, width: int = 16, depth: int = 1, dropout: float = 0.0, motion: bool = False
    ) -> None:
        super().__init__()
        if width < 1 or depth < 1:
            raise ValueError(f"width and depth must be positive, got width={width}, depth={depth}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        # ``motion`` adds each frame's difference from the clip's mean frame as three more input
        # channels (the "RGB difference" idea of TSN, Wang et al. 2016): a still background
        # cancels out, so a small network trained from scratch finds the moving body sooner.
        self.motion = motion
        in_channels = 6 if motion else 3
        # The max pool between the stem's spatial and temporal convs (ResNet's stem pool) makes
        # the first stage work at H/4 x W/4: 3-4x faster training on a CPU than R(2+1)D-18's H/2.
        self.stem = nn.Sequential(
            nn.Conv3d(
                in_channels, width, (1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False
            ),
            nn.BatchNorm3d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
            nn.Conv3d(width, width, (3, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(width),
            nn.ReLU(inplace=True),
        )
        stages: list[nn.Module] = []
        in_channels = width
        for index in range(4):
            out_channels = width * 2**index
            stride = (1, 1) if index == 0 else (2, 2)
            blocks = [_ResidualBlock(in_channels, out_channels, stride)]
            blocks += [_ResidualBlock(out_channels, out_channels, (1, 1)) for _ in range(depth - 1)]
            stages.append(nn.Sequential(*blocks))
            in_channels = out_channels
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.dropout = nn.Dropout(dropout)
        self.num_features = in_channels
        for module in self.modules():
            if isinstance(module, nn.Conv3d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        if self.motion:
            still = clips.mean(dim=2, keepdim=True)  # (B, 3, 1, H, W)
            clips = torch.cat([clips, clips - still], dim=1)  # (B, 6, T, H, W)
        x = self.stem(clips)  # (B, w, T, H/4, W/4)
        x = self.stages(x)  # (B, 8w, T/8, H/32, W/32)
        x = self.pool(x).flatten(1)  # (B, 8w)
        return self.dropout(x)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _Spec:
    """A registered small model: its default architecture and its table line."""

    name: str
    width: int
    dropout: float
    description: str
    depth: int = 1
    motion: bool = True


_SPECS = (
    _Spec(
        name="r2plus1d_tiny",
        width=16,
        dropout=0.0,
        description="R(2+1)D, widths 16-32-64-128, 0.45 M parameters: trains on a laptop CPU",
    ),
    _Spec(
        name="r2plus1d_small",
        width=32,
        dropout=0.2,
        description="R(2+1)D, widths 32-64-128-256, 1.8 M parameters: CPU or small GPU",
    ),
)

# Checkpoints written before the motion channels existed lack the key: they were built without.
SMALL_INPUT = VideoInput(checkpoint_defaults={"motion": False})


def _build(
    spec: _Spec,
    num_classes: int,
    pretrained: str | Path | None = None,
    *,
    clip_frames: int | None = None,
    crop_size: int | None = None,
    width: int | None = None,
    depth: int | None = None,
    dropout: float | None = None,
    motion: bool | None = None,
) -> VideoClassifier:
    """``spec``'s R(2+1)D, any argument overriding it; ``pretrained`` may only be a local file.

    Global pooling lets the network take any clip length and size (at least 1 x 32 x 32).
    """
    # No public weights: ``pretrained`` can only be a local file, checked before building.
    path = None if pretrained is None else local_weights_path(spec.name, pretrained, known=())
    width = spec.width if width is None else width
    depth = spec.depth if depth is None else depth
    dropout = spec.dropout if dropout is None else dropout
    motion = spec.motion if motion is None else motion
    backbone = R2Plus1dNet(width=width, depth=depth, dropout=dropout, motion=motion)
    preprocess = SMALL_PREPROCESS.with_input_size(clip_frames, crop_size)
    model = VideoClassifier(backbone, backbone.num_features, num_classes, preprocess, SMALL_INPUT)
    model.build_kwargs = {"width": width, "depth": depth, "dropout": dropout, "motion": motion}
    if path is not None:
        load_classifier_state(model, load_state_dict_file(path), source=str(path))
    return model


def _register_all() -> None:
    for spec in _SPECS:
        register_model(
            spec.name,
            family="small",
            preprocess=SMALL_PREPROCESS,
            input_adapter=SMALL_INPUT,
            description=spec.description,
        )(functools.partial(_build, spec))


_register_all()
