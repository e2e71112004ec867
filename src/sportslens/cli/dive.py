"""``sportslens dive NUMBER…``: decode dive numbers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

if TYPE_CHECKING:
    from sportslens.models.heads import HeadsAnswer
    from sportslens.synth.settings import ClipSettings

from sportslens.cli.app import (
    Opt,
    app,
    bench_app,
    console,
    print_json,
    print_titled,
    reports_errors,
)


@app.command("dive")
@reports_errors
def dive(
    numbers: Annotated[list[str], typer.Argument(help="Dive numbers, e.g. 107B 5253B.")],
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Decode FINA dive numbers: group, direction, somersaults, twists, position."""
    from sportslens.dive import parse

    dives = [parse(number) for number in numbers]  # any invalid number fails before output
    if as_json:
        print_json([d.to_dict() for d in dives])
        return
    table = Table()
    for column in ("number", "description", "group", "direction", "som.", "twists", "position"):
        table.add_column(column, justify="right" if column in ("som.", "twists") else "left")
    for d in dives:
        group = f"{d.group} {d.to_dict()['group_name']}" + (" flying" if d.flying else "")
        table.add_row(
            d.number,
            d.describe(),
            group,
            d.direction,
            f"{d.half_somersaults / 2:g}",
            f"{d.half_twists / 2:g}",
            d.position,
        )
    console.print(table)


def print_diving48(*, as_json: bool) -> None:
    """The Diving48 vocabulary, one row per class index (``sportslens labels diving48``)."""
    from sportslens.dive.diving48 import DIVING48

    if as_json:
        print_json([row.to_dict() for row in DIVING48])
        return
    table = Table(title="Diving48: 48 classes")
    for column in ("class", "takeoff", "somersaults", "twists", "position", "number", "dive"):
        table.add_column(column)
    for row in DIVING48:
        words = row.to_dict()  # takeoff and position as the dataset spells them
        somersaults = "Dive" if row.somersaults == 0.5 else f"{row.somersaults:g}"
        table.add_row(
            str(row.index),
            words["takeoff"],
            somersaults,
            f"{row.twists:g}",
            words["position"],
            row.number,
            row.dive.describe(),
        )
    console.print(table)


def synth_dives(
    out_dir: Path,
    numbers: list[str] | None,
    settings: ClipSettings,
    per_class: int,
    workers: int,
    camera: str = "follow",
) -> None:
    """``sportslens synth OUT --kind dives``: synthetic dives labelled by dive number."""
    from sportslens.synth.dives import DEFAULT_DIVES, make_dive_dataset

    chosen = numbers or list(DEFAULT_DIVES)
    make_dive_dataset(
        out_dir,
        settings,
        dives=chosen,
        per_class=per_class,
        camera=camera,  # type: ignore[arg-type]  # sample_dive_spec names a bad one
        workers=workers,
    )
    console.print(
        f"wrote {per_class * len(chosen)} dive clips of {len(chosen)} numbers to {out_dir}"
    )


@bench_app.command("compose")
@reports_errors
def bench_compose(
    run: Annotated[Path, typer.Argument(help="A run trained with --heads attributes.")],
    data: Annotated[Path, typer.Argument(help="Videos labelled by dive number.")],
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """How often the dive number composed from the attribute heads is exactly right, on dives
    held out of training and on the trained ones (where class top-1 is shown beside it)."""
    from sportslens.bench import evaluate_composition

    with console.status("predicting"):
        result = evaluate_composition(run, data)
    if as_json:
        print_json(result)
        return
    table = Table()
    for column in ("videos", "count", "composed exact", "class top-1", *_HEADS):
        table.add_column(column, justify="left" if column == "videos" else "right")
    for subset in ("held_out", "trained", "all"):
        row = result[subset]
        if row is None:
            continue
        accuracy = [f"{100 * row['attributes'][name]['accuracy']:.1f}%" for name in _HEADS]
        class_top1 = f"{100 * row['class_accuracy']:.1f}%" if "class_accuracy" in row else "-"
        composed = f"{100 * row['composed_accuracy']:.1f}%"
        table.add_row(subset, str(row["videos"]), composed, class_top1, *accuracy)
    print_titled(table, f"composed dive numbers: {run} on {data}")


_HEADS = ("direction", "half_somersaults", "half_twists", "position")


def print_composed(answer: HeadsAnswer) -> None:
    """The dive the attribute heads compose, under a prediction's top-k table."""
    from sportslens.dive.attributes import DivePrediction

    if not isinstance(answer, DivePrediction):  # another kind of extra heads
        print_json(answer.to_dict())
        return
    dive = answer
    parts = ", ".join(f"{k} {v} ({dive.probabilities[k]:.2f})" for k, v in dive.values.items())
    seen = "a trained class" if dive.seen else "[bold]unseen[/]: no trained class"
    console.print(f"composed: [bold]{dive.number}[/] {dive.description} ({seen}); {parts}")
