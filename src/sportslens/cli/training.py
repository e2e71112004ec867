"""Commands that train and judge models: train, evaluate, compare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sportslens.cli.app import (
    Opt,
    app,
    console,
    one_run,
    print_json,
    reports_errors,
)
from sportslens.cli.epochs import EpochRows, percent

# TrainConfig's defaults, shown by `train --help` without importing torch (train.py does);
# tests/test_cli_vocabulary.py checks they equal TrainConfig()'s.
TRAIN_DEFAULTS: dict[str, Any] = {
    "model": "r2plus1d_tiny",
    "epochs": 30,
    "batch_size": 8,
    "accumulate": 1,
    "optimizer": "adamw",
    "lr": 2e-3,
    "weight_decay": 0.05,
    "schedule": "cosine",
    "warmup_epochs": 1.0,
    "clip_grad": 5.0,
    "label_smoothing": 0.1,
    "precision": "fp32",
    "freeze_backbone_epochs": 0,
    "seed": 0,
    "workers": 2,
    "device": "auto",
    "split_strategy": "stratified",
    "heads": "class",
}


def _default(name: str, help: str, default: str | None = None) -> Any:
    """An option whose default comes from TrainConfig (a YAML --config can change it)."""
    shown = default if default is not None else str(TRAIN_DEFAULTS[name])
    # In the help text: typer shows a string show_default as "[default: (30)]".
    return Opt(help=f"{help} (default: {shown})", show_default=False)


@app.command()
@reports_errors
def train(
    data: Annotated[Path, typer.Argument(help="A dataset any catalog reader understands.")],
    out: Annotated[Path, Opt(help="The run folder (checkpoints, metrics.jsonl, splits.csv).")],
    model: Annotated[
        str | None, _default("model", "A registered model (sportslens models).")
    ] = None,
    config: Annotated[
        str | None,
        Opt(
            help="A YAML file of TrainConfig fields, or a shipped recipe's name (sportslens "
            "recipes).",
            show_default=False,
        ),
    ] = None,
    weights: Annotated[
        str | None,
        Opt(
            "--weights",
            "--pretrained",
            help="Start from these weights: a name the model lists (kinetics400), a hub id or a "
            "local path (default: none, random initialisation).",
            show_default=False,
        ),
    ] = None,
    epochs: Annotated[int | None, _default("epochs", "Passes over the training split.")] = None,
    batch_size: Annotated[int | None, _default("batch_size", "Clips per step.")] = None,
    accumulate: Annotated[
        int | None, _default("accumulate", "Gradient accumulation steps.")
    ] = None,
    optimizer: Annotated[str | None, _default("optimizer", "adamw, adam (amsgrad) or sgd.")] = None,
    lr: Annotated[float | None, _default("lr", "Peak learning rate.")] = None,
    weight_decay: Annotated[
        float | None, _default("weight_decay", "Decoupled weight decay.")
    ] = None,
    schedule: Annotated[
        str | None, _default("schedule", "cosine, linear, plateau or constant.")
    ] = None,
    warmup_epochs: Annotated[
        float | None, _default("warmup_epochs", "Linear warm-up length.")
    ] = None,
    clip_grad: Annotated[float | None, _default("clip_grad", "Gradient norm limit.")] = None,
    label_smoothing: Annotated[float | None, _default("label_smoothing", "0 = none.")] = None,
    precision: Annotated[
        str | None, _default("precision", "fp32, bf16 or fp16 (CUDA only).")
    ] = None,
    freeze_backbone_epochs: Annotated[
        int | None, _default("freeze_backbone_epochs", "Train only the head this many epochs.")
    ] = None,
    early_stopping: Annotated[
        int | None, _default("early_stopping", "Patience in epochs.", "off")
    ] = None,
    frames: Annotated[int | None, _default("frames", "Frames per clip.", "the model's own")] = None,
    size: Annotated[
        int | None, _default("size", "Square crop side in pixels.", "the model's own")
    ] = None,
    sampling: Annotated[
        str | None,
        _default(
            "sampling",
            "uniform, segments (TSN: frames / frames-per-segment segments) or clip "
            "(consecutive frames, sampling-rate apart); saved with the checkpoint.",
            "the model's own",
        ),
    ] = None,
    frames_per_segment: Annotated[
        int | None,
        _default("frames_per_segment", "Consecutive frames per segment (segments).", "1"),
    ] = None,
    sampling_rate: Annotated[
        int | None,
        _default("sampling_rate", "Step between frames (clip).", "the model's own"),
    ] = None,
    seed: Annotated[int | None, _default("seed", "The same seed gives the same run.")] = None,
    workers: Annotated[int | None, _default("workers", "DataLoader workers.")] = None,
    device: Annotated[str | None, _default("device", "auto, cpu, cuda, cuda:1 ...")] = None,
    split_strategy: Annotated[
        str | None, _default("split_strategy", "random, stratified or group.")
    ] = None,
    splits_file: Annotated[
        str | None, _default("splits_file", "A saved split CSV to reuse.", "a new split")
    ] = None,
    cache: Annotated[
        str | None,
        Opt(
            help="Read frames from this clip cache of DATA (sportslens cache) instead of "
            "decoding the videos; same clips, cheaper epochs.",
            show_default=False,
        ),
    ] = None,
    heads: Annotated[
        str | None, _default("heads", "class, or attributes: also a head per dive attribute.")
    ] = None,
    head_weight: Annotated[
        list[str] | None, Opt(help="A head's loss weight, e.g. position=2 (repeat).")
    ] = None,
    resume: Annotated[bool, Opt("--resume", help="Continue from RUN_DIR/last.")] = False,
    as_json: Annotated[
        bool, Opt("--json", help="Print the best epoch as JSON (no per-epoch rows).")
    ] = False,
) -> None:
    """Fine-tune a model on a dataset; checkpoints and metrics go to the run folder (--out)."""
    from sportslens.train import TrainConfig, fit

    given = dict(locals())
    names = [f for f in TrainConfig.__dataclass_fields__ if f not in ("pretrained",)]
    overrides = {k: given[k] for k in names if given.get(k) is not None}
    if head_weight:
        overrides["head_weights"] = _weights(head_weight)
    if weights is not None:
        overrides["pretrained"] = weights
    if config:
        from sportslens.recipes import recipe_path

        cfg = TrainConfig.from_yaml(recipe_path(config), **overrides)
    else:
        cfg = TrainConfig(**overrides)
    rows = EpochRows(console, total=cfg.epochs, enabled=not as_json)
    best = fit(data, out, cfg, resume=resume, on_epoch_end=rows.add)
    next_step = f"sportslens evaluate --checkpoint {out}"
    if as_json:
        print_json({"run": str(out), "best": best, "next": next_step})
        return
    console.print(
        f"best validation accuracy {percent(best.get('val_acc1', 0))} "
        f"(epoch {int(best.get('epoch', 0))}); checkpoints in {out}",
        soft_wrap=True,
    )
    console.print(f"next: [bold]{next_step}[/]", soft_wrap=True, highlight=False)


def _weights(pairs: list[str]) -> dict[str, float]:
    """``["position=2", "class=0.5"]`` → ``{"position": 2.0, "class": 0.5}``."""
    weights = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError as error:
            raise ValueError(f"--head-weight wants NAME=NUMBER, got {pair!r}") from error
    return weights


@app.command()
@reports_errors
def evaluate(
    run: Annotated[
        Path | None, typer.Argument(help="A training run folder (same as --checkpoint).")
    ] = None,
    checkpoint: Annotated[Path | None, Opt(help="A run folder or checkpoint folder.")] = None,
    data: Annotated[
        Path | None,
        Opt(
            help="The dataset, e.g. moved to a new root (default: the run's own; its split is "
            "reused when the videos are found there)."
        ),
    ] = None,
    split: Annotated[str, Opt(help="Which split to evaluate.")] = "test",
    views: Annotated[int, Opt(help="Temporal clips per video (softmax averaged).")] = 1,
    crops: Annotated[int, Opt(help="Spatial crops per clip: 1 or 3.")] = 1,
    batch_size: Annotated[int, Opt(help="Clips per forward pass.")] = 8,
    workers: Annotated[int, Opt(help="DataLoader workers.")] = 2,
    device: Annotated[str, Opt(help="auto, cpu, cuda, cuda:1 ...")] = "auto",
    out: Annotated[Path | None, Opt(help="Report folder (default: the run folder).")] = None,
    cache: Annotated[
        Path | None,
        Opt(help="Read frames from this clip cache of the data (sportslens cache)."),
    ] = None,
    as_json: Annotated[bool, Opt("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Clip and video accuracy, per-class report, confusion matrix: metrics.json + report.html."""
    from sportslens.evaluate import EvalConfig, evaluate_run
    from sportslens.train import resolve_device

    run_dir = one_run(run, checkpoint)
    if crops not in (1, 3):
        raise ValueError(f"crops must be 1 or 3, got {crops}")
    cfg = EvalConfig(
        data=data, split=split, views=views, crops=crops, batch_size=batch_size,
        workers=workers, device=str(resolve_device(device)), cache=cache,
    )  # fmt: skip
    paths = evaluate_run(run_dir, cfg, out)
    summary = json.loads(paths["metrics"].read_text())
    if as_json:
        print_json(summary | {"report": str(paths["html"])})
        return
    console.print(
        f"{summary['num_videos']} videos: video top-1 {percent(summary['video_acc1'])}, "
        f"top-{summary['topk']} {percent(summary['video_acc_topk'])}, "
        f"clip top-1 {percent(summary['clip_acc1'])}, "
        f"mean class {percent(summary['video_mean_class_acc'])}"
    )
    console.print(f"report: {paths['html']}", soft_wrap=True)


@app.command()
@reports_errors
def compare(
    runs: Annotated[list[Path], typer.Argument(help="Evaluated run folders.")],
    as_json: Annotated[bool, Opt("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """The side-by-side table a paper would show: model, frames, resolution, accuracy, cost."""
    from sportslens.report import compare_runs, format_markdown

    rows = []
    for run in runs:
        metrics, info = run / "metrics.json", run / "model_info.json"
        if not metrics.is_file():
            raise ValueError(f"{run}: no metrics.json; run sportslens evaluate {run} first")
        facts = json.loads(info.read_text()) if info.is_file() else {}
        rows.append(
            {"name": run.name, "metrics": json.loads(metrics.read_text()), "model_info": facts}
        )
    if as_json:  # what each run recorded, accuracies as fractions like metrics.json
        print_json(rows)
        return
    typer.echo(format_markdown(compare_runs(rows)))


@app.command()
@reports_errors
def recipes(
    as_json: Annotated[bool, Opt("--json", help="Print the recipes as JSON.")] = False,
) -> None:
    """The shipped training recipes: what each reproduces and the result the original reported."""
    from rich.markup import escape

    from sportslens.recipes import list_recipes

    found = list_recipes()
    if as_json:
        print_json(
            [
                {"name": r.name, "reproduces": r.reproduces, "reported": r.reported,
                 "data": r.data, "hardware": r.hardware, "path": str(r.path)}
                for r in found
            ]
        )  # fmt: skip
        return
    for recipe in found:
        console.print(f"[bold]{recipe.name}[/]", highlight=False)
        for key in ("reproduces", "reported"):
            text = escape(getattr(recipe, key))
            console.print(f"  {key}: {text}", soft_wrap=True, highlight=False)
    console.print(
        "next: [bold]sportslens train DATA --out RUN --config NAME[/] (docs/recipes.md)",
        highlight=False,
    )
