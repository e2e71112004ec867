"""Where a model's training data came from, in words a prediction can carry.

A model trained on ``sportslens synth`` figures knows synthetic figures only; saying so in every
answer stops a confident label on real footage from being taken at face value.
"""

from __future__ import annotations

from pathlib import Path

SYNTHETIC = "synthetic athletes"


def data_domain(data: str | Path) -> str:
    """``"synthetic athletes"`` for a folder ``sportslens synth`` wrote (its marker file is
    there), else ``"user data: <folder name>"``; ``data`` is the folder or a file in it."""
    from sportslens.synth.files import SYNTH_MARKER

    path = Path(data)
    folder = path if path.is_dir() else path.parent
    if (folder / SYNTH_MARKER).is_file():
        return SYNTHETIC
    return f"user data: {folder.resolve().name}"
