"""The endpoints: the playground page, health, and the ``/v1`` API."""

from __future__ import annotations

import hmac
import time
from functools import partial
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse

from sportslens.models.inputs import PeopleUnsupportedError
from sportslens.pose.people import PeopleChoice, parse_people_choice
from sportslens.predict import Predictor
from sportslens.serve.decoded_size import check_decoded_size
from sportslens.serve.errors import ApiError, error_response
from sportslens.serve.schemas import (
    ErrorBody,
    HealthResponse,
    ModelResponse,
    PredictResponse,
    ReadyResponse,
    TimelineResponse,
)
from sportslens.serve.settings import ServeSettings
from sportslens.serve.state import ServerState, State
from sportslens.serve.timeline_query import Stride, Window, check_window_frames
from sportslens.serve.uploads import Upload, receive_upload
from sportslens.timeline import TimelineOptions
from sportslens.video import INDEX_CACHE, VideoDecodeError, frame_pixel_limit, probe

PLAYGROUND = resources.files("sportslens.serve").joinpath("static/index.html")


def require_api_key(
    state: State, x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None
) -> None:
    """401 unless the request's ``X-API-Key`` matches, when the server has a key."""
    expected = state.settings.api_key
    if expected is None:
        return
    if x_api_key is None:
        raise ApiError(401, "missing_api_key", "this server needs an X-API-Key header")
    # Constant-time comparison: response timing must not reveal how much of a guess was right.
    if not hmac.compare_digest(x_api_key.encode(), expected.encode()):
        raise ApiError(401, "bad_api_key", "the X-API-Key header does not match")


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorBody} for status in statuses}


# The upload is read from the raw stream (to cap and spool it), so its schema is given by hand.
_BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "video/*": _BINARY,
            "application/octet-stream": _BINARY,
            "application/zip": _BINARY,  # a keypoint .npz, for skeleton models
        },
    }
}
UPLOAD_ERRORS = _errors(400, 408, 413, 415, 422, 503, 504)

page_router = APIRouter()
api_router = APIRouter(
    prefix="/v1", dependencies=[Depends(require_api_key)], responses=_errors(401)
)


@page_router.get("/", response_class=HTMLResponse, include_in_schema=False)
def playground() -> HTMLResponse:
    """The web playground: one self-contained page."""
    return HTMLResponse(PLAYGROUND.read_text(encoding="utf-8"))


@page_router.get("/health", response_model=HealthResponse)
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@page_router.get("/ready", response_model=ReadyResponse, responses=_errors(503))
def ready(state: State) -> Any:
    """Readiness: the model is loaded and the server is not shutting down."""
    if not state.ready:
        return error_response(503, "not_ready", "the server is shutting down")
    return {"status": "ready", "model": state.model_info["name"]}


@api_router.get("/model", response_model=ModelResponse, response_model_exclude_unset=True)
def model(state: State) -> dict[str, Any]:
    """The model's name, classes, preprocessing and metrics (from its run's report)."""
    return {
        **state.model_info,
        "batching": state.settings.batching,
        "max_upload_bytes": state.settings.max_upload_bytes,
    }


TopK = Annotated[int | None, Query(ge=1, le=1000, description="Labels to return (default 5).")]
People = Annotated[
    str,
    Query(
        pattern="^(all|largest|[1-9][0-9]*)$",
        description="Skeleton models: all, a count N (the N seen largest) or largest (default). "
        "With all or N the answer adds track_id and a list of people (predict) or lanes "
        "(timeline), each with its track id; a video of people goes through blazepose-multi.",
    ),
]


@api_router.post(
    "/predict",
    response_model=PredictResponse,
    response_model_exclude_unset=True,  # a video model's answer has no pose: no "pose": null
    responses=UPLOAD_ERRORS,
    openapi_extra=UPLOAD_BODY,
)
async def predict(
    request: Request, state: State, top_k: TopK = None, people: People = "largest"
) -> dict[str, Any]:
    """Top-k labels with scores for one uploaded video (multipart ``file`` or a raw body)."""
    k = top_k or state.settings.top_k
    work = partial(_predict, state.predictor, top_k=k, people=parse_people_choice(people))
    return await _serve_upload(request, state, work)


@api_router.post(
    "/timeline",
    response_model=TimelineResponse,
    responses=UPLOAD_ERRORS,
    openapi_extra=UPLOAD_BODY,
)
async def timeline(
    request: Request,
    state: State,
    window: Window = None,
    stride: Stride = None,
    people: People = "largest",
) -> dict[str, Any]:
    """Per-window scores and labelled segments of a long video (a lane per person with
    ``people`` all or N)."""
    work = partial(
        _timeline, state.predictor, window=window, stride=stride,
        people=parse_people_choice(people),
    )  # fmt: skip
    return await _serve_upload(request, state, work)


async def _serve_upload(request: Request, state: ServerState, work: partial[Any]) -> dict[str, Any]:
    """Receive the upload, run ``work(upload)`` under the limits, add names and timings."""
    settings = state.settings
    start = time.perf_counter()
    upload = await receive_upload(
        request, settings.max_upload_bytes, settings.temp_dir, settings.upload_timeout_s
    )
    received = time.perf_counter()
    try:
        body, began = await state.limiter.run(
            partial(_in_worker, work, upload, settings), settings.request_timeout_s
        )
    finally:
        upload.delete()
    done = time.perf_counter()
    timing = {
        **body.get("timing_ms", {}),
        "upload": (received - start) * 1000,
        "wait": (began - received) * 1000,
        "total": (done - start) * 1000,
    }
    return {
        **body,
        "source": upload.filename,
        "model": state.model_info["name"],
        "timing_ms": timing,
    }


def _in_worker(
    work: partial[Any], upload: Upload, settings: ServeSettings
) -> tuple[dict[str, Any], float]:
    """Runs in a worker thread: the work's JSON and when it began; decode errors become 422.

    The upload's decoded size is checked first (413 over a limit), so no work starts on it.
    """
    began = time.perf_counter()
    try:
        check_decoded_size(upload.path, settings, upload.filename)
        with frame_pixel_limit(settings.max_frame_pixels):  # frames that grow mid-stream
            return work(upload).to_dict(), began
    except PeopleUnsupportedError as error:
        raise ApiError(422, "people_unsupported", str(error)) from error
    except VideoDecodeError as error:
        # The decoder names the temporary file; the client knows its upload by its own name.
        reason = str(error).replace(str(upload.path), upload.filename)
        raise ApiError(422, "undecodable_video", reason) from error
    except ValueError as error:
        # Keypoint readers name the file they could not use (a broken .npz, no person found):
        # a fault of the upload. Any other ValueError is the server's own and stays a 500.
        if not str(error).startswith(str(upload.path)):
            raise
        reason = str(error).replace(str(upload.path), upload.filename)
        raise ApiError(422, "unusable_keypoints", reason) from error
    finally:
        INDEX_CACHE.discard(upload.path)


def _predict(predictor: Predictor, upload: Upload, *, top_k: int, people: PeopleChoice) -> Any:
    if people != "largest":
        return predictor.predict_people(upload.path, people, top_k=top_k)
    return predictor.predict(upload.path, top_k=top_k)


def _timeline(
    predictor: Predictor,
    upload: Upload,
    *,
    window: float | None,
    stride: float | None,
    people: PeopleChoice,
) -> Any:
    if upload.path.suffix != ".npz":  # a keypoint file gets the timeline's own refusal (422)
        check_window_frames(window, stride, probe(upload.path).fps)
    if people != "largest":
        options = TimelineOptions(window=window, stride=stride)
        return predictor.timeline_people(upload.path, people, options=options)
    return predictor.timeline(upload.path, window=window, stride=stride)
