"""``/v1/live``: the playground's camera and stream modes over a WebSocket.

Camera mode: the page sends its camera's frames as binary JPEG messages (at a capped rate, one
in flight); each is decoded, posed and counted, and answered with one JSON message (keypoints,
angle, count). Stream mode (``?source=URL``): the server reads a stream it can reach and sends,
for each analysed frame, the frame as a JPEG and then the same JSON. Pose runs on the server so
that every client, a phone included, gets the same model and the same counts as ``sportslens
live``; the page only draws. One session holds one pose model and one thread; frames that arrive
while the last is analysed replace each other (only the newest is analysed, the rest counted as
dropped), so a session's memory and latency stay bounded.

Messages the server sends (JSON text): ``ready`` (layout, edges, fps, limits), ``frame`` (one
analysed frame), ``repetition`` (one that ended), ``summary`` (a stream ended). With
``?people=all|N`` the session follows every person instead (:mod:`.live_people_session`: a
``people`` list per frame, a ``track_id`` per repetition, ``person`` events). Errors close the
socket with a code and a reason; see :mod:`sportslens.serve.live_limits`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import numpy as np
from fastapi import APIRouter, WebSocket
from numpy.typing import NDArray
from starlette.websockets import WebSocketDisconnect, WebSocketState

from sportslens.live_label import LiveLabeler, is_skeleton_model
from sportslens.live_source import FrameReader, open_source
from sportslens.live_times import StreamTimes
from sportslens.pose.keypoints import MIN_DETECTED_SCORE, Keypoints
from sportslens.pose.layouts import layout_edges
from sportslens.pose.live_counter import LiveCounter
from sportslens.serve.live_frames import ClosingError, decode_jpeg, encode_jpeg, joints
from sportslens.serve.live_limits import (
    CLOSE_BUSY,
    CLOSE_ENDED,
    CLOSE_FAILED,
    CLOSE_IDLE,
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    STREAM_SCHEMES,
    FramePose,
    LiveSessions,
    LiveSettings,
    RateBucket,
)
from sportslens.serve.live_people_session import PeopleAnalysis, people_parameter

live_router = APIRouter()


@live_router.websocket("/v1/live")
async def live(websocket: WebSocket) -> None:
    """One live session: see the module docstring for the messages."""
    sessions: LiveSessions = websocket.app.state.live
    await websocket.accept()  # closing after accept carries the reason to the page
    opened = False
    try:
        params = _parameters(websocket, sessions.settings)
        if not sessions.try_open():
            raise ClosingError(
                CLOSE_BUSY,
                f"all {sessions.settings.max_sessions} live sessions are in use; try again later",
            )
        opened = True
        await _run_session(websocket, sessions, *params)
    except ClosingError as closing:
        await _close(websocket, closing.code, closing.reason)
    except WebSocketDisconnect:
        pass  # the client left: nothing to tell it
    finally:
        if opened:
            sessions.release()


def _parameters(
    websocket: WebSocket, settings: LiveSettings
) -> tuple[str | None, float, str | None, int | None]:
    """(exercise, fps, stream URL, most people or None for one) from the query; the API key
    checked."""
    query = websocket.query_params
    expected = websocket.app.state.server.settings.api_key
    # A browser cannot set headers on a WebSocket: the key comes as ?key=.
    if expected is not None and not hmac.compare_digest(
        query.get("key", "").encode(), expected.encode()
    ):
        raise ClosingError(CLOSE_POLICY, "this server needs its API key (?key=) for live sessions")
    exercise = query.get("exercise") or None
    if exercise is not None:
        from sportslens.pose.exercises import EXERCISES, find_exercise

        if find_exercise(exercise) is None:
            raise ClosingError(
                CLOSE_POLICY, f"unknown exercise {exercise!r}; one of {', '.join(EXERCISES)}"
            )
    try:
        fps = float(query.get("fps", settings.default_fps))
    except ValueError:
        raise ClosingError(CLOSE_POLICY, f"fps={query.get('fps')!r} is not a number") from None
    if not 0 < fps <= settings.max_fps:
        raise ClosingError(CLOSE_POLICY, f"fps={fps:g} is outside 0-{settings.max_fps:g}")
    source = query.get("source") or None
    if source is not None:
        if not settings.streams:
            raise ClosingError(CLOSE_POLICY, "this server does not read stream URLs")
        if source.split("://", 1)[0].lower() not in STREAM_SCHEMES or "://" not in source:
            raise ClosingError(
                CLOSE_POLICY, f"a stream URL must start with one of {', '.join(STREAM_SCHEMES)}://"
            )
    return exercise, fps, source, people_parameter(query.get("people"), settings)


async def _run_session(
    websocket: WebSocket,
    sessions: LiveSessions,
    exercise: str | None,
    fps: float,
    source: str | None,
    people: int | None,
) -> None:
    # One thread per session: MediaPipe's graph is entered, used and left on the same thread.
    pool = ThreadPoolExecutor(1, thread_name_prefix="sportslens-live")
    loop = asyncio.get_running_loop()
    stack = ExitStack()
    try:
        # The model first, then the stream: frames sent while it loads would be stale.
        pose, at_rate = None, None
        if people is None:
            pose = await loop.run_in_executor(pool, stack.enter_context, sessions.pose(fps))
        else:
            at_rate = await loop.run_in_executor(
                pool, stack.enter_context, sessions.people_pose(people)
            )
        reader = None
        if source is not None:
            reader = await _open_stream(source)
            stack.callback(reader.close)
            fps = reader.fps
        session = _Session(websocket, pool, pose, LiveCounter(fps, exercise))
        predictor = websocket.app.state.server.predictor
        if at_rate is not None and people is not None:  # labels follow one person: none here
            session.people = PeopleAnalysis(at_rate(fps), fps, exercise, people)
        elif is_skeleton_model(predictor):  # the action of the last seconds, as it changes
            session.labeler = LiveLabeler(predictor, fps)
        await websocket.send_json(session.ready(fps, sessions.settings, source))
        if reader is None:
            await session.camera(sessions.settings)
        else:
            reader.start()  # the pose model is loaded: read from now on
            await session.stream(reader, sessions.settings)
    finally:
        # The pose model leaves on its thread. Submitted to the pool directly, not through the
        # event loop: when the server shuts down, this may run as the loop closes.
        closed = pool.submit(stack.close)
        pool.shutdown(wait=False)
        # Shielded: a cancelled wait must not cancel the close itself (the cancellation goes on).
        await asyncio.shield(asyncio.wrap_future(closed))


async def _open_stream(source: str) -> FrameReader:
    try:
        container = await asyncio.to_thread(open_source, source)
    except Exception as error:  # PyAV's many errors: the page shows which
        raise ClosingError(CLOSE_FAILED, f"cannot open the stream: {error}") from None
    if not container.streams.video:
        container.close()
        raise ClosingError(CLOSE_FAILED, "the stream has no video")
    return FrameReader(container, live=True, start=False)


class _Session:
    """One session's pose model, counter and socket."""

    def __init__(
        self,
        websocket: WebSocket,
        pool: ThreadPoolExecutor,
        pose: FramePose | None,
        counter: LiveCounter,
    ) -> None:
        self.websocket, self.pool, self.pose, self.counter = websocket, pool, pose, counter
        self.dropped = 0
        self.analysed = 0
        self.labeler: LiveLabeler | None = None
        self.people: PeopleAnalysis | None = None  # ?people=: every person, not ``pose``
        self.times = StreamTimes()
        self.started = time.perf_counter()
        self.camera_mode = True

    def ready(self, fps: float, settings: LiveSettings, source: str | None) -> dict[str, Any]:
        message = {
            "event": "ready",
            "mode": "camera" if source is None else "stream",
            "layout": "blazepose33",
            "edges": [list(edge) for edge in layout_edges("blazepose33")],
            "fps": fps,
            "limits": {
                "max_fps": settings.max_fps,
                "max_frame_bytes": settings.max_frame_bytes,
                "max_frame_pixels": settings.max_frame_pixels,
            },
        }
        if self.people is not None:
            message["people"] = self.people.most
        return message

    async def camera(self, settings: LiveSettings) -> None:
        """Receive JPEG frames and analyse the newest; until the client leaves or breaks a limit."""
        newest: list[tuple[int, bytes, float] | None] = [None]
        waiting = asyncio.Event()

        async def receive() -> None:
            bucket = RateBucket(settings.max_fps, time.monotonic())
            for index in range(2**62):
                data = await self._next_bytes(settings)
                if len(data) > settings.max_frame_bytes:
                    raise ClosingError(
                        CLOSE_TOO_BIG,
                        f"a frame of {len(data)} bytes is over the limit of "
                        f"{settings.max_frame_bytes}",
                    )
                if not bucket.take(time.monotonic()):
                    raise ClosingError(
                        CLOSE_POLICY,
                        f"frames arrive faster than the limit of {settings.max_fps:g} per second",
                    )
                self.dropped += newest[0] is not None
                newest[0] = (index, data, time.perf_counter())
                waiting.set()

        async def analyse() -> None:
            while True:
                await waiting.wait()
                waiting.clear()
                item, newest[0] = newest[0], None
                if item is not None:
                    index, data, arrived = item
                    image = await self._in_thread(decode_jpeg, data, settings.max_frame_pixels)
                    await self.analyse(index, image, arrived)

        await _first_to_end(receive(), analyse())

    async def stream(self, reader: FrameReader, settings: LiveSettings) -> None:
        """Analyse the stream's newest frames until it ends, stalls or the client leaves."""
        self.camera_mode = False

        async def watch() -> None:
            while True:
                if (await self.websocket.receive())["type"] == "websocket.disconnect":
                    raise WebSocketDisconnect()

        async def analyse() -> None:
            while (
                item := await asyncio.to_thread(reader.next, settings.idle_timeout_s)
            ) is not None:
                index, image, arrived = item
                self.dropped = reader.dropped
                await self.websocket.send_bytes(await self._in_thread(encode_jpeg, image))
                await self.analyse(index, image, arrived)
            self.dropped = reader.dropped
            for event in self._finish():
                await self.websocket.send_json(event)
            if reader.ended == "stalled":
                raise ClosingError(
                    CLOSE_IDLE, f"no frame from the stream for {settings.idle_timeout_s:g} s"
                )
            if reader.ended is not None and reader.ended.startswith("failed"):
                raise ClosingError(CLOSE_FAILED, f"the stream {reader.ended}")
            await self.websocket.send_json(self.summary())
            raise ClosingError(CLOSE_ENDED, "the stream ended")

        await _first_to_end(watch(), analyse())

    async def analyse(self, index: int, image: NDArray[np.uint8], arrived: float) -> None:
        """Pose and count one (H, W, 3) frame; send its result and any repetition it ended."""
        if self.people is not None:
            await self._analyse_people(self.people, index, image, arrived)
            return
        # A camera's frames are timed by their arrival; a stream's by its frame rate.
        seconds = arrived - self.started if self.camera_mode else index / self.counter.fps
        keypoints, reps = await self._in_thread(self._pose_and_count, index, seconds, image)
        self.analysed += 1
        for rep in reps:
            await self.websocket.send_json(rep.to_dict())
        await self.websocket.send_json(
            {
                "event": "frame",
                "frame": index,
                "size": list(keypoints.size),
                "keypoints": joints(
                    keypoints.keypoints[0], keypoints.scores[0], MIN_DETECTED_SCORE
                ),
                "count": self.counter.count,
                "angle": None if self.counter.angle is None else round(self.counter.angle, 1),
                "signal": self.counter.signal,
                "latency_ms": round(1000 * (time.perf_counter() - arrived), 1),
                "dropped": self.dropped,
                "label": None if self.labeler is None else self.labeler.label,
                "label_score": None if self.labeler is None else self.labeler.score,
            }
        )

    async def _analyse_people(
        self, people: PeopleAnalysis, index: int, image: NDArray[np.uint8], arrived: float
    ) -> None:
        """Every person of one frame: the events it ended, then its ``frame`` message."""
        events, found, size = await self._in_thread(people.push, index, image)
        self.analysed += 1
        for event in events:
            await self.websocket.send_json(event)
        await self.websocket.send_json(
            {
                "event": "frame",
                "frame": index,
                "size": list(size),
                "people": found,
                "latency_ms": round(1000 * (time.perf_counter() - arrived), 1),
                "dropped": self.dropped,
            }
        )

    def _finish(self) -> list[dict[str, Any]]:
        """The stream ended: the repetitions (and, for people, ``person`` events) it ended."""
        if self.people is not None:
            return self.people.finish()
        return [self.times.place(rep).to_dict() for rep in self.counter.finish()]

    def summary(self) -> dict[str, Any]:
        counted = (
            {"count": self.counter.count}
            if self.people is None
            else {"people": self.people.summary()}
        )
        return {"event": "summary", "analysed": self.analysed, "dropped": self.dropped, **counted}

    def _pose_and_count(
        self, index: int, seconds: float, image: NDArray[np.uint8]
    ) -> tuple[Keypoints, list[Any]]:
        assert self.pose is not None, "a ?people= session poses through PeopleAnalysis"
        keypoints = self.pose(image)
        if self.labeler is not None:
            self.labeler.push(keypoints)
        self.times.push(index, seconds)
        return keypoints, [self.times.place(rep) for rep in self.counter.push(keypoints)]

    async def _in_thread(self, work: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, work, *args)

    async def _next_bytes(self, settings: LiveSettings) -> bytes:
        """The next binary message; text messages are ignored (the page sends none)."""
        while True:
            try:
                async with asyncio.timeout(settings.idle_timeout_s):
                    message = await self.websocket.receive()
            except TimeoutError:
                raise ClosingError(
                    CLOSE_IDLE, f"no frame for {settings.idle_timeout_s:g} s; the session ended"
                ) from None
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            if message.get("bytes") is not None:
                return bytes(message["bytes"])


async def _first_to_end(*work: Any) -> None:
    """Run the coroutines together; the first to raise (or return) ends the others."""
    tasks = [asyncio.ensure_future(one) for one in work]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if (error := task.exception()) is not None:
            raise error


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if (
        websocket.application_state == WebSocketState.CONNECTED
        and websocket.client_state == WebSocketState.CONNECTED
    ):
        with contextlib.suppress(RuntimeError, OSError):  # the client went away first
            await websocket.close(code, reason)
