"""VideoDataset: exact frames inside record ranges, randomness, views, bad videos, workers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from conftest import MakeVideo
from frame_codes import read_code
from sportslens import sampling
from sportslens.data.dataset import ClipConfig, VideoDataset, count_failures
from sportslens.transforms import Preprocess
from sportslens.video import VideoDecodeError

# Square 64 px frames with crop = resize = 64: the transforms keep every band of the codes.
PRE = Preprocess(clip_frames=4, crop_size=64, resize=64, train_scale=(64, 64))


@dataclass(frozen=True)
class Rec:
    source: str
    label_index: int
    start_frame: int | None = None
    end_frame: int | None = None


def codes(clip: torch.Tensor) -> list[int]:
    """Frame indices spelled by a normalised float (C, T, H, W) clip."""
    mean = torch.tensor(PRE.mean)[:, None, None, None]
    std = torch.tensor(PRE.std)[:, None, None, None]
    pixels = (clip * std + mean).mul(255).round().clamp(0, 255).to(torch.uint8)
    return [read_code(frame) for frame in pixels.permute(1, 0, 2, 3)]  # per (C, H, W) frame


@pytest.fixture
def videos(make_video: MakeVideo) -> list[Path]:
    return [make_video(f"v{i}.mp4", frames=40, height=64, width=64) for i in range(3)]


def test_eval_clip_honours_the_record_range(videos: list[Path]) -> None:
    records = [Rec(str(videos[0]), 0, start_frame=10, end_frame=29)]
    dataset = VideoDataset(records, PRE, ClipConfig(mode="eval"))
    sample = dataset[0]
    assert sample.clip.shape == (3, 4, 64, 64)
    assert sample.clip.dtype == torch.float32
    assert codes(sample.clip) == sampling.uniform(40, 4, start=10, end=29).tolist()
    assert (sample.label, sample.record, sample.failed) == (0, 0, -1)


def test_train_clips_are_random_per_epoch_and_reproducible(videos: list[Path]) -> None:
    records = [Rec(str(videos[0]), 0, start_frame=5, end_frame=34)]
    dataset = VideoDataset(records, PRE, ClipConfig(mode="train", seed=3))
    seen = []
    for epoch in range(6):
        dataset.set_epoch(epoch)
        first, again = codes(dataset[0].clip), codes(dataset[0].clip)
        assert first == again
        assert all(5 <= i <= 34 for i in first) and first == sorted(first)
        seen.append(tuple(first))
    assert len(set(seen)) > 1


def test_multi_view_eval_returns_every_view(videos: list[Path]) -> None:
    records = [Rec(str(videos[1]), 0)]
    temporal = VideoDataset(records, PRE, ClipConfig(mode="eval", temporal_views=3))
    clip = temporal[0].clip
    assert clip.shape == (3, 3, 4, 64, 64)
    expected = sampling.temporal_views(40, 4, 3).tolist()
    assert [codes(view) for view in clip] == expected
    crops = VideoDataset(records, PRE, ClipConfig(mode="eval", temporal_views=2, spatial_crops=3))
    assert crops[0].clip.shape == (6, 3, 4, 64, 64)


def test_a_corrupt_video_is_logged_counted_and_replaced_by_its_class(
    videos: list[Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 4096)
    records = [Rec(str(videos[0]), 0), Rec(str(broken), 0), Rec(str(videos[1]), 1)]
    dataset = VideoDataset(records, PRE, ClipConfig(mode="eval"))
    with caplog.at_level(logging.WARNING):
        sample = dataset[1]
    assert (sample.label, sample.record, sample.failed) == (0, 0, 1)
    assert dataset.failures == [1]
    assert "broken.mp4" in caplog.text


def test_a_class_with_no_decodable_video_fails_loudly(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 4096)
    dataset = VideoDataset([Rec(str(broken), 0)], PRE, ClipConfig(max_replacements=2))
    with pytest.raises(VideoDecodeError, match=r"record 0 .*broken\.mp4.* could not be decoded"):
        dataset[0]


def test_a_range_outside_the_video_is_a_decode_error(videos: list[Path]) -> None:
    dataset = VideoDataset([Rec(str(videos[0]), 0, 50, 60)], PRE, ClipConfig(max_replacements=0))
    with pytest.raises(VideoDecodeError, match="could not be decoded"):
        dataset[0]


def test_two_workers_give_the_same_clips_as_one_process(videos: list[Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"junk" * 1000)
    records = [Rec(str(v), i % 2) for i, v in enumerate(videos)] + [Rec(str(broken), 1)]
    dataset = VideoDataset(records, PRE, ClipConfig(mode="train", seed=7))

    def run(workers: int, epoch: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        dataset.set_epoch(epoch)
        loader = DataLoader(dataset, batch_size=2, num_workers=workers)
        batches = list(loader)
        clips = torch.cat([b.clip for b in batches])
        records_used = torch.cat([b.record for b in batches])
        return clips, records_used, sum(count_failures(b.failed) for b in batches)

    clips0, used0, failed0 = run(0, epoch=1)
    clips2, used2, failed2 = run(2, epoch=1)
    assert clips0.shape == (4, 3, 4, 64, 64)
    torch.testing.assert_close(clips0, clips2)
    assert used0.tolist() == used2.tolist()
    assert records[int(used0[3])].label_index == 1
    assert failed0 == failed2 == 1  # counted even when it happened inside a worker
    clips_next, _, _ = run(2, epoch=2)
    assert not torch.equal(clips_next, clips0)


def test_dataset_length_is_exact(videos: list[Path]) -> None:
    records = [Rec(str(v), 0) for v in videos]
    assert len(VideoDataset(records, PRE)) == 3
    assert np.unique(
        [VideoDataset(records, PRE, ClipConfig(mode="eval"))[i].record for i in range(3)]
    ).tolist() == [0, 1, 2]


def test_diving48_start_and_end_frames_are_the_frames_returned(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    import json

    from sportslens.data import from_diving48

    (tmp_path / "rgb").mkdir()
    annotations = [
        {"vid_name": "dive_a", "label": 3, "start_frame": 12, "end_frame": 27},
        {"vid_name": "dive_b", "label": 40, "start_frame": 0, "end_frame": 9},
    ]
    for entry in annotations:
        make_video(f"rgb/{entry['vid_name']}.mp4", frames=40, height=64, width=64)
    json_path = tmp_path / "Diving48_V2_test.json"
    json_path.write_text(json.dumps(annotations))
    catalog = from_diving48(json_path)
    assert catalog.splits == ("test",)

    dataset = VideoDataset(list(catalog), PRE, ClipConfig(mode="eval"))
    for i, entry in enumerate(annotations):
        sample = dataset[i]
        start, end = entry["start_frame"], entry["end_frame"]
        assert sample.label == entry["label"]
        assert codes(sample.clip) == sampling.uniform(40, 4, start=start, end=end).tolist()

    train = VideoDataset(list(catalog), PRE, ClipConfig(mode="train"))
    for epoch in range(5):
        train.set_epoch(epoch)
        returned = codes(train[0].clip)
        assert all(12 <= i <= 27 for i in returned), returned
