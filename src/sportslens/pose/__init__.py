"""Body keypoints: the keypoint file, layouts, extraction backends, smoothing and overlays;
normalisation for skeleton models; joint angles, repetitions and form analysis."""

from __future__ import annotations

from sportslens.pose.angles import (
    ANGLE_NAMES,
    JointAngles,
    angle_at,
    joint_angles,
    lean_from_vertical,
)
from sportslens.pose.backends import (
    BACKENDS,
    Backend,
    Layout,
    VitPoseSettings,
    extract_keypoints,
    extract_people,
    import_keypoints,
)
from sportslens.pose.form import FormAnalysis, analyze_form
from sportslens.pose.keypoints import FORMAT_VERSION, Keypoints, load_keypoints, save_keypoints
from sportslens.pose.layouts import (
    BLAZEPOSE33_EDGES,
    BLAZEPOSE33_NAMES,
    BLAZEPOSE_TO_COCO,
    COCO17_EDGES,
    COCO17_NAMES,
    LAYOUTS,
)
from sportslens.pose.normalize import mirror, normalize_sequence, resample
from sportslens.pose.overlay import draw_pose, write_overlay
from sportslens.pose.people import People, PeopleChoice, load_people, save_people
from sportslens.pose.reps import CountConfig, Repetition, RepetitionReport, count_repetitions
from sportslens.pose.smoothing import SmoothMethod, one_euro, savgol, smooth_keypoints

__all__ = [
    "ANGLE_NAMES",
    "BACKENDS",
    "BLAZEPOSE33_EDGES",
    "BLAZEPOSE33_NAMES",
    "BLAZEPOSE_TO_COCO",
    "COCO17_EDGES",
    "COCO17_NAMES",
    "FORMAT_VERSION",
    "LAYOUTS",
    "Backend",
    "CountConfig",
    "FormAnalysis",
    "JointAngles",
    "Keypoints",
    "Layout",
    "People",
    "PeopleChoice",
    "Repetition",
    "RepetitionReport",
    "SmoothMethod",
    "VitPoseSettings",
    "analyze_form",
    "angle_at",
    "count_repetitions",
    "draw_pose",
    "extract_keypoints",
    "extract_people",
    "import_keypoints",
    "joint_angles",
    "lean_from_vertical",
    "load_keypoints",
    "load_people",
    "mirror",
    "normalize_sequence",
    "one_euro",
    "resample",
    "save_keypoints",
    "save_people",
    "savgol",
    "smooth_keypoints",
    "write_overlay",
]
