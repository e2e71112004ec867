"""`sportslens cache`, then `train --cache`, `evaluate --cache` and `bench data --cache`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from typer.testing import CliRunner

from conftest import TINY_TRAINING, MakeVideo
from sportslens.cli import app
from sportslens.data import ClipConfig, VideoDataset, read_catalog
from sportslens.data.clip_cache import CacheMismatchError
from sportslens.transforms import Preprocess

runner = CliRunner()


def _run(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY_TRAINING, "split": list(TINY_TRAINING["split"])}))
    return path


def _metrics(run: Path) -> list[dict[str, float]]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    for row in rows:  # timings differ between any two runs
        del row["seconds"], row["clips_per_s"]
    return rows


def test_training_and_evaluating_from_the_cache_match_decoding(
    athletes: Path, config: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    # TINY_TRAINING crops 32 px: training decodes at short side 41, evaluation at 37.
    summary = json.loads(
        _run(["cache", str(athletes), "--out", str(cache), "--size", "32", "--json"])
    )
    assert summary["videos"] == 15 and summary["cached"] == 15 and summary["failed"] == 0
    assert summary["spec"]["short_sides"] == [41, 37]
    again = json.loads(
        _run(["cache", str(athletes), "--out", str(cache), "--size", "32", "--json"])
    )
    assert again["reused"] == 15 and again["cached"] == 0

    runs = {}
    for name, extra in (("decoded", []), ("cached", ["--cache", str(cache)])):
        runs[name] = tmp_path / name
        base = ["train", str(athletes), "--out", str(runs[name]), "--config", str(config)]
        _run([*base, "--epochs", "2", *extra])
    # Bit-exact clips, the same seeds: the same losses and accuracies, epoch by epoch.
    assert _metrics(runs["cached"]) == _metrics(runs["decoded"])

    for name, extra in (("decoded", []), ("cached", ["--cache", str(cache)])):
        _run(["evaluate", str(runs["decoded"]), "--out", str(tmp_path / f"eval-{name}"), *extra])
    scores = [
        json.loads((tmp_path / f"eval-{name}" / "metrics.json").read_text())
        for name in ("decoded", "cached")
    ]
    assert scores[0]["video_acc1"] == scores[1]["video_acc1"]
    assert scores[0]["clip_acc1"] == scores[1]["clip_acc1"]
    train_only = tmp_path / "train-only"
    _run(["cache", str(athletes), "--out", str(train_only), "--short-side", "41", "--json"])
    result = runner.invoke(app, ["evaluate", str(runs["decoded"]), "--cache", str(train_only)])
    assert result.exit_code != 0
    assert "evaluation (resize) reads 37" in " ".join(result.output.split())


def test_training_with_a_cache_for_another_crop_is_refused(
    athletes: Path, config: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    _run(["cache", str(athletes), "--out", str(cache), "--json"])  # the model's own 112 px crop
    result = runner.invoke(
        app, ["train", str(athletes), "--out", str(tmp_path / "run"), "--config", str(config),
              "--cache", str(cache)],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "short side [144, 128] px, but training (train_scale high) reads 41" in " ".join(
        result.output.split()
    )


def test_bench_data_times_decoding_and_the_cache_side_by_side(
    athletes: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    _run(["cache", str(athletes), "--out", str(cache), "--size", "32", "--json"])
    args = ["bench", "data", str(athletes), "--cache", str(cache), "--workers", "0"]
    rows = json.loads(_run([*args, "--frames", "4", "--size", "32", "--json"]))
    assert [row["frames_from"] for row in rows] == ["decoding", "cache"]
    assert rows[0]["clips"] == rows[1]["clips"] == 15
    assert all(row["clips_per_cpu_s"] > 0 for row in rows)


def test_the_720p_bench_dataset_is_two_classes_of_720p_clips(tmp_path: Path) -> None:
    from sportslens.bench import ensure_bench_dataset
    from sportslens.data import read_catalog
    from sportslens.video import probe

    ensure_bench_dataset(tmp_path / "bench", 3, seconds=0.2)
    catalog = read_catalog(tmp_path / "bench")
    assert catalog.classes == ("class_0", "class_1") and len(catalog.records) == 3
    info = probe(catalog.records[0].source)
    assert (info.width, info.height, info.num_frames) == (1280, 720, 6)


def test_diving48_segments_from_the_cache_equal_decoded_ones(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    (tmp_path / "rgb").mkdir()
    for name in ("dive_a", "dive_b"):
        make_video(f"rgb/{name}.mp4", frames=30, height=64, width=96)
    annotations = tmp_path / "Diving48_V2_train.json"
    entries = [
        {"vid_name": "dive_a", "label": 3, "start_frame": 4, "end_frame": 19},
        {"vid_name": "dive_b", "label": 47, "start_frame": 10, "end_frame": 29},
        {"vid_name": "dive_a", "label": 47, "start_frame": 20, "end_frame": 29},
    ]
    annotations.write_text(json.dumps(entries))
    cache = tmp_path / "cache"
    summary = json.loads(
        _run(["cache", str(annotations), "--out", str(cache), "--short-side", "48", "--json"])
    )
    assert summary["videos"] == 2  # dive_a's two segments share one cached video
    records = list(read_catalog(annotations))
    pre = Preprocess(clip_frames=4, crop_size=32, resize=40, train_scale=(36, 48))
    pre = pre.with_sampling("segments", frames_per_segment=2)
    decoded = VideoDataset(records, pre, ClipConfig(mode="train", seed=1))
    cached = VideoDataset(records, pre, ClipConfig(mode="train", seed=1, cache=str(cache)))
    for i in range(len(records)):
        assert torch.equal(cached[i].clip, decoded[i].clip)
    with pytest.raises(CacheMismatchError, match=r"evaluation \(resize\) reads 40"):
        VideoDataset(records, pre, ClipConfig(mode="eval", cache=str(cache)))
