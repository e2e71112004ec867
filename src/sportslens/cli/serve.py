"""``sportslens serve``: the HTTP API and web playground; ``sportslens bench serve``."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

from rich.table import Table

from sportslens.cli.app import (
    DEVICE_HELP,
    WEIGHTS_HELP,
    Opt,
    app,
    bench_app,
    console,
    print_json,
    reports_errors,
    torch_device,
)
from sportslens.cli.export import RuntimeChoice, RuntimeOpt, runtime_of

SERVE_EXTRA = 'the server needs the serve extra: pip install "sportslens[serve]"'


@app.command()
@reports_errors
def serve(
    checkpoint: Annotated[Path | None, Opt(help="A run folder or checkpoint folder.")] = None,
    model: Annotated[str | None, Opt(help="A registered model, with --weights.")] = None,
    weights: Annotated[str | None, Opt("--weights", "--pretrained", help=WEIGHTS_HELP)] = None,
    device: Annotated[str, Opt(help=DEVICE_HELP)] = "auto",
    runtime: RuntimeOpt = RuntimeChoice.torch,
    host: Annotated[str, Opt(help="Interface to listen on (0.0.0.0: every interface).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, Opt()] = 8000,
    api_key: Annotated[
        str | None,
        Opt(envvar="SPORTSLENS_API_KEY", help="Require this X-API-Key on /v1 requests."),
    ] = None,
    max_upload_mb: Annotated[float, Opt(help="Largest upload (413 above).")] = 200,
    upload_timeout: Annotated[float, Opt(help="Seconds to receive an upload (408 after).")] = 300,
    timeout: Annotated[float, Opt(help="Seconds per request once uploaded (504 after).")] = 60,
    max_frame_pixels: Annotated[
        int, Opt(help="Largest decoded frame, width x height (413 above; 4096x4096).")
    ] = 4096 * 4096,
    max_video_pixels: Annotated[
        int, Opt(help="Most pixels decoded per request, frames x width x height (413 above).")
    ] = 20 * 10**9,
    max_keypoint_mb: Annotated[
        float, Opt(help="Largest uncompressed keypoint arrays of a .npz (413 above).")
    ] = 64,
    max_connections: Annotated[int, Opt(help="Open connections at once (503 beyond).")] = 100,
    header_timeout: Annotated[float, Opt(help="Seconds to send a request head.")] = 10,
    keep_alive: Annotated[int, Opt(help="Seconds an idle connection stays open.")] = 5,
    max_in_flight: Annotated[int, Opt(help="Requests at work at once.")] = 8,
    max_queue: Annotated[int, Opt(help="Requests waiting beyond those (503 when full).")] = 32,
    batching: Annotated[bool, Opt(help="Merge model calls of concurrent requests.")] = True,
    max_batch: Annotated[int, Opt(help="Most clips per merged model call.")] = 8,
    batch_wait_ms: Annotated[float, Opt(help="Longest wait for a batch to fill.")] = 10,
    cors_origin: Annotated[
        list[str] | None, Opt(help="Allow browser pages from this origin (repeatable).")
    ] = None,
    log_level: Annotated[str, Opt(help="uvicorn's log level.")] = "info",
    max_live_sessions: Annotated[int, Opt(help="Live camera/stream sessions at once.")] = 2,
    max_live_fps: Annotated[float, Opt(help="Frames a second a live camera may send.")] = 30,
    max_live_frame_kb: Annotated[float, Opt(help="Largest JPEG frame of a live camera.")] = 2048,
    live_streams: Annotated[
        bool, Opt(help="Let the live page name a stream URL for the server to read.")
    ] = True,
) -> None:
    """Serve a model over HTTP: the /v1 API, its docs at /docs and the playground at /."""
    try:
        import uvicorn

        from sportslens.serve import ServeSettings, create_app, server_options
    except ImportError as error:
        raise ImportError(SERVE_EXTRA) from error
    from sportslens.predict import Predictor, check_model_source
    from sportslens.serve.live_limits import LiveSettings
    from sportslens.serve.settings import MB

    check_model_source(checkpoint, model, weights)
    # Load before listening: a bad checkpoint or missing weights is one error line here, and the
    # printed address answers at once.
    with console.status("loading the model"):
        predictor = Predictor.load(
            checkpoint,
            model=model,
            weights=weights,
            device=torch_device(device),
            runtime=runtime_of(runtime),
        )
    settings = ServeSettings(
        max_upload_bytes=round(max_upload_mb * MB),
        upload_timeout_s=upload_timeout,
        request_timeout_s=timeout,
        max_frame_pixels=max_frame_pixels,
        max_video_pixels=max_video_pixels,
        max_keypoint_bytes=round(max_keypoint_mb * MB),
        max_in_flight=max_in_flight,
        max_queue=max_queue,
        api_key=api_key or None,
        cors_origins=tuple(cors_origin or ()),
        batching=batching,
        max_batch=max_batch,
        batch_wait_ms=batch_wait_ms,
        max_connections=max_connections,
        header_timeout_s=header_timeout,
        keep_alive_s=keep_alive,
        live=LiveSettings(
            max_sessions=max_live_sessions,
            max_fps=max_live_fps,
            default_fps=min(15.0, max_live_fps),
            max_frame_bytes=round(max_live_frame_kb * 1024),
            streams=live_streams,
        ),
    )
    # /v1/model reports the run's metrics from the checkpoint folder.
    api = create_app(predictor, settings, checkpoint=checkpoint)
    config = uvicorn.Config(
        api, host=host, port=port, log_level=log_level, **server_options(settings)
    )
    listening = _bind(host, port)  # port 0: the system picks one, and the address says which
    url = f"http://{_url_host(host)}:{listening.getsockname()[1]}"
    console.print(f"playground: {url}/   API docs: {url}/docs", highlight=False)
    uvicorn.Server(config).run(sockets=[listening])


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, as uvicorn would open it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as error:
        listening.close()
        raise ValueError(f"cannot listen on {host}:{port}: {error.strerror}") from error
    listening.listen(2048)
    return listening


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@bench_app.command("serve")
@reports_errors
def bench_serve(
    checkpoint: Annotated[
        Path | None, Opt(help="A run folder (default: a random-init r2plus1d_tiny).")
    ] = None,
    clients: Annotated[int, Opt(help="Concurrent clients posting back to back.")] = 8,
    seconds: Annotated[float, Opt(help="Length of each load run.")] = 20,
    workdir: Annotated[Path, Opt(help="Folder for the generated clip and checkpoint.")] = Path(
        "bench_serve"
    ),
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Requests/s and p50/p95/p99 latency of a local server, with batching on and off.

    The clip: 2 s of 320x240 H.264 at 30 fps, as the decode benchmark generates them.
    """
    try:
        from sportslens.serve.loadtest import bench_serve as run
        from sportslens.serve.loadtest import write_random_checkpoint
    except ImportError as error:
        raise ImportError(SERVE_EXTRA) from error
    from sportslens.bench import BenchVideo, ensure_bench_videos

    if checkpoint is None:
        checkpoint = workdir / "random_r2plus1d_tiny"
        if not checkpoint.exists():
            write_random_checkpoint(checkpoint)
    [video] = ensure_bench_videos(workdir, [BenchVideo(320, 240, None, seconds=2.0)])
    with console.status(f"{clients} clients for {seconds:g} s, batching on then off"):
        rows = run(checkpoint, video, clients=clients, seconds=seconds)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{clients} clients, {seconds:g} s per mode")
    columns = [
        "batching",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "CPU ms/req",
    ]
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            "on" if row["batching"] else "off",
            str(row["requests"]),
            str(row["errors"]),
            f"{row['requests_per_s']:.1f}",
            *(f"{row[key]:.0f}" for key in ("p50_ms", "p95_ms", "p99_ms", "cpu_ms_per_request")),
        )
    console.print(table)
