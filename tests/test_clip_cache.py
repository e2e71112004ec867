"""The clip cache: cached clips equal decoded ones, mismatches are refused, runs resume."""

from __future__ import annotations

import dataclasses
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import MakeVideo
from sportslens.data.cache_writer import build_cache, cache_video
from sportslens.data.clip_cache import CacheMismatchError, CacheSpec, ClipCache, video_key
from sportslens.data.dataset import ClipConfig, VideoDataset
from sportslens.transforms import Preprocess
from sportslens.video import VideoDecodeError, read_frames

# Landscape 64x96 frames; training decodes at short side 48 (train_scale high), evaluation at 40.
PRE = Preprocess(clip_frames=4, crop_size=32, resize=40, train_scale=(36, 48))
SPEC = CacheSpec(short_sides=(48, 40))


@dataclass(frozen=True)
class Rec:
    source: str
    label_index: int
    start_frame: int | None = None
    end_frame: int | None = None


@pytest.fixture
def videos(make_video: MakeVideo) -> list[Path]:
    return [make_video(f"v{i}.mp4", frames=30 + 5 * i, height=64, width=96) for i in range(3)]


@pytest.fixture
def records(videos: list[Path]) -> list[Rec]:
    """Whole videos and ``[start, end]`` segments, two of them of one video (cached once)."""
    return [
        Rec(str(videos[0]), 0),
        Rec(str(videos[1]), 1, start_frame=3, end_frame=20),
        Rec(str(videos[1]), 0, start_frame=21, end_frame=34),
        Rec(str(videos[2]), 1, start_frame=30),
    ]


def _build(records: list[Rec], out: Path, spec: CacheSpec = SPEC) -> ClipCache:
    build_cache([r.source for r in records], spec, out, data="videos", classes=["a", "b"])
    return ClipCache.open(out)


SAMPLINGS = [
    PRE,
    PRE.with_sampling("segments", frames_per_segment=2),
    PRE.with_sampling("clip", sampling_rate=3),
]


@pytest.mark.parametrize("pre", SAMPLINGS, ids=lambda p: p.sampling)
def test_training_clips_from_the_cache_equal_decoded_ones(
    records: list[Rec], tmp_path: Path, pre: Preprocess
) -> None:
    _build(records, tmp_path / "cache")
    decoded = VideoDataset(records, pre, ClipConfig(mode="train", seed=5))
    cached = VideoDataset(
        records, pre, ClipConfig(mode="train", seed=5, cache=str(tmp_path / "cache"))
    )
    for epoch in range(3):  # fresh random indices, scales, crops and flips every epoch
        decoded.set_epoch(epoch)
        cached.set_epoch(epoch)
        for i in range(len(records)):
            # Lossless frames scaled by the same FFmpeg call: bit for bit the decoded clip.
            assert torch.equal(cached[i].clip, decoded[i].clip)


@pytest.mark.parametrize("pre", SAMPLINGS, ids=lambda p: p.sampling)
def test_evaluation_views_from_the_cache_equal_decoded_ones(
    records: list[Rec], tmp_path: Path, pre: Preprocess
) -> None:
    _build(records, tmp_path / "cache")
    config = ClipConfig(mode="eval", temporal_views=2, spatial_crops=3)
    decoded = VideoDataset(records, pre, config)
    cached = VideoDataset(records, pre, dataclasses.replace(config, cache=str(tmp_path / "cache")))
    for i in range(len(records)):
        assert cached[i].clip.shape == (6, 3, 4, 32, 32)  # (V * crops, C, T, H, W)
        assert torch.equal(cached[i].clip, decoded[i].clip)


def test_jpeg_frames_stay_within_compression_error(records: list[Rec], tmp_path: Path) -> None:
    cache = _build(records, tmp_path / "cache", CacheSpec((48,), "jpeg"))
    indices = np.array([0, 7, 7, 29, 3])  # any order, repeats
    source = records[0].source
    cached = cache.read_frames(source, indices, 48).int()
    decoded = read_frames(source, indices, size=48).int()  # (T, C, H, W)
    assert cached.shape == decoded.shape == (5, 3, 48, 72)
    # Quality 95 JPEG: about one grey level on average on these sharp-edged test codes.
    assert (cached - decoded).abs().float().mean() < 3.0


def test_a_video_shard_streams_as_a_webdataset_sample(records: list[Rec], tmp_path: Path) -> None:
    cache = _build(records, tmp_path / "cache")
    entry = cache.entries[records[0].source]
    with tarfile.open(tmp_path / "cache" / entry.shard) as tar:
        names = tar.getnames()
    key = video_key(records[0].source)
    assert names[:2] == [f"{key}.s48.f000000.webp", f"{key}.s48.f000001.webp"]
    assert len(names) == 2 * 30 and {name.split(".")[0] for name in names} == {key}


def test_a_cache_for_another_short_side_is_refused(records: list[Rec], tmp_path: Path) -> None:
    _build(records, tmp_path / "cache")
    bigger = dataclasses.replace(PRE, train_scale=(36, 56))
    with pytest.raises(CacheMismatchError, match=r"short side \[48, 40\] px, but training .* 56"):
        VideoDataset(records, bigger, ClipConfig(mode="train", cache=str(tmp_path / "cache")))
    other_eval = dataclasses.replace(PRE, resize=44)
    with pytest.raises(CacheMismatchError, match=r"evaluation \(resize\) reads 44"):
        VideoDataset(records, other_eval, ClipConfig(mode="eval", cache=str(tmp_path / "cache")))


def test_a_cache_of_other_videos_or_labels_is_refused(
    records: list[Rec], make_video: MakeVideo, tmp_path: Path
) -> None:
    cache = _build(records[:2], tmp_path / "cache")
    with pytest.raises(CacheMismatchError, match=r"1 video\(s\) are not in the cache.*v2\.mp4"):
        VideoDataset(records, PRE, ClipConfig(cache=str(tmp_path / "cache")))
    with pytest.raises(CacheMismatchError, match="classes"):
        cache.check_classes(["a", "c"])
    cache.check_classes(["a", "b"])
    make_video("v0.mp4", frames=31, height=64, width=96)  # rewritten since it was cached
    with pytest.raises(CacheMismatchError, match=r"changed since they were cached.*v0\.mp4"):
        VideoDataset(records[:2], PRE, ClipConfig(cache=str(tmp_path / "cache")))


def test_an_interrupted_cache_is_refused_then_resumed(records: list[Rec], tmp_path: Path) -> None:
    out = tmp_path / "cache"
    seen: list[str] = []

    def stop_after_two(entry: object, reused: bool) -> None:
        seen.append("reused" if reused else "cached")
        if len(seen) == 2:
            raise KeyboardInterrupt

    sources = [r.source for r in records]
    with pytest.raises(KeyboardInterrupt):
        build_cache(sources, SPEC, out, data="videos", classes=["a"], on_video=stop_after_two)
    (out / "shards" / "junk.tar.partial").write_bytes(b"half a shard")  # killed mid-video
    with pytest.raises(CacheMismatchError, match=r"unfinished \(2 of 3 videos\).*sportslens cache"):
        ClipCache.open(out)
    first = out / "shards" / f"{video_key(sources[0])}.tar"
    written = first.stat().st_mtime_ns
    with pytest.raises(CacheMismatchError, match=r"settings \(short_sides \[48, 40\] vs \[40\]"):
        build_cache(sources, CacheSpec((40,)), out, data="videos", classes=["a"])
    kinds: list[bool] = []
    build_cache(
        sources, SPEC, out, data="videos", classes=["a"], on_video=lambda _, r: kinds.append(r)
    )
    assert kinds == [True, True, False]  # v0 and v1 from the first run; v2 is new
    assert first.stat().st_mtime_ns == written  # not decoded again
    cache = ClipCache.open(out)
    assert sorted(e.num_frames for e in cache.entries.values()) == [30, 35, 40]


def test_a_corrupt_video_is_reported_skipped_and_replaced(
    records: list[Rec], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"junk" * 1000)
    with_broken = [*records, Rec(str(broken), 1)]
    cache = _build(with_broken, tmp_path / "cache")
    info = json.loads((tmp_path / "cache" / "cache.json").read_text())
    assert [f["source"] for f in info["failed"]] == [str(broken)]
    assert not list((tmp_path / "cache" / "shards").glob("broken*"))
    with pytest.raises(VideoDecodeError, match="cached as undecodable"):
        cache.frame_count(str(broken))
    dataset = VideoDataset(with_broken, PRE, ClipConfig(cache=str(tmp_path / "cache")))
    sample = dataset[4]
    assert sample.failed == 4 and with_broken[sample.record].label_index == 1
    assert "skipping undecodable video" in caplog.text


def test_cache_video_returns_the_entry_it_writes(videos: list[Path], tmp_path: Path) -> None:
    entry = cache_video(videos[0], CacheSpec((40,)), tmp_path)
    assert entry.num_frames == 30 and entry.error is None
    saved = json.loads((tmp_path / "entries" / f"{entry.key}.json").read_text())
    assert saved == entry.to_dict()
    ranges = (entry.frames or {})["40"]
    assert (tmp_path / entry.shard).stat().st_size > sum(int(n) for _, n in ranges)


def test_worker_processes_write_the_same_cache(records: list[Rec], tmp_path: Path) -> None:
    sources = [r.source for r in records]
    for workers, name in ((1, "one"), (2, "two")):
        build_cache(sources, SPEC, tmp_path / name, data="v", classes=["a"], workers=workers)
    one, two = ClipCache.open(tmp_path / "one"), ClipCache.open(tmp_path / "two")
    assert list(one.entries) == list(two.entries)  # the catalog's order, whoever finished first
    for entry in one.entries.values():
        assert (tmp_path / "one" / entry.shard).read_bytes() == (
            tmp_path / "two" / entry.shard
        ).read_bytes()
