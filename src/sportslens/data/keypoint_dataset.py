"""Keypoint catalogs and a torch Dataset of normalised skeleton sequences.

A keypoint catalog is a :class:`Catalog` whose record sources are keypoint ``.npz`` files, so
splits (:mod:`sportslens.data.splits`), saved split files and evaluation work as for videos. It
is read from a folder of ``<class>/<name>.npz`` (or ``<split>/<class>/<name>.npz``), or from any
video catalog with the keypoint file of each video beside it (``clip.mp4`` → ``clip.npz``, as the
synthetic athletes write them) or in a separate keypoint folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from sportslens.data.catalog import SPLIT_ORDER, Catalog, Record, split_name
from sportslens.data.dataset import ClipConfig, ClipDataset, ClipSample
from sportslens.data.formats import read_catalog
from sportslens.pose.keypoints import Keypoints, load_keypoints
from sportslens.pose.normalize import normalize_sequence

KEYPOINT_SUFFIX = ".npz"


def read_keypoint_catalog(
    data: str | os.PathLike[str], keypoints_dir: Path | None = None
) -> Catalog:
    """The keypoint catalog of ``data``: a folder of ``.npz`` per class, or a video catalog.

    For a video catalog (anything :func:`read_catalog` reads), each video's keypoint file is
    ``keypoints_dir/<path relative to the catalog's folder>.npz`` or ``keypoints_dir/<stem>.npz``
    when ``keypoints_dir`` is given, else the ``.npz`` beside the video. Videos without one go
    to ``problems``; a catalog left with no records is an error that says where it looked.
    """
    path = Path(data)
    if path.is_dir() and not (path / "labels.csv").is_file() and _holds_keypoint_files(path):
        return _from_keypoint_folder(path)
    videos = read_catalog(path)
    root = path if path.is_dir() else path.parent
    records, problems = [], list(videos.problems)
    for record in videos:
        found = _keypoint_file(Path(record.source), root, keypoints_dir)
        if found is None:
            problems.append((record.source, "no keypoint .npz file for this video"))
            continue
        records.append(replace(record, source=str(found)))
    if not records:
        where = keypoints_dir or "beside the videos"
        raise ValueError(f"{path}: none of its {len(videos)} videos has a keypoint file ({where})")
    return replace(videos, records=tuple(records), problems=tuple(problems))


def _holds_keypoint_files(root: Path) -> bool:
    return any(root.rglob(f"*{KEYPOINT_SUFFIX}"))


def _keypoint_file(video: Path, root: Path, keypoints_dir: Path | None) -> Path | None:
    if video.suffix.lower() == KEYPOINT_SUFFIX:
        return video if video.is_file() else None
    if keypoints_dir is None:
        candidates = [video.with_suffix(KEYPOINT_SUFFIX)]
    else:
        relative = Path(os.path.relpath(video, root))
        candidates = [
            keypoints_dir / relative.with_suffix(KEYPOINT_SUFFIX),
            keypoints_dir / f"{video.stem}{KEYPOINT_SUFFIX}",
        ]
    return next((c for c in candidates if c.is_file()), None)


def _from_keypoint_folder(root: Path) -> Catalog:
    """``root/<class>/*.npz`` or ``root/<split>/<class>/*.npz`` (files in subfolders count)."""
    tops = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not tops:
        raise ValueError(f"{root}: no class folders (expected <class>/<name>.npz)")
    split_tops = [p for p in tops if split_name(p.name) in SPLIT_ORDER]
    if split_tops and len(split_tops) != len(tops):
        raise ValueError(f"{root}: mixes split folders with class folders")
    pairs: list[tuple[str | None, Path]] = []
    for top in tops if split_tops else [root]:
        split = split_name(top.name) if split_tops else None
        folders = sorted(p for p in top.iterdir() if p.is_dir() and not p.name.startswith("."))
        pairs += [(split, folder) for folder in folders]
    classes = tuple(sorted({folder.name for _, folder in pairs}))
    index = {name: i for i, name in enumerate(classes)}
    records, problems = [], []
    for split, folder in pairs:
        files = sorted(folder.rglob(f"*{KEYPOINT_SUFFIX}"))
        if not files:
            problems.append((str(folder), "class folder holds no .npz keypoint files"))
        records += [
            Record(os.path.abspath(f), folder.name, index[folder.name], split=split)  # noqa: PTH100
            for f in files
        ]
    return Catalog(tuple(records), classes, tuple(problems), name=str(root))


class KeypointDataset(ClipDataset):
    """Normalised sequences ``float32 (3, T, 17, 1)`` of the keypoint files of ``records``.

    Items are :class:`ClipSample` like a :class:`VideoDataset`'s, so the training loop and
    evaluation take either. In ``train`` mode each item is mirrored left-right with probability
    ``flip_probability``, drawn from a generator seeded by ``(seed, epoch, index)``. A record's
    ``start_frame``/``end_frame`` select frames of the file. A bad file raises, naming it.
    """

    def __init__(
        self,
        records: Sequence[Record],
        clip_frames: int,
        config: ClipConfig | None = None,
        *,
        flip_probability: float = 0.5,
    ) -> None:
        self.records = list(records)
        self.clip_frames = clip_frames
        self.config = config or ClipConfig()
        if self.config.cache is not None:
            raise ValueError(
                f"--cache {self.config.cache}: a clip cache holds video frames, but this model "
                "reads keypoint files (already small and fast to read); train without --cache"
            )
        self.flip_probability = flip_probability
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> ClipSample:
        record = self.records[index]
        flip = False
        if self.config.mode == "train":
            rng = np.random.default_rng((self.config.seed, self.epoch, index))
            flip = bool(rng.random() < self.flip_probability)
        kp = _segment(load_keypoints(record.source), record)
        try:
            sequence = normalize_sequence(kp, self.clip_frames, flip=flip)  # (3, T, 17, 1)
        except ValueError as error:
            raise ValueError(f"{record.source}: {error}") from error
        return ClipSample(torch.from_numpy(sequence), record.label_index, index, -1)


def _segment(kp: Keypoints, record: Record) -> Keypoints:
    """The frames ``[start_frame, end_frame]`` of ``kp`` (all of them without bounds)."""
    if record.start_frame is None and record.end_frame is None:
        return kp
    start = record.start_frame or 0
    end = kp.num_frames - 1 if record.end_frame is None else record.end_frame
    if start >= kp.num_frames:
        raise ValueError(f"{record.source}: start_frame {start} is past its {kp.num_frames} frames")
    return replace(kp, keypoints=kp.keypoints[start : end + 1], scores=kp.scores[start : end + 1])
