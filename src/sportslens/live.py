"""Live analysis: frames from a camera, stream or file, pose and repetitions on the newest one.

A reader thread decodes the source with PyAV into a queue of one frame: when the analysis falls
behind, the waiting frame is replaced by the newer one and counted as dropped, so memory never
grows and latency stays one frame. A file is read as fast as the analysis takes it (nothing
dropped) or, with ``realtime``, at its own frame rate as a camera would deliver it.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import av
import numpy as np
from numpy.typing import NDArray

from sportslens.pose.keypoints import Keypoints
from sportslens.pose.live_counter import LiveCounter, LiveRepetition

PoseFn = Callable[[int, NDArray[np.uint8]], Keypoints]
"""(frame index, (H, W, 3) uint8 frame) → that frame's (1, V, 2) keypoints."""


@dataclass(frozen=True)
class LiveStatus:
    """One analysed frame: what the live line shows."""

    frame: int
    count: int
    angle: float | None
    signal: str | None
    fps: float
    latency_ms: float
    dropped: int


@dataclass(frozen=True)
class LiveSummary:
    source: str
    frames: int
    analysed: int
    dropped: int
    repetitions: tuple[LiveRepetition, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": "summary",
            "source": self.source,
            "frames": self.frames,
            "analysed": self.analysed,
            "dropped": self.dropped,
            "count": len(self.repetitions),
        }


def open_source(source: str) -> Any:
    """A PyAV container for a webcam index (``0``), a device, a stream URL or a file."""
    if source.isdigit():  # a webcam index: the platform's capture device
        import sys

        fmt, name = (
            ("avfoundation", source)
            if sys.platform == "darwin"
            else ("v4l2", f"/dev/video{source}")
        )
        return av.open(name, format=fmt)
    if not ("://" in source or Path(source).exists()):
        raise ValueError(f"{source}: no such file, and not a webcam index or stream URL")
    return av.open(source, options={"rtsp_transport": "tcp"} if source.startswith("rtsp") else {})


def _read(
    container: Any,
    realtime: bool,
    frames: queue.Queue[Any],
    stop: threading.Event,
    drops: list[int],
) -> None:
    """Decode into ``frames`` (one slot), replacing an unread frame when live; None at the end."""
    stream = container.streams.video[0]
    clock = time.perf_counter()
    live = realtime or not isinstance(container.name, str) or "://" in container.name
    try:
        for index, frame in enumerate(container.decode(stream)):
            if stop.is_set():
                return
            if realtime and frame.time is not None:
                time.sleep(max(0.0, clock + float(frame.time) - time.perf_counter()))
            item = (index, frame.to_ndarray(format="rgb24"), time.perf_counter())
            if not live:
                frames.put(item)
                continue
            try:
                frames.put_nowait(item)
            except queue.Full:
                try:
                    frames.get_nowait()
                    drops[0] += 1
                except queue.Empty:
                    pass
                frames.put_nowait(item)
    finally:
        frames.put(None)


def run_live(
    source: str,
    pose: PoseFn | None = None,
    *,
    exercise: str | None = None,
    realtime: bool = False,
    events: IO[str] | None = None,
    on_status: Callable[[LiveStatus], None] | None = None,
) -> LiveSummary:
    """Analyse ``source`` frame by frame until it ends (or Ctrl-C); events as JSON lines.

    ``pose`` gives each frame's keypoints; by default MediaPipe's BlazePose follows the person.
    """
    container = open_source(source)
    fps = float(container.streams.video[0].average_rate or 30)
    with ExitStack() as stack:
        if pose is None:
            from sportslens.pose.backends.mediapipe import mediapipe_frames

            frame_pose = stack.enter_context(mediapipe_frames(fps))
            pose = lambda index, image: frame_pose(image)  # noqa: E731
        return _analyse(container, source, fps, pose, exercise, realtime, events, on_status)


def _analyse(
    container: Any,
    source: str,
    fps: float,
    pose: PoseFn,
    exercise: str | None,
    realtime: bool,
    events: IO[str] | None,
    on_status: Callable[[LiveStatus], None] | None,
) -> LiveSummary:
    counter = LiveCounter(fps, exercise)
    frames: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop, drops = threading.Event(), [0]
    reader = threading.Thread(
        target=_read, args=(container, realtime, frames, stop, drops), daemon=True
    )
    reader.start()
    analysed, last, started = 0, -1, time.perf_counter()

    def emit(reps: list[LiveRepetition]) -> None:
        for rep in reps:
            if events is not None:
                events.write(json.dumps(rep.to_dict()) + "\n")
                events.flush()

    try:
        for index, image, arrived in _items(frames):
            emit(counter.push(pose(index, image)))
            analysed, last = analysed + 1, index
            if on_status is not None:
                elapsed = time.perf_counter() - started
                on_status(
                    LiveStatus(
                        index,
                        counter.count,
                        counter.angle,
                        counter.signal,
                        analysed / max(elapsed, 1e-9),
                        1000 * (time.perf_counter() - arrived),
                        drops[0],
                    )
                )
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        emit(counter.finish())
        reader.join(timeout=2)
        container.close()
    summary = LiveSummary(source, last + 1, analysed, drops[0], tuple(counter.repetitions))
    if events is not None:
        events.write(json.dumps(summary.to_dict()) + "\n")
    return summary


def _items(frames: queue.Queue[Any]) -> Iterator[tuple[int, NDArray[np.uint8], float]]:
    while (item := frames.get()) is not None:
        yield item


def imported_pose(keypoints: Keypoints) -> PoseFn:
    """A pose function reading frame ``index`` of known keypoints (the ``import`` backend)."""

    def pose(index: int, image: NDArray[np.uint8]) -> Keypoints:
        t = min(index, keypoints.num_frames - 1)
        return Keypoints(
            keypoints.keypoints[t : t + 1],
            keypoints.scores[t : t + 1],
            keypoints.layout,
            keypoints.fps,
            keypoints.size,
            keypoints.source,
        )

    return pose
