"""``sportslens live``: pose and repetitions on a camera, a stream or a file as it plays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sportslens.cli.app import app, console, reports_errors


@app.command()
@reports_errors
def live(
    source: Annotated[str, typer.Argument(help="A webcam index (0), a stream URL or a file.")],
    keypoints: Annotated[
        Path | None,
        typer.Option(help="Take each frame's pose from this keypoint file (default: MediaPipe)."),
    ] = None,
    exercise: Annotated[
        str | None, typer.Option(help="The exercise: its signal is counted.")
    ] = None,
    realtime: Annotated[bool, typer.Option(help="Play a file at its own frame rate.")] = False,
    events: Annotated[Path | None, typer.Option(help="Write events here as JSON lines.")] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="A skeleton model's run folder: the action of the last 3 s, live."),
    ] = None,
    stall: Annotated[
        float, typer.Option(help="Seconds without a frame after which a camera or stream ends.")
    ] = 10.0,
    people: Annotated[
        str,
        typer.Option(
            help="largest (MediaPipe, one person), all or N (blazepose-multi: every person, "
            "or at most N followed at once, each with a track id and a count)."
        ),
    ] = "largest",
    overlay: Annotated[
        Path | None,
        typer.Option(
            help="Write the analysed frames with skeletons, angle and count (MP4), as analysed."
        ),
    ] = None,
) -> None:
    """Count repetitions live; Ctrl-C or the end of the stream prints a summary."""
    from sportslens.cli.pose import people_choice
    from sportslens.live import LiveStatus, imported_pose, run_live
    from sportslens.pose.keypoints import load_keypoints

    chosen = people_choice(people)

    pose = None if keypoints is None else imported_pose(load_keypoints(keypoints))
    predictor = None
    if checkpoint is not None:
        from sportslens.live_label import is_skeleton_model
        from sportslens.predict import Predictor

        predictor = Predictor.from_checkpoint(checkpoint)
        if not is_skeleton_model(predictor):
            raise ValueError(f"{checkpoint}: live labels need a skeleton model (tcn, stgcn, ...)")

    def show(status: LiveStatus) -> None:
        if status.people or chosen != "largest":
            from sportslens.live_overlay import status_text

            who = "  ".join(status_text(p, several=True) for p in status.people) or "nobody"
        else:
            angle = "-" if status.angle is None else f"{status.angle:5.1f}°"
            who = f"count {status.count}  {status.signal} {angle}"
        console.print(
            f"{who}  {status.fps:4.1f} fps  "
            f"latency {status.latency_ms:4.0f} ms  dropped {status.dropped}"
            + ("" if status.label is None else f"  {status.label}"),
            end="\r",
        )

    def left(event: dict[str, Any]) -> None:
        if event["event"] == "person":
            console.print(
                f"#{event['track_id']} left: {event['count']} repetitions "
                f"({event['first_s']:g}-{event['last_s']:g} s)" + " " * 20
            )

    handle = None if events is None else events.open("w", encoding="utf-8")
    try:
        summary = run_live(
            source,
            pose,
            exercise=exercise,
            realtime=realtime,
            events=handle,
            on_status=show,
            stall_s=stall,
            predictor=predictor,
            people=chosen,
            annotated=overlay,
            on_event=left,
        )
    finally:
        if handle is not None:
            handle.close()
    console.print()
    console.print(json.dumps(summary.to_dict()))
    if overlay is not None:
        console.print(f"annotated video: {overlay}")
    if summary.ended == "stalled":
        console.print(f"[red]{source}: no frame for {stall:g} s; the source stalled[/red]")
    elif summary.ended.startswith("failed"):
        console.print(f"[red]{source}: the source {summary.ended}[/red]")
    if summary.ended != "end" and summary.ended != "interrupted":
        raise typer.Exit(1)
