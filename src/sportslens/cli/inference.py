"""Commands that use models: predict, models, labels."""

from __future__ import annotations

import json
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
    print_json,
    print_titled,
    reports_errors,
    results_saved,
    save_folder,
    torch_device,
    video_sources,
)
from sportslens.cli.export import RuntimeChoice, RuntimeOpt, runtime_of
from sportslens.cli.pose import PeopleOpt, people_choice

if TYPE_CHECKING:
    from sportslens.predict import Prediction


@app.command()
@reports_errors
def predict(
    videos: Annotated[
        list[str], typer.Argument(help="Videos: files, folders, glob patterns or URLs.")
    ],
    checkpoint: Annotated[Path | None, Opt(help="A run folder or checkpoint folder.")] = None,
    model: Annotated[str | None, Opt(help="A registered model, with --weights.")] = None,
    weights: Annotated[str | None, Opt("--weights", "--pretrained", help=WEIGHTS_HELP)] = None,
    top_k: Annotated[int, Opt(min=1, help="Labels to show per video.")] = 5,
    sports_only: Annotated[
        bool, Opt("--sports-only", help="Kinetics-400 models: rank only its 134 sports classes.")
    ] = False,
    batch_size: Annotated[int, Opt(min=1, help="Videos per forward pass.")] = 8,
    device: Annotated[str, Opt(help=DEVICE_HELP)] = "auto",
    runtime: RuntimeOpt = RuntimeChoice.torch,
    save: Annotated[
        bool, Opt("--save", help="Write predictions.json to a new runs/predict/predictN.")
    ] = False,
    people: PeopleOpt = "largest",
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Top-k labels with scores for each video (batched).

    A skeleton model with --people all (or N) answers for each person (blazepose-multi on a
    video, or the tracks of a keypoint file).
    """
    from sportslens.predict import Predictor

    chosen = people_choice(people)
    sources = video_sources(videos)
    predictor = Predictor.load(
        checkpoint,
        model=model,
        weights=weights,
        device=torch_device(device),
        runtime=runtime_of(runtime),
    )
    allowed = None
    if sports_only:
        from sportslens.labels import kinetics400_classes, sports_indices

        if predictor.classes != kinetics400_classes():
            raise ValueError("--sports-only needs a model with the 400 Kinetics-400 classes")
        allowed = sports_indices()
    if chosen == "largest":
        results = predictor.predict_many(
            sources, top_k=top_k, batch_size=batch_size, allowed=allowed
        )
    else:
        results = [
            predictor.predict_people(s, chosen, top_k=top_k, allowed=allowed) for s in sources
        ]
    answers = [r.to_dict() for r in results]
    if save:
        folder = save_folder("predict")
        (folder / "predictions.json").write_text(json.dumps(answers, indent=2, default=str))
    if as_json:
        print_json(answers)
    else:
        _print_predictions(results)
    if save:
        results_saved(folder, as_json=as_json)


def _print_predictions(results: list[Prediction]) -> None:
    for result in results:
        table = Table(show_header=False)
        for name, score in zip(result.labels, result.scores, strict=True):
            table.add_row(name, f"{score:.3f}")
        print_titled(table, result.source)
        if result.dive is not None:
            from sportslens.cli.dive import print_composed

            print_composed(result.dive)
        if "people" in result.extras:  # a skeleton model per person
            _print_people(result.extras["people"])
        elif "pose" in result.extras:  # a skeleton model: the pose it read and the repetitions
            console.print(_pose_line(result.extras["pose"], result.extras["form"]))
        if result.answer == "unknown":
            console.print("answer: [bold]unknown[/] (the top score is under the model's "
                          "calibrated threshold)")  # fmt: skip
        for warning in result.warnings:
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)


@app.command()
@reports_errors
def models(as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False) -> None:
    """Every registered model: family, parameters, default frames and input size, weights."""
    from sportslens.models.summary import describe_input, model_table

    rows = model_table()
    if as_json:
        print_json(rows)
        return
    table = Table()
    for column in ["model", "family", "params (M)", "frames", "input", "weights"]:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(
            row["model"],
            row["family"],
            f"{row['params_m']:.2f}",
            str(row["frames"]),
            describe_input(row["model"]),
            ", ".join(row["weights"]) or "-",
        )
    console.print(table)


@app.command()
@reports_errors
def labels(
    vocabulary: Annotated[str, typer.Argument(help="kinetics400 or diving48")],
    sports: Annotated[bool, Opt("--sports", help="Only the sports subset, by sport.")] = False,
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Print a label vocabulary (index and name), or the Kinetics-400 sports subset by sport."""
    from sportslens.labels import SPORT_GROUPS, kinetics400_classes

    if vocabulary == "diving48" and not sports:
        from sportslens.cli.dive import print_diving48

        print_diving48(as_json=as_json)
        return
    if vocabulary != "kinetics400":
        raise ValueError(
            f"unknown vocabulary {vocabulary!r}; known: kinetics400, diving48 (--sports is "
            "for kinetics400 only)"
        )
    names = kinetics400_classes()
    if sports:
        groups = {group: list(members) for group, members in SPORT_GROUPS.items()}
        if as_json:
            print_json(groups)
            return
        for group, members in groups.items():
            console.print(f"[bold]{group}[/] ({len(members)}): {', '.join(members)}")
        return
    if as_json:
        print_json(names)
        return
    for index, name in enumerate(names):
        typer.echo(f"{index}\t{name}")


def _print_people(people: list[dict[str, Any]]) -> None:
    """A row per person: track id, top label and score, what was seen and counted."""
    table = Table(title="per person")
    for column in ["person", "label", "score", "pose and repetitions"]:
        table.add_column(column, justify="right" if column == "score" else "left")
    for person in people:
        best = person["top"][0]
        table.add_row(
            f"#{person['track_id']}",
            best["label"],
            f"{best['score']:.3f}",
            _pose_line(person["pose"], person["form"]),
        )
    console.print(table)


def _pose_line(pose: dict[str, Any], form: dict[str, Any] | None) -> str:
    found = f"person found in {pose['detected_fraction']:.0%} of {pose['frames']} frames"
    if form is None:
        return f"{found}; no joint angle measured, no repetitions counted"
    plural = "" if form["count"] == 1 else "s"
    return f"{found}; {form['count']} repetition{plural} (counted on {form['signal']})"
