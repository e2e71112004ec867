"""Numbered result folders, ``runs/<command>/<command>N``, as Ultralytics names them."""

from __future__ import annotations

from pathlib import Path

RUNS_ROOT = Path("runs")


def next_run_dir(command: str, root: Path = RUNS_ROOT) -> Path:
    """Create and return the next free ``root/command/commandN``: ``predict``, ``predict2``, …

    ``mkdir`` without ``exist_ok`` claims the name, so two processes never share a folder.
    """
    parent = root / command
    parent.mkdir(parents=True, exist_ok=True)
    number = 1
    while True:
        folder = parent / (command if number == 1 else f"{command}{number}")
        try:
            folder.mkdir()
        except FileExistsError:
            number += 1
            continue
        return folder
