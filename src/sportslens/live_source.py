"""Frames from a camera, stream or file, newest first: the reader thread behind ``live``.

A reader thread decodes the source with PyAV into a queue of one frame: when the analysis falls
behind, the waiting frame is replaced by the newer one and counted as dropped, so memory never
grows and latency stays one frame. A file is read as fast as the analysis takes it (nothing
dropped) or, with ``realtime``, at its own frame rate as a camera would deliver it.

How a source can end, and what :meth:`FrameReader.next` does then: the end of a file or of a
stream returns None with ``ended = "end"``; a decoding or device error (a camera unplugged)
returns None with ``ended = "failed: ..."``; no frame within ``stall_s`` returns None with
``ended = "stalled"``. Network sources are opened with PyAV's I/O timeout, so their reader
thread ends by itself; a local pipe that stops writing blocks its reader in the kernel until the
writer closes it, but the thread is a daemon and holds nothing else.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

Frame = tuple[int, NDArray[np.uint8], float]
"""(stream index, (H, W, 3) uint8 RGB frame, ``time.perf_counter()`` when it was decoded)."""

NETWORK_TIMEOUT_S = 10.0
"""PyAV's time limit for opening a network stream and for each read from it."""


def open_source(source: str, *, timeout_s: float = NETWORK_TIMEOUT_S) -> Any:
    """A PyAV container for a webcam index (``0``), a device, a stream URL or a file."""
    if source.isdigit():  # a webcam index: the platform's capture device
        fmt, name = (
            ("avfoundation", source)
            if sys.platform == "darwin"
            else ("v4l2", f"/dev/video{source}")
        )
        return av.open(name, format=fmt)
    if "://" in source:
        options = {"rtsp_transport": "tcp"} if source.startswith("rtsp") else {}
        return av.open(source, options=options, timeout=(timeout_s, timeout_s))
    if not Path(source).exists():
        raise ValueError(f"{source}: no such file, and not a webcam index or stream URL")
    return av.open(source)


def is_live(source: str) -> bool:
    """A camera, a stream or a pipe: frames come at their own pace and old ones may be dropped."""
    if source.isdigit() or "://" in source or source.startswith("/dev/"):
        return True
    path = Path(source)
    return path.is_fifo() or path.is_char_device()


class FrameReader:
    """Decodes ``container`` in a daemon thread into a one-frame queue; read with :meth:`next`."""

    def __init__(
        self, container: Any, *, live: bool, realtime: bool = False, start: bool = True
    ) -> None:
        self.container = container
        self.live = live or realtime
        self.realtime = realtime
        self.dropped = 0
        self.decoded = 0
        self.ended: str | None = None  # why next() returned None
        self._frames: queue.Queue[Frame | None] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._error: str | None = None
        self._thread = threading.Thread(target=self._read, daemon=True, name="sportslens-live")
        if start:
            self.start()

    def start(self) -> None:
        """Start reading (once the analysis is ready: a file played in real time starts its
        clock here, so a model that takes a second to load drops nothing)."""
        if not self._thread.is_alive() and self._thread.ident is None:
            self._thread.start()

    @property
    def fps(self) -> float:
        return float(self.container.streams.video[0].average_rate or 30)

    def next(self, stall_s: float | None = None) -> Frame | None:
        """The newest frame; None once the source ended, failed or sent nothing for ``stall_s``."""
        if self.ended is not None:
            return None
        try:
            item = self._frames.get(timeout=stall_s)
        except queue.Empty:
            self.ended = "stalled"
            return None
        if item is None:
            self.ended = "end" if self._error is None else f"failed: {self._error}"
        return item

    def close(self, join_s: float = 2.0) -> None:
        """Stop the thread and close the container (a thread stuck in a read is left behind)."""
        self._stop.set()
        # Unblock a reader waiting to put a frame the analysis will never take.
        with contextlib.suppress(queue.Empty):
            self._frames.get_nowait()
        if self._thread.ident is not None:
            self._thread.join(timeout=join_s)
        if not self._thread.is_alive() and self.container is not None:
            self.container.close()

    def _images(self) -> Iterator[tuple[NDArray[np.uint8], float | None]]:
        """Each decoded (H, W, 3) uint8 RGB frame and its time in seconds (None: unknown)."""
        for frame in self.container.decode(self.container.streams.video[0]):
            yield frame.to_ndarray(format="rgb24"), frame.time

    def _read(self) -> None:
        clock = time.perf_counter()
        try:
            for index, (image, at) in enumerate(self._images()):
                if self._stop.is_set():
                    return
                if self.realtime and at is not None:
                    time.sleep(max(0.0, clock + float(at) - time.perf_counter()))
                self.decoded += 1
                self._put((index, image, time.perf_counter()))
        except Exception as error:  # a camera unplugged, a broken stream
            self._error = f"{type(error).__name__}: {error}"
        finally:
            self._put_end()

    def _put(self, item: Frame) -> None:
        if not self.live:
            while not self._stop.is_set():  # a file: wait for the analysis, drop nothing
                try:
                    self._frames.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue
            return
        try:
            self._frames.put_nowait(item)
        except queue.Full:
            try:
                self._frames.get_nowait()
                self.dropped += 1
            except queue.Empty:
                pass
            self._frames.put_nowait(item)

    def _put_end(self) -> None:
        while not self._stop.is_set():
            try:
                self._frames.put(None, timeout=0.1)
                return
            except queue.Full:
                if self.live:  # the end matters more than the last unread frame
                    with contextlib.suppress(queue.Empty):
                        self._frames.get_nowait()
                        self.dropped += 1
