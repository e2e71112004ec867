"""``sportslens form``: joint angles and repetitions from keypoints; ``bench reps``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.table import Table

from sportslens.cli.app import (
    Opt,
    app,
    bench_app,
    console,
    print_json,
    reports_errors,
    results_saved,
    save_folder,
    video_sources,
)
from sportslens.cli.pose import PeopleOpt, people_choice
from sportslens.sources import KEYPOINT_EXTENSIONS, VIDEO_EXTENSIONS

if TYPE_CHECKING:
    from sportslens.pose.backends import Backend
    from sportslens.pose.form import FormAnalysis
    from sportslens.pose.people import PeopleChoice


@app.command()
@reports_errors
def form(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Keypoint .npz files (sportslens pose) or videos: files, folders, glob "
            "patterns or URLs."
        ),
    ],
    exercise: Annotated[
        str | None,
        Opt(
            help="squat, deadlift, lunge, push_up, snatch, jumping_jack… or an angle name; "
            "default: the most repetitive joint."
        ),
    ] = None,
    plot: Annotated[
        Path | None, Opt(help="Write the angle curves with repetitions as a PNG (one input).")
    ] = None,
    backend: Annotated[
        str | None,
        Opt(
            help="Pose backend for a video: mediapipe, vitpose or blazepose-multi (default: "
            "mediapipe, blazepose-multi with --people all or N)."
        ),
    ] = None,
    min_score: Annotated[
        float, Opt(help="Joints scored at or below this count as unseen (MediaPipe visibility).")
    ] = 0.5,
    save: Annotated[
        bool, Opt("--save", help="Write <input>.json and <input>.png to a new runs/form/formN.")
    ] = False,
    people: PeopleOpt = "largest",
    person: Annotated[
        int | None, Opt(help="Analyse only the person with this track id (sportslens pose).")
    ] = None,
    as_json: Annotated[
        bool, Opt("--json", help="Print JSON (with every angle per frame).")
    ] = False,
) -> None:
    """Joint angles over time and the repetitions: start, end, duration, angle range of each.

    With --people all (or N) every person gets their own angles and repetitions.
    """
    from sportslens.pose.form import analyze_form, keypoints_and_shots

    if backend not in (None, "mediapipe", "vitpose", "blazepose-multi"):
        raise ValueError(f"backend must be mediapipe, vitpose or blazepose-multi, got {backend!r}")
    chosen = people_choice(people)
    found = video_sources(sources, VIDEO_EXTENSIONS | KEYPOINT_EXTENSIONS)
    if len(found) > 1 and plot is not None:
        raise ValueError(f"{len(found)} inputs: --plot names one file; use --save for several")
    if chosen != "largest" or person is not None:
        if plot is not None:
            raise ValueError(
                "--plot draws one person (the largest): leave out --people and --person"
            )
        _form_people(found, exercise, min_score, chosen, person, backend, save, as_json)
        return
    folder = save_folder("form") if save else None
    answers = []
    for source in found:
        kp, shots = keypoints_and_shots(source, cast("Backend", backend or "mediapipe"))
        analysis = analyze_form(kp, exercise, min_score=min_score, shots=shots)
        chart = plot if folder is None else folder / f"{_stem(source)}.png"
        if chart is not None:
            from sportslens.pose.form_plot import plot_form

            plot_form(analysis, chart)
        answer = analysis.to_dict() | {
            "source": source,
            "plot": None if chart is None else str(chart),
        }
        if folder is not None:
            (folder / f"{_stem(source)}.json").write_text(json.dumps(answer, indent=2))
        answers.append(answer)
        if not as_json:
            _print_form(analysis, source if len(found) > 1 else None, chart)
    if as_json:
        print_json(answers[0] if len(answers) == 1 and len(sources) == 1 else answers)
    if folder is not None:
        results_saved(folder, as_json=as_json)


def _form_people(
    found: list[str],
    exercise: str | None,
    min_score: float,
    people: PeopleChoice,
    person: int | None,
    backend: str | None,
    save: bool,
    as_json: bool,
) -> None:
    """``form`` per person: a section per person, or ``{"source", "people": [...]}`` in JSON
    (with ``--person ID``, that one track only)."""
    from sportslens.pose.people_form import analyze_people, people_and_shots

    folder = save_folder("form") if save else None
    answers = []
    for source in found:
        tracks, shots = people_and_shots(
            source, "all" if person is not None else people, cast("Backend | None", backend)
        )
        if person is not None:
            tracks = tracks.subset_of([person])
        forms = analyze_people(tracks, exercise, min_score=min_score, shots=shots)
        answer = {"source": source, "people": [f.to_dict() for f in forms]}
        if folder is not None:
            (folder / f"{_stem(source)}.json").write_text(json.dumps(answer, indent=2))
        answers.append(answer)
        if as_json:
            continue
        if not forms:
            console.print(f"{source}: nobody found", highlight=False, soft_wrap=True)
        for each in forms:
            console.rule(f"{source}: person #{each.track_id}", style="bold")
            if each.analysis is None:
                console.print(f"no repetitions counted: {each.reason}", highlight=False)
            else:
                _print_form(each.analysis, None, None)
    if as_json:
        print_json(answers[0] if len(answers) == 1 else answers)
    if folder is not None:
        results_saved(folder, as_json=as_json)


def _stem(source: str) -> str:
    return Path(source.split("?")[0]).stem or "input"


def _print_form(analysis: FormAnalysis, source: str | None, chart: Path | None) -> None:
    report, frames = analysis.repetitions, analysis.angles.num_frames
    plural = "" if report.count == 1 else "s"
    period = f", period {report.period_s:.2f} s" if report.period_s else ""
    console.print(
        (f"{source}: " if source else "")
        + f"[bold]{report.count} repetition{plural}[/] in {frames} frames "
        f"({frames / analysis.angles.fps:.1f} s), counted on {report.signal}{period}",
        highlight=False,
        soft_wrap=True,
    )
    if report.repetitions:
        console.print(_repetition_table(analysis))
    console.print(_angle_table(analysis))
    if chart is not None:
        console.print(f"plot: {chart}", soft_wrap=True)


def _repetition_table(analysis: FormAnalysis) -> Table:
    report = analysis.repetitions
    table = Table(title=f"repetitions ({report.signal})")
    for column in ["#", "start", "end", "seconds", "min °", "max °"]:
        table.add_column(column, justify="right")
    table.add_column("verdict")
    for number, (rep, check) in enumerate(
        zip(report.repetitions, analysis.feedback(), strict=True), start=1
    ):
        table.add_row(
            str(number),
            str(rep.start),
            str(rep.end),
            f"{rep.duration_s:.2f}",
            f"{rep.angle_min:.0f}",
            f"{rep.angle_max:.0f}",
            ": ".join([check.verdict, "; ".join(check.reasons)]).rstrip(": "),
        )
    return table


def _angle_table(analysis: FormAnalysis) -> Table:
    table = Table(title="joint angles over the clip (degrees)")
    for column in ["angle", "min", "max", "mean"]:
        table.add_column(column, justify="left" if column == "angle" else "right")
    for name, stats in analysis.angle_summary().items():
        table.add_row(name, *("-" if v is None else f"{v:.0f}" for v in stats.values()))
    return table


@bench_app.command("reps")
@reports_errors
def bench_reps(
    data: Annotated[
        Path,
        typer.Argument(
            help="Synthetic athletes (sportslens synth), or a folder of videos with a "
            "labels.csv (columns file, exercise, reps)."
        ),
    ],
    exercise_from_label: Annotated[
        bool, Opt("--exercise-from-label", help="Count on each clip's labelled exercise.")
    ] = False,
    keypoints: Annotated[
        Path | None,
        Opt(help="Labelled videos: read <stem>.npz keypoints here, and save those extracted."),
    ] = None,
    noise: Annotated[float, Opt(help="Synthetic: Gaussian keypoint noise in pixels.")] = 0.0,
    seed: Annotated[int, Opt(help="Seed of the noise.")] = 0,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Repetition counts against true counts: exact rate, within-one rate and mean |error|."""
    from sportslens.pose.rep_labels import benchmark_labelled, is_labelled_folder

    if is_labelled_folder(data):
        with console.status("counting repetitions"):
            result = benchmark_labelled(
                data, use_exercise=exercise_from_label, keypoints_dir=keypoints
            )
        if as_json:
            print_json(result)
            return
        console.print(_labelled_table(result, exercise_from_label))
        return
    _bench_synthetic(data, exercise_from_label, noise, seed, as_json)


def _labelled_table(result: dict[str, Any], exercise_from_label: bool) -> Table:
    how = "labelled exercise" if exercise_from_label else "signal chosen automatically"
    table = Table(
        title=f"repetition counting, {result['clips']} clips, {how}: "
        f"exact {result['exact_rate']:.1%}, within one {result['within_one_rate']:.1%}, "
        f"mean |error| {result['mean_abs_error']:.2f}"
    )
    for column in ["clip", "exercise", "true", "counted", "partial", "signal"]:
        table.add_column(column, justify="left" if column in ("clip", "signal") else "right")
    for row in result["per_clip"]:
        cells = [row[k] for k in ("file", "exercise", "true", "counted", "partial", "signal")]
        table.add_row(*map(str, cells))
    return table


def _bench_synthetic(
    data: Path, use_exercise: bool, noise: float, seed: int, as_json: bool
) -> None:
    import numpy as np

    from sportslens.data.keypoint_dataset import read_keypoint_catalog
    from sportslens.pose.rep_benchmark import benchmark_repetitions

    with console.status("counting repetitions"):
        result = benchmark_repetitions(
            [(record.source, record.label) for record in read_keypoint_catalog(data)],
            use_exercise=use_exercise,
            noise_px=noise,
            rng=np.random.default_rng(seed),
        )
    if as_json:
        print_json(result)
        return
    table = Table(title=f"repetition counting, {result['clips']} clips, noise {noise:g} px")
    for column in ["class", "clips", "exact", "within one", "mean |error|"]:
        table.add_column(column, justify="left" if column == "class" else "right")
    rows = [*result["per_class"].items(), ("all", result)]
    for label, row in rows:
        table.add_row(
            label,
            str(row["clips"]),
            f"{row['exact_rate']:.1%}",
            f"{row['within_one_rate']:.1%}",
            f"{row['mean_abs_error']:.3f}",
        )
    console.print(table)
