"""Run a function over many videos in threads, with a progress bar on stderr."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

from sportslens.progress import progress_bar

T = TypeVar("T")
R = TypeVar("R")


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
