"""Connection limits for uvicorn: slow or silent clients cannot hold connections for ever.

uvicorn bounds the idle time between requests (keep-alive) but not the time to send a request
head: a client that connects and trickles its headers, or sends half of them and stops, keeps a
connection and a file descriptor open indefinitely. ``HeadDeadlineProtocol`` closes it. The
body's time is bounded by the application (``upload_timeout_s``, see uploads.py), and the number
of connections by uvicorn's ``limit_concurrency``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from sportslens.serve.settings import ServeSettings


class HeadDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose next request head is late.

    The clock starts when the connection opens and again when a response ends, and stops when
    a request head has been parsed. After a response, it also bounds the rest of a body the
    application did not read (an early 401 to a trickled upload): draining it must end in time.
    """

    head_timeout_s: float = 10.0  # set per server by head_deadline_protocol()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_clock()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request head was parsed: its request has begun
            self._stop_head_clock()

    def on_response_complete(self) -> None:
        self._start_head_clock()  # before super(): it may parse a pipelined head at once
        super().on_response_complete()

    def _start_head_clock(self) -> None:
        self._stop_head_clock()
        self._head_deadline = self.loop.call_later(self.head_timeout_s, self._head_too_late)

    def _stop_head_clock(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_late(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            # No response: without a parsed request head, HTTP has nothing to answer.
            self.transport.close()


def head_deadline_protocol(head_timeout_s: float) -> type[HeadDeadlineProtocol]:
    """A :class:`HeadDeadlineProtocol` class whose request heads must arrive in the given time
    (uvicorn builds one protocol per connection from the class, so the limit is a class value)."""
    return type("HeadDeadlineProtocol", (HeadDeadlineProtocol,), {"head_timeout_s": head_timeout_s})


def server_options(settings: ServeSettings) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` / ``uvicorn.Config`` that bound connections."""
    return {
        "http": head_deadline_protocol(settings.header_timeout_s),
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_s,
    }
