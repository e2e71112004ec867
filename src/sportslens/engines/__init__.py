"""Run one function over many videos: here, in a pool of processes, or on a Ray cluster.

Dataset-wide jobs (``pose-extract``, a clip cache) share one shape: a list of items (usually
``(video, output path)``), a worker that is expensive to build (it loads a model) and cheap to
call once built, and one small picklable result per item. :func:`run_per_video` builds the worker
once per process or Ray actor, calls it on every item, and yields an :class:`Outcome` per item as
it finishes, so one bad video is reported and the others go on.

The caller decides what is already finished (and leaves it out of ``items``) and where each
item's output goes; the engines only schedule. On a cluster every node must see the same paths
(shared storage or URLs) and have the same sportslens installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from sportslens.engines.work import (
    ENGINES,
    Engine,
    EngineError,
    EngineSettings,
    Outcome,
    Worker,
    describe_error,
    stateless,
)

T = TypeVar("T")
R = TypeVar("R")


def run_per_video(
    items: Sequence[T],
    make_worker: Callable[[], Worker[T, R]],
    settings: EngineSettings | None = None,
    *,
    stop_on: tuple[type[BaseException], ...] = (ImportError,),
) -> Iterator[Outcome[T, R]]:
    """An :class:`Outcome` for each item of ``items``, in the order they finish.

    ``make_worker`` runs once per process or actor (it and the items must pickle for more than
    one worker: a module-level function or a ``functools.partial`` of one). An exception the
    worker raises fails that item only, except those of ``stop_on`` (a missing extra or model
    is the same for every video), which stop the run and are raised here; so does a worker that
    cannot be built. ``settings`` default: one worker, in this process.
    """
    settings = settings or EngineSettings()
    match settings.engine:
        case "local":
            from sportslens.engines.local import run_local

            return run_local(items, make_worker, settings.workers or 1, stop_on)
        case "ray":
            from sportslens.engines.ray_data import run_ray

            return run_ray(items, make_worker, settings, stop_on)


__all__ = [
    "ENGINES",
    "Engine",
    "EngineError",
    "EngineSettings",
    "Outcome",
    "Worker",
    "describe_error",
    "run_per_video",
    "stateless",
]
