"""``sportslens timeline --people all|N``: a lane per person, and each file the single-person
timeline writes, per person (JSON, CSV with a track id column, a strip per person, the people
overlay with each person's label, clips named by track id)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sportslens.cli.app import console, errors, print_json, results_saved, save_folder
from sportslens.cli.timeline_output import print_segments, progress_bar, saved_paths

if TYPE_CHECKING:
    from sportslens.pose.people import PeopleChoice
    from sportslens.predict import Predictor
    from sportslens.timeline import TimelineOptions
    from sportslens.timeline.lanes import TimelineLanes


def timeline_people(
    predictor: Predictor,
    sources: list[str],
    options: TimelineOptions,
    keypoints: Path | None,
    people: PeopleChoice,
    paths: dict[str, Path | None],
    save: bool,
    as_json: bool,
) -> None:
    """A lane per person of each video, its files written, a section per person in the text."""
    folder = save_folder("timeline") if save else None
    answers = []
    for video in sources:
        lanes = predictor.timeline_people(
            video, people, options=options, keypoints=keypoints, show_progress=not as_json
        )
        answers.append(lanes.to_dict())
        try:
            _write_lanes(lanes, video, **(saved_paths(folder, video) if folder else paths))
        except KeyboardInterrupt:
            errors.print("[yellow]interrupted[/]: the files listed above are complete")
            raise typer.Exit(130) from None
        if not as_json:
            _print_lanes(lanes, video)
    if as_json:
        print_json(answers[0] if len(answers) == 1 else answers)
    if folder is not None:
        results_saved(folder, as_json=as_json)


def _write_lanes(lanes: TimelineLanes, video: str, **paths: Path | None) -> None:
    """Write each requested file, the quick ones first; with nobody found only JSON and CSV."""
    import json

    from sportslens.timeline.export import write_atomic, write_lanes_csv

    written: dict[str, Callable[[Path], Any]] = {
        "out": lambda p: write_atomic(p, json.dumps(lanes.to_dict(), indent=2)),
        "csv": lambda p: write_lanes_csv(lanes, p),
        "plot": lambda p: _plot(lanes, p),
        "overlay": lambda p: _overlay(lanes, video, p),
        "clips": lambda p: _clips(lanes, video, p),
    }
    for name, write in written.items():
        path = paths.get(name)
        if path is None:
            continue
        if not lanes.lanes and name in ("plot", "overlay", "clips"):
            errors.print(f"nobody found: no {name} written", highlight=False)
            continue
        write(path)
        errors.print(f"wrote {path}", highlight=False, soft_wrap=True)


def _plot(lanes: TimelineLanes, path: Path) -> None:
    from sportslens.timeline.plot import plot_lanes

    plot_lanes(lanes, path)


def _overlay(lanes: TimelineLanes, video: str, path: Path) -> None:
    from sportslens.timeline.lanes_overlay import write_lanes_overlay

    write_lanes_overlay(lanes, video, path, progress=True)


def _clips(lanes: TimelineLanes, video: str, path: Path) -> None:
    from sportslens.timeline.export import write_lane_clips

    total = sum(len(lane.actions) for lane in lanes.lanes)
    with progress_bar("clips", total, "") as advance:
        write_lane_clips(lanes, video, path, progress=lambda done: advance(float(done)))


def _print_lanes(lanes: TimelineLanes, video: str) -> None:
    if not lanes.lanes:
        console.print(f"{video}: nobody found", highlight=False, soft_wrap=True)
    for track_id, lane in zip(lanes.track_ids, lanes.lanes, strict=True):
        console.rule(f"{video}: person #{track_id}", style="bold")
        print_segments(lane)
