"""Timelines of long videos: which action happens when, from a sliding window of a model.

``windows`` places the windows, ``scoring`` streams the video through a model, ``segments`` turns
window scores into segments and ``build`` ties them into a :class:`Timeline`; ``export``,
``overlay`` and ``plot`` present one, ``evaluate`` compares one with the true segments.
"""

from sportslens.timeline.build import (
    BACKGROUND_LABEL,
    Segment,
    Timeline,
    TimelineOptions,
    Window,
    assemble_timeline,
    build_timeline,
)
from sportslens.timeline.scoring import VideoScorer, WindowScorer
from sportslens.timeline.windows import WindowPlan, WindowSize, default_window, plan_windows

__all__ = [
    "BACKGROUND_LABEL",
    "Segment",
    "Timeline",
    "TimelineOptions",
    "VideoScorer",
    "Window",
    "WindowPlan",
    "WindowScorer",
    "WindowSize",
    "assemble_timeline",
    "build_timeline",
    "default_window",
    "plan_windows",
]
