"""Pictures of a catalog: class counts as a bar chart, and a contact sheet of first/last frames.

Matplotlib is the optional ``plot`` extra; figures come from
:func:`sportslens.report.figure.new_figure`, like every other plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sportslens.data.dataset import RangedVideo, frame_range
from sportslens.report.figure import new_figure, save_figure
from sportslens.video import VideoDecodeError, frame_count, read_frames

if TYPE_CHECKING:
    import pandas as pd


class LabelledVideo(RangedVideo, Protocol):
    @property
    def label(self) -> str: ...


def plot_class_counts(counts: pd.Series, path: Path) -> Path:
    """A horizontal bar chart of videos per class, largest first, saved as PNG."""
    ordered = counts.sort_values()
    fig = new_figure(7, 0.3 * len(ordered) + 1.2, layout=None)
    ax = fig.subplots()
    ax.barh([str(name) for name in ordered.index], ordered.to_numpy(), color="#3b7dd8")
    for y, value in enumerate(ordered.to_numpy()):
        ax.text(value, y, f" {value}", va="center", fontsize=8)
    ax.set_xlabel("videos")
    ax.set_title(f"{int(counts.sum())} videos in {len(counts)} classes")
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)


def first_and_last_frames(video: LabelledVideo, size: int = 96) -> NDArray[Any]:
    """The first and last frame of a record's range side by side, (H, 2W, 3) uint8."""
    first, last = frame_range(video, frame_count(video.source))
    frames = read_frames(video.source, [first, last], size=size)  # (2, C, H, W)
    return np.concatenate([f.permute(1, 2, 0).numpy() for f in frames], axis=1)


def plot_contact_sheet(
    videos: Sequence[LabelledVideo], path: Path, *, per_class: int = 3, size: int = 96
) -> Path:
    """One row per class, ``per_class`` videos each shown as first|last frame, saved as PNG.

    Undecodable videos are shown as a blank tile named as such rather than stopping the sheet.
    """
    by_class: dict[str, list[LabelledVideo]] = {}
    for video in videos:
        by_class.setdefault(video.label, [])
        if len(by_class[video.label]) < per_class:
            by_class[video.label].append(video)
    rows = max(len(by_class), 1)
    fig = new_figure(2.6 * per_class, 1.5 * rows + 0.4, layout=None)
    axes = fig.subplots(rows, per_class, squeeze=False)
    for row, (label, members) in enumerate(sorted(by_class.items())):
        for col in range(per_class):
            ax = axes[row][col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col < len(members):
                _draw_tile(ax, members[col], size)
            else:
                ax.axis("off")
        axes[row][0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle("first | last frame of each video")
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)


def _draw_tile(ax: Any, video: LabelledVideo, size: int) -> None:
    try:
        ax.imshow(first_and_last_frames(video, size))
        ax.set_title(Path(video.source).name, fontsize=7)
    except VideoDecodeError:
        ax.set_title(f"undecodable: {Path(video.source).name}", fontsize=7, color="red")
