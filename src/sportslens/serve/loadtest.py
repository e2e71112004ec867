"""``sportslens bench serve``: a bounded load against a real server on 127.0.0.1.

The server runs in its own process (``python -m sportslens serve``), so the load generator's
threads do not share its interpreter lock; N clients post the same clip back to back for a fixed
time, once with batching on and once with it off.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from sportslens.checkpoint import CheckpointInfo, save_checkpoint
from sportslens.models import create_model

BENCH_CLASSES = ["back_dive", "forward_dive", "inward_dive", "reverse_dive", "twist_dive"]


def write_random_checkpoint(folder: Path, model: str = "r2plus1d_tiny") -> Path:
    """A random-init checkpoint at the model's default input: serving cost without training."""
    network = create_model(model, len(BENCH_CLASSES))
    info = CheckpointInfo(model, BENCH_CLASSES, network.preprocess, dict(network.build_kwargs))
    return save_checkpoint(folder, network, info)


def post_for(
    url: str, video: bytes, clients: int, seconds: float
) -> tuple[list[float], int, float]:
    """``clients`` threads post ``video`` back to back for ``seconds``.

    Returns the latencies (ms) of answered requests, the number of errors, and the seconds from
    the first request to the last answer. Each client sends at least one request, however late
    its thread starts.
    """
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    began = time.perf_counter()
    deadline = began + seconds

    def client() -> None:
        with httpx.Client(timeout=120) as http:
            start = time.perf_counter()
            while True:
                response = http.post(
                    f"{url}/v1/predict", content=video, headers={"content-type": "video/mp4"}
                )
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                    else:
                        errors[0] += 1
                start = time.perf_counter()
                if start >= deadline:
                    return

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - began


def summarize_load(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    """Requests per second and latency percentiles (ms) of one load run."""
    values = np.asarray(latencies or [float("nan")])
    p50, p95, p99 = np.percentile(values, [50, 95, 99]).tolist()
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": len(latencies) / seconds,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
    }


def bench_serve(
    checkpoint: Path, video: Path, *, clients: int, seconds: float, warmup_s: float = 3.0
) -> list[dict[str, Any]]:
    """One row per batching mode: the server's throughput and latency under ``clients``.

    ``cpu_ms_per_request`` is the CPU time the server process used per answered request: on a
    machine shared with other work, throughput depends on the CPU share the server gets as well
    as on the work per request, and this separates the two.
    """
    data = video.read_bytes()
    rows = []
    for batching in (True, False):
        with server_process(checkpoint, batching=batching, max_in_flight=max(clients, 1)) as (
            url,
            pid,
        ):
            # Unmeasured load first: the first forward pass at each batch size builds and caches
            # its kernels (hundreds of ms), which would otherwise land in the percentiles.
            post_for(url, data, clients, warmup_s)
            cpu_before = _cpu_seconds(pid)
            latencies, errors, elapsed = post_for(url, data, clients, seconds)
            cpu = _cpu_seconds(pid) - cpu_before
        rows.append(
            {
                "batching": batching,
                "clients": clients,
                **summarize_load(latencies, errors, elapsed),
                "cpu_ms_per_request": cpu * 1000 / max(len(latencies), 1),
            }
        )
    return rows


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its finished children, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def server_process(
    checkpoint: Path, *, batching: bool, max_in_flight: int
) -> Iterator[tuple[str, int]]:
    """``sportslens serve`` in a child process on a free local port: its URL and process id."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        *(sys.executable, "-m", "sportslens", "serve", "--checkpoint", str(checkpoint)),
        *("--port", str(port), "--max-in-flight", str(max_in_flight), "--log-level", "warning"),
        "--batching" if batching else "--no-batching",
    ]
    process = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(url: str, process: subprocess.Popen[bytes], limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} was not ready after {limit_s:g} s")
