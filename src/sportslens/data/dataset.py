"""A map-style torch Dataset of video clips over a catalog.

Item ``i`` samples frame indices inside the record's ``[start_frame, end_frame]`` range, decodes
just those frames at the size the transform needs, and transforms them. Randomness comes from a
generator seeded by ``(seed, epoch, index)``: the same clip for the same item whatever the number
of workers, and a fresh one every epoch (call :meth:`VideoDataset.set_epoch`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
import torch
from numpy.typing import NDArray
from torch.utils.data import Dataset, get_worker_info

from sportslens import sampling
from sportslens.data.clip_cache import ClipCache
from sportslens.transforms import (
    Preprocess,
    eval_transform,
    multi_view_transform,
    train_transform,
)
from sportslens.video import VideoDecodeError, frame_count, read_frames

log = logging.getLogger(__name__)

Mode = Literal["train", "eval"]


class RangedVideo(Protocol):
    """A video and the inclusive frame range of interest in it (None: from start / to end)."""

    @property
    def source(self) -> str: ...
    @property
    def start_frame(self) -> int | None: ...
    @property
    def end_frame(self) -> int | None: ...


class ClipRecord(RangedVideo, Protocol):
    """What the dataset needs of a catalog record."""

    @property
    def label_index(self) -> int: ...


class ClipSample(NamedTuple):
    """One item: the clip, its label, the record it came from, and a record that failed (or -1).

    ``clip`` is ``float (C, T, H, W)``, or ``(V, C, T, H, W)`` with several views. When the
    asked-for video could not be decoded, ``failed`` holds its record index and ``record`` the
    same-class record that replaced it; collated batches let the training loop count failures
    even when they happened in a worker process.
    """

    clip: torch.Tensor
    label: int
    record: int
    failed: int


@dataclass(frozen=True)
class ClipConfig:
    """How items are sampled; frames, sampling kind and rate come from the model's Preprocess."""

    mode: Mode = "train"
    temporal_views: int = 1
    """Evaluation clips per video (softmax is averaged over them); train mode uses one."""
    spatial_crops: Literal[1, 3] = 1
    seed: int = 0
    max_replacements: int = 5
    """Same-class substitutes tried for an undecodable video before giving up loudly."""
    cache: str | None = None
    """A clip cache folder (``sportslens cache``) to read frames from instead of decoding."""


class ClipDataset(Dataset[ClipSample]):
    """Items are :class:`ClipSample`; random clips are drawn anew each epoch (``set_epoch``)."""

    epoch: int = 0

    def __len__(self) -> int:
        raise NotImplementedError

    def set_epoch(self, epoch: int) -> None:
        """Draw new random clips: call before each epoch (like DistributedSampler.set_epoch)."""
        self.epoch = epoch


class VideoDataset(ClipDataset):
    """Clips from the videos of ``records``, transformed for a model described by ``preprocess``."""

    def __init__(
        self,
        records: Sequence[ClipRecord],
        preprocess: Preprocess,
        config: ClipConfig | None = None,
    ) -> None:
        self.records = list(records)
        self.preprocess = preprocess
        self.config = config or ClipConfig()
        self.epoch = 0
        self.failures: list[int] = []  # record indices that failed in this process
        self._by_class = _indices_by_class(self.records)
        self._train = train_transform(preprocess)
        self._eval = eval_transform(preprocess)
        self._views = multi_view_transform(preprocess, num_crops=self.config.spatial_crops)
        self._cache = self._open_cache()

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> ClipSample:
        rng = np.random.default_rng((self.config.seed, self.epoch, index))
        candidate, failed = index, -1
        for _ in range(self.config.max_replacements + 1):
            try:
                clip = self._load(self.records[candidate], rng)
                return ClipSample(clip, self.records[candidate].label_index, candidate, failed)
            except VideoDecodeError as error:
                log.warning("skipping undecodable video (record %d): %s", candidate, error)
                self.failures.append(candidate)
                failed = index if failed < 0 else failed
                candidate = self._substitute(candidate, rng)
        raise VideoDecodeError(
            f"record {index} ({self.records[index].source}) and "
            f"{self.config.max_replacements} same-class substitutes could not be decoded"
        )

    def _substitute(self, index: int, rng: np.random.Generator) -> int:
        same_class = self._by_class[self.records[index].label_index]
        others = [i for i in same_class if i != index] or same_class
        return int(rng.choice(others))

    def _working_size(self) -> int:
        """The short side frames are decoded at: the transform's largest need, no more."""
        pre = self.preprocess
        return pre.train_scale[1] if self.config.mode == "train" else pre.resize

    def _open_cache(self) -> ClipCache | None:
        """The configured clip cache, refused unless it holds these videos at this size."""
        if self.config.cache is None:
            return None
        cache = ClipCache.open(self.config.cache)
        train = self.config.mode == "train"
        reads = "training (train_scale high)" if train else "evaluation (resize)"
        cache.check([r.source for r in self.records], self._working_size(), reads=reads)
        return cache

    def _load(self, record: ClipRecord, rng: np.random.Generator) -> torch.Tensor:
        size = self._working_size()
        cache = self._cache
        num_frames = (
            frame_count(record.source) if cache is None else cache.frame_count(record.source)
        )
        start, end = frame_range(record, num_frames)
        indices = self._indices(num_frames, start, end, rng)  # (V, T)
        if cache is None:
            # Decoding at the transform's working size keeps full-resolution frames out of memory.
            threads = 1 if get_worker_info() is not None else 0  # one decoder thread per worker
            frames = read_frames(record.source, indices.reshape(-1), size=size, threads=threads)
        else:  # the same frames, scaled by the same FFmpeg call when the cache was written
            frames = cache.read_frames(record.source, indices.reshape(-1), size)
        clips = frames.reshape(indices.shape[0], indices.shape[1], *frames.shape[1:])  # (V,T,C,H,W)
        if self.config.mode == "train":
            return self._train(clips[0], rng)  # (C, T, H, W)
        if self.config.spatial_crops == 1:
            views = torch.stack([self._eval(clip) for clip in clips])  # (V, C, T, H, W)
            return views[0] if self.config.temporal_views == 1 else views
        return torch.cat([self._views(clip) for clip in clips])  # (V * 3, C, T, H, W)

    def _indices(
        self, num_frames: int, start: int, end: int, rng: np.random.Generator
    ) -> NDArray[Any]:
        """Frame indices, (V, T): one row in training, ``temporal_views`` rows in evaluation."""
        pre = self.preprocess
        if self.config.mode == "train":
            row = sampling.clip_indices(pre, num_frames, start=start, end=end, rng=rng)
            return row[None, :]
        views = self.config.temporal_views
        return sampling.view_indices(pre, num_frames, views, start=start, end=end)


def frame_range(record: RangedVideo, num_frames: int) -> tuple[int, int]:
    """The record's inclusive ``(start, end)`` frames, clamped to the video's real length."""
    start = record.start_frame or 0
    end = num_frames - 1 if record.end_frame is None else min(record.end_frame, num_frames - 1)
    if start > end:
        raise VideoDecodeError(
            f"{record.source}: frame range [{start}, {record.end_frame}] lies outside the "
            f"video's {num_frames} frames"
        )
    return start, end


def _indices_by_class(records: Sequence[ClipRecord]) -> dict[int, list[int]]:
    by_class: dict[int, list[int]] = {}
    for i, record in enumerate(records):
        by_class.setdefault(record.label_index, []).append(i)
    return by_class


def count_failures(failed: torch.Tensor) -> int:
    """Number of replaced videos in a collated batch's ``failed`` field."""
    return int((failed >= 0).sum())
