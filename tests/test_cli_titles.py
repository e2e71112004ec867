"""Titles that name files are printed whole, however narrow the terminal (issue 15 §6)."""

from __future__ import annotations

import importlib
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from conftest import MakeVideo
from serve_helpers import write_tiny_checkpoint
from sportslens.cli import app

runner = CliRunner()
# Longer than the 40 columns below, and without spaces to wrap at: a table title would fold it.
LONG_NAME = "squat_session_recorded_on_the_back_court_take_03.mp4"

Run = Callable[[list[str]], str]


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run a command with stdout drawn by a 40-column rich console; returns what it drew."""
    screen = io.StringIO()
    console = Console(file=screen, width=40)
    for name in ("app", "inference", "timeline", "data"):  # each command module's stdout
        monkeypatch.setattr(importlib.import_module(f"sportslens.cli.{name}"), "console", console)

    def run(args: list[str]) -> str:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        return screen.getvalue()

    return run


def test_predict_prints_the_video_path_whole(
    narrow: Run, make_video: MakeVideo, tmp_path: Path
) -> None:
    video = make_video(LONG_NAME, frames=8)
    run = write_tiny_checkpoint(tmp_path / "run")
    drawn = narrow(["predict", str(video), "--checkpoint", str(run), "--device", "cpu"])
    assert str(video) in drawn.splitlines()
    assert "squat" in drawn  # the scores table is still there


def test_timeline_prints_the_video_path_whole(
    narrow: Run, make_video: MakeVideo, tmp_path: Path
) -> None:
    video = make_video(LONG_NAME, frames=36, fps=12)
    run = write_tiny_checkpoint(tmp_path / "run")
    args = ["timeline", str(video), "--checkpoint", str(run), "--device", "cpu"]
    drawn = narrow([*args, "--window", "1", "--stride", "1"])
    assert f"{video}: " in drawn.replace("\n", " ")
    assert any(line.startswith(f"{video}: ") for line in drawn.splitlines())


def test_catalog_prints_the_dataset_path_whole(narrow: Run, athletes: Path, tmp_path: Path) -> None:
    data = shutil.copytree(athletes, tmp_path / LONG_NAME.removesuffix(".mp4"))
    drawn = narrow(["catalog", str(data), "--workers", "1"])
    title = f"{data / 'labels.csv'}: 15 videos, 3 classes"  # the labels file synth wrote
    assert title in drawn.splitlines()
