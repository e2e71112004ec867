"""Fine-tune a registered model on a catalog: plain functions, one config, resumable.

``fit`` runs the epochs; ``train_one_epoch`` and ``evaluate`` do one pass each. Each epoch
appends a line to ``RUN_DIR/metrics.jsonl`` and writes ``RUN_DIR/last`` (resumable) and, when
the monitored validation metric improves, ``RUN_DIR/best``. Launched by ``torchrun`` it trains
with DistributedDataParallel; only rank 0 writes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from sportslens import distributed as dist
from sportslens.checkpoint import (
    CheckpointInfo,
    save_checkpoint,
)
from sportslens.data import VIDEO_EXTENSIONS, Catalog, ClipConfig, ClipDataset, count_failures
from sportslens.data.clip_cache import ClipCache
from sportslens.data.domain import data_domain
from sportslens.data.splits import data_root, load_splits, save_splits, split_catalog
from sportslens.messages import preview
from sportslens.metrics import confidence_threshold
from sportslens.models import VideoClassifier, create_model
from sportslens.models.heads import (
    HeadsKind,
    Objective,
    WithHeads,
    add_heads,
    class_objective,
    create_heads,
)
from sportslens.models.inputs import create_dataset
from sportslens.models.registry import get_entry, read_model_catalog
from sportslens.progress import progress_bar
from sportslens.resume import restore_run
from sportslens.sampling import Sampling
from sportslens.scores import predict_loader
from sportslens.transforms import Preprocess
from sportslens.typed_config import ConfigError, check_field_types, load_yaml_config

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Every training option; YAML files and command-line flags map one-to-one onto fields."""

    model: str = "r2plus1d_tiny"
    pretrained: str | None = None
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    frames: int | None = None
    """Frames per clip the model is built for, instead of its own (1: the single-frame
    baseline)."""
    size: int | None = None
    """Crop size the model is built for, instead of its own; the eval short side and the training
    scale follow at the model's own ratios (`transforms.scales_for_crop`)."""
    sampling: Sampling | None = None
    """How a clip's frames are picked, instead of the model's own: ``uniform`` (spread evenly),
    ``segments`` (TSN: ``frames / frames_per_segment`` segments, consecutive frames from each) or
    ``clip`` (consecutive frames ``sampling_rate`` apart). Saved with the checkpoint, so
    evaluation and prediction take its test-time counterpart (centred segments or clip)."""
    frames_per_segment: int | None = None
    """Consecutive frames from each segment (``sampling: segments``); default 1."""
    sampling_rate: int | None = None
    """Step between frames (``sampling: clip``), instead of the model's own."""
    train_scale: tuple[int, int] | None = None
    """Training short-side range (RandomShortSideScale), instead of the one that follows the
    crop at the model's ratios."""
    epochs: int = 30
    batch_size: int = 8
    accumulate: int = 1
    optimizer: Literal["adamw", "adam", "sgd"] = "adamw"  # adam means Adam with amsgrad
    lr: float = 2e-3
    weight_decay: float = 0.05
    momentum: float = 0.9
    schedule: Literal["cosine", "linear", "plateau", "constant"] = "cosine"
    warmup_epochs: float = 1.0
    clip_grad: float | None = 5.0
    label_smoothing: float = 0.1
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    """Mixed precision on CUDA; the CPU always trains in fp32."""
    freeze_backbone_epochs: int = 0
    early_stopping: int | None = None
    """Stop after this many epochs without a better validation top-1."""
    seed: int = 0
    workers: int = 2
    device: str = "auto"
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    split_strategy: Literal["random", "stratified", "group"] = "stratified"
    splits_file: str | None = None
    """A saved split to reuse (``sportslens split``); else one is made and saved in the run."""
    cache: str | None = None
    """A clip cache of the data (``sportslens cache``): frames are read from it, not decoded."""
    heads: HeadsKind = "class"
    """``attributes`` adds a head per dive attribute (labels must be dive numbers)."""
    head_weights: dict[str, float] = field(default_factory=dict)
    """Loss weight per head (class, direction, half_somersaults, half_twists, position); 1.0
    for any not given. Used with ``heads: attributes``."""

    def __post_init__(self) -> None:
        # Literal and other types are not enforced at run time; YAML or flags can hold anything.
        check_field_types(self)
        for name in ("epochs", "batch_size", "accumulate"):
            if getattr(self, name) < 1:
                raise ConfigError(name, f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("frames", "size", "frames_per_segment", "sampling_rate"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(name, f"{name} must be at least 1, got {value}")

    @classmethod
    def from_yaml(cls, path: Path, **overrides: Any) -> TrainConfig:
        """Read a YAML file whose keys are field names; ``overrides`` win over the file."""
        return load_yaml_config(cls, path, overrides, what="training options")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def prepare_catalog(data: Path, cfg: TrainConfig, run_dir: Path) -> Catalog:
    """The catalog with train/val/test splits: its own, a saved file, or a new seeded split."""
    catalog = read_model_catalog(cfg.model, data)  # videos, or keypoint files
    check_trainable(catalog, data)
    if catalog.problems and dist.is_main():
        log.warning("%s", left_out_message(catalog, data))
    if cfg.splits_file:
        catalog = load_splits(catalog, Path(cfg.splits_file), root=data_root(data))
    elif not {"train", "val"} <= set(catalog.splits):
        catalog = split_catalog(catalog, cfg.split, strategy=cfg.split_strategy, seed=cfg.seed)
    if dist.is_main():
        # Paths relative to the data root: `evaluate RUN --data NEW_ROOT` finds a moved dataset.
        save_splits(catalog, run_dir / "splits.csv", root=data_root(data))
    return catalog


def check_trainable(catalog: Catalog, data: Path) -> None:
    """Refuse a dataset with fewer than two classes: nothing to tell apart, top-1 always 1.0."""
    labels = sorted({record.label for record in catalog})
    if len(labels) < 2:
        found = f"every video is labelled {labels[0]!r}" if labels else "no labelled videos"
        raise ValueError(
            f"{data}: {found}; training needs at least two classes (with one, every "
            "prediction is right and a top-1 of 1.000 would mean nothing)"
        )


def left_out_message(catalog: Catalog, data: Path) -> str:
    """How many listed files training leaves out (missing, unreadable), why, and the first few."""
    by_reason: dict[str, list[str]] = {}
    for source, reason in catalog.problems:
        by_reason.setdefault(reason, []).append(Path(source).name)
    found = "; ".join(f"{reason}: {preview(names, 3)}" for reason, names in by_reason.items())
    count = len(catalog.problems)
    return (
        f"{data}: training leaves out {count} listed file{'' if count == 1 else 's'}; "
        f"{found}; `sportslens catalog {data}` lists them all"
    )


def build_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    # No weight decay on biases and norm scales: decaying them only hurts.
    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    groups = [
        {"params": decay, "weight_decay": cfg.weight_decay},
        {"params": rest, "weight_decay": 0.0},
    ]
    match cfg.optimizer:
        case "adamw":
            return torch.optim.AdamW(groups, lr=cfg.lr)
        case "adam":
            return torch.optim.Adam(groups, lr=cfg.lr, amsgrad=True)
        case "sgd":
            return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=True)


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau:
    """Per-step warm-up then cosine/linear decay; or per-epoch reduce-on-plateau."""
    if cfg.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=2)
    total = max(cfg.epochs * steps_per_epoch, 1)
    warmup = int(cfg.warmup_epochs * steps_per_epoch)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(total - warmup, 1)
        match cfg.schedule:
            case "cosine":
                return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
            case "linear":
                return max(1.0 - progress, 0.0)
            case _:
                return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _topk_correct(logits: torch.Tensor, labels: torch.Tensor, k: int) -> int:
    k = min(k, logits.shape[1])
    top = logits.topk(k, dim=1).indices  # (B, k)
    return int((top == labels[:, None]).any(dim=1).sum())


@dataclass
class Trainer:
    """What one training run holds between epochs (no logic beyond grouping)."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    scaler: torch.amp.GradScaler
    cfg: TrainConfig
    device: torch.device
    objective: Objective
    """(network outputs, labels) -> (loss, class logits)."""


def train_one_epoch(trainer: Trainer, loader: DataLoader[Any], epoch: int) -> dict[str, float]:
    """One pass over the training loader; returns loss, top-1/top-5, clips/s and failures."""
    cfg, model, device = trainer.cfg, trainer.model, trainer.device
    model.train()
    totals = {"loss": 0.0, "acc1": 0, "acc5": 0, "clips": 0, "failures": 0}
    start = time.perf_counter()
    trainer.optimizer.zero_grad(set_to_none=True)
    with progress_bar(enabled=dist.is_main()) as bar:
        task = bar.add_task(f"epoch {epoch + 1}/{cfg.epochs}", total=len(loader))
        for step, batch in enumerate(loader):
            clips, labels = batch.clip.to(device), batch.label.to(device)  # (B, C, T, H, W)
            with _autocast(cfg, device):
                total, logits = trainer.objective(model(clips), labels)  # logits (B, K)
                loss = total / cfg.accumulate
            # Tensor.backward carries no annotations in this torch's stubs.
            trainer.scaler.scale(loss).backward()  # type: ignore[no-untyped-call]
            if (step + 1) % cfg.accumulate == 0 or step + 1 == len(loader):
                _optimizer_step(trainer)
            totals["loss"] += float(loss.detach()) * cfg.accumulate * len(labels)
            totals["acc1"] += _topk_correct(logits.detach(), labels, 1)
            totals["acc5"] += _topk_correct(logits.detach(), labels, 5)
            totals["clips"] += len(labels)
            totals["failures"] += count_failures(batch.failed)
            bar.advance(task)
    totals = dist.sum_values(totals)
    clips = max(totals["clips"], 1)
    return {
        "train_loss": totals["loss"] / clips,
        "train_acc1": totals["acc1"] / clips,
        "train_acc5": totals["acc5"] / clips,
        "clips_per_s": totals["clips"] / (time.perf_counter() - start),
        "failures": totals["failures"],
    }


def _optimizer_step(trainer: Trainer) -> None:
    if trainer.cfg.clip_grad:
        trainer.scaler.unscale_(trainer.optimizer)
        nn.utils.clip_grad_norm_(trainer.model.parameters(), trainer.cfg.clip_grad)
    trainer.scaler.step(trainer.optimizer)
    trainer.scaler.update()
    trainer.optimizer.zero_grad(set_to_none=True)
    if isinstance(trainer.scheduler, torch.optim.lr_scheduler.LambdaLR):
        trainer.scheduler.step()


def _autocast(cfg: TrainConfig, device: torch.device) -> torch.autocast:
    enabled = device.type == "cuda" and cfg.precision != "fp32"
    dtype = torch.bfloat16 if cfg.precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype, enabled=enabled)


def validate(
    model: VideoClassifier, loader: DataLoader[Any], device: torch.device
) -> dict[str, float]:
    """Validation loss and top-1/top-5 (views averaged)."""
    out = predict_loader(model, loader, device)
    scores = torch.from_numpy(out["scores"].mean(axis=1))  # (N, K)
    labels = torch.from_numpy(out["labels"])
    loss = nn.functional.nll_loss(scores.clamp_min(1e-12).log(), labels)
    n = max(len(labels), 1)
    top, predicted = scores.max(dim=1)  # (N,) each
    return {
        "val_loss": float(loss),
        "val_acc1": _topk_correct(scores, labels, 1) / n,
        "val_acc5": _topk_correct(scores, labels, 5) / n,
        # The score under which answers are "unknown" (metrics.confidence_threshold).
        "val_confidence_threshold": confidence_threshold(
            top.numpy(), (predicted == labels).numpy()
        ),
    }


def build_loaders(
    catalog: Catalog, model: VideoClassifier, cfg: TrainConfig
) -> tuple[ClipDataset, DataLoader[Any], DataLoader[Any]]:
    """Training dataset and loaders for the train and val splits."""
    if cfg.cache is not None:
        ClipCache.open(cfg.cache).check_classes(catalog.classes)
    train_config = ClipConfig(mode="train", seed=cfg.seed, cache=cfg.cache)
    train_set = create_dataset(list(catalog.split("train")), model, train_config)
    val_set = create_dataset(
        list(catalog.split("val")), model, ClipConfig(mode="eval", cache=cfg.cache)
    )
    sampler: DistributedSampler[Any] | None = None
    if dist.is_distributed():
        sampler = DistributedSampler(train_set, seed=cfg.seed)
    train_loader = DataLoader(
        train_set,
        batch_size=cfg.batch_size,
        shuffle=sampler is None,
        sampler=sampler,
        num_workers=cfg.workers,
        generator=torch.Generator().manual_seed(cfg.seed),
        drop_last=len(train_set) > cfg.batch_size,
        persistent_workers=False,  # fresh workers each epoch see the dataset's new epoch
    )
    val_loader = DataLoader(val_set, batch_size=cfg.batch_size, num_workers=cfg.workers)
    return train_set, train_loader, val_loader


def create_training_model(cfg: TrainConfig, num_classes: int) -> VideoClassifier:
    """The model to fine-tune, built for ``cfg``'s clip length, crop size and sampling (or its
    own); its ``preprocess`` is what the checkpoint saves and evaluation and prediction read."""
    entry_spec = get_entry(cfg.model).preprocess
    sampled = resolve_sampling(cfg, entry_spec) if isinstance(entry_spec, Preprocess) else None
    if sampled is None and _sampling_options(cfg):
        raise ConfigError(
            "sampling",
            f"{cfg.model} reads keypoint sequences resampled to its clip length: "
            f"{', '.join(_sampling_options(cfg))} apply to video models only",
        )
    model = create_model(
        cfg.model,
        num_classes,
        pretrained=cfg.pretrained,
        clip_frames=cfg.frames,
        crop_size=cfg.size,
        **cfg.model_kwargs,
    )
    if sampled is not None and isinstance(model.preprocess, Preprocess):
        pre = model.preprocess  # the frames and sizes the builder settled on
        pre = pre.with_sampling(
            sampled.sampling,
            frames_per_segment=sampled.frames_per_segment,
            sampling_rate=sampled.sampling_rate,
        )
        if cfg.train_scale is not None:
            pre = dataclasses.replace(pre, train_scale=cfg.train_scale)
        model.preprocess = pre
    return model


def resolve_sampling(cfg: TrainConfig, model_spec: Preprocess) -> Preprocess:
    """The model's own preprocessing with ``cfg``'s frames and sampling, checked before building.

    A ``frames_per_segment`` or ``sampling_rate`` that the chosen sampling never reads is
    refused rather than silently ignored.
    """
    sampling = cfg.sampling or model_spec.sampling
    for name, used_by in (("frames_per_segment", "segments"), ("sampling_rate", "clip")):
        if getattr(cfg, name) is not None and sampling != used_by:
            raise ConfigError(
                name, f"{name} applies to sampling: {used_by}, but {cfg.model} samples {sampling}"
            )
    per_segment = cfg.frames_per_segment or 1
    frames = cfg.frames or model_spec.clip_frames
    if sampling == "segments" and frames % per_segment:
        raise ConfigError(
            "frames",
            f"{cfg.model}: frames={frames} is not a whole number of segments of "
            f"frames_per_segment={per_segment}; use a multiple of {per_segment}",
        )
    resolved = model_spec.with_input_size(clip_frames=frames, crop_size=cfg.size).with_sampling(
        sampling,
        frames_per_segment=per_segment if sampling == "segments" else None,
        sampling_rate=cfg.sampling_rate,
    )
    if cfg.train_scale is None:
        return resolved
    try:
        return dataclasses.replace(resolved, train_scale=cfg.train_scale)
    except ValueError as error:
        raise ConfigError("train_scale", f"{cfg.model}: {error}") from error


def _sampling_options(cfg: TrainConfig) -> list[str]:
    """The sampling fields ``cfg`` sets (not left to the model)."""
    names = ("sampling", "frames_per_segment", "sampling_rate", "train_scale")
    return [name for name in names if getattr(cfg, name) is not None]


EpochHook = Callable[[int, dict[str, float]], None]


def fit(
    data: Path,
    run_dir: Path,
    cfg: TrainConfig,
    *,
    resume: bool = False,
    on_epoch_end: EpochHook | None = None,
) -> dict[str, float]:
    """Train ``cfg.model`` on ``data``'s train split, validating each epoch; returns the best."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    dist.setup()
    device = dist.device_for(resolve_device(cfg.device))
    torch.manual_seed(cfg.seed)
    catalog = prepare_catalog(data, cfg, run_dir)
    model = create_training_model(cfg, len(catalog.classes)).to(device)
    network, objective, heads = _objective(model, catalog, cfg)
    train_set, train_loader, val_loader = build_loaders(catalog, model, cfg)
    wrapped = dist.wrap(network, device)
    optimizer = build_optimizer(wrapped, cfg)
    trainer = Trainer(
        model=wrapped,
        optimizer=optimizer,
        scheduler=build_scheduler(optimizer, cfg, max(len(train_loader) // cfg.accumulate, 1)),
        scaler=torch.amp.GradScaler(device.type, enabled=cfg.precision == "fp16"),
        cfg=cfg,
        device=device,
        objective=objective,
    )
    info = CheckpointInfo(
        model=cfg.model,
        classes=list(catalog.classes),
        preprocess=model.preprocess,
        build_kwargs=dict(model.build_kwargs),
        # Absolute, so the run finds its data from any working folder; everything else in the
        # run names videos relative to it (splits.csv).
        train_config=cfg.to_dict() | {"data": os.path.abspath(data)},  # noqa: PTH100
        heads=heads,
        data_domain=data_domain(data),
        clip_seconds=training_clip_seconds(catalog),
    )
    start_epoch, best, history = (
        restore_run(run_dir, trainer, model, info) if resume else (0, -1.0, [])
    )
    stale = 0
    for epoch in range(start_epoch, cfg.epochs):
        row = _run_epoch(trainer, model, train_set, train_loader, val_loader, epoch)
        history.append(row)
        improved = row["val_acc1"] > best
        best, stale = (row["val_acc1"], 0) if improved else (best, stale + 1)
        _save_epoch(run_dir, model, info, trainer, epoch, best, history, improved)
        if on_epoch_end is not None:
            on_epoch_end(epoch, row)
        if cfg.early_stopping is not None and stale >= cfg.early_stopping:
            break
    dist.cleanup()
    return max(history, key=lambda r: r["val_acc1"]) if history else {}


def training_clip_seconds(catalog: Catalog, limit: int = 20) -> float | None:
    """Median length in seconds of (up to ``limit``) training videos or segments: the span a
    model learnt to label as one action, against which ``predict`` finds a video long."""
    from sportslens.video import probe

    lengths = []
    for record in list(catalog.split("train"))[:limit]:
        if Path(record.source).suffix.lower() not in VIDEO_EXTENSIONS:
            return None  # keypoint files (or a URL): no video to measure here
        info = probe(record.source)
        if record.start_frame is not None and record.end_frame is not None:
            lengths.append((record.end_frame - record.start_frame + 1) / info.fps)
        else:
            lengths.append(info.duration)
    return float(sorted(lengths)[len(lengths) // 2]) if lengths else None


def _objective(
    model: VideoClassifier, catalog: Catalog, cfg: TrainConfig
) -> tuple[nn.Module, Objective, dict[str, list[str]]]:
    """The network to train, its loss, and the extra heads to record (``cfg.heads``)."""
    heads = create_heads(cfg.heads, catalog.classes)
    if heads is None:
        return model, class_objective(cfg.label_smoothing), {}
    objective = heads.objective(cfg.head_weights, cfg.label_smoothing)
    add_heads(model, heads.values)
    return WithHeads(model), objective, {k: list(v) for k, v in heads.values.items()}


def _run_epoch(
    trainer: Trainer,
    model: VideoClassifier,
    train_set: ClipDataset,
    train_loader: DataLoader[Any],
    val_loader: DataLoader[Any],
    epoch: int,
) -> dict[str, float]:
    cfg = trainer.cfg
    train_set.set_epoch(epoch)
    if isinstance(train_loader.sampler, DistributedSampler):
        train_loader.sampler.set_epoch(epoch)
    if isinstance(train_loader.generator, torch.Generator):
        train_loader.generator.manual_seed(cfg.seed * 10_000 + epoch)  # same order on resume
    for parameter in model.backbone_parameters():
        parameter.requires_grad = epoch >= cfg.freeze_backbone_epochs
    start = time.perf_counter()
    row: dict[str, float] = {"epoch": epoch + 1, "lr": trainer.optimizer.param_groups[0]["lr"]}
    row |= train_one_epoch(trainer, train_loader, epoch)
    row |= dist.from_main(lambda: validate(model, val_loader, trainer.device))
    row["seconds"] = round(time.perf_counter() - start, 3)  # training and validation
    if isinstance(trainer.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        trainer.scheduler.step(row["val_acc1"])
    if row["failures"]:
        log.warning("epoch %d: %d undecodable videos were replaced", epoch + 1, row["failures"])
    return row


def _save_epoch(
    run_dir: Path,
    model: VideoClassifier,
    info: CheckpointInfo,
    trainer: Trainer,
    epoch: int,
    best: float,
    history: list[dict[str, float]],
    improved: bool,
) -> None:
    if not dist.is_main():
        return
    with (run_dir / "metrics.jsonl").open("a") as log:
        log.write(json.dumps(history[-1]) + "\n")
    info.metrics = {"best_val_acc1": best, **history[-1]}
    state = {
        "epoch": epoch + 1,
        "best": best,
        "history": history,
        "optimizer": trainer.optimizer.state_dict(),
        "scheduler": trainer.scheduler.state_dict(),
        "scaler": trainer.scaler.state_dict(),
        "torch_rng": torch.get_rng_state(),
    }
    # best/ first: last/ records the best score, and a kill between the two writes must not
    # leave a recorded best that best/ does not hold (resume reconciles the other way round).
    if improved:
        save_checkpoint(run_dir / "best", model, info)
    save_checkpoint(run_dir / "last", model, info, training_state=state)
