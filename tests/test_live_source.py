"""FrameReader: the one-frame queue, and how a source ends (end, stall, device error)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av

from conftest import MakeVideo
from sportslens.live_source import FrameReader, is_live


class _Unplugged:
    """A real container whose camera is unplugged after ``frames`` frames (v4l2: ENODEV)."""

    def __init__(self, path: Path, frames: int) -> None:
        self._container = av.open(str(path))
        self.streams = self._container.streams
        self.name = str(path)
        self._frames = frames
        self.closed = False

    def decode(self, stream: Any) -> Iterator[Any]:
        for index, frame in enumerate(self._container.decode(stream)):
            if index == self._frames:
                raise OSError(19, "No such device")
            yield frame

    def close(self) -> None:
        self.closed = True
        self._container.close()


def test_a_camera_unplugged_mid_stream_fails_with_the_reason(make_video: MakeVideo) -> None:
    camera = _Unplugged(make_video("camera.mp4", frames=12), 5)
    reader = FrameReader(camera, live=False)
    frames = []
    while (item := reader.next(5.0)) is not None:
        frames.append(item[0])
    reader.close()
    assert frames == [0, 1, 2, 3, 4]
    assert reader.ended == "failed: OSError: [Errno 19] No such device"
    assert camera.closed


def test_a_live_source_keeps_only_the_newest_frame(make_video: MakeVideo) -> None:
    reader = FrameReader(av.open(str(make_video("fast.mp4", frames=20))), live=True)
    deadline = time.monotonic() + 10
    while reader.decoded < 20 and time.monotonic() < deadline:
        time.sleep(0.01)  # the analysis is "busy": the reader keeps replacing the waiting frame
    item = reader.next(5.0)
    assert item is not None and item[0] == 19
    assert reader.next(5.0) is None and reader.ended == "end"
    assert reader.dropped == 19
    reader.close()


def test_a_source_that_sends_nothing_stalls(make_video: MakeVideo) -> None:
    class Silent(_Unplugged):
        def decode(self, stream: Any) -> Iterator[Any]:
            time.sleep(1.0)
            yield from ()

    camera = Silent(make_video("silent.mp4", frames=2), 0)
    reader = FrameReader(camera, live=True)
    assert reader.next(0.2) is None and reader.ended == "stalled"
    assert reader.next(5.0) is None  # stays ended
    reader.close()
    assert camera.closed  # the thread ended within the join's time, so the container closed


def test_cameras_streams_and_pipes_are_live(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert is_live("0") and is_live("rtsp://x/y") and is_live(str(fifo))
    assert not is_live(str(tmp_path / "clip.mp4"))


def test_a_reader_not_started_reads_nothing(make_video: MakeVideo) -> None:
    reader = FrameReader(av.open(str(make_video("idle.mp4", frames=5))), live=True, start=False)
    time.sleep(0.2)
    assert reader.decoded == 0 and reader.next(0.1) is None and reader.ended == "stalled"
    reader.close()
    started = FrameReader(av.open(str(make_video("go.mp4", frames=5))), live=False, start=False)
    started.start()
    assert [started.next(5.0) is not None for _ in range(5)] == [True] * 5
    started.close()
