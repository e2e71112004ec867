"""What ``sportslens timeline`` prints and where ``--save`` writes, for one timeline or a lane
per person (:mod:`sportslens.cli.timeline_lanes`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sportslens.cli.app import console, errors, print_titled

if TYPE_CHECKING:
    from sportslens.timeline import Timeline


def saved_paths(folder: Path, video: str) -> dict[str, Path | None]:
    """Where ``--save`` writes one video's files: ``<stem>.json/.csv/.png/.mp4``."""
    stem = Path(video.split("?")[0]).stem or "video"
    return {
        "out": folder / f"{stem}.json",
        "csv": folder / f"{stem}.csv",
        "plot": folder / f"{stem}.png",
        "overlay": folder / f"{stem}.mp4",
        "clips": None,
    }


@contextmanager
def progress_bar(name: str, total: float, unit: str) -> Iterator[Callable[[float], None]]:
    """A progress bar on stderr; ``advance(done)`` sets how much of ``total`` is done."""
    columns = (
        TextColumn(name),
        BarColumn(),
        TextColumn(f"{{task.completed:.1f}}/{{task.total:.1f}} {unit}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=errors, transient=True) as bar:
        task = bar.add_task(name, total=total)
        yield lambda done: bar.update(task, completed=done)


def print_segments(result: Timeline) -> None:
    # The count in the title is the table's row count: actions plus background (dim) rows.
    actions, background = len(result.actions), len(result.segments) - len(result.actions)
    title = (
        f"{result.source}: {len(result.segments)} segments ({actions} actions, "
        f"{background} background) in {result.duration:.1f} s "
        f"(window {result.window_frames} frames, stride {result.stride_frames}; "
        f"{result.timing.get('realtime', 0):.1f}x real time)"
    )
    table = Table()
    counted = any(s.repetitions is not None for s in result.segments)
    columns = ["#", "label", "start", "end", "seconds", "mean", "peak"] + ["reps"] * counted
    for column in columns:
        table.add_column(column, justify="left" if column == "label" else "right")
    for i, s in enumerate(result.segments, start=1):
        style = "dim" if s.background else None
        cells = [f"{v:.2f}" for v in (s.start, s.end, s.duration, s.mean_score, s.peak_score)]
        if counted:
            cells.append("" if s.repetitions is None else str(s.repetitions.count))
        label = f"unknown ({s.label})" if s.answer == "unknown" else s.label
        table.add_row(str(i), label, *cells, style=style)
    print_titled(table, title)
    if result.data_domain is not None:
        console.print(f"model trained on: {result.data_domain}")
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
