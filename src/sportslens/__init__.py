"""sportslens: recognise actions in sports video."""

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
