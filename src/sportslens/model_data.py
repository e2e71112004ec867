"""What data a model reads: video clips for video models, keypoint sequences for skeleton models.

Training, evaluation and prediction ask here instead of branching on the model type themselves:
which catalog to read, which dataset to build, what an example input looks like, and how one
video (or keypoint file) becomes one model input.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from sportslens.data import Catalog, ClipConfig, Record, VideoDataset, read_catalog
from sportslens.data.keypoint_dataset import KeypointDataset, read_keypoint_catalog
from sportslens.models import VideoClassifier, get_entry

if TYPE_CHECKING:
    from sportslens.pose.keypoints import Keypoints

ModelDataset = VideoDataset | KeypointDataset


def is_skeleton(model: str | VideoClassifier) -> bool:
    """Whether ``model`` (a registry name or a built model) takes keypoint sequences."""
    name = model if isinstance(model, str) else model.name
    return bool(name) and get_entry(name).family == "skeleton"


def read_model_catalog(model: str, data: str | os.PathLike[str]) -> Catalog:
    """The catalog ``model`` trains on: videos, or for a skeleton model their keypoint files."""
    if is_skeleton(model):
        return read_keypoint_catalog(data)
    return read_catalog(data)


def create_dataset(
    records: Sequence[Record], model: VideoClassifier, config: ClipConfig
) -> ModelDataset:
    """A dataset of ``records`` shaped for ``model``: VideoDataset or KeypointDataset."""
    if is_skeleton(model):
        return KeypointDataset(records, model.preprocess.num_frames, config)
    return VideoDataset(records, model.preprocess, config)


def example_input(model: VideoClassifier, batch: int = 1) -> torch.Tensor:
    """A random input of the model's default shape: (B, 3, T, 17, 1) or (B, 3, T, H, W)."""
    pre = model.preprocess
    if is_skeleton(model):
        return torch.randn(batch, 3, pre.num_frames, 17, 1)
    return torch.randn(batch, 3, pre.num_frames, pre.crop_size, pre.crop_size)


def skeleton_input(
    model: VideoClassifier, source: str | Path, keypoints: Keypoints | None = None
) -> tuple[torch.Tensor, list[int]]:
    """One normalised sequence (3, T, 17, 1) from a keypoint ``.npz`` or a video, and the frames.

    A video goes through pose extraction first (:func:`sportslens.pose.extract_keypoints`, the
    MediaPipe backend by default), which needs the ``pose`` extra. ``keypoints``, when given, are
    ``source``'s keypoints already read: they are used instead of reading them again.
    """
    from sportslens.pose.form import keypoints_from
    from sportslens.pose.normalize import normalize_sequence

    kp = keypoints if keypoints is not None else keypoints_from(source)
    length = model.preprocess.num_frames
    try:
        sequence = normalize_sequence(kp, length)  # (3, T, 17, 1)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from error
    frames = [int(i) for i in np.rint(np.linspace(0, kp.num_frames - 1, length))]
    return torch.from_numpy(sequence), frames


def skeleton_prediction_input(
    model: VideoClassifier, source: str | Path
) -> tuple[torch.Tensor, list[int], dict[str, Any]]:
    """:func:`skeleton_input` plus what the prediction reports besides labels: ``pose``, ``form``.

    The keypoints are read (or extracted) once and serve both the model and the summary.
    """
    from sportslens.pose.form import keypoints_from
    from sportslens.pose.summary import pose_extras

    kp = keypoints_from(source)
    sequence, frames = skeleton_input(model, source, kp)  # (3, T, 17, 1)
    return sequence, frames, pose_extras(kp)
