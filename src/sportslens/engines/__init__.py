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

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Engine = Literal["local", "ray"]
ENGINES: tuple[Engine, ...] = ("local", "ray")

Worker = Callable[[T], R]
"""Does one item's work; built once per process or actor by a factory, so the model loads once."""


@dataclass(frozen=True)
class EngineSettings:
    """Where the work runs and how wide."""

    engine: Engine = "local"
    workers: int | None = None
    """Processes (local) or Ray actors; None: 1 locally, every CPU (or GPU) of the Ray cluster
    divided by what one actor asks for."""
    address: str | None = None
    """Ray cluster to join ("auto", "ray://head:10001"); None starts a Ray instance here."""
    cpus_per_worker: float = 1.0
    """CPUs Ray reserves for each actor (MediaPipe keeps about two busy)."""
    gpus_per_worker: float = 0.0
    """GPUs Ray reserves for each actor (0.5: two actors share a GPU); ViTPose uses it."""

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; expected one of {ENGINES}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.cpus_per_worker <= 0 or self.gpus_per_worker < 0:
            raise ValueError(
                f"each worker needs some CPU and no negative GPU, got "
                f"cpus_per_worker={self.cpus_per_worker}, gpus_per_worker={self.gpus_per_worker}"
            )
        if self.engine == "local" and (self.address is not None or self.gpus_per_worker):
            raise ValueError("--address and --gpus-per-worker are for --engine ray")


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """What one item came to: the worker's result, or why there is none."""

    item: T
    result: R | None
    error: str = ""
    """Why it failed: the exception the worker raised, or the death of its process."""


def run_per_video(
    items: Sequence[T],
    make_worker: Callable[[], Worker[T, R]],
    settings: EngineSettings = EngineSettings(),
    *,
    stop_on: tuple[type[BaseException], ...] = (ImportError,),
) -> Iterator[Outcome[T, R]]:
    """An :class:`Outcome` for each item of ``items``, in the order they finish.

    ``make_worker`` runs once per process or actor (it and the items must pickle for more than
    one worker: a module-level function or a ``functools.partial`` of one). An exception the
    worker raises fails that item only, except those of ``stop_on`` (a missing extra or model
    is the same for every video), which stop the run and are raised here.
    """
    match settings.engine:
        case "local":
            from sportslens.engines.local import run_local

            return run_local(items, make_worker, settings.workers or 1, stop_on)
        case "ray":
            from sportslens.engines.ray_data import run_ray

            return run_ray(items, make_worker, settings, stop_on)


def stateless(work: Worker[T, R]) -> Callable[[], Worker[T, R]]:
    """A worker factory for a function that loads nothing: it is the worker everywhere.

    ``run_per_video(videos, stateless(partial(cache_video, spec=spec, out_dir=out)), settings)``
    """
    return functools.partial(_same, work)


def _same(work: Worker[T, R]) -> Worker[T, R]:
    return work


def describe_error(error: BaseException) -> str:
    """One line for a failed item: the exception's type and message."""
    return f"{type(error).__name__}: {error}"


__all__ = [
    "ENGINES",
    "Engine",
    "EngineSettings",
    "Outcome",
    "Worker",
    "run_per_video",
    "stateless",
]
