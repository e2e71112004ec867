"""A strip chart of a timeline: each class's smoothed score over time, action segments shaded."""

from __future__ import annotations

import os
from pathlib import Path

from sportslens.report.figure import new_figure, save_figure
from sportslens.timeline.build import Timeline
from sportslens.timeline.overlay import palette


def plot_timeline(timeline: Timeline, path: str | os.PathLike[str]) -> Path:
    """Save the strip chart as an image (PNG by extension); needs matplotlib."""
    figure = new_figure(max(6.0, min(24.0, timeline.duration / 5)), 3.2, layout=None)
    axes = figure.subplots()
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
    axes.set_ylabel("score (smoothed)")
    title = Path(timeline.source).name + ("" if timeline.complete else " (interrupted)")
    axes.set_title(title, fontsize=10)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    figure.tight_layout()
    return save_figure(figure, path, dpi=120)
