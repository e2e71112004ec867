"""The Typer application, its shared console and the error handling every command uses."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

import sportslens
from sportslens.engines.work import EngineError

if TYPE_CHECKING:
    from rich.table import Table

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


def print_titled(table: Table, title: str) -> None:
    """``table`` under ``title`` on a line of its own, for titles that name files.

    A table's own title wraps at the table's width and breaks a file name wider than that
    mid-word; a line of its own is soft-wrapped (the terminal wraps it), so a name copied from
    it stays whole.
    """
    from rich.text import Text

    console.print(Text(title, style="table.title"), soft_wrap=True)  # Text: no markup in names
    console.print(table)


P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a bad input (a ValueError, such as VideoDecodeError), a missing extra or an engine
    that cannot run into a message and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (ValueError, FileNotFoundError, ImportError, EngineError) as error:
            # escape: the message is text, and "pip install 'sportslens[pose]'" is not markup
            message = escape(str(error))
            errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
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


def deprecated(old: str, new: str) -> Any:
    """A hidden option under its old spelling; read it with ``renamed`` (docs/cli.md lists them).

    Old spellings keep working for one release, with a warning that names the new one.
    """
    return typer.Option(old, hidden=True, help=f"Deprecated: use {new}.")


def renamed(value: T, old_value: T | None, old: str, new: str) -> T:
    """The option's value, taken from its old spelling (with a warning) when that was given."""
    if old_value is None or old_value is False:
        return value
    errors.print(f"[yellow]warning:[/] {old} is deprecated; use {new}", highlight=False)
    return old_value


def save_folder(command: str) -> Path:
    """A new numbered folder for ``--save``: ``runs/<command>/<command>N``."""
    from sportslens.runs import next_run_dir

    return next_run_dir(command)


def results_saved(folder: Path, *, as_json: bool = False) -> None:
    """Say where ``--save`` wrote; on stderr under ``--json`` so stdout stays pure JSON."""
    (errors if as_json else console).print(
        f"Results saved to [bold]{folder}[/]", soft_wrap=True, highlight=False
    )


def video_sources(items: list[str], suffixes: frozenset[str] | None = None) -> list[str]:
    """INPUT arguments as sources: a file, a folder (its videos), a glob pattern or a URL."""
    from sportslens.sources import VIDEO_EXTENSIONS, expand_sources

    return expand_sources(items, suffixes or VIDEO_EXTENSIONS)


def torch_device(name: str) -> str:
    """``--device``: ``auto`` picks CUDA when there is one, else the CPU."""
    from sportslens.train import resolve_device

    try:
        return str(resolve_device(name))
    except RuntimeError as error:  # torch's "Invalid device string", a traceback otherwise
        raise ValueError(f"--device {name!r}: {error}; use {DEVICE_HELP}") from error


DEVICE_HELP = "auto (CUDA when available), cpu, cuda, cuda:1 ..."
WEIGHTS_HELP = "With --model: a name the model lists (sportslens models), a hub id or a local path."


def one_run(run: Path | None, checkpoint: Path | None) -> Path:
    """The run named by the positional RUN or by --checkpoint (the one vocabulary)."""
    if run is not None and checkpoint is not None and run != checkpoint:
        raise ValueError(f"two runs given: {run} and --checkpoint {checkpoint}; give one")
    chosen = run or checkpoint
    if chosen is None:
        raise ValueError("which run? give RUN or --checkpoint RUN")
    return chosen
