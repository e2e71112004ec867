"""Live analysis: frames from a camera, stream or file, pose and repetitions on the newest one.

The frames come from :class:`~sportslens.live_source.FrameReader` (a one-frame queue: nothing
accumulates, a frame the analysis had no time for is dropped and counted). Each analysed frame
goes through one person's pose and :class:`~sportslens.pose.live_counter.LiveCounter`, or every
person's pose, tracks and counters (:mod:`sportslens.live_analysis`); finished repetitions are
written as JSON lines, the frame drawn to an optional annotated video, and the summary says how
the source ended.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from sportslens.live_analysis import Everyone, FrameAnalysis, OnePerson, PoseFn
from sportslens.live_label import LiveLabeler
from sportslens.live_overlay import AnnotatedVideo, draw_live_frame
from sportslens.live_people import PersonStatus
from sportslens.live_source import FrameReader, is_live, open_source
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.live_counter import LiveRepetition
from sportslens.pose.people import PeopleChoice
from sportslens.predict import Predictor

__all__ = ["LiveStatus", "LiveSummary", "PoseFn", "imported_pose", "run_live"]

STALL_S = 10.0
"""A live source that sends no frame for this long has stalled: the run ends with a message."""


@dataclass(frozen=True)
class LiveStatus:
    """One analysed frame: what the live line shows (with several people: the total count and
    each person in ``people``)."""

    frame: int
    count: int
    angle: float | None
    signal: str | None
    fps: float
    latency_ms: float
    dropped: int
    label: str | None = None
    people: tuple[PersonStatus, ...] = ()


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
    people: tuple[tuple[int, int], ...] | None = None
    """With several people: (track id, count) of each person, in the order they left."""

    def to_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "event": "summary",
            "source": self.source,
            "frames": self.frames,
            "analysed": self.analysed,
            "dropped": self.dropped,
            "count": len(self.repetitions),
            "ended": self.ended,
        }
        if self.people is not None:
            answer["people"] = [{"track_id": t, "count": c} for t, c in sorted(self.people)]
        return answer


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
    people: PeopleChoice = "largest",
    annotated: str | os.PathLike[str] | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> LiveSummary:
    """Analyse ``source`` frame by frame until it ends, stalls, fails or Ctrl-C.

    ``pose`` gives each frame's keypoints; by default MediaPipe's BlazePose follows the person.
    With ``people`` "all" (or N: at most N at once, the first found), the blazepose-multi
    backend finds every person and each track is counted on its own
    (:class:`~sportslens.live_people.LivePeople`). A skeleton model's ``predictor`` labels the
    last seconds (:class:`LiveLabeler`). Finished repetitions, label changes, people who left
    and the summary are written to ``events`` as JSON lines; ``annotated`` receives each
    analysed frame drawn (:mod:`sportslens.live_overlay`); ``on_event`` sees each event.
    """
    if people != "largest" and (pose is not None or predictor is not None):
        raise ValueError(
            "--people all or N finds every person with blazepose-multi: it takes neither "
            "--keypoints (one recorded person) nor --checkpoint (labels follow one person)"
        )
    with ExitStack() as stack:
        # The model first, then the source: a stream's frames sent while the model loads (about
        # a second) would be stale, and dropped, by the time it could analyse them.
        create_analysis = _load_models(stack, people, pose, exercise, predictor)
        live = is_live(source)
        reader = FrameReader(open_source(source), live=live, realtime=realtime, start=False)
        stack.callback(reader.close)
        analysis = create_analysis(reader.fps)
        video = None
        if annotated is not None:
            video = stack.enter_context(AnnotatedVideo(annotated, reader.fps))
        reader.start()  # the models are loaded: frames from now on are analysed
        summary = _analyse(
            reader, source, analysis, _Outputs(events, on_status, on_event, video), stall_s
        )
    if events is not None:
        events.write(json.dumps(summary.to_dict()) + "\n")
    return summary


def _load_models(
    stack: ExitStack,
    people: PeopleChoice,
    pose: PoseFn | None,
    exercise: str | None,
    predictor: Predictor | None,
) -> Callable[[float], FrameAnalysis]:
    """Load the pose model now; the analysis is made from it once the source's rate is known."""
    if people != "largest":
        from sportslens.pose.backends.blazepose_multi import MultiPoseSettings, MultiPoseStream

        # N: at most N people followed at once (each costs a landmark pass a frame).
        most = MultiPoseSettings().max_people if people == "all" else int(people)
        multi = MultiPoseStream(MultiPoseSettings(max_people=most))
        return lambda fps: Everyone(multi.at_rate(fps), fps, exercise)
    frame_pose = None
    if pose is None:
        from sportslens.pose.backends.mediapipe import mediapipe_frames

        frame_pose = stack.enter_context(mediapipe_frames(30.0))  # fps: set per frame

    def one_person(fps: float) -> FrameAnalysis:
        labeler = None if predictor is None else LiveLabeler(predictor, fps)
        if pose is not None:
            return OnePerson(pose, fps, exercise, labeler)
        assert frame_pose is not None
        return OnePerson(_at_rate(frame_pose, fps), fps, exercise, labeler)

    return one_person


def _at_rate(frame_pose: Callable[[NDArray[np.uint8]], Keypoints], fps: float) -> PoseFn:
    """A stream pose function whose keypoints carry the stream's rate."""
    return lambda index, image: replace(frame_pose(image), fps=fps)


@dataclass(frozen=True)
class _Outputs:
    """Where a run's results go: the events file, the live line, an event callback, the video."""

    events: IO[str] | None
    on_status: Callable[[LiveStatus], None] | None
    on_event: Callable[[dict[str, Any]], None] | None
    video: AnnotatedVideo | None

    def emit(self, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            if self.events is not None:
                self.events.write(json.dumps(line) + "\n")
                self.events.flush()
            if self.on_event is not None:
                self.on_event(line)


def _analyse(
    reader: FrameReader, source: str, analysis: FrameAnalysis, out: _Outputs, stall_s: float
) -> LiveSummary:
    analysed, last, started = 0, -1, time.perf_counter()
    emit, video, on_status = out.emit, out.video, out.on_status

    # A file waits for the analysis: only a live source can stall.
    wait = stall_s if reader.live else None
    ended = None
    try:
        while (item := reader.next(wait)) is not None:
            index, image, arrived = item
            result = analysis.push(index, image)
            latency_ms = 1000 * (time.perf_counter() - arrived)
            emit(result.events)
            if video is not None:
                drawn = draw_live_frame(
                    image, result.points, result.scores, result.track_ids, result.layout,
                    result.people, analysis.several,
                )  # fmt: skip
                video.write(index, drawn)
            analysed, last = analysed + 1, index
            if on_status is not None:
                fps = analysed / max(time.perf_counter() - started, 1e-9)
                on_status(
                    LiveStatus(
                        index, result.count, result.angle, result.signal, fps, latency_ms,
                        reader.dropped, result.label,
                        result.people if analysis.several else (),
                    )
                )  # fmt: skip
    except KeyboardInterrupt:
        ended = "interrupted"
    finally:
        emit(analysis.finish())
    ended = ended or reader.ended or "end"
    return LiveSummary(
        source, last + 1, analysed, reader.dropped, analysis.repetitions(), ended,
        analysis.people(),
    )  # fmt: skip


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
