"""Skeleton timelines: windows over a session's keypoints, repetitions, the CLI, the overlay."""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from sportslens.checkpoint import CheckpointInfo, save_checkpoint
from sportslens.cli import app
from sportslens.data.catalog import Record
from sportslens.data.dataset import ClipConfig
from sportslens.data.keypoint_dataset import KeypointDataset
from sportslens.models import create_model
from sportslens.pose import load_keypoints
from sportslens.predict import Predictor
from sportslens.synth.sessions import sample_session, write_session
from sportslens.synth.settings import ClipSettings
from sportslens.timeline import TimelineOptions, WindowSize, assemble_timeline, plan_windows
from sportslens.timeline.overlay import write_overlay
from sportslens.timeline.repetitions import count_span_repetitions
from sportslens.timeline.skeleton import (
    SkeletonScorer,
    add_repetitions,
    plan_skeleton_windows,
    skeleton_window,
)
from sportslens.timeline.truth import read_true_segments
from sportslens.timeline.windows import resolve_window
from sportslens.transforms import Preprocess
from sportslens.video import probe, read_frames

runner = CliRunner()
CLASSES = ["jumping_jack", "push_up", "squat"]
LENGTH = 16  # the tiny tcn's sequence length


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 14-second session (64 px, 12 fps) with its true keypoints and segments beside it."""
    blocks = sample_session(0, ClipSettings(fps=12, size=64, seed=3), classes=CLASSES, seconds=14)
    return write_session(blocks, tmp_path_factory.mktemp("session") / "session_000.mp4")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random tcn: its scores are arbitrary, its windows and outputs are not."""
    torch.manual_seed(0)
    model = create_model("tcn", len(CLASSES), width=8, levels=1)
    model.preprocess = replace(model.preprocess, clip_frames=LENGTH)
    info = CheckpointInfo("tcn", CLASSES, model.preprocess, model.build_kwargs)
    return save_checkpoint(tmp_path_factory.mktemp("run") / "best", model, info)


@pytest.mark.parametrize(
    ("frames", "window", "stride", "starts"),
    [
        (100, 30, 10, [0, 10, 20, 30, 40, 50, 60, 70]),  # the last window ends on frame 99
        (95, 30, 10, [0, 10, 20, 30, 40, 50, 60, 65]),  # one more window covers the tail
        (20, 30, 10, [0]),  # shorter than a window: one window over all of it
        (30, 30, 7, [0]),
    ],
)
def test_skeleton_windows_match_the_video_windows(
    frames: int, window: int, stride: int, starts: list[int]
) -> None:
    size = WindowSize(window, stride, 1)
    plan = plan_skeleton_windows(frames, 12.0, size, LENGTH)
    video = plan_windows(frames, 12.0, size, Preprocess(clip_frames=LENGTH))
    assert plan.starts.tolist() == starts == video.starts.tolist()
    ends = [min(s + window, frames) - 1 for s in starts]
    assert plan.ends.tolist() == video.ends.tolist() == ends
    assert plan.indices.shape == (len(starts), LENGTH)
    assert (plan.indices[:, 0] == plan.starts).all() and (plan.indices[:, -1] == plan.ends).all()


def test_default_skeleton_window_is_three_seconds_and_a_quarter_stride() -> None:
    assert skeleton_window(30.0) == WindowSize(90, 22, 1)
    assert resolve_window(skeleton_window(12.0), 12.0, window=2.0) == WindowSize(24, 6, 1)
    with pytest.raises(ValueError, match="fps must be positive"):
        skeleton_window(0.0)


def test_each_window_is_prepared_as_a_training_clip_of_its_frames(session: Path) -> None:
    kp = load_keypoints(session.with_suffix(".npz"))
    seen: list[torch.Tensor] = []

    def forward(batch: torch.Tensor) -> torch.Tensor:
        seen.append(batch)
        return torch.full((len(batch), 3), 1 / 3)

    scorer = SkeletonScorer(kp, LENGTH, forward, CLASSES, batch_size=4)
    info = probe(session)
    plan = scorer.plan(info.num_frames, info.fps, scorer.default_window(info.fps))
    done: list[int] = []
    batches = list(scorer.score(session, plan, done.append))
    inputs = torch.cat(seen)  # (W, 3, T, 17, 1)
    assert len(inputs) == len(plan) == sum(len(b) for b in batches)
    assert [len(b) for b in batches[:-1]] == [4] * (len(batches) - 1)
    assert done[-1] == info.num_frames  # progress reaches the end of the video
    records = [
        Record(str(session.with_suffix(".npz")), "squat", 2, int(s), int(e))
        for s, e in zip(plan.starts, plan.ends, strict=True)
    ]
    training = KeypointDataset(records, LENGTH, ClipConfig(mode="eval"))
    for i in (0, len(plan) // 2, len(plan) - 1):
        torch.testing.assert_close(inputs[i], training[i].clip)


def test_windows_with_nobody_in_view_are_background(session: Path) -> None:
    kp = load_keypoints(session.with_suffix(".npz"))
    hidden = kp.scores.copy()
    hidden[40:100] = 0.0  # frames 40-99: nobody detected, longer than a 36-frame window
    empty = replace(kp, scores=hidden)
    scorer = SkeletonScorer(
        empty, LENGTH, lambda b: torch.full((len(b), 3), 0.9), CLASSES, batch_size=8
    )
    info = probe(session)
    plan = scorer.plan(info.num_frames, info.fps, scorer.default_window(info.fps))
    scores = np.concatenate(list(scorer.score(session, plan)))  # (W, K)
    inside = (plan.starts >= 40) & (plan.ends <= 99)
    assert inside.any() and (scores[inside] == 0).all() and (scores[~inside] == 0.9).all()
    options = TimelineOptions(smooth=1, min_segment=0)
    timeline = assemble_timeline("s", plan, scores, CLASSES, options)
    middle = timeline.segment_at(70 / info.fps)
    assert middle.background and middle.label == "background"


def test_repetitions_on_the_true_segments_match_the_true_counts(session: Path) -> None:
    kp = load_keypoints(session.with_suffix(".npz"))
    facts, true = read_true_segments(session.with_suffix(".json"))
    assert true
    for segment in true:
        counted = count_span_repetitions(
            kp, segment.start_frame, segment.end_frame, segment.label, facts["fps"]
        )
        assert counted is not None and counted.count == segment.reps, segment
        frames = [(r.start, r.end) for r in counted.repetitions]  # the video's frames
        middles = [(a + b) / 2 for a, b in frames]
        assert all(segment.start_frame <= m <= segment.end_frame for m in middles)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(frames))
    assert count_span_repetitions(kp, 0, 10, "dive", facts["fps"]) is None  # not an exercise


def test_segments_found_from_true_labels_carry_the_true_repetition_counts(
    session: Path,
) -> None:
    """Windows scored by the truth (the label at each window's centre) give segments close to the
    true ones; each one's repetitions are counted on its own frames."""
    kp = load_keypoints(session.with_suffix(".npz"))
    facts, true = read_true_segments(session.with_suffix(".json"))
    plan = plan_skeleton_windows(kp.num_frames, facts["fps"], WindowSize(12, 3, 1), LENGTH)
    scores = np.zeros((len(plan), len(CLASSES)))  # (W, K): background unless inside a set
    for i, centre in enumerate(plan.centres):
        for segment in true:
            if segment.start <= centre < segment.end:
                scores[i, CLASSES.index(segment.label)] = 1.0
    options = TimelineOptions(smooth=1, min_segment=0.5)
    timeline = add_repetitions(assemble_timeline("s", plan, scores, CLASSES, options), kp)
    assert timeline.keypoints is kp
    assert [s.label for s in timeline.actions] == [s.label for s in true]
    for found, wanted in zip(timeline.actions, true, strict=True):
        assert found.repetitions is not None and found.repetitions.count == wanted.reps
    assert all(s.repetitions is None for s in timeline.segments if s.background)


def test_predictor_timeline_dispatches_on_the_model_family(session: Path, checkpoint: Path) -> None:
    predictor = Predictor.from_checkpoint(checkpoint)
    npz = session.with_suffix(".npz")
    timeline = predictor.timeline(session, keypoints=npz, window=2.0, stride=0.5)
    info = probe(session)
    assert (timeline.window_frames, timeline.stride_frames) == (24, 6)
    expected = plan_windows(info.num_frames, info.fps, WindowSize(24, 6, 1), Preprocess())
    assert [w.start_frame for w in timeline.windows] == expected.starts.tolist()
    assert timeline.segments[0].start == 0
    assert timeline.segments[-1].end == pytest.approx(info.duration)
    assert timeline.keypoints is not None and timeline.keypoints.num_frames == info.num_frames
    short = replace(timeline.keypoints, keypoints=timeline.keypoints.keypoints[:-1],
                    scores=timeline.keypoints.scores[:-1])  # fmt: skip
    with pytest.raises(ValueError, match="keypoint frames"):
        predictor.timeline(session, keypoints=short)
    with pytest.raises(ValueError, match=r"session_000\.npz: a timeline needs the video"):
        predictor.timeline(npz)


def test_keypoints_are_refused_for_a_video_model(session: Path) -> None:
    model = create_model("r2plus1d_tiny", 3, width=4)
    with pytest.raises(ValueError, match="keypoints are for skeleton models"):
        Predictor(model, CLASSES).timeline(session, keypoints=session.with_suffix(".npz"))


def test_cli_timeline_json_csv_and_skeleton_overlay(
    session: Path, checkpoint: Path, tmp_path: Path
) -> None:
    npz = session.with_suffix(".npz")
    overlay, table = tmp_path / "o.mp4", tmp_path / "t.csv"
    args = ["timeline", str(session), "--checkpoint", str(checkpoint), "--keypoints", str(npz)]
    args += ["--threshold", "0", "--min-segment", "0", "--json"]
    args += ["--csv", str(table), "--overlay", str(overlay)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    segments = printed["segments"]
    assert segments and not any(s["background"] for s in segments)  # threshold 0
    for s in segments:  # every label is a known exercise, so every segment is counted
        reps = s["repetitions"]
        assert reps is not None and reps["count"] == len(reps["repetitions"])
        middles = [(r["start_frame"] + r["end_frame"]) / 2 for r in reps["repetitions"]]
        assert all(s["start_frame"] <= m <= s["end_frame"] for m in middles)
    rows = list(csv.DictReader(table.open()))
    assert [int(r["repetitions"]) for r in rows] == [s["repetitions"]["count"] for s in segments]
    # The overlay draws the skeleton: frames differ from a plain overlay around the joints only.
    predictor = Predictor.from_checkpoint(checkpoint)
    timeline = predictor.timeline(session, keypoints=npz)
    plain = write_overlay(replace(timeline, keypoints=None), session, tmp_path / "plain.mp4")
    drawn = write_overlay(timeline, session, tmp_path / "drawn.mp4")
    frame = 30
    a = read_frames(plain, [frame])[0].permute(1, 2, 0).numpy().astype(int)  # (H, W, 3)
    b = read_frames(drawn, [frame])[0].permute(1, 2, 0).numpy().astype(int)
    kp = load_keypoints(npz)
    x, y = np.rint(kp.keypoints[frame, 11]).astype(int)  # the left hip, visible here
    assert kp.scores[frame, 11] > 0
    near = np.abs(a - b)[max(y - 2, 0) : y + 3, max(x - 2, 0) : x + 3].mean()
    assert near > 4 * np.abs(a - b).mean()


def test_cli_evaluate_timeline_scores_repetitions(session: Path, checkpoint: Path) -> None:
    folder = session.parent
    args = ["evaluate-timeline", str(checkpoint), "--data", str(folder), "--json"]
    args += ["--keypoints-dir", str(folder), "--threshold", "0", "--min-segment", "0"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    assert total["true"] == len(read_true_segments(session.with_suffix(".json"))[1])
    assert 0 <= total["counts_exact"] <= total["counted"] <= total["hits"]
    missing = runner.invoke(app, [*args[:5], "--keypoints-dir", "nowhere"])
    assert missing.exit_code == 2
    assert "nowhere/session_000.npz: no keypoint file" in " ".join(missing.output.split())


def test_first_session_keypoint_files_load_with_the_videos_size(tmp_path: Path) -> None:
    """Session files written before they were keypoint files hold no size; the video gives it."""
    old = tmp_path / "old.npz"
    points = np.full((5, 17, 2), 10.0, np.float32)
    np.savez(old, keypoints=points, visibility=np.ones((5, 17), np.float32), fps=np.float64(30))
    with pytest.raises(ValueError, match=r"old\.npz: missing key\(s\) \['size'\]"):
        load_keypoints(old)
    kp = load_keypoints(old, size=(160, 90))
    assert kp.size == (160, 90) and kp.num_frames == 5 and kp.layout == "coco17"


def test_cli_without_keypoints_extracts_the_pose_once(
    session: Path, checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sportslens.pose

    asked: list[str] = []

    def extract(source: str, backend: str = "mediapipe", **_: object) -> sportslens.pose.Keypoints:
        asked.append(str(source))  # stands in for MediaPipe: the session's true keypoints
        return load_keypoints(session.with_suffix(".npz"))

    monkeypatch.setattr(sportslens.pose, "extract_keypoints", extract)
    base = ["timeline", str(session), "--checkpoint", str(checkpoint), "--threshold", "0"]
    extracted = runner.invoke(app, [*base, "--json"])
    assert extracted.exit_code == 0, extracted.output
    assert asked == [str(session)]
    given = runner.invoke(app, [*base, "--json", "--keypoints", str(session.with_suffix(".npz"))])
    assert json.loads(extracted.stdout)["segments"] == json.loads(given.stdout)["segments"]
    table = runner.invoke(app, [*base, "--keypoints", str(session.with_suffix(".npz"))])
    assert table.exit_code == 0 and "reps" in table.output
