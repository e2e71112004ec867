"""The streaming scorer: every window sees exactly its planned frames, memory does not grow."""

from __future__ import annotations

import tracemalloc

import numpy as np
import torch

from conftest import MakeVideo
from frame_codes import read_code
from sportslens.timeline import VideoScorer, WindowSize, plan_windows
from sportslens.transforms import Preprocess
from sportslens.video import iter_frames, probe, read_frames

PRE = Preprocess(clip_frames=4, crop_size=32, resize=48, train_scale=(32, 48))
SIZE = WindowSize(window=16, stride=4, step=4)


def _codes(video: torch.Tensor) -> torch.Tensor:
    """A stand-in transform: the index each decoded frame spells, (T,)."""
    return torch.tensor([float(read_code(frame)) for frame in video])


def _code_scorer() -> VideoScorer:
    # The "probabilities" of a window are then the frame indices it saw, (B, T).
    return VideoScorer(PRE, _codes, lambda batch: batch, ["a", "b", "c", "d"], batch_size=3)


def test_each_window_sees_its_planned_frames(make_video: MakeVideo) -> None:
    video = make_video("v.mp4", frames=50, height=64, width=96)
    plan = plan_windows(50, 30.0, SIZE, PRE)
    assert plan.starts[-1] == 34  # the tail window ends on frame 49
    seen = np.concatenate(list(_code_scorer().score(video, plan)))  # (W, T)
    assert seen.astype(int).tolist() == plan.indices.tolist()


def test_iter_frames_matches_read_frames(make_video: MakeVideo) -> None:
    video = make_video("v.mp4", frames=40, gop=10)
    streamed = list(iter_frames(video, start=13, end=27))
    assert [i for i, _ in streamed] == list(range(13, 28))
    exact = read_frames(video, [13, 20, 27]).permute(0, 2, 3, 1).numpy()  # (3, H, W, 3)
    assert np.array_equal(streamed[0][1], exact[0])
    assert np.array_equal(streamed[7][1], exact[1])
    assert np.array_equal(streamed[-1][1], exact[2])


def _peak(video: object, num_frames: int) -> tuple[int, int]:
    """Peak traced bytes while scoring the whole video, and the most frames buffered."""
    scorer = VideoScorer(PRE, lambda v: v.float().mean((1, 2, 3)), lambda b: b, ["a"] * 4)
    plan = plan_windows(num_frames, 30.0, SIZE, PRE)
    probe(video)  # the packet scan is cached before measuring, as a second call finds it
    tracemalloc.start()
    try:
        for _ in scorer.score(video, plan):  # type: ignore[arg-type]
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, scorer.max_buffered


def test_memory_stays_flat_as_the_video_gets_longer(make_video: MakeVideo) -> None:
    short = make_video("short.mp4", frames=100, height=96, width=128)
    long = make_video("long.mp4", frames=400, height=96, width=128)
    short_peak, short_frames = _peak(short, 100)
    long_peak, long_frames = _peak(long, 400)
    # The buffer holds one window's samples (4), whatever the length.
    assert short_frames == long_frames == PRE.clip_frames
    # Four times the video, not more memory: one (48, 64, 3) frame is 9 KB; a decoder that kept
    # every frame would need 300 frames (2.7 MB) more for the long video.
    assert long_peak < short_peak * 1.25 + 20_000, (short_peak, long_peak)
