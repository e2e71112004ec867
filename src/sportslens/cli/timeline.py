"""``sportslens timeline`` and ``evaluate-timeline``: what happens when in a long video."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from sportslens.cli.app import (
    DEVICE_HELP,
    WEIGHTS_HELP,
    Opt,
    app,
    console,
    deprecated,
    errors,
    one_run,
    print_json,
    renamed,
    reports_errors,
    results_saved,
    save_folder,
    torch_device,
    video_sources,
)
from sportslens.cli.export import RuntimeChoice, RuntimeOpt, runtime_of
from sportslens.cli.pose import PeopleOpt, people_choice
from sportslens.cli.timeline_output import print_segments, progress_bar, saved_paths

if TYPE_CHECKING:
    from sportslens.predict import Predictor
    from sportslens.timeline import Timeline, TimelineOptions
    from sportslens.timeline.windows import Unit


class UnitChoice(StrEnum):
    seconds = "seconds"
    frames = "frames"


WindowOpt = Annotated[
    float | None, Opt(help="Window length in --unit (seconds by default); default: the model's.")
]
StrideOpt = Annotated[float | None, Opt(help="Between window starts; default: a quarter window.")]
UnitOpt = Annotated[UnitChoice, Opt(help="What --window and --stride count.")]
# Before --unit, a flag read the window in frames; it was easy to take for a frame count.
DeprecatedFramesOpt = Annotated[bool, Opt("--frames", hidden=True, help="Same as --unit frames.")]
SmoothOpt = Annotated[int, Opt(help="Windows in the moving average of scores (odd, 1 = none).")]
# --smooth names a method in pose; here it counted windows, so it became --smooth-windows.
DeprecatedSmoothOpt = Annotated[int | None, deprecated("--smooth", "--smooth-windows")]
ThresholdOpt = Annotated[float, Opt(help="Smoothed score below which a window is background.")]
MinSegmentOpt = Annotated[float, Opt(help="Seconds; shorter segments merge into a neighbour.")]
BatchOpt = Annotated[int, Opt(help="Windows per forward pass.")]
KeypointsOpt = Annotated[
    Path | None,
    Opt(help="Skeleton models: the video's keypoint file (default: extract pose with MediaPipe)."),
]


@app.command()
@reports_errors
def timeline(
    videos: Annotated[
        list[str],
        typer.Argument(help="Videos of any length: files, folders, glob patterns or URLs."),
    ],
    checkpoint: Annotated[Path | None, Opt(help="A run folder or checkpoint folder.")] = None,
    model: Annotated[str | None, Opt(help="A registered model, with --weights.")] = None,
    weights: Annotated[str | None, Opt("--weights", "--pretrained", help=WEIGHTS_HELP)] = None,
    window: WindowOpt = None,
    stride: StrideOpt = None,
    unit: UnitOpt = UnitChoice.seconds,
    frames: DeprecatedFramesOpt = False,
    smooth_windows: SmoothOpt = 3,
    old_smooth: DeprecatedSmoothOpt = None,
    threshold: ThresholdOpt = 0.5,
    min_segment: MinSegmentOpt = 1.0,
    top_k: Annotated[int, Opt(help="Labels kept per window in the JSON.")] = 3,
    batch_size: BatchOpt = 8,
    device: Annotated[str, Opt(help=DEVICE_HELP)] = "auto",
    runtime: RuntimeOpt = RuntimeChoice.torch,
    keypoints: KeypointsOpt = None,
    people: PeopleOpt = "largest",
    as_json: Annotated[bool, Opt("--json", help="Print the timeline as JSON.")] = False,
    save: Annotated[
        bool,
        Opt("--save", help="Write JSON, CSV, chart and overlay to a new runs/timeline/timelineN."),
    ] = False,
    out_file: Annotated[Path | None, Opt(help="Write the timeline JSON to this file.")] = None,
    old_out: Annotated[Path | None, deprecated("--out", "--out-file")] = None,
    csv: Annotated[Path | None, Opt("--csv", help="Write the segments as CSV.")] = None,
    plot: Annotated[Path | None, Opt(help="Save a strip chart of scores (PNG).")] = None,
    overlay: Annotated[Path | None, Opt(help="Write the annotated video (MP4).")] = None,
    clips: Annotated[Path | None, Opt(help="Cut each action segment into DIR/<label>/.")] = None,
) -> None:
    """Slide the model over a whole video: segments with start, end, label and scores.

    A skeleton model slides over the video's keypoints (--keypoints, or pose extracted once
    for the whole video) and counts repetitions in segments of known exercises.
    Ctrl-C stops early; the windows scored so far still give a (partial) timeline, every file
    written is complete, and an interrupted overlay video stays playable.
    """
    from sportslens.predict import Predictor
    from sportslens.timeline import TimelineOptions

    sources = video_sources(videos)
    paths = {
        "out": renamed(out_file, old_out, "--out", "--out-file"),
        "csv": csv, "plot": plot, "overlay": overlay, "clips": clips,
    }  # fmt: skip
    if len(sources) > 1 and (keypoints or any(paths.values())):
        raise ValueError(
            f"{len(sources)} videos: --out-file, --csv, --plot, --overlay, --clips and "
            "--keypoints name one video's files; use --save for several"
        )
    predictor = Predictor.load(
        checkpoint,
        model=model,
        weights=weights,
        device=torch_device(device),
        runtime=runtime_of(runtime),
    )
    options = TimelineOptions(
        window=window, stride=stride, unit=_unit(unit, frames),
        batch_size=batch_size, top_k=top_k,
        smooth=renamed(smooth_windows, old_smooth, "--smooth", "--smooth-windows"),
        threshold=threshold, min_segment=min_segment,
    )  # fmt: skip
    chosen = people_choice(people)
    if chosen != "largest":
        from sportslens.cli.timeline_lanes import timeline_people

        timeline_people(predictor, sources, options, keypoints, chosen, paths, save, as_json)
        return
    folder = save_folder("timeline") if save else None
    answers = []
    for video in sources:
        result = _score(predictor, video, options, keypoints)
        if folder is not None:
            paths = saved_paths(folder, video)
        try:
            _write_outputs(result, video, **paths)
        except KeyboardInterrupt:
            errors.print("[yellow]interrupted[/]: the files listed above are complete")
            raise typer.Exit(130) from None
        answers.append(result.to_dict())
        if not as_json:
            print_segments(result)
        if not result.complete:
            break
    if as_json:
        print_json(answers[0] if len(videos) == 1 and len(sources) == 1 else answers)
    if folder is not None:
        results_saved(folder, as_json=as_json)
    if not result.complete:
        raise typer.Exit(130)


def _unit(unit: UnitChoice, frames: bool) -> Unit:
    """``--unit``, or ``frames`` for the deprecated ``--frames`` flag (with a warning)."""
    if frames:
        errors.print("[yellow]warning:[/] --frames is deprecated; use --unit frames")
        return "frames"
    return "frames" if unit is UnitChoice.frames else "seconds"


def _score(
    predictor: Predictor, video: str, options: TimelineOptions, keypoints: Path | None
) -> Timeline:
    """Build the timeline under a progress bar over the video's duration; Ctrl-C stops early.

    Whatever the model needs first (a skeleton model's pose) is prepared before, under its own
    progress bar.
    """
    from sportslens.video import probe

    info = probe(video)
    scoring = predictor.timeline_scoring(
        video, keypoints=keypoints, batch_size=options.batch_size, show_progress=True
    )
    with progress_bar("timeline", info.duration, "s") as advance:
        result = predictor.timeline(
            video,
            options=options,
            scoring=scoring,
            progress=lambda done, _: advance(done / info.fps),
            stop_on_interrupt=True,
        )
    if not result.complete:
        errors.print(
            f"[yellow]interrupted[/] after {result.duration:.1f} s of {info.duration:.1f} s"
        )
    return result


def _write_outputs(result: Timeline, video: str, **paths: Path | None) -> None:
    """Write each requested file, the quick ones first, and say where each went."""
    from sportslens.timeline import export

    written: dict[str, Callable[[Path], Any]] = {
        "out": lambda p: export.write_json(result, p),
        "csv": lambda p: export.write_csv(result, p),
        "plot": lambda p: _plot(result, p),
        "overlay": lambda p: _overlay(result, video, p),
        "clips": lambda p: _clips(result, video, p),
    }
    for name, write in written.items():
        path = paths.get(name)
        if path is not None:
            write(path)
            errors.print(f"wrote {path}", highlight=False, soft_wrap=True)


def _plot(result: Timeline, path: Path) -> None:
    from sportslens.timeline.plot import plot_timeline

    plot_timeline(result, path)


def _overlay(result: Timeline, video: str, path: Path) -> None:
    from sportslens.timeline.overlay import write_overlay

    with progress_bar("overlay", result.duration, "s") as advance:
        write_overlay(result, video, path, progress=lambda done: advance(done / result.fps))


def _clips(result: Timeline, video: str, path: Path) -> None:
    from sportslens.timeline.export import write_clips

    with progress_bar("clips", len(result.actions), "") as advance:
        write_clips(result, video, path, progress=lambda done: advance(float(done)))


@app.command("evaluate-timeline")
@reports_errors
def evaluate_timeline(
    run: Annotated[
        Path | None, typer.Argument(help="A run or checkpoint folder (same as --checkpoint).")
    ] = None,
    checkpoint: Annotated[Path | None, Opt(help="A run folder or checkpoint folder.")] = None,
    data: Annotated[
        Path | None, Opt(help="Sessions from `sportslens synth --kind sessions`.")
    ] = None,
    iou: Annotated[float, Opt(help="Temporal IoU a segment needs to count as found.")] = 0.5,
    window: WindowOpt = None,
    stride: StrideOpt = None,
    unit: UnitOpt = UnitChoice.seconds,
    frames: DeprecatedFramesOpt = False,
    smooth_windows: SmoothOpt = 3,
    old_smooth: DeprecatedSmoothOpt = None,
    threshold: ThresholdOpt = 0.5,
    min_segment: MinSegmentOpt = 1.0,
    batch_size: BatchOpt = 8,
    device: Annotated[str, Opt(help=DEVICE_HELP)] = "auto",
    keypoints_dir: Annotated[
        Path | None,
        Opt(
            help="Skeleton models: read DIR/<video stem>.npz (the sessions' own folder holds "
            "their true keypoints) instead of extracting pose."
        ),
    ] = None,
    out_file: Annotated[Path | None, Opt(help="Write the metrics JSON to this file.")] = None,
    old_out: Annotated[Path | None, deprecated("--out", "--out-file")] = None,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Segment precision, recall and F1 at a temporal IoU, and frame accuracy, over sessions.

    For skeleton models also the repetition counts of the found segments against the truth.
    """
    from sportslens.predict import Predictor
    from sportslens.timeline import TimelineOptions
    from sportslens.timeline.evaluate import evaluate_sessions
    from sportslens.timeline.export import write_atomic

    if not 0 < iou <= 1:
        raise ValueError(f"--iou must lie in (0, 1], got {iou}")
    if data is None:
        raise ValueError("which sessions? --data DIR (from sportslens synth --kind sessions)")
    out = renamed(out_file, old_out, "--out", "--out-file")
    smooth = renamed(smooth_windows, old_smooth, "--smooth", "--smooth-windows")
    predictor = Predictor.load(one_run(run, checkpoint), device=torch_device(device))
    options = TimelineOptions(
        window=window, stride=stride, unit=_unit(unit, frames),
        batch_size=batch_size, smooth=smooth, threshold=threshold, min_segment=min_segment,
    )  # fmt: skip
    with errors.status("scoring sessions") as status:
        report = evaluate_sessions(
            lambda video: predictor.timeline(
                video, options=options, keypoints=_session_keypoints(video, keypoints_dir)
            ),
            data,
            threshold=iou,
            progress=lambda name: status.update(f"scoring {name}"),
        )
    report["options"] = options.to_dict()
    if out is not None:
        import json

        write_atomic(out, json.dumps(report, indent=2))
    if as_json:
        print_json(report)
        return
    _print_report(report)


def _session_keypoints(video: Path, folder: Path | None) -> Path | None:
    """``folder/<stem>.npz``, named in the error when it is missing; None without a folder."""
    if folder is None:
        return None
    path = folder / f"{video.stem}.npz"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no keypoint file for {video.name} in --keypoints-dir")
    return path


def _print_report(report: dict[str, Any]) -> None:
    table = Table(title=f"segments at temporal IoU {report['iou_threshold']:g}")
    columns = ["video", "true", "found", "hits", "precision", "recall", "F1", "frame acc"]
    counted = report["total"]["counted"] > 0
    columns += ["reps counted", "reps exact"] * counted
    for column in columns:
        table.add_column(column, justify="left" if column == "video" else "right")
    for row in [*report["videos"], {"video": "total", **report["total"]}]:
        if row["video"] == "total":
            table.add_section()
        rates = [f"{row[k]:.3f}" for k in ("precision", "recall", "f1", "frame_accuracy")]
        if counted:
            rates += [str(row["counted"]), str(row["counts_exact"])]
        table.add_row(
            row["video"], str(row["true"]), str(row["predicted"]), str(row["hits"]), *rates
        )
    console.print(table)
    console.print(
        f"{report['seconds_of_video']:.0f} s of video in {report['seconds_taken']:.0f} s: "
        f"{report['realtime']:.1f}x real time"
    )
