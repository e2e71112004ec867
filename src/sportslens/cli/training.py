"""Commands that train and judge models: train, evaluate, compare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sportslens.cli.app import Opt, app, console, reports_errors


@app.command()
@reports_errors
def train(
    data: Annotated[Path, typer.Argument(help="A dataset any catalog reader understands.")],
    out: Annotated[Path, Opt(help="The run folder (checkpoints, metrics.jsonl, splits.csv).")],
    model: Annotated[str | None, Opt(help="A registered model (sportslens models).")] = None,
    config: Annotated[Path | None, Opt(help="A YAML file of TrainConfig fields.")] = None,
    weights: Annotated[
        str | None, Opt("--weights", "--pretrained", help="kinetics400, a hub id or a path.")
    ] = None,
    epochs: Annotated[int | None, Opt()] = None,
    batch_size: Annotated[int | None, Opt()] = None,
    accumulate: Annotated[int | None, Opt(help="Gradient accumulation steps.")] = None,
    optimizer: Annotated[str | None, Opt(help="adamw, adam (amsgrad) or sgd.")] = None,
    lr: Annotated[float | None, Opt()] = None,
    weight_decay: Annotated[float | None, Opt()] = None,
    schedule: Annotated[str | None, Opt(help="cosine, linear, plateau or constant.")] = None,
    warmup_epochs: Annotated[float | None, Opt()] = None,
    clip_grad: Annotated[float | None, Opt()] = None,
    label_smoothing: Annotated[float | None, Opt()] = None,
    precision: Annotated[str | None, Opt(help="fp32, bf16 or fp16 (CUDA only).")] = None,
    freeze_backbone_epochs: Annotated[int | None, Opt()] = None,
    early_stopping: Annotated[int | None, Opt(help="Patience in epochs.")] = None,
    frames: Annotated[int | None, Opt(help="Override the model's frames per clip.")] = None,
    size: Annotated[int | None, Opt(help="Override the model's crop size.")] = None,
    seed: Annotated[int | None, Opt()] = None,
    workers: Annotated[int | None, Opt(help="DataLoader workers.")] = None,
    device: Annotated[str | None, Opt(help="auto, cpu, cuda, cuda:1 ...")] = None,
    split_strategy: Annotated[str | None, Opt(help="random, stratified or group.")] = None,
    splits_file: Annotated[str | None, Opt(help="A saved split CSV to reuse.")] = None,
    heads: Annotated[
        str | None, Opt(help="class, or attributes: also a head per dive attribute.")
    ] = None,
    head_weight: Annotated[
        list[str] | None, Opt(help="A head's loss weight, e.g. position=2 (repeat).")
    ] = None,
    resume: Annotated[bool, Opt("--resume", help="Continue from RUN_DIR/last.")] = False,
) -> None:
    """Fine-tune a model on a dataset; checkpoints and metrics go to the run folder."""
    from sportslens.train import TrainConfig, fit

    given = dict(locals())
    names = [f for f in TrainConfig.__dataclass_fields__ if f not in ("pretrained",)]
    overrides = {k: given[k] for k in names if given.get(k) is not None}
    if head_weight:
        overrides["head_weights"] = _weights(head_weight)
    if weights is not None:
        overrides["pretrained"] = weights
    cfg = TrainConfig.from_yaml(config, **overrides) if config else TrainConfig(**overrides)
    best = fit(data, out, cfg, resume=resume)
    console.print(f"best validation top-1 {best.get('val_acc1', 0):.3f}; checkpoints in {out}")


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
    run_dir: Annotated[Path, typer.Argument(help="A training run folder.")],
    data: Annotated[Path | None, Opt(help="Another dataset (default: the run's own).")] = None,
    split: Annotated[str, Opt(help="Which split to evaluate.")] = "test",
    views: Annotated[int, Opt(help="Temporal clips per video (softmax averaged).")] = 1,
    crops: Annotated[int, Opt(help="Spatial crops per clip: 1 or 3.")] = 1,
    workers: Annotated[int, Opt()] = 2,
    out: Annotated[Path | None, Opt(help="Where to write the report (default: RUN_DIR).")] = None,
) -> None:
    """Clip and video accuracy, per-class report, confusion matrix: metrics.json + report.html."""
    from sportslens.evaluate import EvalConfig, evaluate_run

    if crops not in (1, 3):
        raise ValueError(f"crops must be 1 or 3, got {crops}")
    cfg = EvalConfig(data=data, split=split, views=views, crops=crops, workers=workers)
    paths = evaluate_run(run_dir, cfg, out)
    summary = json.loads(paths["metrics"].read_text())
    console.print(
        f"{summary['num_videos']} videos: video top-1 {summary['video_acc1']:.3f}, "
        f"top-{summary['topk']} {summary['video_acc_topk']:.3f}, "
        f"clip top-1 {summary['clip_acc1']:.3f}, mean class {summary['video_mean_class_acc']:.3f}"
    )
    console.print(f"report: {paths['html']}", soft_wrap=True)


@app.command()
@reports_errors
def compare(
    runs: Annotated[list[Path], typer.Argument(help="Evaluated run folders.")],
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
    typer.echo(format_markdown(compare_runs(rows)))
