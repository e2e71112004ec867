"""The ``sportslens`` command line: thin commands over the library."""

from __future__ import annotations

import functools
import json
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

console = Console()
errors = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a bad input (a ValueError, such as VideoDecodeError) into a message and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (ValueError, FileNotFoundError, ImportError) as error:
            errors.print(f"[bold red]error:[/] {error}", highlight=False)
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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a video's facts: frames, fps, duration, size, codec, rotation."""
    info = sportslens.probe(video)
    if as_json:
        print_json(info.to_dict())
        return
    table = Table(show_header=False, box=None)
    for key, value in info.to_dict().items():
        table.add_row(f"[bold]{key}[/]", f"{value:.3f}" if isinstance(value, float) else str(value))
    console.print(table)


@bench_app.command("decode")
@reports_errors
def bench_decode(
    videos: Annotated[
        Path, typer.Option(help="Folder for the generated test videos (reused between runs).")
    ] = Path("bench_videos"),
    repeats: Annotated[int, typer.Option(help="Runs per measurement; the median is shown.")] = 5,
    frames: Annotated[int, typer.Option(help="Uniformly sampled frames per clip.")] = 16,
    size: Annotated[int, typer.Option(help="Output side in pixels (square).")] = 112,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Time read_frames against the naive way and the decode-everything limit."""
    from sportslens.bench import bench_decode as run
    from sportslens.bench import ensure_bench_videos

    with console.status("generating benchmark videos (first run only)"):
        paths = ensure_bench_videos(videos)
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
