"""Native log lines of MediaPipe and TensorFlow Lite stay off the terminal; Python's still show."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MakeVideo

SRC = str(Path(__file__).resolve().parents[1] / "src")
NATIVE_LINES = ("TensorFlow Lite XNNPACK delegate", "inference_feedback_manager", "W0000")


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": SRC, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_native_write_to_fd2_is_dropped_and_python_stderr_still_shows() -> None:
    code = (
        "import os, sys\n"
        "from sportslens.native_stderr import quiet_native_stderr\n"
        "with quiet_native_stderr():\n"
        "    os.write(2, b'W0000 native noise\\n')\n"
        "    print('from python', file=sys.stderr)\n"
        "os.write(2, b'after\\n')\n"
    )
    assert run_python(code).stderr == "from python\nafter\n"
    shown = run_python(code, SPORTSLENS_NATIVE_LOGS="1").stderr  # asked for: shown
    assert shown == "W0000 native noise\nfrom python\nafter\n"


def test_pose_extraction_prints_no_mediapipe_log_lines(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    video = make_video("clip.mp4", frames=6)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sportslens",
            "pose",
            str(video),
            "--out-file",
            str(tmp_path / "k.npz"),
        ],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "k.npz").is_file()
    assert not [line for line in NATIVE_LINES if line in done.stderr + done.stdout], done.stderr
