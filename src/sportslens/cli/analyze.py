"""``sportslens analyze``: one video's pose, form and feedback as a report folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sportslens.cli.app import Opt, app, console, print_json, reports_errors

if TYPE_CHECKING:
    from sportslens.analysis import AnalysisFiles, VideoAnalysis


@app.command()
@reports_errors
def analyze(
    video: Annotated[str, typer.Argument(help="A video of one person exercising.")],
    exercise: Annotated[
        str | None,
        Opt(help="squat, push_up, deadlift, lunge, pull_up, curl…; default: the liveliest joint."),
    ] = None,
    out: Annotated[
        Path | None, Opt(help="Report folder; default: <video name>_analysis beside the video.")
    ] = None,
    checkpoint: Annotated[
        Path | None, Opt(help="A run folder: add the model's timeline of the video.")
    ] = None,
    keypoints: Annotated[
        Path | None,
        Opt(
            help="The video's keypoints (sportslens pose .npz, or .json/.csv) instead of MediaPipe."
        ),
    ] = None,
    device: Annotated[str, Opt(help="Device of the --checkpoint model.")] = "cpu",
    min_score: Annotated[
        float, Opt(help="Joints scored at or below this count as unseen (MediaPipe visibility).")
    ] = 0.5,
    as_json: Annotated[
        bool, Opt("--json", help="Print analysis.json instead of the summary.")
    ] = False,
) -> None:
    """Pose, joint angles, repetitions and feedback on each, offline: an HTML report, analysis.json,
    angles.csv and the annotated video in one folder."""
    from sportslens.analysis import analyze_video, write_analysis

    folder = out if out is not None else Path(video).with_name(f"{Path(video).stem}_analysis")
    with console.status("finding the pose in every frame"):
        result = analyze_video(
            video, exercise, checkpoint=checkpoint, keypoints=keypoints, device=device,
            min_score=min_score,
        )  # fmt: skip
    with console.status("writing the report"):
        files = write_analysis(result, folder)
    if as_json:
        print_json(result.to_dict())
        return
    _print_summary(result, files)


def _measured(measures: dict[str, Any]) -> str:
    """Depth, lockout and tempo in a few words, for a repetition with nothing to correct."""
    parts = [
        f"{label} {measures[key]:.0f}°"
        for key, label in (("depth_deg", "depth"), ("lockout_deg", "lockout"))
        if measures.get(key) is not None
    ]
    down, pause, up = (measures.get(k) for k in ("down_s", "pause_s", "up_s"))
    if down is not None and pause is not None and up is not None:
        parts.append(f"down {down:.1f} s, pause {pause:.1f} s, up {up:.1f} s")
    return ", ".join(parts)


def _print_summary(result: VideoAnalysis, files: AnalysisFiles) -> None:
    report = result.form.repetitions
    plural = "" if report.count == 1 else "s"
    partial = f", {len(report.partial)} partial" if report.partial else ""
    console.print(
        f"[bold]{report.count} repetition{plural}[/]{partial} in {result.info.duration:.1f} s, "
        f"counted on {report.signal}",
        highlight=False,
    )
    if result.form.shots:
        fps = result.info.fps
        where = ", ".join(f"{s.kind} at {s.boundary / fps:.1f} s" for s in result.form.shots)
        console.print(f"counted apart either side of each shot change: {where}", highlight=False)
    for feedback in result.form.feedback():
        why = "; ".join(feedback.reasons) or _measured(feedback.measures)
        console.print(f"  {feedback.number:>2}  {feedback.verdict:<8} {why}", highlight=False)
    if result.timeline is not None:
        actions = [s for s in result.timeline["segments"] if not s["background"]]
        labels = ", ".join(
            f"{s.get('answer', s['label'])} {s['start']:.1f}-{s['end']:.1f} s" for s in actions
        )
        console.print(f"model timeline: {labels or 'no action found'}", highlight=False)
        for warning in result.timeline.get("warnings", []):
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if result.form.exercise is None:
        console.print(
            "depth and lockout are checked when the exercise is named: "
            f"--exercise squat (again in seconds with --keypoints {files.keypoints})",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"report: {files.report}", soft_wrap=True, highlight=False)
