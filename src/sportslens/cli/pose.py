"""``sportslens pose`` and ``pose-extract``: body keypoints from videos."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.markup import escape
from rich.table import Table

from sportslens.cli.app import (
    Opt,
    app,
    console,
    deprecated,
    errors,
    print_json,
    renamed,
    reports_errors,
    results_saved,
    save_folder,
    video_sources,
)
from sportslens.cli.engine import (
    AddressOpt,
    CpusOpt,
    EngineChoice,
    EngineOpt,
    GpusOpt,
    engine_settings,
)

if TYPE_CHECKING:
    from sportslens.pose.backends import Backend, VitPoseSettings
    from sportslens.pose.people import PeopleChoice


class BackendChoice(StrEnum):
    mediapipe = "mediapipe"
    vitpose = "vitpose"
    blazepose_multi = "blazepose-multi"
    import_ = "import"


class LayoutChoice(StrEnum):
    coco17 = "coco17"
    blazepose33 = "blazepose33"


class SmoothChoice(StrEnum):
    none = "none"
    one_euro = "one-euro"
    savgol = "savgol"


BackendOpt = Annotated[
    BackendChoice,
    Opt(
        help="mediapipe: offline BlazePose; vitpose: ViTPose + RT-DETR (needs weights); "
        "blazepose-multi: offline, every person, tracked; import: read --from FILE.",
    ),
]
LayoutOpt = Annotated[
    LayoutChoice, Opt(help="Keypoint layout to save; blazepose33 keeps all 33 landmarks.")
]
SmoothOpt = Annotated[SmoothChoice, Opt(help="Temporal smoothing of the keypoints.")]
VitPoseModelOpt = Annotated[
    str | None, Opt("--vitpose-model", help="ViTPose hub id or local folder (vitpose).")
]
DetectorOpt = Annotated[
    str | None,
    Opt(help="Person detector hub id or local folder, or 'none' for the whole frame (vitpose)."),
]
DeviceOpt = Annotated[str, Opt(help="auto, cpu or cuda (vitpose).")]
PeopleOpt = Annotated[
    str,
    Opt(
        help="all, a count N (the N seen largest) or largest; several need blazepose-multi "
        "or vitpose."
    ),
]


def people_choice(value: str) -> PeopleChoice:
    """``--people`` read once for every command that takes it."""
    from sportslens.pose.people import parse_people_choice

    return parse_people_choice(value)


def _vitpose_settings(model: str | None, detector: str | None, device: str) -> VitPoseSettings:
    from sportslens.pose.backends import VitPoseSettings

    defaults = VitPoseSettings()
    return VitPoseSettings(
        model=model or defaults.model,
        detector=None if detector == "none" else (detector or defaults.detector),
        device=device,
    )


@app.command()
@reports_errors
def pose(
    videos: Annotated[
        list[str], typer.Argument(help="Videos: files, folders, glob patterns or URLs.")
    ],
    out_file: Annotated[
        Path | None, Opt(help="The keypoint file to write (.npz); one video only.")
    ] = None,
    old_out: Annotated[Path | None, deprecated("--out", "--out-file")] = None,
    overlay: Annotated[
        Path | None, Opt(help="Also write the video with the skeleton drawn (.mp4).")
    ] = None,
    save: Annotated[
        bool,
        Opt(
            "--save",
            help="Write <video>.npz and the overlay <video>.mp4 to a new runs/pose/poseN "
            "(the default without --out-file).",
        ),
    ] = False,
    backend: BackendOpt = BackendChoice.mediapipe,
    layout: LayoutOpt = LayoutChoice.coco17,
    smooth: SmoothOpt = SmoothChoice.none,
    import_from: Annotated[
        Path | None, Opt("--from", help="Keypoints from another tool (.npz/.json/.csv).")
    ] = None,
    vitpose_model: VitPoseModelOpt = None,
    detector: DetectorOpt = None,
    device: DeviceOpt = "auto",
    people: PeopleOpt = "largest",
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Body keypoints of the person in every frame of a video, saved as a keypoint .npz."""
    sources = video_sources(videos)
    out = renamed(out_file, old_out, "--out", "--out-file")
    if len(sources) > 1 and (out is not None or overlay is not None or import_from is not None):
        raise ValueError(
            f"{len(sources)} videos: --out-file, --overlay and --from name one video's files; "
            "use --save for several"
        )
    folder = save_folder("pose") if save or out is None else None
    answers = []
    for video in sources:
        if folder is not None:
            stem = Path(video.split("?")[0]).stem or "video"
            out, overlay = folder / f"{stem}.npz", folder / f"{stem}.mp4"
        assert out is not None  # given, or chosen in the --save folder
        facts = _pose_one(
            video, out, overlay, backend, layout, smooth, import_from,
            _vitpose_settings(vitpose_model, detector, device), people_choice(people),
            progress=not as_json,
        )  # fmt: skip
        answers.append(facts)
        if not as_json:
            console.print(
                f"{video}: {facts['frames']} frames, a person in {facts['detected']:.0%} of them"
                f" → {out}" + (f"; overlay → {overlay}" if overlay else ""),
                soft_wrap=True,
            )
    if as_json:
        print_json(answers[0] if len(answers) == 1 and len(videos) == 1 else answers)
    if folder is not None:
        results_saved(folder, as_json=as_json)


def _pose_one(
    video: str,
    out: Path,
    overlay: Path | None,
    backend: BackendChoice,
    layout: LayoutChoice,
    smooth: SmoothChoice,
    import_from: Path | None,
    vitpose: VitPoseSettings,
    people: PeopleChoice,
    *,
    progress: bool,
) -> dict[str, Any]:
    """Extract (or import), smooth and save one video's keypoints; the facts ``--json`` prints."""
    from sportslens.pose import extract_keypoints, save_keypoints, smooth_keypoints, write_overlay

    chosen = "import" if import_from is not None else backend.value
    if people != "largest":
        return _pose_people(
            video, out, overlay, chosen, layout, smooth, people, import_from, vitpose,
            progress=progress,
        )  # fmt: skip
    kp = extract_keypoints(
        video,
        cast("Backend", chosen),
        layout=layout.value,
        vitpose=vitpose,
        import_from=import_from,
        progress=progress,
    )
    kp = smooth_keypoints(kp, smooth.value)
    save_keypoints(out, kp, backend=chosen, smoothing=smooth.value)
    if overlay is not None:
        write_overlay(video, kp, overlay, progress=progress)
    return {
        "source": video,
        "keypoints": str(out),
        "frames": kp.num_frames,
        "detected": round(float(kp.detected.mean()) if kp.num_frames else 0.0, 4),
        "layout": kp.layout,
        "fps": kp.fps,
        "size": list(kp.size),
        "overlay": str(overlay) if overlay else None,
    }


def _pose_people(
    video: str,
    out: Path,
    overlay: Path | None,
    backend: str,
    layout: LayoutChoice,
    smooth: SmoothChoice,
    people: PeopleChoice,
    import_from: Path | None,
    vitpose: VitPoseSettings,
    *,
    progress: bool,
) -> dict[str, Any]:
    """Every person (or N) as a version 2 keypoint file, each smoothed on its own; the overlay
    draws each track in its own colour."""
    from sportslens.pose import extract_people, save_people, smooth_keypoints
    from sportslens.pose.people_overlay import write_people_overlay

    found = extract_people(
        video, cast("Backend", backend), layout=layout.value, people=people,
        vitpose=vitpose, import_from=import_from, progress=progress,
    )  # fmt: skip
    found = found.map(lambda kp: smooth_keypoints(kp, smooth.value))
    save_people(out, found, backend=backend, smoothing=smooth.value)
    if overlay is not None:
        write_people_overlay(video, found, overlay, progress=progress)
    seen = (found.scores > 0).any(axis=2)  # (T, P)
    return {
        "source": video,
        "keypoints": str(out),
        "frames": found.num_frames,
        "detected": round(float(seen.any(axis=1).mean()) if found.num_frames else 0.0, 4),
        "people": [
            {"track_id": int(i), "frames": int(n)}
            for i, n in zip(found.track_ids, seen.sum(axis=0), strict=True)
        ],
        "layout": found.layout,
        "fps": found.fps,
        "size": list(found.size),
        "overlay": str(overlay) if overlay else None,
    }


@app.command("pose-extract")
@reports_errors
def pose_extract(
    data: Annotated[
        Path, typer.Argument(help="A class-per-folder tree, labels.csv, Diving48 JSON or CSV.")
    ],
    out: Annotated[Path, Opt(help="Folder for the keypoint files (mirrors the video paths).")],
    backend: BackendOpt = BackendChoice.mediapipe,
    layout: LayoutOpt = LayoutChoice.coco17,
    smooth: SmoothOpt = SmoothChoice.none,
    workers: Annotated[
        int | None,
        Opt(
            help="Parallel processes (default: half the cores; vitpose: 1), or Ray actors "
            "(default: as many as the cluster holds)."
        ),
    ] = None,
    engine: EngineOpt = EngineChoice.local,
    address: AddressOpt = None,
    cpus_per_worker: CpusOpt = 1.0,
    gpus_per_worker: GpusOpt = 0.0,
    overwrite: Annotated[
        bool, Opt("--overwrite", help="Extract again even where a keypoint file exists.")
    ] = False,
    min_detected: Annotated[
        float, Opt(help="List videos with a person in fewer than this fraction of frames.")
    ] = 0.5,
    vitpose_model: VitPoseModelOpt = None,
    detector: DetectorOpt = None,
    device: DeviceOpt = "auto",
    people: PeopleOpt = "largest",
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """Keypoints for every video of a dataset: resumable, in parallel (here or on a Ray
    cluster); exits 1 if any failed."""
    from sportslens.data import read_catalog
    from sportslens.pose.extract import (
        ExtractSettings,
        default_workers,
        extract_videos,
        few_detections,
    )

    if backend == BackendChoice.import_:
        raise ValueError("pose-extract runs a pose model; import one file with `sportslens pose`")
    chosen = cast("Backend", backend.value)
    catalog = read_catalog(data)
    settings = ExtractSettings(
        backend=chosen,
        layout=layout.value,
        smooth=smooth.value,
        vitpose=_vitpose_settings(vitpose_model, detector, device),
        people=people_choice(people),
    )
    runs_on = engine_settings(
        engine, workers, address, cpus_per_worker, gpus_per_worker,
        local_workers=default_workers(chosen),
    )  # fmt: skip
    results = extract_videos(
        [record.source for record in catalog],
        data if data.is_dir() else data.parent,
        out,
        settings,
        engine=runs_on,
        overwrite=overwrite,
        progress=not as_json,
    )
    few = few_detections(results, min_detected)
    failed = [r for r in results if r.status == "failed"]
    if as_json:
        print_json(_summary(results, few, failed, min_detected))
    else:
        _print_summary(results, few, failed, min_detected, out)
    if failed:
        raise typer.Exit(1)


def _summary(results: Any, few: Any, failed: Any, min_detected: float) -> dict[str, Any]:
    def count(status: str) -> int:
        return sum(r.status == status for r in results)

    return {
        "videos": len(results),
        "done": count("done"),
        "skipped": count("skipped"),
        "failed": [{"source": r.source, "error": r.error} for r in failed],
        "min_detected": min_detected,
        "few_detections": [
            {"source": r.source, "keypoints": str(r.keypoints), "detected": round(r.detected, 4)}
            for r in few
        ],
    }


def _print_summary(results: Any, few: Any, failed: Any, min_detected: float, out: Path) -> None:
    summary = _summary(results, few, failed, min_detected)
    console.print(
        f"{summary['videos']} videos: {summary['done']} extracted, {summary['skipped']} already "
        f"done, {len(failed)} failed → {out}"
    )
    if few:
        table = Table(title=f"a person in fewer than {min_detected:.0%} of frames")
        table.add_column("video")
        table.add_column("frames", justify="right")
        table.add_column("with a person", justify="right")
        for r in few:
            table.add_row(r.source, str(r.frames), f"{r.detected:.0%}")
        console.print(table)
    for r in failed:
        failure = escape(f"{r.source}: {r.error}")
        errors.print(f"[bold red]failed:[/] {failure}", highlight=False, soft_wrap=True)
