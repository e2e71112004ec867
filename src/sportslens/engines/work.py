"""What every engine shares: where the work runs (:class:`EngineSettings`), the worker each
process or actor builds once, and what one item came to (:class:`Outcome`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
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


class EngineError(RuntimeError):
    """The engine itself failed (Ray's actors could not start, the cluster went away), not one
    item: nothing more can run."""


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """What one item came to: the worker's result, or why there is none."""

    item: T
    result: R | None
    error: str = ""
    """Why it failed: the exception the worker raised, or the death of its process."""


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
