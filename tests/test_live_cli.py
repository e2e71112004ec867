"""``sportslens live`` on a generated synthetic athlete played in real time."""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from sportslens.cli import app
from test_live_counter import athletes  # noqa: F401  (the module's long athletes)

runner = CliRunner()


def test_live_realtime_file_counts_what_form_counts(athletes: Path, tmp_path: Path) -> None:  # noqa: F811
    npz = sorted((athletes / "squat").glob("*.npz"))[0]
    video = next(p for p in npz.parent.iterdir() if p.stem == npz.stem and p.suffix != ".npz")
    events = tmp_path / "events.jsonl"
    args = ["live", str(video), "--keypoints", str(npz), "--exercise", "squat", "--realtime"]
    result = runner.invoke(app, [*args, "--events", str(events)])
    assert result.exit_code == 0, result.output
    form = runner.invoke(app, ["form", str(npz), "--exercise", "squat", "--json"])
    offline = json.loads(form.output)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    reps = [e for e in lines if e["event"] == "repetition"]
    assert len(reps) == offline["count"] == int(np.load(npz)["reps"]) > 0
    assert lines[-1]["event"] == "summary" and lines[-1]["count"] == len(reps)
    assert all(r["end_s"] > r["start_s"] for r in reps)


def test_live_with_mediapipe_counts_a_generated_athletes_squats(tmp_path: Path) -> None:
    """No keypoint file: MediaPipe follows the person frame by frame, as on a camera."""
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    from sportslens.synth.clips import sample_clip_spec, write_clip
    from sportslens.synth.settings import ClipSettings

    spec = sample_clip_spec("squat", 0, ClipSettings(num_frames=90, size=256, seed=0))
    video = write_clip(spec, tmp_path / "squat.mp4")
    truth = int(np.load(video.with_suffix(".npz"))["reps"])
    events = tmp_path / "events.jsonl"
    args = ["live", str(video), "--exercise", "squat", "--events", str(events)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert truth >= 2 and lines[-1] == {**lines[-1], "event": "summary", "count": truth}
    assert lines[-1]["dropped"] == 0  # a file without --realtime waits for the analysis


def _y4m_of(video: Path, tmp_path: Path) -> bytes:
    """``video``'s frames as a y4m stream, what a camera pipe would carry."""
    from sportslens.synth.files import write_y4m
    from sportslens.video import iter_frames

    path = tmp_path / "camera.y4m"
    write_y4m(path, (frame for _, frame in iter_frames(video)), 20)
    return path.read_bytes()


def _feed(
    fifo: Path,
    y4m: bytes,
    fps: float,
    stop_after: int | None,
    release: threading.Event,
    half_frame: bool = False,
) -> threading.Thread:
    """A camera writing into ``fifo`` at ``fps``; after ``stop_after`` frames it stalls until
    ``release`` (or, with ``half_frame``, writes half a frame and vanishes)."""
    header, *chunks = y4m.split(b"FRAME\n")

    def write() -> None:
        with fifo.open("wb") as pipe:
            pipe.write(header)
            for index, chunk in enumerate(chunks):
                if index == stop_after:
                    if half_frame:
                        pipe.write(b"FRAME\n" + chunk[: len(chunk) // 2])
                        return
                    release.wait(30)
                    return
                pipe.write(b"FRAME\n" + chunk)
                pipe.flush()
                time.sleep(1 / fps)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def _live_on_pipe(
    folder: Path, tmp_path: Path, stop_after: int | None, *extra: str, half_frame: bool = False
) -> tuple[Any, list[dict[str, Any]], int]:
    npz = sorted((folder / "squat").glob("*.npz"))[0]
    video = next(p for p in npz.parent.iterdir() if p.stem == npz.stem and p.suffix != ".npz")
    fifo = tmp_path / "camera.pipe"
    os.mkfifo(fifo)
    release = threading.Event()
    writer = _feed(fifo, _y4m_of(video, tmp_path), 20, stop_after, release, half_frame)
    events = tmp_path / "events.jsonl"
    args = ["live", str(fifo), "--keypoints", str(npz), "--exercise", "squat", *extra]
    try:
        result = runner.invoke(app, [*args, "--events", str(events)])
    finally:
        release.set()
        writer.join(10)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    return result, lines, int(np.load(npz)["reps"])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_live_reads_a_camera_from_a_pipe(athletes: Path, tmp_path: Path) -> None:  # noqa: F811
    result, lines, truth = _live_on_pipe(athletes, tmp_path, None)
    assert result.exit_code == 0, result.output
    summary = lines[-1]
    assert summary["ended"] == "end" and summary["frames"] == 100
    assert summary["analysed"] + summary["dropped"] == 100
    assert truth > 0 and summary["count"] == truth


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_that_stops_writing_ends_with_a_message(athletes: Path, tmp_path: Path) -> None:  # noqa: F811
    result, lines, _ = _live_on_pipe(athletes, tmp_path, 30, "--stall", "0.5")
    assert result.exit_code == 1
    assert "no frame for 0.5 s; the source stalled" in result.output
    assert lines[-1]["ended"] == "stalled" and lines[-1]["frames"] == 30


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_camera_pipe_that_vanishes_mid_frame_ends_the_run(athletes: Path, tmp_path: Path) -> None:  # noqa: F811
    """The writer dies halfway through a frame: the frames before it count, nothing hangs."""
    result, lines, _ = _live_on_pipe(athletes, tmp_path, 30, "--stall", "5", half_frame=True)
    assert result.exit_code == 0, result.output
    summary = lines[-1]
    assert summary["ended"] == "end" and summary["frames"] == 30
    assert summary["analysed"] + summary["dropped"] == 30  # a pipe is live: a slow run drops


def test_live_labels_the_last_seconds_with_a_skeleton_model(athletes: Path, tmp_path: Path) -> None:  # noqa: F811
    from serve_helpers import (
        SKELETON_CLASSES,
        write_tiny_checkpoint,
        write_tiny_skeleton_checkpoint,
    )

    npz = sorted((athletes / "squat").glob("*.npz"))[0]
    video = next(p for p in npz.parent.iterdir() if p.stem == npz.stem and p.suffix != ".npz")
    events = tmp_path / "events.jsonl"
    run = write_tiny_skeleton_checkpoint(tmp_path / "run")
    args = ["live", str(video), "--keypoints", str(npz), "--checkpoint", str(run)]
    result = runner.invoke(app, [*args, "--events", str(events)])
    assert result.exit_code == 0, result.output
    labels = [e for e in map(json.loads, events.read_text().splitlines()) if e["event"] == "label"]
    assert labels and labels[0]["time_s"] == pytest.approx(59 / 20)  # after the first 3 s
    assert all(e["label"] in SKELETON_CLASSES and 0 < e["score"] <= 1 for e in labels)
    assert all(a["label"] != b["label"] for a, b in itertools.pairwise(labels))
    video_model = write_tiny_checkpoint(tmp_path / "video_run")
    refused = runner.invoke(
        app, ["live", str(video), "--keypoints", str(npz), "--checkpoint", str(video_model)]
    )
    assert refused.exit_code != 0 and "live labels need a skeleton model" in refused.output


def _slow_to_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """MediaPipe as in a new process, whose first import takes about a second."""
    from sportslens.pose.backends import mediapipe as backend

    loaded = backend.mediapipe_frames

    @contextmanager
    def first_import(fps: float, **options: Any) -> Iterator[Any]:
        time.sleep(1.0)
        with loaded(fps, **options) as pose:
            yield pose

    monkeypatch.setattr(backend, "mediapipe_frames", first_import)


def test_live_realtime_with_mediapipe_counts_what_form_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's clock starts once MediaPipe is loaded: its first repetition is not dropped.

    At 10 fps a frame has 100 ms to be analysed before the next one is due, so the count does
    not depend on how busy the machine is (at 30 fps a loaded CI machine dropped frames)."""
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    from sportslens.synth.clips import sample_clip_spec, write_clip
    from sportslens.synth.settings import ClipSettings

    _slow_to_load(monkeypatch)

    spec = sample_clip_spec("squat", 0, ClipSettings(num_frames=30, fps=10.0, size=256, seed=0))
    video = write_clip(spec, tmp_path / "squat.mp4")
    events = tmp_path / "events.jsonl"
    args = ["live", str(video), "--exercise", "squat", "--realtime", "--events", str(events)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    extracted = tmp_path / "squat_mp.npz"
    assert runner.invoke(app, ["pose", str(video), "--out", str(extracted)]).exit_code == 0
    form = json.loads(
        runner.invoke(app, ["form", str(extracted), "--exercise", "squat", "--json"]).stdout
    )
    summary = json.loads(events.read_text().splitlines()[-1])
    assert summary["count"] == form["count"] == int(np.load(video.with_suffix(".npz"))["reps"])
    assert summary["analysed"] + summary["dropped"] == 30
    assert summary["dropped"] < 5  # not the second of frames played while the model loaded


def test_live_reads_an_http_stream_once_the_model_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A camera over HTTP starts sending on connection: connect only when MediaPipe is ready.

    At 10 fps, so that a busy machine still analyses every frame in time."""
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    from live_helpers import athlete
    from sportslens.synth.files import write_y4m
    from test_serve_live import stream_server

    _slow_to_load(monkeypatch)
    frames, truth = athlete(3.0, 10)
    write_y4m(tmp_path / "camera.y4m", frames, 10)
    events = tmp_path / "events.jsonl"
    with stream_server((tmp_path / "camera.y4m").read_bytes(), 10) as url:
        result = runner.invoke(app, ["live", url, "--exercise", "squat", "--events", str(events)])
    assert result.exit_code == 0, result.output
    summary = json.loads(events.read_text().splitlines()[-1])
    assert summary["ended"] == "end" and summary["frames"] == len(frames)
    assert summary["dropped"] < 10 and summary["count"] == truth >= 2  # not the load's second
