"""The local engine: this process for one worker, else a pool of spawned processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from sportslens.engines.work import Outcome, Worker, describe_error

T = TypeVar("T")
R = TypeVar("R")

# The worker of this process, built by the pool's initializer (one per process, so a model
# loads once per process and not once per item), or the error that building it raised: that
# error is raised again for each item, so a missing extra stops the run with its own message
# instead of breaking the pool.
_worker: Callable[[Any], Any] | BaseException | None = None


def run_local(
    items: Sequence[T],
    make_worker: Callable[[], Worker[T, R]],
    workers: int,
    stop_on: tuple[type[BaseException], ...],
) -> Iterator[Outcome[T, R]]:
    """Outcomes as they finish, from this process (one worker or one item) or a process pool."""
    if workers == 1 or len(items) <= 1:
        if items:
            work = make_worker()
            for item in items:
                yield _attempt(work, item, stop_on)
        return
    # "spawn": a forked child would inherit MediaPipe's and torch's threads in an unknown state.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(items)),
        mp_context=context,
        initializer=_build,
        initargs=(make_worker,),
    ) as pool:
        futures = {pool.submit(_call, item, stop_on): item for item in items}
        for future in as_completed(futures):
            try:
                yield future.result()
            except BrokenProcessPool as error:  # a worker died (a crash in native code)
                yield Outcome(futures[future], None, f"worker process died: {error}")


def _attempt(
    work: Worker[T, R], item: T, stop_on: tuple[type[BaseException], ...]
) -> Outcome[T, R]:
    try:
        return Outcome(item, work(item))
    except stop_on:
        raise
    except Exception as error:  # reported per item; one bad video must not stop a dataset
        return Outcome(item, None, describe_error(error))


def _build(make_worker: Callable[[], Callable[[Any], Any]]) -> None:
    global _worker
    try:
        _worker = make_worker()
    except Exception as error:
        _worker = error


def _call(item: Any, stop_on: tuple[type[BaseException], ...]) -> Outcome[Any, Any]:
    assert _worker is not None, "the pool's initializer builds the worker"
    if isinstance(_worker, BaseException):
        raise _worker
    return _attempt(_worker, item, stop_on)
