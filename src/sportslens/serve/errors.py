"""Every failure the API reports, as one JSON shape: ``{"error": code, "message": text}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    """An error for the client: an HTTP status, a stable code for programs, a message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


CLOSING_STATUSES = (408, 413)
"""Answers after which the connection is closed: the client may still be sending a body the
server will not read (too large, or too slow), and draining it would hold the connection."""


def error_response(status: int, code: str, message: str) -> JSONResponse:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "X-API-Key"
    if status in CLOSING_STATUSES:
        headers["Connection"] = "close"  # uvicorn closes the connection after this answer
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Make FastAPI's own errors (404, 405, bad query values) and crashes use the same shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_response(error.status_code, "http_error", str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        return error_response(422, "invalid_request", problems)

    @app.exception_handler(Exception)
    async def _crash(request: Request, error: Exception) -> JSONResponse:
        # The traceback goes to the server log (uvicorn prints it); the client gets no internals.
        return error_response(500, "internal_error", f"internal error: {type(error).__name__}")
