"""Live analysis: frames from a camera, stream or file, pose and repetitions on the newest one.

The frames come from :class:`~sportslens.live_source.FrameReader` (a one-frame queue: nothing
accumulates, a frame the analysis had no time for is dropped and counted). Each analysed frame
goes through the pose function and :class:`~sportslens.pose.live_counter.LiveCounter`; finished
repetitions are written as JSON lines, and the summary says how the source ended.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from sportslens.live_label import LiveLabeler
from sportslens.live_source import FrameReader, is_live, open_source
from sportslens.live_times import StreamTimes
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.live_counter import LiveCounter, LiveRepetition
from sportslens.predict import Predictor

PoseFn = Callable[[int, NDArray[np.uint8]], Keypoints]
"""(frame index, (H, W, 3) uint8 frame) → that frame's (1, V, 2) keypoints."""

STALL_S = 10.0
"""A live source that sends no frame for this long has stalled: the run ends with a message."""


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
    label: str | None = None


@dataclass(frozen=True)
class LiveSummary:
    source: str
    frames: int
    analysed: int
    dropped: int
    repetitions: tuple[LiveRepetition, ...]
    ended: str = "end"
    """How the run ended: "end" (of the file or stream), "stalled", "failed: <error>" or
    "interrupted" (Ctrl-C)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": "summary",
            "source": self.source,
            "frames": self.frames,
            "analysed": self.analysed,
            "dropped": self.dropped,
            "count": len(self.repetitions),
            "ended": self.ended,
        }


def run_live(
    source: str,
    pose: PoseFn | None = None,
    *,
    exercise: str | None = None,
    realtime: bool = False,
    events: IO[str] | None = None,
    on_status: Callable[[LiveStatus], None] | None = None,
    stall_s: float = STALL_S,
    predictor: Predictor | None = None,
) -> LiveSummary:
    """Analyse ``source`` frame by frame until it ends, stalls, fails or Ctrl-C.

    ``pose`` gives each frame's keypoints; by default MediaPipe's BlazePose follows the person.
    A skeleton model's ``predictor`` labels the last seconds (:class:`LiveLabeler`). Finished
    repetitions, label changes and the summary are written to ``events`` as JSON lines.
    """
    with ExitStack() as stack:
        # The model first, then the source: a stream's frames sent while MediaPipe loads (about
        # a second) would be stale, and dropped, by the time it could analyse them.
        frame_pose = None
        if pose is None:
            from sportslens.pose.backends.mediapipe import mediapipe_frames

            frame_pose = stack.enter_context(mediapipe_frames(30.0))  # fps: set per frame
        live = is_live(source)
        reader = FrameReader(open_source(source), live=live, realtime=realtime, start=False)
        stack.callback(reader.close)
        if pose is None:
            assert frame_pose is not None
            pose = _at_rate(frame_pose, reader.fps)
        labeler = None if predictor is None else LiveLabeler(predictor, reader.fps)
        reader.start()  # the models are loaded: frames from now on are analysed
        summary = _analyse(reader, source, pose, exercise, events, on_status, stall_s, labeler)
    if events is not None:
        events.write(json.dumps(summary.to_dict()) + "\n")
    return summary


def _at_rate(frame_pose: Callable[[NDArray[np.uint8]], Keypoints], fps: float) -> PoseFn:
    """A stream pose function whose keypoints carry the stream's rate."""
    return lambda index, image: replace(frame_pose(image), fps=fps)


def _analyse(
    reader: FrameReader,
    source: str,
    pose: PoseFn,
    exercise: str | None,
    events: IO[str] | None,
    on_status: Callable[[LiveStatus], None] | None,
    stall_s: float,
    labeler: LiveLabeler | None = None,
) -> LiveSummary:
    counter = LiveCounter(reader.fps, exercise)
    analysed, last, started = 0, -1, time.perf_counter()

    times = StreamTimes()  # frames dropped: the counter's numbers run behind the stream's

    def emit(reps: list[LiveRepetition]) -> None:
        for rep in reps:
            if events is not None:
                events.write(json.dumps(times.place(rep).to_dict()) + "\n")
                events.flush()

    # A file waits for the analysis: only a live source can stall.
    wait = stall_s if reader.live else None
    ended = None
    try:
        while (item := reader.next(wait)) is not None:
            index, image, arrived = item
            keypoints = pose(index, image)
            times.push(index, index / reader.fps)
            emit(counter.push(keypoints))
            if labeler is not None:
                _label(labeler, keypoints, index / reader.fps, events)
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
                        reader.dropped,
                        None if labeler is None else labeler.label,
                    )
                )
    except KeyboardInterrupt:
        ended = "interrupted"
    finally:
        emit(counter.finish())
    ended = ended or reader.ended or "end"
    return LiveSummary(
        source, last + 1, analysed, reader.dropped, tuple(counter.repetitions), ended
    )


def _label(
    labeler: LiveLabeler, keypoints: Keypoints, time_s: float, events: IO[str] | None
) -> None:
    """Feed the labeler; a ``label`` event when the label changes."""
    before = labeler.label
    if labeler.push(keypoints) and labeler.label != before and events is not None:
        score = None if labeler.score is None else round(labeler.score, 3)
        line = {
            "event": "label",
            "label": labeler.label,
            "score": score,
            "time_s": round(time_s, 3),
        }
        events.write(json.dumps(line) + "\n")


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
