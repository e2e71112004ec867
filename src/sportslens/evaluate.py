"""Evaluate a trained run on a split: predictions, model facts, and the written report."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from torch.utils.flop_counter import FlopCounterMode

from sportslens.checkpoint import CheckpointInfo, checkpoint_heads, load_checkpoint
from sportslens.data import Catalog, ClipConfig
from sportslens.data.clip_cache import ClipCache
from sportslens.data.splits import data_root, load_splits, read_split_file
from sportslens.metrics import Predictions, misclassified, video_level
from sportslens.models import InputAdapter, VideoClassifier
from sportslens.models.heads import HeadsRecorder
from sportslens.models.inputs import create_dataset, example_input
from sportslens.models.registry import read_model_catalog
from sportslens.scores import predict_loader
from sportslens.video import VideoDecodeError


@dataclass(frozen=True)
class EvalConfig:
    """Which data, which split and how many views per video."""

    data: Path | None = None
    """The dataset; by default the one the run was trained on, with the run's saved splits."""
    split: str = "test"
    views: int = 1
    """Temporal clips per video; the video's prediction averages their softmax."""
    crops: int = 1
    """Spatial crops per clip: 1 (centre) or 3 (the multi-view test protocol)."""
    batch_size: int = 8
    workers: int = 2
    device: str = "cpu"
    cache: Path | None = None
    """A clip cache of the data (``sportslens cache``): frames are read from it, not decoded."""


def evaluation_catalog(run_dir: Path, info: CheckpointInfo, data: Path | None) -> Catalog:
    """The catalog to evaluate: the run's own data and splits unless another is given.

    Given ``data`` (a moved copy of the dataset, say), the run's split is reused when its videos
    are found there, each path taken below the new root; data holding none of them keeps its own
    splits.
    """
    trained_on = info.train_config.get("data")
    source = Path(data or trained_on or "")
    if not str(source):
        raise ValueError(f"{run_dir}: the run does not record its data; pass --data")
    catalog = read_model_catalog(info.model, source)  # videos, or keypoint files
    if list(catalog.classes) != info.classes:
        raise ValueError(
            f"{source}: its classes {list(catalog.classes)[:5]}… differ from the model's "
            f"{info.classes[:5]}…; evaluate on data with the classes the model was trained on"
        )
    splits = run_dir / "splits.csv"
    if not splits.is_file():
        return catalog
    where = {
        "root": data_root(source),
        "moved_from": data_root(trained_on) if data is not None and trained_on else None,
    }
    if data is not None and not _lists_any(catalog, read_split_file(splits, **where)):
        return catalog  # other data with the same classes: its own splits
    return load_splits(catalog, splits, **where)


def _lists_any(catalog: Catalog, splits: dict[tuple[str, int | None, int | None], Any]) -> bool:
    return any(record.key in splits for record in catalog)


def predict_split(
    model: VideoClassifier,
    catalog: Catalog,
    cfg: EvalConfig,
    recorder: HeadsRecorder | None = None,
) -> tuple[Predictions, list[str]]:
    """Clip-level predictions (one row per view) for every video of ``cfg.split``; the extra
    heads' outputs go to ``recorder`` from the same pass."""
    records = list(catalog.split(cfg.split))
    cache = None if cfg.cache is None else str(cfg.cache)
    if cache is not None:
        ClipCache.open(cache).check_classes(catalog.classes)
    clip_cfg = ClipConfig(
        mode="eval", temporal_views=cfg.views, spatial_crops=3 if cfg.crops == 3 else 1, cache=cache
    )
    dataset = create_dataset(records, model, clip_cfg)
    loader = DataLoader(dataset, batch_size=cfg.batch_size, num_workers=cfg.workers)
    out = predict_loader(model, loader, torch.device(cfg.device), progress=True, recorder=recorder)
    n, views, k = out["scores"].shape  # (N, V, K)
    sources = [records[i].source for i in out["records"]]
    predictions = Predictions(
        scores=out["scores"].reshape(n * views, k),
        labels=np.repeat(out["labels"], views),
        video_ids=np.repeat(np.arange(n), views),
        class_names=list(catalog.classes),
        sources=np.repeat(np.asarray(sources), views),
    )
    return predictions, sources


def model_facts(model: VideoClassifier, info: CheckpointInfo, repeats: int = 5) -> dict[str, Any]:
    """Parameters, GFLOPs per clip (counted by PyTorch), and median latency for one clip."""
    pre = model.preprocess
    device = next(model.parameters()).device  # evaluate --device cuda puts the model there
    clip = example_input(model).to(device)  # (1, C, T, H, W), or (1, C, T, V, M) for keypoints
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(clip)
    times = []
    with torch.no_grad():
        for _ in range(repeats):
            start = time.perf_counter()
            model(clip)
            times.append((time.perf_counter() - start) * 1000)
    return {
        "name": info.model,
        "params": sum(p.numel() for p in model.parameters()),
        "gflops": counter.get_total_flops() / 2e9,  # multiply-adds count twice in FLOPs
        "latency_ms": statistics.median(times),
        # What the latency was measured under: one clip at a time, alone on this device.
        "latency_measured_on": (
            f"{_device_name(clip.device)}, batch 1, {torch.get_num_threads()} CPU threads, "
            "no other load"
        ),
        "frames": pre.clip_frames,
        "resolution": model.input_adapter.describe(pre),
        "pretrained_on": info.train_config.get("pretrained") or "none",
    }


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return "CPU"


def misclassified_gallery(
    predictions: Predictions, adapter: InputAdapter, limit: int = 8
) -> list[tuple[str, Any]]:
    """A few frames side by side for the most confidently misclassified videos.

    Empty when the catalog's sources show no frames (keypoint files).
    """
    wrong = misclassified(video_level(predictions), top=limit)
    gallery = []
    for row in wrong.itertuples():
        source = str(row.source)
        try:
            frames = adapter.preview(source, count=4, size=96)  # (4, C, H, W) uint8
        except VideoDecodeError:
            continue
        if frames is None:
            continue
        strip = np.concatenate([f.permute(1, 2, 0).numpy() for f in frames], axis=1)
        gallery.append((f"{Path(source).name}: {row.true_label} → {row.predicted_label}", strip))
    return gallery


def evaluate_run(run_dir: Path, cfg: EvalConfig, out_dir: Path | None = None) -> dict[str, Path]:
    """Evaluate ``run_dir``'s best checkpoint and write metrics.json, report.md, report.html."""
    from sportslens.report import write_report

    run_dir = Path(run_dir)
    model, info = load_checkpoint(run_dir, cfg.device)
    catalog = evaluation_catalog(run_dir, info, cfg.data)
    heads = checkpoint_heads(info)
    recorder = heads.recorder() if heads is not None else None
    predictions, _ = predict_split(model, catalog, cfg, recorder)
    facts = model_facts(model, info)
    history_file = run_dir / "metrics.jsonl"
    history = (
        [json.loads(line) for line in history_file.read_text().splitlines()]
        if history_file.is_file()
        else []
    )
    out = out_dir or run_dir
    paths = write_report(
        out,
        predictions,
        history=history,
        model_info=facts,
        gallery=misclassified_gallery(predictions, model.input_adapter),
        sections=[recorder.section()] if recorder is not None else [],
    )
    (Path(out) / "model_info.json").write_text(json.dumps(facts, indent=2))
    return paths
