"""Synthetic data: labelled athletes, dives and long sessions, with exact keypoints and truth.

The generator knows nothing of the rest of sportslens beyond the files it writes (videos,
keypoint files, ``labels.csv``, session truth). Athletes, in the order a clip is made:
``motion`` (joint-angle cycles per exercise), ``body`` (bodies, forward kinematics, camera),
``scene`` (one clip's random draw), ``render`` (the room, the figure, camera noise), ``clips``
(frames, files and datasets); then ``sessions`` (long videos of sets and rests) and
``transitions`` (a rest cut to a set). Dives: ``dive_motion`` (a dive's flight from its number)
and ``dives`` (drawing and datasets).
"""

from sportslens.synth.clips import (
    BACKGROUND,
    CLASSES,
    DEFAULT_CLASSES,
    make_dataset,
    render_clip,
    write_clip,
)
from sportslens.synth.dives import DEFAULT_DIVES, make_dive_dataset, sample_dive_spec
from sportslens.synth.scene import ClipSpec, sample_clip_spec
from sportslens.synth.sessions import make_sessions, sample_session
from sportslens.synth.transitions import make_transitions, sample_transition

__all__ = [
    "BACKGROUND",
    "CLASSES",
    "DEFAULT_CLASSES",
    "DEFAULT_DIVES",
    "ClipSpec",
    "make_dataset",
    "make_dive_dataset",
    "make_sessions",
    "make_transitions",
    "render_clip",
    "sample_clip_spec",
    "sample_dive_spec",
    "sample_session",
    "sample_transition",
    "write_clip",
]
