"""The ``sportslens`` command line: thin commands over the library."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

import sportslens

app = typer.Typer(
    help="Recognise actions in sports video.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
bench_app = typer.Typer(help="Benchmarks against the usual ways of doing the same job.")
app.add_typer(bench_app, name="bench")

# Piped output is read by people too (logs, CI): do not squeeze tables into 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)

Opt = typer.Option
P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a bad input (a ValueError, such as VideoDecodeError) into a message and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (ValueError, FileNotFoundError, ImportError) as error:
            errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from error

    return wrapper


def _version(value: bool) -> None:
    if value:
        console.print(f"sportslens {sportslens.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Recognise actions in sports video."""


def print_json(data: Any) -> None:
    """Machine output: plain JSON on stdout, nothing else."""
    typer.echo(json.dumps(data, indent=2, default=str))


@app.command()
@reports_errors
def probe(
    video: Annotated[str, typer.Argument(help="A video path or fsspec URL.")],
    sample: Annotated[
        int, typer.Option(help="Also read this many uniformly sampled frames and time it.")
    ] = 0,
    size: Annotated[int, typer.Option(help="Short side of the sampled frames.")] = 112,
    sheet: Annotated[
        Path | None, typer.Option(help="Write the sampled frames as a contact sheet PNG.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a video's facts: frames, fps, duration, size, codec, rotation; optionally sample it."""
    info = sportslens.probe(video)
    facts = info.to_dict()
    if sample or sheet:
        facts["sample"] = _sample(video, info.num_frames, sample or 16, size, sheet)
    if as_json:
        print_json(facts)
        return
    table = Table(show_header=False, box=None)
    for key, value in facts.items():
        table.add_row(f"[bold]{key}[/]", f"{value:.3f}" if isinstance(value, float) else str(value))
    console.print(table)


def _sample(
    video: str, num_frames: int, count: int, size: int, sheet: Path | None
) -> dict[str, Any]:
    """Read ``count`` uniform frames, time it, and optionally save them as a contact sheet."""
    import time

    from sportslens.sampling import uniform

    indices = uniform(num_frames, count)
    start = time.perf_counter()
    frames = sportslens.read_frames(video, indices, size=size)  # (T, C, H, W) uint8
    elapsed_ms = (time.perf_counter() - start) * 1000
    if sheet is not None:
        from torchvision.utils import save_image

        sheet.parent.mkdir(parents=True, exist_ok=True)
        save_image(frames.float() / 255, sheet, nrow=min(8, count), padding=2)
    return {
        "indices": indices.tolist(),
        "shape": list(frames.shape),
        "ms": round(elapsed_ms, 1),
        "sheet": str(sheet) if sheet else None,
    }


@app.command()
@reports_errors
def synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder for <class>/ videos and labels.csv.")],
    classes: Annotated[
        list[str] | None, Opt("--classes", help="Exercise names (repeat); default: six.")
    ] = None,
    per_class: Annotated[int, Opt(help="Clips per class.")] = 50,
    frames: Annotated[int | None, Opt(help="Frames per clip (overrides --seconds).")] = None,
    seconds: Annotated[float, Opt(help="Clip length.")] = 3.0,
    fps: Annotated[float, Opt()] = 30.0,
    size: Annotated[int, Opt(help="Square frame side in pixels (even).")] = 160,
    seed: Annotated[int, Opt(help="The same seed gives the same videos.")] = 0,
    workers: Annotated[int, Opt(help="Parallel processes.")] = 2,
) -> None:
    """Generate labelled synthetic athletes (videos, keypoints, labels.csv), deterministically."""
    from sportslens.data.synth import DEFAULT_CLASSES, make_dataset

    chosen = classes or list(DEFAULT_CLASSES)
    make_dataset(
        out_dir,
        classes=chosen,
        per_class=per_class,
        num_frames=frames,
        seconds=seconds,
        fps=fps,
        size=size,
        seed=seed,
        workers=workers,
    )
    console.print(f"wrote {per_class * len(chosen)} clips of {len(chosen)} classes to {out_dir}")


@app.command()
@reports_errors
def catalog(
    data: Annotated[
        Path, typer.Argument(help="A class-per-folder tree, labels.csv, Diving48 JSON or CSV.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Write catalog.csv/.parquet, class_counts.png and contact_sheet.png."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Decode every video fully to find corrupt ones.")
    ] = False,
    workers: Annotated[int, typer.Option(help="Parallel probes / checks.")] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Describe a dataset: videos per class, durations, unreadable files; optionally draw it."""
    from sportslens.data import class_summary, read_catalog

    found = read_catalog(data)
    frame = found.to_dataframe(workers=workers, progress=not as_json)
    summary = class_summary(frame)
    bad = _check_videos(found, workers, progress=not as_json) if check else []
    if out is not None:
        _write_catalog_outputs(found, frame, out)
    if as_json:
        print_json(
            {
                "videos": len(found),
                "classes": summary.reset_index().to_dict(orient="records"),
                "problems": [list(p) for p in found.problems],
                "undecodable": [list(b) for b in bad],
            }
        )
    else:
        _print_catalog(found, summary, bad, out)
    if bad:
        raise typer.Exit(1)


def _check_videos(found: Any, workers: int, *, progress: bool) -> list[tuple[str, str]]:
    from sportslens.data.health import find_undecodable

    return find_undecodable([r.source for r in found], workers=workers, progress=progress)


def _write_catalog_outputs(found: Any, frame: Any, out: Path) -> None:
    from sportslens.data.visualize import plot_class_counts, plot_contact_sheet

    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "catalog.csv", index=False)
    try:
        frame.to_parquet(out / "catalog.parquet", index=False)
    except ImportError:
        errors.print("catalog.parquet skipped: pip install pyarrow")
    plot_class_counts(found.class_counts(), out / "class_counts.png")
    plot_contact_sheet(list(found), out / "contact_sheet.png")


def _print_catalog(found: Any, summary: Any, bad: list[tuple[str, str]], out: Path | None) -> None:
    table = Table(title=f"{found.name}: {len(found)} videos, {len(found.classes)} classes")
    for column in ["class", "videos", "unreadable", "min s", "mean s", "max s"]:
        table.add_column(column, justify="left" if column == "class" else "right")
    for name, row in summary.iterrows():
        durations = [f"{row[k]:.1f}" for k in ("duration_min", "duration_mean", "duration_max")]
        counts = [str(int(row[k])) for k in ("videos", "unreadable")]
        table.add_row(str(name), *counts, *durations)
    table.add_section()
    table.add_row("total", str(int(summary["videos"].sum())), str(int(summary["unreadable"].sum())))
    console.print(table)
    for path, reason in [*found.problems, *bad]:
        errors.print(f"[yellow]skipped[/] {path}: {reason}", highlight=False, soft_wrap=True)
    if out is not None:
        console.print(f"wrote catalog.csv, catalog.parquet and plots to {out}", soft_wrap=True)


@app.command()
@reports_errors
def split(
    data: Annotated[Path, typer.Argument(help="A dataset any reader understands.")],
    out: Annotated[Path, typer.Option(help="Where to save the splits CSV.")],
    fractions: Annotated[
        tuple[float, float, float], typer.Option(help="train, val and test fractions.")
    ] = (0.8, 0.1, 0.1),
    strategy: Annotated[
        str, typer.Option(help="random, stratified (by class) or group (cross-subject).")
    ] = "stratified",
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same split.")] = 0,
) -> None:
    """Split a dataset reproducibly and save the assignment as CSV for later runs."""
    from sportslens.data import read_catalog, save_splits, split_catalog

    if strategy not in ("random", "stratified", "group"):
        raise ValueError(f"strategy must be random, stratified or group, got {strategy!r}")
    done = split_catalog(read_catalog(data), fractions, strategy=strategy, seed=seed)  # type: ignore[arg-type]
    save_splits(done, out)
    counts = {name: len(done.split(name)) for name in done.splits}
    console.print(f"{len(done)} videos → {counts}; saved to {out}")


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
    resume: Annotated[bool, Opt("--resume", help="Continue from RUN_DIR/last.")] = False,
) -> None:
    """Fine-tune a model on a dataset; checkpoints and metrics go to the run folder."""
    from sportslens.train import TrainConfig, fit

    given = dict(locals())
    names = [f for f in TrainConfig.__dataclass_fields__ if f not in ("pretrained",)]
    overrides = {k: given[k] for k in names if given.get(k) is not None}
    if weights is not None:
        overrides["pretrained"] = weights
    cfg = TrainConfig.from_yaml(config, **overrides) if config else TrainConfig(**overrides)
    best = fit(data, out, cfg, resume=resume)
    console.print(f"best validation top-1 {best.get('val_acc1', 0):.3f}; checkpoints in {out}")


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


@app.command()
@reports_errors
def predict(
    videos: Annotated[list[str], typer.Argument(help="Video paths or URLs.")],
    checkpoint: Annotated[Path | None, Opt(help="A run folder or checkpoint folder.")] = None,
    model: Annotated[str | None, Opt(help="A registered model, with --weights.")] = None,
    weights: Annotated[str | None, Opt("--weights", "--pretrained")] = None,
    top_k: Annotated[int, Opt(help="Labels to show per video.")] = 5,
    sports_only: Annotated[
        bool, Opt("--sports-only", help="Kinetics-400 models: rank only its 134 sports classes.")
    ] = False,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Top-k labels with scores for each video (batched)."""
    from sportslens.predict import Predictor

    if checkpoint is not None:
        predictor = Predictor.from_checkpoint(checkpoint)
    elif model is not None and weights is not None:
        predictor = Predictor.from_pretrained(model, weights)
    else:
        raise ValueError("give --checkpoint RUN_DIR, or --model NAME with --weights")
    allowed = None
    if sports_only:
        from sportslens.labels import kinetics400_classes, sports_indices

        if predictor.classes != kinetics400_classes():
            raise ValueError("--sports-only needs a model with the 400 Kinetics-400 classes")
        allowed = sports_indices()
    results = predictor.predict_many(videos, top_k=top_k, allowed=allowed)
    if as_json:
        print_json([r.to_dict() for r in results])
        return
    for result in results:
        table = Table(title=result.source, show_header=False)
        for name, score in zip(result.labels, result.scores, strict=True):
            table.add_row(name, f"{score:.3f}")
        console.print(table)


@app.command()
@reports_errors
def models(as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False) -> None:
    """Every registered model: family, parameters, default frames and input size, weights."""
    from sportslens.models.summary import model_table

    rows = model_table()
    if as_json:
        print_json(rows)
        return
    table = Table()
    for column in ["model", "family", "params (M)", "frames", "input", "weights"]:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(
            row["model"],
            row["family"],
            f"{row['params_m']:.2f}",
            str(row["frames"]),
            f"{row['crop_size']}x{row['crop_size']}",
            ", ".join(row["weights"]) or "-",
        )
    console.print(table)


@app.command()
@reports_errors
def labels(
    vocabulary: Annotated[str, typer.Argument(help="kinetics400")],
    sports: Annotated[bool, Opt("--sports", help="Only the sports subset, by sport.")] = False,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Print a label vocabulary (index and name), or the Kinetics-400 sports subset by sport."""
    from sportslens.labels import SPORT_GROUPS, kinetics400_classes

    if vocabulary != "kinetics400":
        raise ValueError(f"unknown vocabulary {vocabulary!r}; known: kinetics400")
    names = kinetics400_classes()
    if sports:
        groups = {group: list(members) for group, members in SPORT_GROUPS.items()}
        if as_json:
            print_json(groups)
            return
        for group, members in groups.items():
            console.print(f"[bold]{group}[/] ({len(members)}): {', '.join(members)}")
        return
    if as_json:
        print_json(names)
        return
    for index, name in enumerate(names):
        typer.echo(f"{index}\t{name}")


@bench_app.command("decode")
@reports_errors
def bench_decode(
    videos: Annotated[
        Path, typer.Option(help="Folder for the generated test videos (reused between runs).")
    ] = Path("bench_videos"),
    repeats: Annotated[int, typer.Option(help="Runs per measurement; the median is shown.")] = 5,
    frames: Annotated[int, typer.Option(help="Uniformly sampled frames per clip.")] = 16,
    size: Annotated[int, typer.Option(help="Output side in pixels (square).")] = 112,
    seconds: Annotated[float, typer.Option(help="Length of the generated videos.")] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Time read_frames against the naive way and the decode-everything limit.

    Videos: 30 fps H.264 at 320x240, 640x360 and 1280x720, each with x264's default keyframe
    interval and with a keyframe every 30 frames; decoded with 1 and with 2 threads.
    """
    from sportslens.bench import bench_decode as run
    from sportslens.bench import bench_videos, ensure_bench_videos

    with console.status("generating benchmark videos (first run only)"):
        paths = ensure_bench_videos(videos, bench_videos(seconds))
    with console.status("timing decoders"):
        rows = run(paths, num_frames=frames, size=size, repeats=repeats)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"median ms for {frames} uniform frames at {size}x{size}")
    for column in [
        "video",
        "threads",
        "read_frames",
        "naive",
        "decode all",
        "vs naive",
        "vs limit",
    ]:
        table.add_column(column, justify="left" if column == "video" else "right")
    for row in rows:
        table.add_row(
            row["video"],
            str(row["threads"]),
            f"{row['read_frames_ms']:.0f}",
            f"{row['naive_ms']:.0f}",
            f"{row['decode_all_ms']:.0f}",
            f"{row['speedup_vs_naive']:.2f}x",
            f"{row['ratio_to_decode_all']:.2f}x",
        )
    console.print(table)


def main() -> None:
    """Entry point of the ``sportslens`` console script."""
    app()


@bench_app.command("models")
@reports_errors
def bench_models(
    names: Annotated[
        list[str] | None, typer.Argument(help="Models (default: one per family).")
    ] = None,
    batch_size: Annotated[int, Opt()] = 2,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Forward+backward clips/s on this machine for each model at its default input."""
    from sportslens.bench import FAMILY_REPRESENTATIVES
    from sportslens.bench import bench_models as run

    with console.status("timing models"):
        rows = run(names or FAMILY_REPRESENTATIVES, batch_size=batch_size)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"forward+backward, batch {batch_size}, CPU")
    for column in ["model", "family", "input (TxHxW)", "params (M)", "clips/s"]:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(
            row["model"],
            row["family"],
            row["input"],
            f"{row['params_m']:.1f}",
            f"{row['clips_per_s']:.2f}",
        )
    console.print(table)


@bench_app.command("data")
@reports_errors
def bench_data(
    data: Annotated[Path, typer.Argument(help="A dataset (e.g. from sportslens synth).")],
    workers: Annotated[list[int] | None, Opt("--workers", help="Worker counts to try.")] = None,
    frames: Annotated[int, Opt()] = 16,
    size: Annotated[int, Opt(help="Crop size.")] = 112,
    batch_size: Annotated[int, Opt()] = 8,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Training clips/s a DataLoader delivers over one epoch, per number of workers."""
    from sportslens.bench import bench_loader
    from sportslens.data import read_catalog
    from sportslens.transforms import Preprocess

    short = round(size * 8 / 7)
    pre = Preprocess(num_frames=frames, crop_size=size, resize=short, train_scale=(size, short))
    rows = bench_loader(
        list(read_catalog(data)), pre, workers=workers or [0, 2], batch_size=batch_size
    )
    if as_json:
        print_json(rows)
        return
    for row in rows:
        console.print(
            f"workers={row['workers']}: {row['clips_per_s']:.1f} clips/s "
            f"({row['clips']} clips of {frames}x{size}x{size} in {row['seconds']:.1f} s)"
        )
