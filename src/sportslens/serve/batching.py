"""Dynamic micro-batching: model calls from concurrent requests merged into one forward pass.

Each request runs the predictor's own ``predict`` in a worker thread, so decoding and
preprocessing happen in parallel threads and the result is exactly what the CLI computes. Only
the model step, ``Predictor.forward``, is routed through a :class:`ForwardBatcher`: the calling
thread hands its clips to one model thread and blocks until its rows come back. The model thread
takes the first waiting call, then gathers more for up to ``wait_s`` — ending the wait early once
every request in flight has joined, so a lone request never waits — and runs them as one batch.
"""

from __future__ import annotations

import copy
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

import torch

from sportslens.predict import Predictor

Forward = Callable[[torch.Tensor], torch.Tensor]
_POLL_S = 0.002


@dataclass
class _Call:
    clips: torch.Tensor  # (b, C, T, H, W)
    result: Future[torch.Tensor] = field(default_factory=Future)


class ForwardBatcher:
    """A drop-in ``forward(clips) -> probs`` that merges concurrent calls; thread-safe."""

    def __init__(
        self, forward: Forward, *, max_batch: int, wait_s: float, in_flight: Callable[[], int]
    ) -> None:
        self._forward = forward
        self.max_batch = max_batch
        self.wait_s = wait_s
        self._in_flight = in_flight  # requests that may still call forward (a hint, not a lock)
        self._calls: queue.Queue[_Call | None] = queue.Queue()
        self._carry: _Call | None = None  # a call that did not fit into the previous batch
        self._thread = threading.Thread(target=self._serve, name="sportslens-batcher", daemon=True)
        self._thread.start()

    def __call__(self, clips: torch.Tensor) -> torch.Tensor:
        """Softmax probabilities (B, K) for clips (B, C, T, H, W), computed in a shared batch."""
        call = _Call(clips)
        self._calls.put(call)
        return call.result.result()

    @property
    def waiting(self) -> int:
        """Calls queued for the next batch (for monitoring and tests)."""
        return self._calls.qsize() + (self._carry is not None)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        """Stop the model thread after the calls already queued."""
        self._calls.put(None)
        self._thread.join()

    def _serve(self) -> None:
        while True:
            batch = self._gather()
            if batch is None:
                return
            self._run(batch)

    def _gather(self) -> list[_Call] | None:
        """The next batch: the first call, then others until full, all joined, or time is up."""
        first = self._carry or self._calls.get()
        self._carry = None
        if first is None:
            return None
        batch, size = [first], len(first.clips)
        deadline = time.monotonic() + self.wait_s
        while size < self.max_batch and len(batch) < self._in_flight():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                # Short polls: a request that ends or fails lowers in_flight without calling.
                call = self._calls.get(timeout=min(remaining, _POLL_S))
            except queue.Empty:
                continue
            if call is None:
                self._calls.put(None)  # stop after this batch
                break
            if size + len(call.clips) > self.max_batch:
                self._carry = call  # it opens the next batch
                break
            batch.append(call)
            size += len(call.clips)
        return batch

    def _run(self, batch: list[_Call]) -> None:
        try:
            probs = self._forward(torch.cat([call.clips for call in batch]))  # (B, K)
        except BaseException as error:  # every waiting caller gets the model's error
            for call in batch:
                call.result.set_exception(error)
            return
        offset = 0
        for call in batch:
            call.result.set_result(probs[offset : offset + len(call.clips)])
            offset += len(call.clips)


def batched_predictor(predictor: Predictor, batcher: ForwardBatcher) -> Predictor:
    """A shallow copy of ``predictor`` (same model and weights) whose forward goes via batcher.

    The caller's predictor is left as it was; every other method — preprocess, postprocess,
    predict, and whatever the model's family adds — is the predictor's own.
    """
    served = copy.copy(predictor)
    served.forward = batcher  # type: ignore[method-assign]
    return served
