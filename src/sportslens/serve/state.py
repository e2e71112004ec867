"""What the endpoints share: the predictor to run, the limits, the batcher, the model facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from sportslens.predict import Predictor
from sportslens.serve.batching import ForwardBatcher, batched_predictor
from sportslens.serve.limits import WorkLimiter
from sportslens.serve.model_info import describe_model
from sportslens.serve.settings import ServeSettings


@dataclass
class ServerState:
    """Everything the endpoints share, built once in the lifespan."""

    predictor: Predictor
    """The predictor the requests run: the given one, or a copy whose model calls are batched."""
    settings: ServeSettings
    limiter: WorkLimiter
    model_info: dict[str, Any]
    batcher: ForwardBatcher | None = None
    closing: bool = field(default=False)

    @classmethod
    def start(
        cls, predictor: Predictor, settings: ServeSettings, checkpoint: Path | None
    ) -> ServerState:
        limiter = WorkLimiter(settings.max_in_flight, settings.max_queue)
        info = describe_model(predictor, checkpoint)
        if not settings.batching:
            return cls(predictor, settings, limiter, info)
        batcher = ForwardBatcher(
            predictor.forward,
            max_batch=settings.max_batch,
            wait_s=settings.batch_wait_ms / 1000,
            in_flight=lambda: limiter.running,
        )
        return cls(batched_predictor(predictor, batcher), settings, limiter, info, batcher)

    @property
    def ready(self) -> bool:
        return not self.closing and (self.batcher is None or self.batcher.alive)

    def close(self) -> None:
        self.closing = True
        self.limiter.close()  # work already started finishes first
        if self.batcher is not None:
            self.batcher.close()


def get_state(request: Request) -> ServerState:
    """The running server's state (a dependency, so tests can override it)."""
    state: ServerState = request.app.state.server
    return state


State = Annotated[ServerState, Depends(get_state)]
