"""Keypoint catalogs (synthetic athletes, npz folders, keypoint folders) and the dataset."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from sportslens.data import ClipConfig, split_catalog
from sportslens.data.keypoint_dataset import KeypointDataset, read_keypoint_catalog
from sportslens.pose import load_keypoints


def test_the_synthetic_athletes_folder_is_a_keypoint_catalog(athletes: Path) -> None:
    catalog = read_keypoint_catalog(athletes)
    assert catalog.classes == ("jumping_jack", "push_up", "squat")
    assert len(catalog) == 15 and not catalog.problems
    assert all(r.source.endswith(".npz") and Path(r.source).is_file() for r in catalog)
    assert {r.group for r in catalog} != {None}  # labels.csv's athlete groups are kept
    split = split_catalog(catalog, (0.6, 0.2, 0.2), seed=0)
    assert [len(split.split(s)) for s in ("train", "val", "test")] == [9, 3, 3]


def test_a_folder_of_npz_per_class_and_a_separate_keypoint_folder(
    athletes: Path, tmp_path: Path
) -> None:
    kp_dir = tmp_path / "kp"
    for npz in athletes.rglob("*.npz"):
        target = kp_dir / npz.parent.name / npz.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(npz, target)
    from_folder = read_keypoint_catalog(kp_dir)
    assert from_folder.classes == ("jumping_jack", "push_up", "squat") and len(from_folder) == 15
    # The video catalog with its keypoints elsewhere: one video lacks a file and is reported.
    missing = next(kp_dir.rglob("*.npz"))
    missing.unlink()
    elsewhere = read_keypoint_catalog(athletes / "labels.csv", keypoints_dir=kp_dir)
    assert len(elsewhere) == 14
    assert [reason for _, reason in elsewhere.problems] == ["no keypoint .npz file for this video"]
    assert all(Path(r.source).is_relative_to(kp_dir) for r in elsewhere)


def test_a_catalog_without_keypoint_files_is_an_error(athletes: Path, tmp_path: Path) -> None:
    videos = tmp_path / "videos"
    shutil.copytree(athletes, videos, ignore=shutil.ignore_patterns("*.npz"))
    with pytest.raises(ValueError, match="none of its 15 videos has a keypoint file"):
        read_keypoint_catalog(videos)


def test_items_are_normalised_sequences_with_seeded_flips(athletes: Path) -> None:
    catalog = read_keypoint_catalog(athletes)
    train = KeypointDataset(list(catalog), 24, ClipConfig(mode="train", seed=3))
    item = train[4]
    assert item.clip.shape == (3, 24, 17, 1) and item.clip.dtype == torch.float32
    assert item.label == catalog[4].label_index and item.record == 4 and item.failed == -1
    flips = [
        not torch.equal(train[i].clip, KeypointDataset(list(catalog), 24)[i].clip)
        for i in range(15)
    ]
    assert 0 < sum(flips) < 15  # about half are mirrored
    again = KeypointDataset(list(catalog), 24, ClipConfig(mode="train", seed=3))
    assert all(torch.equal(train[i].clip, again[i].clip) for i in range(15))
    train.set_epoch(1)
    assert any(not torch.equal(train[i].clip, again[i].clip) for i in range(15))


def test_a_record_segment_selects_frames_and_a_bad_file_is_named(
    athletes: Path, tmp_path: Path
) -> None:
    from dataclasses import replace

    catalog = read_keypoint_catalog(athletes)
    record = catalog[0]
    frames = load_keypoints(record.source).num_frames
    half = replace(record, start_frame=0, end_frame=frames // 2)
    whole = KeypointDataset([record], 8)[0].clip
    assert not torch.equal(KeypointDataset([half], 8)[0].clip, whole)
    bad = tmp_path / "bad.npz"
    np.savez(
        bad,
        keypoints=np.zeros((5, 17, 2), np.float32),
        visibility=np.zeros((5, 17)),
        fps=30.0,
        size=np.array([64, 64]),
    )
    with pytest.raises(ValueError, match=r"bad\.npz: no frame has a shoulder and a hip"):
        KeypointDataset([replace(record, source=str(bad))], 8)[0]
