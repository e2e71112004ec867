"""Stream an uploaded video into a temporary file with a size cap; the file is always deleted.

The body is read chunk by chunk (never whole into memory) and counted as it arrives, so a
client that lies in Content-Length, or sends chunked data, still meets the cap; it must arrive
within a time limit, so a client trickling it cannot hold a connection and a file. The server
only ever reads the file it wrote itself: a client's file name is kept for display, never used
as a path. A keypoint ``.npz`` file (for skeleton models) is recognised by its content, a zip
archive, and its temporary file gets the ``.npz`` suffix that keypoint readers go by.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import unquote

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from sportslens.serve.errors import ApiError
from sportslens.serve.settings import MB
from sportslens.video import INDEX_CACHE

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

ACCEPTED_HINT = "send a video as multipart/form-data (field 'file') or as a raw video/* body"
KEYPOINT_TYPES = ("application/zip", "application/x-zip-compressed", "application/x-npz")
"""Media types a keypoint ``.npz`` (a zip archive) may arrive with, besides untyped bytes."""
ZIP_MAGIC = b"PK\x03\x04"  # the first bytes of every zip archive, so of every .npz


@dataclass
class Upload:
    """A received video on disk, named by the client (for display only)."""

    path: Path
    filename: str
    size: int

    def delete(self) -> None:
        """Remove the file and forget its cached frame index; safe to call twice."""
        INDEX_CACHE.discard(self.path)
        self.path.unlink(missing_ok=True)


def is_accepted_type(media_type: str) -> bool:
    """Whether a part or body may hold a video (``video/*``), a keypoint file, or untyped bytes."""
    media_type = media_type.strip().lower()
    return (
        media_type.startswith("video/")
        or media_type in ("", "application/octet-stream")
        or media_type in KEYPOINT_TYPES
    )


async def receive_upload(
    request: Request, max_bytes: int, temp_dir: Path | None, timeout_s: float
) -> Upload:
    """Write the request's video to a new temporary file; raise ApiError on a bad request.

    413 when the body exceeds ``max_bytes``, 408 when it takes longer than ``timeout_s`` to
    arrive, 415 when it is not an accepted type, 400 when a multipart body holds no file. On
    any failure, a client disconnect included, the file is deleted before the error propagates.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)  # refuse before reading a byte
    media_type, options = parse_options_header(request.headers.get("content-type", ""))
    media = media_type.decode("latin-1").lower()
    if media == "multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise ApiError(400, "bad_multipart", "multipart/form-data without a boundary")
        receive = _multipart_receiver(boundary)
    elif is_accepted_type(media):
        receive = _raw_receiver(header_filename(request.headers.get("x-filename", "upload")))
    else:
        raise ApiError(415, "unsupported_media_type", f"content type {media!r}: {ACCEPTED_HINT}")

    handle, name = tempfile.mkstemp(prefix="sportslens-upload-", suffix=".video", dir=temp_dir)
    upload = Upload(Path(name), "upload", 0)
    try:
        with os.fdopen(handle, "wb") as file:
            async with asyncio.timeout(timeout_s):
                upload.filename = await receive(_chunks(request, max_bytes, upload), file)
        _name_keypoint_file(upload)
        return upload
    except ClientDisconnect:
        upload.delete()
        raise ApiError(400, "client_disconnected", "the client closed the upload") from None
    except TimeoutError:
        upload.delete()
        raise ApiError(
            408,
            "upload_timeout",
            f"the upload took longer than the limit of {timeout_s:g} s "
            f"({upload.size} bytes received)",
        ) from None
    except BaseException:  # cancellation included: the file must not outlive the request
        upload.delete()
        raise


async def _chunks(request: Request, max_bytes: int, upload: Upload) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive, counted against the cap."""
    async for chunk in request.stream():
        upload.size += len(chunk)
        if upload.size > max_bytes:
            raise _too_large(max_bytes)
        yield chunk


# Chunks are written from the event loop: a write of one chunk (64 KiB at most from uvicorn)
# lands in the page cache in microseconds, far less than a thread hop per chunk would cost.
Receiver = Callable[[AsyncIterator[bytes], IO[bytes]], Awaitable[str]]


def _raw_receiver(filename: str) -> Receiver:
    async def receive(chunks: AsyncIterator[bytes], file: IO[bytes]) -> str:
        async for chunk in chunks:
            file.write(chunk)
        return display_name(filename)

    return receive


def _multipart_receiver(boundary: bytes) -> Receiver:
    async def receive(chunks: AsyncIterator[bytes], file: IO[bytes]) -> str:
        part = _FilePart(file)
        parser = MultipartParser(boundary, part.callbacks())
        try:
            async for chunk in chunks:
                parser.write(chunk)
            parser.finalize()
        except MultipartParseError as error:
            raise ApiError(400, "bad_multipart", f"malformed multipart body: {error}") from error
        if part.filename is None:
            raise ApiError(400, "no_file", f"the multipart body holds no file: {ACCEPTED_HINT}")
        return part.filename

    return receive


@dataclass
class _FilePart:
    """Multipart parser callbacks that keep the first file part and skip every other part."""

    file: IO[bytes]
    filename: str | None = None  # set once the file part is found
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _field: bytes = b""
    _value: bytes = b""
    _writing: bool = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._add("_field", data[start:end]),
            "on_header_value": lambda data, start, end: self._add("_value", data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _add(self, name: str, data: bytes) -> None:
        setattr(self, name, getattr(self, name) + data)

    def _begin(self) -> None:
        self._headers.clear()

    def _header_end(self) -> None:
        self._headers[self._field.strip().lower()] = self._value.strip()
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get(b"content-disposition", b""))
        if self.filename is not None or b"filename" not in disposition:
            return  # a plain form field, or a second file: ignored
        media = self._headers.get(b"content-type", b"").decode("latin-1")
        if not is_accepted_type(media):
            reason = f"the uploaded file is {media!r}, not a video (or a keypoint .npz)"
            raise ApiError(415, "unsupported_media_type", reason)
        self.filename = display_name(disposition[b"filename"].decode("utf-8", "replace"))
        self._writing = True

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._writing:
            self.file.write(data[start:end])

    def _end(self) -> None:
        self._writing = False


def _name_keypoint_file(upload: Upload) -> None:
    """Give a zip upload (a keypoint ``.npz``) that suffix: keypoint readers go by the name."""
    with upload.path.open("rb") as file:
        head = file.read(len(ZIP_MAGIC))
    if head == ZIP_MAGIC:
        upload.path = upload.path.rename(upload.path.with_suffix(".npz"))


def header_filename(value: str) -> str:
    """The file name an ``X-Filename`` header carries, raw UTF-8 or percent-encoded.

    Header bytes reach the application decoded as Latin-1, so a UTF-8 name arrives as mojibake
    (``hÃ©llo``): its bytes are decoded again as UTF-8, and kept as Latin-1 when they are not
    UTF-8. Percent-escapes (``h%C3%A9llo``, for clients that send ASCII headers only) are then
    decoded; a name with a literal ``%`` followed by two hex digits must be percent-encoded.
    """
    with contextlib.suppress(UnicodeError):  # not UTF-8: a Latin-1 name, already right
        value = value.encode("latin-1").decode("utf-8")
    return unquote(value, errors="replace")


def display_name(filename: str) -> str:
    """The last component of a client's file name, printable and short: for display only."""
    name = re.split(r"[/\\]", filename)[-1]
    name = "".join(c for c in name if c.isprintable())[:200]
    return name or "upload"


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(
        413,
        "upload_too_large",
        f"the upload is larger than the limit of {max_bytes / MB:.4g} MB ({max_bytes} bytes)",
    )
