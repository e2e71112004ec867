"""The file mode a plain ``open``/``mkdir`` would give, for files made by ``tempfile``.

``mkstemp`` and ``mkdtemp`` create 0600 files and 0700 folders; a checkpoint or keypoint file
staged with them and renamed into place would keep that private mode. A leaf module.
"""

from __future__ import annotations

import os
from pathlib import Path


def current_umask() -> int:
    """The process umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def give_default_mode(path: Path, *, directory: bool = False) -> None:
    """Give ``path`` the mode the user's umask gives new files (0666) or folders (0777)."""
    path.chmod((0o777 if directory else 0o666) & ~current_umask())
