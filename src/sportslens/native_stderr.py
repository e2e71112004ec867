"""Keep native libraries' log lines (MediaPipe, TensorFlow Lite) off the terminal.

MediaPipe's C++ core and TensorFlow Lite write straight to file descriptor 2 ("INFO: Created
TensorFlow Lite XNNPACK delegate", "W0000 ... inference_feedback_manager.cc"), past Python's
logging and past every environment switch the 0.10.21 wheel reads. So while such a library runs,
descriptor 2 points at /dev/null and Python's ``sys.stderr`` at a copy of the real one: progress
bars and warnings written from Python still show.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

__all__ = ["SHOW_NATIVE_LOGS", "quiet_native_stderr"]

SHOW_NATIVE_LOGS = "SPORTSLENS_NATIVE_LOGS"
"""Set this environment variable to 1 to see the native libraries' logs again."""

_lock = threading.Lock()
_depth = 0  # nested or concurrent users share one redirection
_saved: tuple[int, TextIO] | None = None  # the real descriptor 2 and the real sys.stderr


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Native writes to descriptor 2 are dropped inside; Python's ``sys.stderr`` still shows."""
    if os.environ.get(SHOW_NATIVE_LOGS, "") not in {"", "0"} or not _has_fd2():
        yield
        return
    _enter()
    try:
        yield
    finally:
        _leave()


def _has_fd2() -> bool:
    try:
        os.fstat(2)
    except OSError:
        return False
    return True


def _enter() -> None:
    global _depth, _saved
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        sys.stderr.flush()
        real = os.dup(2)
        python_stderr = sys.stderr
        sys.stderr = os.fdopen(os.dup(real), "w", buffering=1, encoding="utf-8", errors="replace")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        _saved = (real, python_stderr)


def _leave() -> None:
    global _depth, _saved
    with _lock:
        _depth -= 1
        if _depth > 0 or _saved is None:
            return
        real, python_stderr = _saved
        sys.stderr.flush()
        sys.stderr.close()
        os.dup2(real, 2)
        os.close(real)
        sys.stderr = python_stderr
        _saved = None
