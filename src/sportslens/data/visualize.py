"""Pictures of a catalog: class counts as a bar chart, and a contact sheet of first/last frames.

Matplotlib is an optional dependency (``pip install "sportslens[plot]"``); it is imported here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sportslens.data.dataset import RangedVideo, frame_range
from sportslens.video import VideoDecodeError, frame_count, read_frames

if TYPE_CHECKING:
    import pandas as pd


class LabelledVideo(RangedVideo, Protocol):
    @property
    def label(self) -> str: ...


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never needs a display
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("plots need matplotlib: pip install 'sportslens[plot]'") from error
    return plt


def plot_class_counts(counts: pd.Series, path: Path) -> Path:
    """A horizontal bar chart of videos per class, largest first, saved as PNG."""
    plt = _pyplot()
    ordered = counts.sort_values()
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(ordered) + 1.2))
    ax.barh([str(name) for name in ordered.index], ordered.to_numpy(), color="#3b7dd8")
    for y, value in enumerate(ordered.to_numpy()):
        ax.text(value, y, f" {value}", va="center", fontsize=8)
    ax.set_xlabel("videos")
    ax.set_title(f"{int(counts.sum())} videos in {len(counts)} classes")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


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
    plt = _pyplot()
    by_class: dict[str, list[LabelledVideo]] = {}
    for video in videos:
        by_class.setdefault(video.label, [])
        if len(by_class[video.label]) < per_class:
            by_class[video.label].append(video)
    rows = max(len(by_class), 1)
    fig, axes = plt.subplots(
        rows, per_class, figsize=(2.6 * per_class, 1.5 * rows + 0.4), squeeze=False
    )
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
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _draw_tile(ax: Any, video: LabelledVideo, size: int) -> None:
    try:
        ax.imshow(first_and_last_frames(video, size))
        ax.set_title(Path(video.source).name, fontsize=7)
    except VideoDecodeError:
        ax.set_title(f"undecodable: {Path(video.source).name}", fontsize=7, color="red")
