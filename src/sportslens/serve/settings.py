"""Limits and switches of the HTTP server, one typed dataclass read by ``create_app`` (and, for
connections, by ``server_options``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from sportslens.serve.live_limits import LiveSettings

MB = 1024 * 1024


@dataclass(frozen=True)
class ServeSettings:
    """How the server admits, limits and batches requests. The defaults run on a laptop."""

    max_upload_bytes: int = 200 * MB
    """Largest request body accepted (413 above it); counted while streaming, not trusted from
    the Content-Length header alone."""
    upload_timeout_s: float = 300.0
    """Time limit for receiving a request's body (408 after it): a client trickling its upload
    cannot hold a connection and a temporary file for ever. 200 MB in 300 s is 5.6 Mbit/s."""
    request_timeout_s: float = 60.0
    """Time limit for waiting for a slot plus decoding plus the model, once the upload is in
    (504 after it)."""
    max_frame_pixels: int = 4096 * 4096
    """Largest decoded frame, width x height (413 above it). A few kilobytes of H.264 can
    declare 8192x8192 frames, 0.24 GB of decoder memory each; the check reads the stream's
    parameters before any frame is decoded."""
    max_video_pixels: int = 20 * 10**9
    """Most pixels decoded for one request: frames x width x height of the whole video (413
    above it), which bounds the decoding work; about 5 minutes of 1080p at 30 fps."""
    max_keypoint_bytes: int = 64 * MB
    """Largest uncompressed keypoint arrays of an uploaded ``.npz`` (413 above it), read from
    the zip directory and the arrays' headers before loading; 3 hours of COCO-17 at 30 fps."""
    max_in_flight: int = 8
    """Requests decoding or waiting for the model at once: the worker threads. At least
    ``max_batch`` so that a full batch can form."""
    max_queue: int = 32
    """Requests waiting for one of those slots; a request beyond slots + queue gets 503."""
    api_key: str | None = None
    """When set, every ``/v1/`` request must send it in the ``X-API-Key`` header (else 401)."""
    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call the API from a browser page; none (CORS off) by default."""
    batching: bool = True
    """Merge model calls of requests that arrive together into one batch."""
    max_batch: int = 8
    """Most clips in one merged model call."""
    batch_wait_ms: float = 10.0
    """How long the first request of a batch waits for others. The wait ends early once every
    request in flight has joined, so a lone request never waits."""
    top_k: int = 5
    """Labels returned when the request does not ask for a number."""
    temp_dir: Path | None = None
    """Where uploads are spooled (the system's temporary folder when None)."""
    max_connections: int = 100
    """Open connections (and requests) the HTTP server holds at once; a request beyond them
    gets 503 from uvicorn. Each holds a file descriptor, and maybe a temporary file."""
    header_timeout_s: float = 10.0
    """Time from a connection's start, or the end of its last response, to a complete request
    head; the connection is closed after it (slow or half-sent headers)."""
    keep_alive_s: int = 5
    """How long an idle connection stays open between requests."""
    live: LiveSettings = field(default_factory=LiveSettings)
    """Limits of the playground's live sessions (``/v1/live``): sessions, frame rate and size."""

    def __post_init__(self) -> None:
        for name in _AT_LEAST_ONE:
            if getattr(self, name) < 1:
                raise ValueError(f"ServeSettings.{name}={getattr(self, name)} must be >= 1")
        for name in _POSITIVE_SECONDS:
            if not 0 < getattr(self, name) < math.inf:
                raise ValueError(f"ServeSettings.{name}={getattr(self, name)} must be > 0")
        if self.max_queue < 0 or self.batch_wait_ms < 0:
            raise ValueError(
                "ServeSettings: max_queue and batch_wait_ms must be >= 0 "
                f"(got {self.max_queue}, {self.batch_wait_ms})"
            )


_AT_LEAST_ONE = (
    "max_upload_bytes", "max_in_flight", "max_batch", "top_k", "max_frame_pixels",
    "max_video_pixels", "max_keypoint_bytes", "max_connections", "keep_alive_s",
)  # fmt: skip
_POSITIVE_SECONDS = ("upload_timeout_s", "request_timeout_s", "header_timeout_s")
