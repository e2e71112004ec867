"""The form plot: joint-angle curves over time with the counted repetitions marked.

matplotlib is the optional ``plot`` extra; the figure comes from
:func:`sportslens.report.figure.new_figure`, like every other plot.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.form import FormAnalysis
from sportslens.pose.reps import PAIRS, candidate_signals
from sportslens.report.figure import new_figure


def plot_form(analysis: FormAnalysis, path: str | Path) -> Path:
    """Write a PNG: top, the knee/hip/elbow/shoulder angles and trunk lean; bottom, the counted
    signal (raw and smoothed) with each repetition shaded, numbered and its extreme marked."""
    angles, report = analysis.angles, analysis.repetitions
    seconds = np.arange(angles.num_frames) / angles.fps  # (T,)
    fig = new_figure(10, 6.5)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for joint in PAIRS:
        for side, style in (("left", "-"), ("right", "--")):
            name = f"{side}_{joint}"
            top.plot(seconds, angles[name], style, linewidth=1, label=name)
    top.plot(seconds, angles["trunk_lean"], color="black", linewidth=1.5, label="trunk_lean")
    top.set_ylabel("degrees")
    top.set_title(f"{Path(analysis.source).name}: joint angles")
    top.legend(ncol=5, fontsize=7, loc="upper right")
    raw = candidate_signals(angles)[report.signal]
    bottom.plot(seconds, raw, color="0.6", linewidth=1, label=f"{report.signal} (measured)")
    bottom.plot(seconds, report.smoothed, color="C3", linewidth=2, label="smoothed")
    for number, rep in enumerate(report.repetitions, start=1):
        start, end = rep.start / angles.fps, rep.end / angles.fps
        bottom.axvspan(start, end, color="C2" if number % 2 else "C0", alpha=0.15)
        bottom.text((start + end) / 2, 1.0, str(number), transform=bottom.get_xaxis_transform(),
                    ha="center", va="top", fontsize=9)  # fmt: skip
        extreme = _extreme_frame(report.smoothed, rep.start, rep.end)
        bottom.plot(extreme / angles.fps, report.smoothed[extreme], "v", color="C3")
    bottom.set_xlabel("seconds")
    bottom.set_ylabel("degrees")
    plural = "" if report.count == 1 else "s"
    bottom.set_title(f"{report.count} repetition{plural} counted on {report.signal}")
    bottom.legend(fontsize=8, loc="lower right")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def _extreme_frame(signal: NDArray[np.float64], start: int, end: int) -> int:
    """The frame of the repetition that lies farthest from its first frame (the turn)."""
    window = signal[start : end + 1]
    return start + int(np.argmax(np.abs(window - window[0])))
