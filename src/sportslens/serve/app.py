"""``create_app(predictor, settings)``: the FastAPI application around one Predictor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import sportslens
from sportslens.predict import Predictor
from sportslens.serve.docs_page import install_local_docs, local_docs_assets
from sportslens.serve.errors import install_error_handlers
from sportslens.serve.live_limits import LivePose, LiveSessions
from sportslens.serve.live_socket import live_router
from sportslens.serve.routes import api_router, page_router
from sportslens.serve.settings import ServeSettings
from sportslens.serve.state import ServerState

PredictorSource = Predictor | Path | str | Callable[[], Predictor]
"""A loaded predictor, a run or checkpoint folder, or a function that loads one."""


def create_app(
    predictor: PredictorSource,
    settings: ServeSettings | None = None,
    *,
    checkpoint: Path | None = None,
    live_pose: LivePose | None = None,
) -> FastAPI:
    """The HTTP API and playground for ``predictor``; a folder or loader is loaded at startup.

    ``checkpoint`` is the folder a loaded ``predictor`` came from: ``/v1/model`` reports its
    run's metrics. ``live_pose`` gives each live session its pose model (MediaPipe by default).
    """
    settings = settings or ServeSettings()
    docs_assets = local_docs_assets()  # None: FastAPI's own pages, from a CDN

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Loading (a checkpoint, weights) runs in a thread: it can take seconds.
        loaded, folder = await asyncio.to_thread(_load, predictor)
        state = ServerState.start(loaded, settings, folder or checkpoint)
        app.state.server = state
        try:
            yield
        finally:
            await asyncio.to_thread(state.close)

    app = FastAPI(
        title="sportslens",
        version=sportslens.__version__,
        summary="Recognise actions in sports video: upload a clip, get labels.",
        lifespan=lifespan,
        docs_url="/docs" if docs_assets is None else None,
        redoc_url="/redoc" if docs_assets is None else None,
    )
    if docs_assets is not None:
        install_local_docs(app, docs_assets)
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "X-Filename"],
        )
    app.include_router(page_router)
    app.include_router(api_router)
    app.include_router(live_router)
    app.state.live = LiveSessions(settings.live, live_pose)
    return app


def _load(source: PredictorSource) -> tuple[Predictor, Path | None]:
    if isinstance(source, Predictor):
        return source, None
    if isinstance(source, str | Path):
        return Predictor.from_checkpoint(source), Path(source)
    return source(), None
