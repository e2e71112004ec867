"""Run a function over many items in threads, with a progress bar on stderr."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

T = TypeVar("T")
R = TypeVar("R")


def progress_bar(*, enabled: bool = True) -> Progress:
    """The progress bar every long sportslens job shows: description, bar, n/N, time left."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


def thread_map(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int,
    description: str,
    progress: bool = True,
) -> list[R]:
    """``[function(item) for item in items]`` on ``workers`` threads, results in input order.

    Threads suit video work: PyAV releases the GIL while it demuxes and decodes.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    results: list[R | None] = [None] * len(items)
    with progress_bar(enabled=progress) as bar, ThreadPoolExecutor(max_workers=workers) as pool:
        task = bar.add_task(description, total=len(items))
        futures = {pool.submit(function, item): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            bar.advance(task)
    return results  # type: ignore[return-value]  # every slot was filled above
