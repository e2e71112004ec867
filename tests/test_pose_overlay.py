"""Overlays: joints drawn in score colours, missed joints not drawn, a decodable video out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import MakeVideo
from sportslens.pose import COCO17_EDGES, Keypoints, draw_pose, write_overlay
from sportslens.pose.overlay import score_colour
from sportslens.video import probe, read_frames
from sportslens.writer import write_video


def test_score_colours_run_from_red_through_yellow_to_green() -> None:
    assert score_colour(0.0) == (255, 0, 0)
    assert score_colour(0.5) == (255, 255, 0)
    assert score_colour(1.0) == (0, 255, 0)


def test_draw_pose_colours_joints_by_score_and_skips_missed_ones() -> None:
    frame = np.zeros((120, 160, 3), np.uint8)
    points = np.full((17, 2), 10.0)
    points[5], points[6] = (40, 60), (120, 60)  # shoulders
    scores = np.zeros(17)
    scores[5], scores[6] = 1.0, 0.05
    drawn = draw_pose(frame, points, scores, COCO17_EDGES)
    assert drawn.shape == frame.shape and drawn.dtype == np.uint8
    assert not frame.any()  # the input is not modified
    assert tuple(drawn[60, 40]) == (0, 255, 0)  # confident joint: green
    red, green, _ = drawn[60, 120].tolist()
    assert red == 255 and green < 40  # unsure joint: red
    assert drawn[60, 80].any()  # the bone between them
    assert not drawn[10, 10].any()  # joints with score 0 are not drawn


def test_draw_pose_writes_the_frame_number() -> None:
    frame = np.zeros((120, 160, 3), np.uint8)
    scores = np.zeros(17)
    drawn = draw_pose(frame, np.zeros((17, 2)), scores, COCO17_EDGES, frame_number=7)
    assert drawn[:30, :30].min(axis=2).max() > 200  # white (antialiased) digits, top left


def test_write_overlay_writes_every_frame(make_video: MakeVideo, tmp_path: Path) -> None:
    video = make_video("clip.mp4", frames=12, height=64, width=96)
    rng = np.random.default_rng(0)
    kp = Keypoints(
        rng.uniform(0, 192, (12, 17, 2)), np.ones((12, 17)), "coco17", 30, (192, 128), "clip.mp4"
    )  # taken at twice the video's size: scaled down when drawn
    out = write_overlay(video, kp, tmp_path / "out" / "overlay.mp4")
    info = probe(out)
    assert (info.num_frames, info.width, info.height) == (12, 96, 64)
    assert read_frames(out, [0, 11]).shape == (2, 3, 64, 96)
    assert sorted(p.name for p in out.parent.iterdir()) == ["overlay.mp4"]


def test_write_overlay_pads_odd_sizes_and_refuses_other_lengths(tmp_path: Path) -> None:
    video = write_video(
        tmp_path / "odd.mkv", [np.zeros((33, 45, 3), np.uint8)] * 4, 10, codec="ffv1"
    )
    kp = Keypoints(np.zeros((4, 17, 2)), np.zeros((4, 17)), "coco17", 10, (45, 33), "odd.mkv")
    info = probe(write_overlay(video, kp, tmp_path / "odd.mp4"))
    assert (info.num_frames, info.width, info.height) == (4, 46, 34)
    short = Keypoints(np.zeros((3, 17, 2)), np.zeros((3, 17)), "coco17", 10, (45, 33), "odd.mkv")
    with pytest.raises(ValueError, match=r"odd\.mkv has 4 frames but the keypoints .* have 3"):
        write_overlay(video, short, tmp_path / "bad.mp4")
    assert not (tmp_path / "bad.mp4").exists()
