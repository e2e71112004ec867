"""Skeleton classifiers: ``float (B, C, T, V, M)`` keypoint sequences to logits ``(B, K)``.

Input is what :mod:`sportslens.models.keypoint_input` makes (layout
:data:`~sportslens.pose.normalize.SKELETON_INPUT`): C = 3 channels (x, y, score), T frames,
V = 17 COCO joints, M persons (the persons' features are averaged). Both backbones fit
:class:`VideoClassifier`, so heads, checkpoints, training and prediction work as for video
models. A skeleton model's ``preprocess`` is a
:class:`~sportslens.models.keypoint_input.KeypointSpec`: the sequence length and the layout, no
sizes or colour statistics.

* ``tcn``: dilated 1-D temporal convolutions over the flattened joints × channels, the network
  of the reference project (Bai et al., "An Empirical Evaluation of Generic Convolutional and
  Recurrent Networks", 2018, non-causal here: a whole clip is classified at once).
* ``stgcn``: spatial-temporal graph convolution on the COCO-17 skeleton (Yan et al., "Spatial
  Temporal Graph Convolutional Networks for Skeleton-Based Action Recognition", AAAI 2018), with
  the paper's spatial partitioning and learnable edge importance, at CPU-sized widths.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from sportslens.models.base import VideoClassifier
from sportslens.models.keypoint_input import KEYPOINT_INPUT, KeypointSpec
from sportslens.models.registry import register_model
from sportslens.models.weights import (
    load_classifier_state,
    load_state_dict_file,
    local_weights_path,
)
from sportslens.pose.layouts import COCO17_EDGES, COCO17_NAMES
from sportslens.pose.normalize import SKELETON_INPUT

__all__ = ["STGCN", "TCN", "skeleton_adjacency", "stgcn", "tcn"]

# 64 frames: a 2-3 s repetition at 30 fps keeps every other frame, and a longer clip still shows
# each of a few repetitions with 10+ frames.
SKELETON_SPEC = KeypointSpec(clip_frames=64, layout=SKELETON_INPUT)

Partition = Literal["spatial", "uniform"]

# The joint the spatial partition measures distances from: the nose, as pyskl does for COCO-17
# (the layout has no neck joint, ST-GCN's centre for OpenPose's 18 joints).
_GRAPH_CENTRE = COCO17_NAMES.index("nose")


def _hop_distances(num_joints: int, edges: tuple[tuple[int, int], ...]) -> NDArray[np.int64]:
    """(V, V) shortest path lengths in bones (a large number between unconnected joints)."""
    far = num_joints + 1
    hops = np.full((num_joints, num_joints), far, dtype=np.int64)
    np.fill_diagonal(hops, 0)
    for a, b in edges:
        hops[a, b] = hops[b, a] = 1
    for k in range(num_joints):  # Floyd-Warshall: 17 joints, instant
        hops = np.minimum(hops, hops[:, k : k + 1] + hops[k : k + 1, :])
    return hops


def skeleton_adjacency(partition: Partition = "spatial") -> NDArray[np.float32]:
    """Normalised COCO-17 adjacency ``(K, V, V)``: K = 3 spatial subsets, or 1 for ``uniform``.

    ``spatial`` (ST-GCN's partitioning) splits each joint's neighbours (itself and the joints one
    bone away) into the root, those closer to the centre and those farther from it, so a filter
    can tell a limb's inner end from its outer end. Each subset is normalised by the in-degree
    of the whole neighbourhood (``A D^-1``): features are averaged, not summed, over neighbours.
    """
    num_joints = len(COCO17_NAMES)
    hops = _hop_distances(num_joints, COCO17_EDGES)
    neighbours = (hops <= 1).astype(np.float32)  # (V, V) self-loops included
    degree = neighbours.sum(axis=0)  # (V,)
    normalised = neighbours / degree[None, :]  # A D^-1: column j averages over j's neighbours
    if partition == "uniform":
        uniform: NDArray[np.float32] = normalised[None]  # (1, V, V)
        return uniform
    if partition != "spatial":
        raise ValueError(f"partition must be 'spatial' or 'uniform', got {partition!r}")
    centre = hops[:, _GRAPH_CENTRE]  # (V,) hops from each joint to the centre
    # Entry (i, j): joint i's features flow to joint j. Subsets by i's distance vs j's.
    root = normalised * (centre[:, None] == centre[None, :])
    closer = normalised * (centre[:, None] < centre[None, :])
    farther = normalised * (centre[:, None] > centre[None, :])
    spatial: NDArray[np.float32] = np.stack([root, closer, farther]).astype(np.float32)
    return spatial  # (3, V, V)


def _fold_persons(skeletons: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(B, C, T, V, M) -> (B * M, C, T, V) and M."""
    batch, channels, frames, joints, persons = skeletons.shape
    folded = skeletons.permute(0, 4, 1, 2, 3).reshape(batch * persons, channels, frames, joints)
    return folded, persons


class _GraphBlock(nn.Module):
    """One ST-GCN unit: a graph convolution over joints, then a 9×1 convolution over time."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        adjacency: torch.Tensor,
        stride: int = 1,
        dropout: float = 0.0,
        residual: bool = True,
    ) -> None:
        super().__init__()
        subsets = adjacency.shape[0]
        self.adjacency: torch.Tensor
        # Not persistent: a constant rebuilt from the partition, and shared by every block.
        self.register_buffer("adjacency", adjacency, persistent=False)  # (K, V, V)
        # Edge importance (ST-GCN §3.6): a learnable weight per edge and subset, starting at 1.
        self.importance = nn.Parameter(torch.ones_like(adjacency))
        self.spatial = nn.Conv2d(in_channels, out_channels * subsets, 1)
        self.temporal = nn.Sequential(
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, (9, 1), (stride, 1), (4, 0)),
            nn.BatchNorm2d(out_channels),
            nn.Dropout(dropout),
        )
        self.residual: nn.Module
        if not residual:
            self.residual = _Zero()
        elif in_channels == out_channels and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, (stride, 1)), nn.BatchNorm2d(out_channels)
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, frames, joints = x.shape
        subsets = self.importance.shape[0]
        y = self.spatial(x).view(batch, subsets, -1, frames, joints)  # (N, K, C', T, V)
        graph = self.adjacency * self.importance  # (K, V, V)
        y = torch.einsum("nkctv,kvw->nctw", y, graph)  # (N, C', T, V)
        return self.relu(self.temporal(y) + self.residual(x))  # type: ignore[no-any-return]


class _Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros((), dtype=x.dtype, device=x.device)


class STGCN(nn.Module):
    """ST-GCN backbone: input BatchNorm, graph blocks, global average pool.

    Maps (B, C, T, V, M) to features (B, 4 × width). Widths ``width × (1, 1, 2, 2, 4, 4)``;
    the third and fifth blocks halve T. The paper's network has ten blocks of 64-256 channels;
    six of 16-64 (0.13 M parameters) train on a CPU in minutes and are enough for a few
    exercise classes; width 32 costs 2.5x the time.
    """

    def __init__(
        self,
        in_channels: int = SKELETON_INPUT.channels,
        width: int = 16,
        partition: Partition = "spatial",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if width < 1:
            raise ValueError(f"width must be positive, got {width}")
        adjacency = torch.from_numpy(skeleton_adjacency(partition))  # (K, V, V)
        joints = adjacency.shape[-1]
        # Per joint and channel: x, y and score have different ranges, and so do hands and hips.
        self.data_bn = nn.BatchNorm1d(in_channels * joints)
        plan = [(width, 1), (width, 1), (2 * width, 2), (2 * width, 1), (4 * width, 2)]
        plan += [(4 * width, 1)]
        blocks = [_GraphBlock(in_channels, width, adjacency, residual=False)]
        previous = width
        for channels, stride in plan[1:]:
            blocks.append(_GraphBlock(previous, channels, adjacency, stride, dropout))
            previous = channels
        self.blocks = nn.Sequential(*blocks)
        self.num_features = previous

    def forward(self, skeletons: torch.Tensor) -> torch.Tensor:
        x, persons = _fold_persons(skeletons)  # (N, C, T, V), N = B * M
        n, channels, frames, joints = x.shape
        x = x.permute(0, 3, 1, 2).reshape(n, joints * channels, frames)  # (N, V*C, T)
        x = self.data_bn(x).view(n, joints, channels, frames).permute(0, 2, 3, 1)  # (N, C, T, V)
        x = self.blocks(x)  # (N, 4w, T/4, V)
        x = x.mean(dim=(2, 3)).view(-1, persons, self.num_features)  # (B, M, F)
        features: torch.Tensor = x.mean(dim=1)  # (B, F)
        return features


class _TemporalBlock(nn.Module):
    """Two dilated kernel-3 convolutions with BatchNorm, ReLU and a residual connection."""

    def __init__(self, channels: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm1d(channels),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm1d(channels),
        )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(x + self.body(x))  # type: ignore[no-any-return]


class TCN(nn.Module):
    """Temporal convolution backbone over joints × channels flattened to one feature axis.

    Maps (B, C, T, V, M) to features (B, width). Dilations 1, 2, 4, 8 give each output frame a
    receptive field of 61 frames: about one repetition at 64 frames per clip.
    """

    def __init__(
        self,
        in_channels: int = SKELETON_INPUT.channels,
        num_joints: int = SKELETON_INPUT.joints,
        width: int = 64,
        levels: int = 4,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        if width < 1 or levels < 1:
            raise ValueError(f"width and levels must be positive, got {width}, {levels}")
        features = in_channels * num_joints
        self.embed = nn.Sequential(
            nn.BatchNorm1d(features),
            nn.Conv1d(features, width, 1, bias=False),
            nn.BatchNorm1d(width),
            nn.ReLU(inplace=True),
        )
        self.blocks = nn.Sequential(*[_TemporalBlock(width, 2**i, dropout) for i in range(levels)])
        self.num_features = width

    def forward(self, skeletons: torch.Tensor) -> torch.Tensor:
        x, persons = _fold_persons(skeletons)  # (N, C, T, V)
        n, channels, frames, joints = x.shape
        x = x.permute(0, 3, 1, 2).reshape(n, joints * channels, frames)  # (N, V*C, T)
        x = self.blocks(self.embed(x))  # (N, w, T)
        x = x.mean(dim=2).view(-1, persons, self.num_features)  # (B, M, w)
        features: torch.Tensor = x.mean(dim=1)  # (B, w)
        return features


def _finish(
    backbone: STGCN | TCN,
    num_classes: int,
    pretrained: str | Path | None,
    build_kwargs: dict[str, object],
    model_name: str,
    input_size: tuple[int | None, int | None],
) -> VideoClassifier:
    # No public weights: ``pretrained`` can only be a local file, checked before loading.
    path = None if pretrained is None else local_weights_path(model_name, pretrained, known=())
    # Any sequence length works (global pooling over time). Keypoints have no pixel size, so a
    # crop size (``train --size`` for every model) is accepted and has nothing to change.
    spec = SKELETON_SPEC.with_clip_frames(input_size[0])
    model = VideoClassifier(backbone, backbone.num_features, num_classes, spec, KEYPOINT_INPUT)
    model.build_kwargs = build_kwargs
    if path is not None:
        load_classifier_state(model, load_state_dict_file(path), source=str(path))
    return model


@register_model(
    "stgcn",
    family="skeleton",
    preprocess=SKELETON_SPEC,
    input_adapter=KEYPOINT_INPUT,
    description="ST-GCN on COCO-17 keypoints, widths 16-32-64: trains on a CPU in minutes",
)
def stgcn(
    num_classes: int,
    pretrained: str | Path | None = None,
    *,
    clip_frames: int | None = None,
    crop_size: int | None = None,
    width: int = 16,
    partition: Partition = "spatial",
    dropout: float = 0.0,
) -> VideoClassifier:
    """ST-GCN over (B, 3, T, 17, M) keypoints (any T); ``pretrained`` may only be a local file."""
    backbone = STGCN(width=width, partition=partition, dropout=dropout)
    kwargs: dict[str, object] = {"width": width, "partition": partition, "dropout": dropout}
    return _finish(backbone, num_classes, pretrained, kwargs, "stgcn", (clip_frames, crop_size))


@register_model(
    "tcn",
    family="skeleton",
    preprocess=SKELETON_SPEC,
    input_adapter=KEYPOINT_INPUT,
    description="Dilated temporal convolutions over COCO-17 keypoints (the reference project's)",
)
def tcn(
    num_classes: int,
    pretrained: str | Path | None = None,
    *,
    clip_frames: int | None = None,
    crop_size: int | None = None,
    width: int = 64,
    levels: int = 4,
    dropout: float = 0.1,
) -> VideoClassifier:
    """A TCN over (B, 3, T, 17, M) keypoints (any T); ``pretrained`` may only be a local file."""
    backbone = TCN(width=width, levels=levels, dropout=dropout)
    kwargs: dict[str, object] = {"width": width, "levels": levels, "dropout": dropout}
    return _finish(backbone, num_classes, pretrained, kwargs, "tcn", (clip_frames, crop_size))
