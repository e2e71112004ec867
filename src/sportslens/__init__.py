"""sportslens: recognise actions in sports video.

The public names load on first use (PEP 562): ``import sportslens`` and ``sportslens --help``
stay fast because torch, PyAV and torchvision are imported only when a name that needs them is.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sportslens import sampling, transforms
    from sportslens.transforms import Preprocess
    from sportslens.video import (
        VideoDecodeError,
        VideoInfo,
        frame_count,
        frame_indices_between,
        iter_frames,
        probe,
        read_frames,
        read_time_range,
        verify,
    )
    from sportslens.writer import VideoWriter, write_video

__version__ = "0.1.0"

# public name -> the module that defines it (a module itself when the name is a module)
_HOMES = {
    "Preprocess": "sportslens.transforms",
    "VideoDecodeError": "sportslens.video",
    "VideoInfo": "sportslens.video",
    "VideoWriter": "sportslens.writer",
    "frame_count": "sportslens.video",
    "frame_indices_between": "sportslens.video",
    "iter_frames": "sportslens.video",
    "probe": "sportslens.video",
    "read_frames": "sportslens.video",
    "read_time_range": "sportslens.video",
    "sampling": "sportslens.sampling",
    "transforms": "sportslens.transforms",
    "verify": "sportslens.video",
    "write_video": "sportslens.writer",
}

__all__ = [
    "Preprocess",
    "VideoDecodeError",
    "VideoInfo",
    "VideoWriter",
    "__version__",
    "frame_count",
    "frame_indices_between",
    "iter_frames",
    "probe",
    "read_frames",
    "read_time_range",
    "sampling",
    "transforms",
    "verify",
    "write_video",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is used."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sportslens' has no attribute {name!r}")
    module = importlib.import_module(home)
    value = module if home == f"sportslens.{name}" else getattr(module, name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
