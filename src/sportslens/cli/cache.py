"""The cache command: decode a dataset once into a clip cache that training reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sportslens.cli.app import Opt, app, console, print_json, reports_errors
from sportslens.cli.engine import (
    AddressOpt,
    CpusOpt,
    EngineChoice,
    EngineOpt,
    GpusOpt,
    engine_settings,
)


@app.command()
@reports_errors
def cache(
    data: Annotated[Path, typer.Argument(help="A dataset any catalog reader understands.")],
    out: Annotated[Path, Opt(help="The cache folder (made, or resumed when it exists).")],
    model: Annotated[
        str, Opt(help="Cache the sizes this model's training and evaluation read.")
    ] = "r2plus1d_tiny",
    size: Annotated[
        int | None, Opt(help="The crop size training will use (train --size).", show_default=False)
    ] = None,
    short_side: Annotated[
        list[int] | None,
        Opt(
            help="Store frames at this short side instead of the model's sizes (repeat).",
            show_default=False,
        ),
    ] = None,
    frame_format: Annotated[
        str, Opt(help="webp (lossless, bit-exact) or jpeg (quality 95, ~2.7x smaller).")
    ] = "webp",
    workers: Annotated[
        int | None,
        Opt(
            help="Videos cached at once, each in its own process (Ray actors with --engine ray; "
            "default: 1 here, the whole cluster on Ray).",
            show_default=False,
        ),
    ] = None,
    engine: EngineOpt = EngineChoice.local,
    address: AddressOpt = None,
    cpus_per_worker: CpusOpt = 1.0,
    gpus_per_worker: GpusOpt = 0.0,
    as_json: Annotated[bool, Opt("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Decode every video of DATA once, scaled, into tar shards that train --cache reads."""
    from sportslens.data.cache_writer import build_cache
    from sportslens.data.clip_cache import CacheSpec
    from sportslens.data.formats import read_catalog
    from sportslens.progress import progress_bar

    runs_on = engine_settings(
        engine, workers, address, cpus_per_worker, gpus_per_worker, local_workers=1
    )
    sides = tuple(short_side) if short_side else _model_sides(model, size)
    spec = CacheSpec(sides, frame_format)  # type: ignore[arg-type]  # checked by CacheSpec
    catalog = read_catalog(data)
    sources = list(dict.fromkeys(record.source for record in catalog))
    counts = {"cached": 0, "reused": 0, "failed": 0}
    with progress_bar(enabled=not as_json) as bar:
        task = bar.add_task(f"caching {data.name}", total=len(sources))

        def advance(entry: Any, reused: bool) -> None:
            kind = "failed" if entry.error else "reused" if reused else "cached"
            counts[kind] += 1
            if entry.error and not reused and not as_json:  # JSON lists them at the end
                console.print(f"skipped {entry.source}: {entry.error}", soft_wrap=True)
            bar.advance(task)

        info = build_cache(
            sources, spec, out, data=str(data.absolute()), classes=catalog.classes,
            engine=runs_on, on_video=advance,
        )  # fmt: skip
    summary = {"cache": str(out), "videos": info["videos"], **counts, "spec": spec.to_dict()}
    if as_json:
        print_json(summary | {"failed_videos": info["failed"]})
        return
    console.print(
        f"{info['videos']} videos in {out}: {counts['cached']} cached now, {counts['reused']} "
        f"from an earlier run, {counts['failed']} undecodable (skipped); short sides "
        f"{list(sides)} px, {frame_format}",
        soft_wrap=True,
    )
    console.print(f"next: [bold]sportslens train {data} --out RUN --cache {out}[/]", soft_wrap=True)


def _model_sides(model: str, size: int | None) -> tuple[int, ...]:
    """The short sides ``model`` reads: ``train_scale`` high (training), resize (evaluation)."""
    from sportslens.models.registry import get_entry
    from sportslens.transforms import Preprocess

    pre = get_entry(model).preprocess
    if not isinstance(pre, Preprocess):
        raise ValueError(
            f"{model} reads keypoint files, not video frames: there is nothing to cache"
        )
    pre = pre.with_input_size(crop_size=size)
    return tuple(dict.fromkeys((pre.train_scale[1], pre.resize)))
