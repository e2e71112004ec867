"""Helpers for the server tests: tiny real checkpoints, and uvicorn on a free local port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
import uvicorn
from fastapi import FastAPI

from sportslens.checkpoint import CheckpointInfo, save_checkpoint
from sportslens.models import create_model

CLASSES = ["back_dive", "forward_dive", "squat", "push_up"]
SKELETON_CLASSES = ["squat", "push_up", "jumping_jack"]


def write_tiny_checkpoint(run_dir: Path, *, seed: int = 0) -> Path:
    """A run folder with a random-init ``r2plus1d_tiny`` (width 4, 4 frames of 32 px) as best."""
    torch.manual_seed(seed)
    model = create_model("r2plus1d_tiny", len(CLASSES), width=4)
    model.preprocess = replace(
        model.preprocess, clip_frames=4, crop_size=32, resize=36, train_scale=(32, 40)
    )
    info = CheckpointInfo(
        model="r2plus1d_tiny",
        classes=CLASSES,
        preprocess=model.preprocess,
        build_kwargs=model.build_kwargs,
        metrics={"best_val_acc1": 0.25},
    )
    save_checkpoint(run_dir / "best", model, info)
    return run_dir


def write_tiny_skeleton_checkpoint(run_dir: Path, *, seed: int = 0) -> Path:
    """A run folder with a random-init ``tcn`` (width 8, one level, 16 frames) as best."""
    torch.manual_seed(seed)
    model = create_model("tcn", len(SKELETON_CLASSES), width=8, levels=1)
    model.preprocess = replace(model.preprocess, clip_frames=16)
    info = CheckpointInfo(
        model="tcn",
        classes=SKELETON_CLASSES,
        preprocess=model.preprocess,
        build_kwargs=model.build_kwargs,
    )
    save_checkpoint(run_dir / "best", model, info)
    return run_dir


def write_squat(folder: Path, frames: int = 60) -> Path:
    """A synthetic squat (160 px, 30 fps) as ``squat.mp4``, its true keypoints ``squat.npz``."""
    from sportslens.synth.clips import sample_clip_spec, write_clip
    from sportslens.synth.settings import ClipSettings

    spec = sample_clip_spec("squat", 0, ClipSettings(num_frames=frames, size=160, seed=1))
    return write_clip(spec, folder / "squat.mp4")


@contextmanager
def running_server(app: FastAPI, **options: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a thread; yields the base URL.

    ``options`` go to ``uvicorn.Config``, e.g. ``server_options(settings)``.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; no race with other tests
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
