"""Admission control: a bounded number of requests at work, a bounded queue, a time limit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sportslens.serve.errors import ApiError

T = TypeVar("T")


class WorkLimiter:
    """Runs blocking work in ``max_in_flight`` worker threads, with ``max_queue`` waiting.

    A request beyond slots + queue is refused at once (503) rather than piling up; a request
    over its time limit gets 504. Its thread cannot be interrupted, so its slot stays taken
    until the work really ends: timeouts never let more work run than the limit allows.
    """

    def __init__(self, max_in_flight: int, max_queue: int) -> None:
        self.max_in_flight = max_in_flight
        self.max_queue = max_queue
        self.running = 0
        self.waiting = 0
        self._slots = asyncio.Semaphore(max_in_flight)
        self._executor = ThreadPoolExecutor(max_in_flight, thread_name_prefix="sportslens-work")

    async def run(self, work: Callable[[], T], timeout_s: float) -> T:
        """``work()`` in a worker thread; 503 when full, 504 after ``timeout_s`` in all."""
        if self.running + self.waiting >= self.max_in_flight + self.max_queue:
            raise ApiError(
                503,
                "server_busy",
                f"the server is busy ({self.running} requests at work, {self.waiting} queued); "
                "retry shortly",
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        self.waiting += 1
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except TimeoutError:
            raise _timed_out(timeout_s) from None
        finally:
            self.waiting -= 1
        self.running += 1
        future = loop.run_in_executor(self._executor, work)
        future.add_done_callback(self._release)
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.shield(future)
        except TimeoutError:
            raise _timed_out(timeout_s) from None

    def _release(self, future: asyncio.Future[T]) -> None:
        if not future.cancelled():
            future.exception()  # mark an abandoned request's error as seen (no "never retrieved")
        self.running -= 1
        self._slots.release()

    def close(self) -> None:
        """Wait for work already started, then stop the threads."""
        self._executor.shutdown(wait=True)


def _timed_out(timeout_s: float) -> ApiError:
    return ApiError(504, "timeout", f"the request took longer than the limit of {timeout_s:g} s")
