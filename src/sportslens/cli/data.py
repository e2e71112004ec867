"""Commands over videos and datasets: probe, synth, catalog, split."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

import sportslens
from sportslens.cli.app import (
    Opt,
    app,
    console,
    deprecated,
    errors,
    print_json,
    print_titled,
    renamed,
    reports_errors,
)


@app.command()
@reports_errors
def probe(
    video: Annotated[str, typer.Argument(help="A video path or fsspec URL.")],
    sample: Annotated[
        int, typer.Option(help="Also read this many uniformly sampled frames and time it.")
    ] = 0,
    short_side: Annotated[
        int, typer.Option(help="Sampled frames are resized to this short side (aspect kept).")
    ] = 112,
    old_size: Annotated[int | None, deprecated("--size", "--short-side")] = None,
    sheet: Annotated[
        Path | None, typer.Option(help="Write the sampled frames as a contact sheet PNG.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a video's facts: frames, fps, duration, size, codec, rotation; optionally sample it."""
    info = sportslens.probe(video)
    facts = info.to_dict()
    if sample or sheet:
        size = renamed(short_side, old_size, "--size", "--short-side")
        facts["sample"] = _sample(video, info.num_frames, sample or 16, size, sheet)
    if as_json:
        print_json(facts)
        return
    table = Table(show_header=False, box=None)
    for key, value in facts.items():
        table.add_row(f"[bold]{key}[/]", f"{value:.3f}" if isinstance(value, float) else str(value))
    console.print(table)


def _sample(
    video: str, num_frames: int, count: int, size: int, sheet: Path | None
) -> dict[str, Any]:
    """Read ``count`` uniform frames, time it, and optionally save them as a contact sheet."""
    import time

    from sportslens.sampling import uniform

    indices = uniform(num_frames, count)
    start = time.perf_counter()
    frames = sportslens.read_frames(video, indices, size=size)  # (T, C, H, W) uint8
    elapsed_ms = (time.perf_counter() - start) * 1000
    if sheet is not None:
        from torchvision.utils import save_image

        sheet.parent.mkdir(parents=True, exist_ok=True)
        save_image(frames.float() / 255, sheet, nrow=min(8, count), padding=2)
    return {
        "indices": indices.tolist(),
        "shape": list(frames.shape),
        "ms": round(elapsed_ms, 1),
        "sheet": str(sheet) if sheet else None,
    }


@app.command()
@reports_errors
def synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder for <class>/ videos and labels.csv.")],
    classes: Annotated[
        list[str] | None,
        Opt("--classes", help="Exercise names, or dive numbers with --kind dives (repeat)."),
    ] = None,
    kind: Annotated[
        str,
        Opt(
            help="athletes (one exercise a clip), dives, or sessions (long videos, true segments)."
        ),
    ] = "athletes",
    per_class: Annotated[int, Opt(help="Clips per class.")] = 50,
    frames: Annotated[int | None, Opt(help="Frames per clip (overrides --seconds).")] = None,
    seconds: Annotated[float, Opt(help="Clip length.")] = 3.0,
    fps: Annotated[float, Opt()] = 30.0,
    size: Annotated[int, Opt(help="Square frame side in pixels (even).")] = 160,
    seed: Annotated[int, Opt(help="The same seed gives the same videos.")] = 0,
    workers: Annotated[int, Opt(help="Parallel processes.")] = 2,
    sessions: Annotated[int, Opt(help="--kind sessions: how many videos.")] = 10,
    session_seconds: Annotated[float, Opt(help="--kind sessions: about how long each is.")] = 60.0,
    camera: Annotated[
        str, Opt(help="--kind dives: follow (close up, pans with the diver) or fixed (wide).")
    ] = "follow",
    background: Annotated[
        int,
        Opt(help="--kind athletes: also this many idle clips in a 'background' class (no action)."),
    ] = 0,
    transitions: Annotated[
        int,
        Opt(help="--kind athletes: also this many rest-to-set cuts, labelled by what fills most."),
    ] = 0,
) -> None:
    """Generate labelled synthetic athletes (videos, keypoints, labels.csv), deterministically."""
    from sportslens.synth.clips import DEFAULT_CLASSES, make_dataset
    from sportslens.synth.settings import ClipSettings

    if (background or transitions) and kind != "athletes":
        option = "--background" if background else "--transitions"
        raise ValueError(f"{option} adds clips to --kind athletes, not to --kind {kind}")
    if camera != "follow" and kind != "dives":
        raise ValueError(f"--camera films --kind dives, not --kind {kind}")
    settings = ClipSettings(fps=fps, size=size, seed=seed)
    if kind != "sessions":  # a session's blocks draw their own lengths
        settings = (
            replace(settings, num_frames=frames)
            if frames is not None
            else settings.lasting(seconds)
        )
    if kind == "dives":
        from sportslens.cli.dive import synth_dives

        synth_dives(out_dir, classes, settings, per_class, workers, camera)
        return
    if kind not in ("athletes", "sessions"):
        raise ValueError(f"unknown --kind {kind!r}; expected athletes, dives or sessions")
    chosen = classes or list(DEFAULT_CLASSES)
    if kind == "sessions":
        from sportslens.synth.sessions import make_sessions

        made = make_sessions(out_dir, settings, count=sessions, classes=chosen,
                             seconds=session_seconds, workers=workers)  # fmt: skip
        console.print(f"wrote {len(made)} sessions with their true segments to {out_dir}")
        return
    make_dataset(
        out_dir,
        settings,
        classes=chosen,
        per_class=per_class,
        background=background,
        workers=workers,
    )
    if transitions:
        from sportslens.synth.transitions import make_transitions

        make_transitions(out_dir, transitions, settings, classes=chosen, workers=workers)
    extra = f" and {background} background clips" if background else ""
    extra += f" and {transitions} transitions" if transitions else ""
    console.print(
        f"wrote {per_class * len(chosen)} clips of {len(chosen)} classes{extra} to {out_dir}"
    )


@app.command()
@reports_errors
def catalog(
    data: Annotated[
        Path, typer.Argument(help="A class-per-folder tree, labels.csv, Diving48 JSON or CSV.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Write catalog.csv/.parquet, class_counts.png and contact_sheet.png."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Decode every video fully to find corrupt ones.")
    ] = False,
    workers: Annotated[int, typer.Option(help="Parallel probes / checks.")] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Describe a dataset: videos per class, durations, unreadable files; optionally draw it."""
    from sportslens.data import class_summary, read_catalog

    found = read_catalog(data)
    frame = found.to_dataframe(workers=workers, progress=not as_json)
    bad = _check_videos(found, workers, progress=not as_json) if check else []
    if bad:
        from sportslens.data.health import mark_undecodable

        frame = mark_undecodable(frame, bad)  # the table and catalog.csv count them unreadable
    summary = class_summary(frame)
    if out is not None:
        _write_catalog_outputs(found, frame, out)
    if as_json:
        print_json(
            {
                "videos": len(found),
                "classes": summary.reset_index().to_dict(orient="records"),
                "problems": [list(p) for p in found.problems],
                "undecodable": [list(b) for b in bad],
            }
        )
    else:
        _print_catalog(found, summary, bad, out)
    if bad:
        raise typer.Exit(1)


def _check_videos(found: Any, workers: int, *, progress: bool) -> list[tuple[str, str]]:
    from sportslens.data.health import find_undecodable

    return find_undecodable([r.source for r in found], workers=workers, progress=progress)


def _write_catalog_outputs(found: Any, frame: Any, out: Path) -> None:
    from sportslens.data.visualize import plot_class_counts, plot_contact_sheet

    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "catalog.csv", index=False)
    try:
        frame.to_parquet(out / "catalog.parquet", index=False)
    except ImportError:
        errors.print("catalog.parquet skipped: pip install pyarrow")
    plot_class_counts(found.class_counts(), out / "class_counts.png")
    plot_contact_sheet(list(found), out / "contact_sheet.png")


def _print_catalog(found: Any, summary: Any, bad: list[tuple[str, str]], out: Path | None) -> None:
    table = Table()
    for column in ["class", "videos", "unreadable", "min s", "mean s", "max s"]:
        table.add_column(column, justify="left" if column == "class" else "right")
    for name, row in summary.iterrows():
        durations = [f"{row[k]:.1f}" for k in ("duration_min", "duration_mean", "duration_max")]
        counts = [str(int(row[k])) for k in ("videos", "unreadable")]
        table.add_row(str(name), *counts, *durations)
    table.add_section()
    table.add_row("total", str(int(summary["videos"].sum())), str(int(summary["unreadable"].sum())))
    print_titled(table, f"{found.name}: {len(found)} videos, {len(found.classes)} classes")
    for path, reason in [*found.problems, *bad]:
        errors.print(f"[yellow]skipped[/] {path}: {reason}", highlight=False, soft_wrap=True)
    if out is not None:
        console.print(f"wrote catalog.csv, catalog.parquet and plots to {out}", soft_wrap=True)


@app.command()
@reports_errors
def split(
    data: Annotated[Path, typer.Argument(help="A dataset any reader understands.")],
    out_file: Annotated[Path | None, typer.Option(help="The splits CSV to write.")] = None,
    old_out: Annotated[Path | None, deprecated("--out", "--out-file")] = None,
    fractions: Annotated[
        tuple[float, float, float], typer.Option(help="train, val and test fractions.")
    ] = (0.8, 0.1, 0.1),
    strategy: Annotated[
        str, typer.Option(help="random, stratified (by class) or group (cross-subject).")
    ] = "stratified",
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same split.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Split a dataset reproducibly and save the assignment as CSV for later runs."""
    from sportslens.data import read_catalog, save_splits, split_catalog
    from sportslens.data.splits import data_root

    out = renamed(out_file, old_out, "--out", "--out-file")
    if out is None:
        raise ValueError("where to? --out-file splits.csv")
    if strategy not in ("random", "stratified", "group"):
        raise ValueError(f"strategy must be random, stratified or group, got {strategy!r}")
    done = split_catalog(read_catalog(data), fractions, strategy=strategy, seed=seed)  # type: ignore[arg-type]
    save_splits(done, out, root=data_root(data))  # train --splits-file takes it below DATA
    counts = {name: len(done.split(name)) for name in done.splits}
    if as_json:
        print_json({"videos": len(done), "splits": counts, "file": str(out)})
        return
    console.print(f"{len(done)} videos → {counts}; saved to {out}")
