"""The Ray engine: a Ray Data pipeline whose ``map_batches`` runs on a pool of actors.

Each actor builds the worker once (the model loads once per actor) and is given one item per
batch: a video is seconds to minutes of work, so finer scheduling buys nothing and one item per
block keeps a failure to that item. Items and results travel pickled, in a binary column.

Failures: an exception the worker raises comes back as that item's error. An actor whose process
dies (a crash in native code) is restarted and its item tried again, at most ``_RETRIES`` times;
after that the item's block is dropped (``max_errored_blocks=-1`` lets the rest go on) and the
item is reported as failed when the run ends. An actor holds one item at a time, so no item is
queued behind one that kills it and shares its retries.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from sportslens.engines.work import EngineError, EngineSettings, Outcome, Worker, describe_error

T = TypeVar("T")
R = TypeVar("R")

# The object store only carries item and result pickles (paths and small numbers), so a local
# instance needs little; Ray's default (30% of RAM) would take gigabytes from a small machine.
_LOCAL_OBJECT_STORE = 128 * 2**20
_RETRIES = 2


def run_ray(
    items: Sequence[T],
    make_worker: Callable[[], Worker[T, R]],
    settings: EngineSettings,
    stop_on: tuple[type[BaseException], ...],
) -> Iterator[Outcome[T, R]]:
    """Outcomes as Ray's actors finish them; items no actor could finish come last, as failed."""
    if not items:
        return
    ray = _import_ray()
    with _connected(ray, settings.address):
        actors = min(len(items), settings.workers or _cluster_width(ray, settings))
        dataset = ray.data.from_items(
            [{"index": i, "item": pickle.dumps(item)} for i, item in enumerate(items)],
            override_num_blocks=len(items),
        )
        with warnings.catch_warnings():
            # Ray 2.60 deprecates the remote arguments below (gone in 2.64: the extra stops
            # there) and names no replacement; the user can do nothing about the warning.
            warnings.filterwarnings("ignore", "`ray_remote_args` is deprecated")
            dataset = dataset.map_batches(
                _Actor,
                fn_constructor_args=(make_worker, stop_on),
                batch_size=1,
                batch_format="numpy",
                # One item in flight per actor: an item queued behind one that kills the actor
                # would share its retries and be lost with it (and a video is long enough that
                # prefetching the next path buys nothing).
                compute=ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1),
                num_cpus=settings.cpus_per_worker,
                num_gpus=settings.gpus_per_worker or None,
                # Ray Data's default retries a task whose actor died forever: a video that
                # crashes its decoder would stall the run. Actors restart as often as needed;
                # an item is tried _RETRIES more times.
                max_restarts=-1,
                max_task_retries=_RETRIES,
            )
        seen: set[int] = set()
        for index, answer in _answers(ray, dataset):
            seen.add(index)
            yield _outcome(items[index], answer)
        for index in sorted(set(range(len(items))) - seen):
            error = "its Ray worker died or its task failed (see the Ray logs)"
            yield Outcome(items[index], None, error)


def _answers(ray: Any, dataset: Any) -> Iterator[tuple[int, tuple[str, Any]]]:
    """Each finished item's index and answer; a failure of the pipeline itself (a failed item's
    block is dropped, not raised) means its actors cannot run, most often a node without this
    sportslens or its extras."""
    try:
        for row in dataset.iter_rows():
            yield int(row["index"]), pickle.loads(row["outcome"])
    except ray.exceptions.RayError as error:
        reason = str(error).strip().splitlines()[-1]
        raise EngineError(
            f"the Ray pipeline stopped: {reason}. Every Ray node needs the sportslens of this "
            "machine with the extras the job uses (pip install 'sportslens[pose,ray]')"
        ) from error


def _outcome(item: T, answer: tuple[str, Any]) -> Outcome[T, Any]:
    kind, value = answer
    match kind:
        case "result":
            return Outcome(item, value)
        case "failed":
            return Outcome(item, None, value)
        case _:  # "stop": raised by the worker, of a type that stops the run
            raise value


class _Actor:
    """One Ray actor: builds the worker in its constructor and runs it on each one-item batch."""

    def __init__(
        self,
        make_worker: Callable[[], Callable[[Any], Any]],
        stop_on: tuple[type[BaseException], ...],
    ) -> None:
        self.stop_on = stop_on
        try:
            self.work: Callable[[Any], Any] | BaseException = make_worker()
        except Exception as error:  # raised again for each item, so it reaches the driver
            self.work = error

    def __call__(self, batch: dict[str, NDArray[Any]]) -> dict[str, NDArray[Any]]:
        answers = [self._answer(pickle.loads(blob)) for blob in batch["item"]]
        column = np.empty(len(answers), dtype=object)
        column[:] = [pickle.dumps(answer) for answer in answers]
        return {"index": batch["index"], "outcome": column}

    def _answer(self, item: Any) -> tuple[str, Any]:
        if isinstance(self.work, BaseException):
            return "stop", self.work
        try:
            return "result", self.work(item)
        except self.stop_on as error:
            return "stop", error
        except Exception as error:  # reported per item; one bad video must not stop a dataset
            return "failed", describe_error(error)


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as error:
        raise ImportError("the ray engine needs Ray Data: pip install 'sportslens[ray]'") from error
    return ray


@contextlib.contextmanager
def _connected(ray: Any, address: str | None) -> Iterator[None]:
    """Join the cluster at ``address`` or start a Ray instance here; leave as found."""
    context = ray.data.DataContext.get_current()
    context.max_errored_blocks = -1  # a dead item's block is reported as failed, not fatal
    context.enable_progress_bars = False  # the caller shows its own
    if ray.is_initialized():  # the caller's own Ray session: use it and leave it running
        yield
        return
    if address is None:
        ray.init(
            address="local",  # a new instance, even where `ray start` runs a cluster here
            num_cpus=os.cpu_count(),
            object_store_memory=_LOCAL_OBJECT_STORE,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
        )
    else:
        ray.init(address=address, logging_level=logging.WARNING)
    try:
        yield
    finally:
        ray.shutdown()


def _cluster_width(ray: Any, settings: EngineSettings) -> int:
    """How many actors the cluster holds at once: its CPUs (or GPUs) over one actor's share."""
    resources = ray.cluster_resources()
    if settings.gpus_per_worker:
        return max(1, int(resources.get("GPU", 0) // settings.gpus_per_worker))
    return max(1, int(resources.get("CPU", 1) // settings.cpus_per_worker))
