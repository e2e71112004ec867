"""``sportslens bench …``: benchmarks against the usual ways of doing the same job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from sportslens.cli.app import Opt, bench_app, console, print_json, reports_errors


@bench_app.command("decode")
@reports_errors
def bench_decode(
    videos: Annotated[
        Path, typer.Option(help="Folder for the generated test videos (reused between runs).")
    ] = Path("bench_videos"),
    repeats: Annotated[int, typer.Option(help="Runs per measurement; the median is shown.")] = 5,
    frames: Annotated[int, typer.Option(help="Uniformly sampled frames per clip.")] = 16,
    size: Annotated[int, typer.Option(help="Output side in pixels (square).")] = 112,
    seconds: Annotated[float, typer.Option(help="Length of the generated videos.")] = 10.0,
    threads: Annotated[
        list[int] | None,
        typer.Option(
            "--threads",
            help="Decoder thread counts to try; 0 is the default (FFmpeg picks when decoding all).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Time read_frames against the naive way and the decode-everything limit.

    Videos: 30 fps H.264 at 320x240, 640x360 and 1280x720, each with x264's default keyframe
    interval and with a keyframe every 30 frames; then high-bitrate, zooming video at 720p in
    one slice per frame and in four (with B-frames and without), and at 1080p in four. Each is
    decoded with 1 and 2 threads and with the default count (FFmpeg's for decoding everything);
    decoding everything is timed with frame threads and with slice threads.
    """
    from sportslens.bench import bench_decode as run
    from sportslens.bench import bench_videos, ensure_bench_videos

    with console.status("generating benchmark videos (first run only)"):
        paths = ensure_bench_videos(videos, bench_videos(seconds))
    with console.status("timing decoders"):
        counts = tuple(threads or (1, 2, 0))
        rows = run(paths, num_frames=frames, size=size, threads=counts, repeats=repeats)
    if as_json:
        print_json(rows)
        return
    table = Table(
        title=f"median ms for {frames} uniform frames at {size}x{size}",
        caption="across: what read_frames threads across; all: decoding every frame with frame "
        "or slice threads; vs limit: read_frames / the faster of the two",
    )
    columns = ["video", "threads", "across", "read_frames", "naive", "all, frames", "all, slices"]
    for column in [*columns, "vs naive", "vs limit"]:
        table.add_column(column, justify="left" if column == "video" else "right", no_wrap=True)
    for row in rows:
        table.add_row(
            row["video"],
            str(row["threads"] or "auto"),
            row["threading"],
            f"{row['read_frames_ms']:.0f}",
            f"{row['naive_ms']:.0f}",
            f"{row['decode_all_ms']:.0f}",
            f"{row['decode_all_slices_ms']:.0f}",
            f"{row['speedup_vs_naive']:.2f}x",
            f"{row['ratio_to_decode_all']:.2f}x",
        )
    console.print(table)


@bench_app.command("models")
@reports_errors
def bench_models(
    names: Annotated[
        list[str] | None, typer.Argument(help="Models (default: one per family).")
    ] = None,
    batch_size: Annotated[int, Opt()] = 2,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Forward+backward clips/s on this machine for each model at its default input."""
    from sportslens.bench import FAMILY_REPRESENTATIVES
    from sportslens.bench import bench_models as run

    with console.status("timing models"):
        rows = run(names or FAMILY_REPRESENTATIVES, batch_size=batch_size)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"forward+backward, batch {batch_size}, CPU")
    for column in ["model", "family", "input (TxHxW)", "params (M)", "clips/s"]:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(
            row["model"],
            row["family"],
            row["input"],
            f"{row['params_m']:.1f}",
            f"{row['clips_per_s']:.2f}",
        )
    console.print(table)


@bench_app.command("export")
@reports_errors
def bench_export(
    runs: Annotated[
        list[Path] | None, typer.Argument(help="Run folders (default: random --model ones).")
    ] = None,
    model: Annotated[
        list[str] | None,
        Opt(
            help="Time a random-init NAME at its default input (repeatable; default: "
            "r2plus1d_small, tcn, stgcn when no RUN is given)."
        ),
    ] = None,
    batch_size: Annotated[list[int] | None, Opt(help="Batch sizes (default: 1 and 8).")] = None,
    repeats: Annotated[int, Opt(min=1, help="Timed calls per case (median).")] = 10,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Eager PyTorch against the ONNX export run by onnxruntime: CPU latency and clips/s."""
    import tempfile

    from sportslens.bench import EXPORT_MODELS, bench_runtimes
    from sportslens.serve.loadtest import write_random_checkpoint

    names = model or ([] if runs else list(EXPORT_MODELS))
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="sportslens-bench-") as scratch,
        console.status("timing runtimes"),
    ):
        folders = [*(runs or []), *(write_random_checkpoint(Path(scratch) / n, n) for n in names)]
        for folder in folders:
            rows += bench_runtimes(folder, batch_sizes=batch_size or (1, 8), repeats=repeats)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"forward pass, CPU, {rows[0]['threads']} thread(s)")
    for column in ["model", "input", "runtime", "batch", "ms/batch", "clips/s", "max |diff|"]:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(
            row["model"],
            row["input"],
            row["runtime"],
            str(row["batch"]),
            f"{row['ms_per_batch']:.1f}",
            f"{row['clips_per_s']:.1f}",
            f"{row['max_abs_diff']:.1e}",
        )
    console.print(table)


@bench_app.command("data")
@reports_errors
def bench_data(
    data: Annotated[Path, typer.Argument(help="A dataset (e.g. from sportslens synth).")],
    workers: Annotated[list[int] | None, Opt("--workers", help="Worker counts to try.")] = None,
    frames: Annotated[int, Opt()] = 16,
    size: Annotated[int, Opt(help="Crop size.")] = 112,
    batch_size: Annotated[int, Opt()] = 8,
    cache: Annotated[
        Path | None,
        Opt(help="Also time reading this clip cache of DATA (sportslens cache), side by side."),
    ] = None,
    make_720p: Annotated[
        int,
        Opt(
            "--make-720p",
            help="First write this many 3 s 720p clips (two classes) into DATA, unless there.",
        ),
    ] = 0,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Training clips/s a DataLoader delivers over one epoch, per number of workers."""
    from sportslens.bench import bench_loader, ensure_bench_dataset
    from sportslens.data import read_catalog
    from sportslens.models.small import SMALL_PREPROCESS

    if make_720p:
        with console.status(f"writing {make_720p} 720p clips into {data}"):
            ensure_bench_dataset(data, make_720p)
    # The default model's recipe at these sizes: what its training loader would deliver.
    pre = SMALL_PREPROCESS.with_input_size(frames, size)
    rows = bench_loader(
        list(read_catalog(data)),
        pre,
        workers=workers or [0, 2],
        batch_size=batch_size,
        cache=None if cache is None else str(cache),
    )
    if as_json:
        print_json(rows)
        return
    for row in rows:
        per_core = row["clips_per_cpu_s"]
        console.print(
            f"workers={row['workers']}, frames from {row['frames_from']}: "
            f"{row['clips_per_s']:.1f} clips/s"
            + ("" if per_core is None else f", {per_core:.1f} clips per CPU second")
            + f" ({row['clips']} clips of {frames}x{size}x{size} in {row['seconds']:.1f} s)"
        )


@bench_app.command("tracking")
@reports_errors
def bench_tracking(
    data: Annotated[Path, typer.Argument(help="Folder of synthetic crowds; made when empty.")],
    crowds: Annotated[int, Opt(help="Crowds to generate when DATA holds none.")] = 12,
    size: Annotated[int, Opt(help="Generated crowds' square frame side in pixels.")] = 320,
    seconds: Annotated[float, Opt(help="Generated crowds' length.")] = 10.0,
    crowd_seed: Annotated[int, Opt(help="Seed of the generated crowds.")] = 0,
    noise: Annotated[float, Opt(help="Simulated keypoint jitter, in body sizes.")] = 0.02,
    miss: Annotated[float, Opt(help="Chance a visible person is missed in a frame.")] = 0.03,
    seed: Annotated[int, Opt(help="Seed of the simulated detections.")] = 0,
    detections: Annotated[
        str, Opt(help="simulated (from the true tracks) or blazepose-multi (the real backend).")
    ] = "simulated",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Identity metrics (IDF1, MOTA, switches; motmetrics) and per-person rep exact rate.

    DATA holds synthetic crowds (sportslens.synth.crowds: 2-4 athletes crossing, entering and
    leaving, with true tracks and reps); an empty or missing folder is filled first.

    The tracker runs on detections simulated from each crowd's true tracks (jittered, people
    mostly hidden behind a nearer one missed, random drops), so the figures measure tracking and
    per-person counting, not a pose model; --detections blazepose-multi runs the real backend.
    """
    from sportslens.pose.tracking_benchmark import SimulatedDetections, benchmark_tracking

    videos = sorted(p for p in Path(data).glob("*.mp4") if p.with_suffix(".npz").is_file())
    if not videos:
        from sportslens.synth.crowds import make_crowds
        from sportslens.synth.settings import ClipSettings

        settings = ClipSettings(size=size, seed=crowd_seed).lasting(seconds)
        with console.status(f"generating {crowds} crowds in {data}"):
            videos = make_crowds(data, settings, count=crowds)
    if detections not in ("simulated", "blazepose-multi"):
        raise ValueError(f"--detections must be simulated or blazepose-multi, got {detections!r}")
    simulated = SimulatedDetections(noise=noise, miss=miss)
    with console.status(f"tracking {len(videos)} crowds"):
        result = benchmark_tracking(
            videos, simulated=simulated, seed=seed, detections=cast(Any, detections)
        )
    if as_json:
        print_json(result)
        return
    console.print(
        f"{result['videos']} videos, {result['people']} people: IDF1 {result['idf1']:.3f}, "
        f"MOTA {result['mota']:.3f}, {result['id_switches']} identity switches "
        f"({result['switches_per_person_minute']:.2f} per person-minute), reps exact "
        f"{result['rep_exact_rate']:.0%}, tracker {result['tracker_fps']:.0f} frames/s"
    )


@bench_app.command("people")
@reports_errors
def bench_people(
    videos: Annotated[list[Path], typer.Argument(help="Videos to run blazepose-multi on.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Frames per second of the blazepose-multi backend (detect, follow, track) per video.

    Run it as ``OMP_NUM_THREADS=1 taskset -c 0 sportslens bench people ...`` for one core;
    cpu frames/s counts the process's CPU time, so it holds on a shared machine too.
    """
    from sportslens.pose.tracking_benchmark import benchmark_backend_speed

    rows = [benchmark_backend_speed(video) for video in videos]
    if as_json:
        print_json(rows)
        return
    table = Table("video", "size", "tracks", "people/frame", "frames/s", "cpu frames/s")
    for row in rows:
        table.add_row(
            row["video"], "x".join(map(str, row["size"])), str(row["tracks"]),
            f"{row['people_per_frame']:.2f}", f"{row['fps']:.1f}", f"{row['cpu_fps']:.1f}",
        )  # fmt: skip
    console.print(table)


@bench_app.command("live")
@reports_errors
def bench_live(
    seconds: Annotated[float, Opt(help="Length of the measured run.")] = 60.0,
    warmup: Annotated[float, Opt(help="Seconds analysed before measuring.")] = 5.0,
    fps: Annotated[float, Opt(help="The synthetic camera's frame rate.")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Sustained fps, capture-to-result latency, drops and memory of live analysis.

    One synthetic athlete at 640x480 from a camera looping at FPS, through the queue of one frame
    that `sportslens live` uses; MediaPipe and the streaming counter on each newest frame. Run
    under `OMP_NUM_THREADS=1 taskset -c 0` for one core.
    """
    from sportslens.live_bench import LiveBenchConfig
    from sportslens.live_bench import bench_live as run

    config = LiveBenchConfig(seconds=seconds, warmup_s=warmup, fps=fps)
    with console.status(f"analysing a {fps:g} fps camera for {warmup + seconds:g} s"):
        result = run(config)
    if as_json:
        print_json(result)
        return
    console.print(
        f"{result['size']}, camera {result['camera_fps']:g} fps: {result['fps']:.1f} frames/s "
        f"analysed, latency p50 "
        f"{result['latency_p50_ms']:.0f} ms, p95 {result['latency_p95_ms']:.0f} ms, dropped "
        f"{result['dropped']} of {result['captured']}, memory {result['rss_start_mb']:.0f} → "
        f"{result['rss_end_mb']:.0f} MB (growth {result['rss_growth_mb']:+.1f} MB) over "
        f"{result['seconds']:g} s"
    )
