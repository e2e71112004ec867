"""``bench live``: what ``sportslens live`` sustains on this machine, one person at 640x480.

A synthetic camera delivers a squatting athlete at the camera's rate through the same one-frame
queue as a real camera (:class:`~sportslens.live_source.FrameReader`); MediaPipe and the
streaming counter analyse the newest frame, as ``live`` does. Measured: analysed frames per
second, latency from a frame's capture to its result (p50, p95), frames dropped, and the
process's resident memory, sampled every second, over the whole run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.live_source import FrameReader
from sportslens.pose.live_counter import LiveCounter


@dataclass(frozen=True)
class LiveBenchConfig:
    seconds: float = 60.0
    """Length of the measured run (after ``warmup_s``)."""
    warmup_s: float = 5.0
    """Analysed but not measured: model loading, first allocations."""
    fps: float = 30.0
    """The camera's rate."""
    width: int = 640
    height: int = 480
    loop_s: float = 4.0
    """Length of the pre-rendered athlete clip the camera loops."""


class LoopingCamera(FrameReader):
    """A camera playing pre-rendered (H, W, 3) frames in a loop at ``fps``, in real time."""

    def __init__(self, frames: list[NDArray[np.uint8]], fps: float) -> None:
        self._loop, self._rate = frames, fps
        super().__init__(None, live=True, realtime=True)

    @property
    def fps(self) -> float:
        return self._rate

    def _images(self) -> Iterator[tuple[NDArray[np.uint8], float | None]]:
        index = 0
        while True:
            yield self._loop[index % len(self._loop)], index / self._rate
            index += 1


def camera_frames(config: LiveBenchConfig) -> list[NDArray[np.uint8]]:
    """A squatting athlete rendered at ``height`` px, centred in ``width`` x ``height`` frames."""
    from sportslens.synth.clips import render_frames, sample_clip_spec
    from sportslens.synth.settings import ClipSettings

    side = config.height - config.height % 2
    settings = ClipSettings(fps=config.fps, size=side, seed=0).lasting(config.loop_s)
    left = (config.width - side) // 2
    frames = []
    for square in render_frames(sample_clip_spec("squat", 0, settings)):
        frame = np.zeros((config.height, config.width, 3), np.uint8)  # (H, W, 3)
        frame[:side, left : left + side] = square
        frames.append(frame)
    return frames


def rss_mb() -> float:
    """This process's resident memory in MB (Linux /proc; 0 where there is none)."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_live(config: LiveBenchConfig) -> dict[str, Any]:
    """Run the camera and the analysis for ``warmup_s + seconds``; the figures of the run."""
    from sportslens.pose.backends.mediapipe import mediapipe_frames

    camera = LoopingCamera(camera_frames(config), config.fps)
    counter = LiveCounter(config.fps, "squat")
    latencies: list[float] = []
    memory: list[float] = []
    with mediapipe_frames(config.fps) as pose:
        started = time.perf_counter()
        measuring = started + config.warmup_s
        end = measuring + config.seconds
        analysed = dropped_before = captured_before = 0
        next_sample = measuring
        while (now := time.perf_counter()) < end:
            item = camera.next(10.0)
            if item is None:
                raise RuntimeError(f"the synthetic camera {camera.ended}")
            _, image, captured = item
            counter.push(pose(image))
            done = time.perf_counter()
            if now < measuring:
                dropped_before, captured_before = camera.dropped, camera.decoded
                continue
            analysed += 1
            latencies.append(1000 * (done - captured))
            if done >= next_sample:
                memory.append(rss_mb())
                next_sample += 1.0
        camera.close()
    return _figures(config, latencies, memory, analysed, camera.dropped - dropped_before,
                    camera.decoded - captured_before, counter.count)  # fmt: skip


def _figures(
    config: LiveBenchConfig,
    latencies: list[float],
    memory: list[float],
    analysed: int,
    dropped: int,
    captured: int,
    count: int,
) -> dict[str, Any]:
    lat = np.asarray(latencies)
    minute = max(1, min(60, len(memory) // 4))  # the first and last minute (or quarter)
    return {
        "seconds": config.seconds,
        "size": f"{config.width}x{config.height}",
        "camera_fps": config.fps,
        "captured": captured,
        "analysed": analysed,
        "dropped": dropped,
        "fps": analysed / config.seconds,
        "latency_p50_ms": float(np.percentile(lat, 50)) if lat.size else None,
        "latency_p95_ms": float(np.percentile(lat, 95)) if lat.size else None,
        "rss_start_mb": memory[0] if memory else None,
        "rss_end_mb": memory[-1] if memory else None,
        "rss_max_mb": max(memory) if memory else None,
        # Growth: the median of the last minute over the median of the first (after warm-up).
        "rss_growth_mb": float(np.median(memory[-minute:]) - np.median(memory[:minute]))
        if memory
        else None,
        "repetitions": count,
    }
