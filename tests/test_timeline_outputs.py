"""Timeline outputs agree with each other: JSON, CSV, the overlay's pixels and the cut clips."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from conftest import MakeVideo
from sportslens.timeline import (
    Timeline,
    TimelineOptions,
    WindowPlan,
    WindowSize,
    assemble_timeline,
    build_timeline,
)
from sportslens.timeline.export import write_clips, write_csv, write_json
from sportslens.timeline.overlay import palette, swatch_box, write_overlay
from sportslens.timeline.windows import plan_windows
from sportslens.transforms import Preprocess
from sportslens.video import frame_count, probe, read_frames

CLASSES = ["squat", "lunge", "push_up"]
PRE = Preprocess(clip_frames=4, crop_size=32, resize=48, train_scale=(32, 48))


def _timeline(video: Path) -> Timeline:
    """A timeline of a real 90-frame video from hand-made scores: idle, squat, idle, push-up."""
    plan = plan_windows(90, 30.0, WindowSize(window=20, stride=10, step=5), PRE)  # 8 windows
    idle, squat, push = [0.4, 0.3, 0.3], [0.9, 0.05, 0.05], [0.1, 0.1, 0.8]
    scores = np.array([idle, squat, squat, squat, idle, push, push, push])
    options = TimelineOptions(smooth=1, min_segment=0.0)
    return assemble_timeline(str(video), plan, scores, CLASSES, options)


def _swatch_label(frame: NDArray[Any], colours: dict[str, tuple[int, int, int]]) -> str:
    """The label whose colour is nearest the middle of the overlay's swatch."""
    top, left, bottom, right = swatch_box(*frame.shape[:2])
    middle = frame[top + 2 : bottom - 2, left + 2 : right - 2].reshape(-1, 3).mean(axis=0)
    return min(colours, key=lambda name: float(np.abs(middle - colours[name]).sum()))


def test_overlay_pixels_show_the_json_labels_at_segment_midpoints(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    video = make_video("v.mp4", frames=90, height=96, width=128)
    timeline = _timeline(video)
    saved = json.loads(write_json(timeline, tmp_path / "t.json").read_text())
    labels = [s["label"] for s in saved["segments"]]
    assert labels == ["background", "squat", "background", "push_up"]
    overlay = write_overlay(timeline, video, tmp_path / "overlay.mp4")
    assert frame_count(overlay) == 90
    middles = [round((s["start"] + s["end"]) / 2 * saved["fps"]) for s in saved["segments"]]
    frames = read_frames(overlay, middles).permute(0, 2, 3, 1).numpy()  # (S, H, W, 3)
    colours = palette(CLASSES)
    assert [_swatch_label(f, colours) for f in frames] == labels


def test_csv_rows_are_the_json_segments(make_video: MakeVideo, tmp_path: Path) -> None:
    timeline = _timeline(make_video("v.mp4", frames=90))
    rows = list(csv.DictReader(write_csv(timeline, tmp_path / "t.csv").open()))
    saved = json.loads(write_json(timeline, tmp_path / "t.json").read_text())
    assert [r["label"] for r in rows] == [s["label"] for s in saved["segments"]]
    assert [float(r["end"]) for r in rows] == pytest.approx([s["end"] for s in saved["segments"]])
    assert saved["segments"][-1]["end"] == pytest.approx(3.0)  # the video's whole 3 s
    assert len(saved["windows"]) == 8 and saved["windows"][1]["top"][0]["label"] == "squat"


def test_clips_cut_each_action_into_a_class_folder(make_video: MakeVideo, tmp_path: Path) -> None:
    video = make_video("v.mp4", frames=90)
    timeline = _timeline(video)
    paths = write_clips(timeline, video, tmp_path / "clips")
    assert [p.relative_to(tmp_path / "clips").as_posix() for p in paths] == [
        "squat/v_001.mp4",  # numbered from 1, as the timeline table shows them
        "push_up/v_002.mp4",
    ]
    for path, segment in zip(paths, timeline.actions, strict=True):
        assert probe(path).num_frames == segment.end_frame - segment.start_frame + 1
    lines = (tmp_path / "clips" / "labels.csv").read_text().splitlines()
    assert lines == ["path,label,group", "squat/v_001.mp4,squat,v", "push_up/v_002.mp4,push_up,v"]


def test_plot_is_written(make_video: MakeVideo, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from sportslens.timeline.plot import plot_timeline

    path = plot_timeline(_timeline(make_video("v.mp4", frames=90)), tmp_path / "t.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_interrupted_overlay_stays_playable(make_video: MakeVideo, tmp_path: Path) -> None:
    video = make_video("v.mp4", frames=90)

    def stop_at_frame_40(done: int) -> None:
        if done == 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_overlay(_timeline(video), video, tmp_path / "o.mp4", progress=stop_at_frame_40)
    assert probe(tmp_path / "o.mp4").num_frames == 40


class _StoppingScorer:
    """Scores windows from a real plan but is interrupted after ``batches`` batches."""

    classes = CLASSES

    def __init__(self, batches: int) -> None:
        self.batches = batches

    def default_window(self, fps: float) -> WindowSize:
        return WindowSize(window=20, stride=10, step=5)

    def plan(self, num_frames: int, fps: float, size: WindowSize) -> WindowPlan:
        return plan_windows(num_frames, fps, size, PRE)

    def score(self, source: object, plan: WindowPlan, progress: object = None) -> Iterator[Any]:
        for _ in range(self.batches):
            yield np.tile([0.9, 0.05, 0.05], (2, 1))  # two squat windows per batch
        raise KeyboardInterrupt


def test_ctrl_c_keeps_the_windows_scored_so_far(make_video: MakeVideo) -> None:
    video = make_video("v.mp4", frames=90)
    timeline = build_timeline(_StoppingScorer(2), video, stop_on_interrupt=True)
    assert not timeline.complete and len(timeline.windows) == 4
    assert timeline.num_frames == 50  # the fourth window ends on frame 49
    assert [s.label for s in timeline.segments] == ["squat"]
    with pytest.raises(KeyboardInterrupt):
        build_timeline(_StoppingScorer(2), video)
