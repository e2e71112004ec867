"""Limits and switches of the HTTP server, one typed dataclass read by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


@dataclass(frozen=True)
class ServeSettings:
    """How the server admits, limits and batches requests. The defaults run on a laptop."""

    max_upload_bytes: int = 200 * MB
    """Largest request body accepted (413 above it); counted while streaming, not trusted from
    the Content-Length header alone."""
    request_timeout_s: float = 60.0
    """Time limit for waiting for a slot plus decoding plus the model, once the upload is in
    (504 after it). The upload itself is bounded by its size and uvicorn's timeouts."""
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

    def __post_init__(self) -> None:
        for name in ("max_upload_bytes", "max_in_flight", "max_batch", "top_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"ServeSettings.{name}={getattr(self, name)} must be >= 1")
        if self.max_queue < 0 or self.batch_wait_ms < 0 or self.request_timeout_s <= 0:
            raise ValueError(
                "ServeSettings: max_queue and batch_wait_ms must be >= 0 and "
                f"request_timeout_s > 0 (got {self.max_queue}, {self.batch_wait_ms}, "
                f"{self.request_timeout_s})"
            )
