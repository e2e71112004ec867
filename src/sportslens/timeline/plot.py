"""A strip chart of a timeline: each class's smoothed score over time, action segments shaded.

A :class:`~sportslens.timeline.lanes.TimelineLanes` gets one strip per person, stacked on a
shared time axis, each labelled with its track id; every strip is drawn by the same code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sportslens.report.figure import new_figure, save_figure
from sportslens.timeline.build import Timeline
from sportslens.timeline.overlay import palette

if TYPE_CHECKING:
    from sportslens.timeline.lanes import TimelineLanes

STRIP_HEIGHT = 3.2
"""Inches per strip: a lane chart of N people is N single-person charts high."""


def plot_timeline(timeline: Timeline, path: str | os.PathLike[str]) -> Path:
    """Save the strip chart as an image (PNG by extension); needs matplotlib."""
    figure = new_figure(_width(timeline), STRIP_HEIGHT, layout=None)
    axes = figure.subplots()
    _draw_strip(axes, timeline, "score (smoothed)")
    title = Path(timeline.source).name + ("" if timeline.complete else " (interrupted)")
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    return save_figure(figure, path, dpi=120)


def plot_lanes(lanes: TimelineLanes, path: str | os.PathLike[str]) -> Path:
    """Save one strip per person (top to bottom in track order, ``#<track id>`` as each row's
    label) as an image; needs matplotlib and at least one lane."""
    if not lanes.lanes:
        raise ValueError(f"{lanes.source}: nobody found, so no strip to draw")
    rows = len(lanes.lanes)
    widest = max(lanes.lanes, key=lambda lane: lane.duration)
    figure = new_figure(_width(widest), STRIP_HEIGHT * rows, layout=None)
    strips = figure.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    for axes, track_id, lane in zip(strips, lanes.track_ids, lanes.lanes, strict=True):
        _draw_strip(axes, lane, f"#{track_id}\nscore (smoothed)")
        if axes is not strips[-1]:
            axes.set_xlabel("")
    title = Path(lanes.source).name + ("" if lanes.complete else " (interrupted)")
    strips[0].set_title(f"{title}: {rows} people", fontsize=10)
    figure.tight_layout()
    return save_figure(figure, path, dpi=120)


def _width(timeline: Timeline) -> float:
    """Inches: a fifth of an inch per second, within 6 to 24."""
    return max(6.0, min(24.0, timeline.duration / 5))


def _draw_strip(axes: Any, timeline: Timeline, ylabel: str) -> None:
    """One timeline's scores on ``axes``: a line per class, action segments shaded."""
    colours = {k: tuple(c / 255 for c in v) for k, v in palette(timeline.classes).items()}
    for segment in timeline.actions:
        axes.axvspan(segment.start, segment.end, color=colours[segment.label], alpha=0.18, lw=0)
    centres = timeline.centres  # (W,)
    for k, name in enumerate(timeline.classes):
        axes.plot(centres, timeline.smoothed[:, k], color=colours[name], lw=1.4, label=name)
    axes.axhline(timeline.options.threshold, color="0.4", lw=0.8, ls="--", label="threshold")
    axes.set_xlim(0, timeline.duration)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("seconds")
    axes.set_ylabel(ylabel)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
