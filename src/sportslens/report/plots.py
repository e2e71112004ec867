"""Plots for evaluation reports, each returned as PNG bytes ready to embed in a page.

Plots carry no title: the page names each one once, in the caption under it. Rates (accuracy,
row-normalised confusion) are drawn in percent, as the report's tables show them.

matplotlib is the optional ``sportslens[plot]`` extra; every figure comes from
:func:`sportslens.report.figure.new_figure` (an Agg canvas, never pyplot).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from sportslens.report.figure import new_figure, require_matplotlib, to_png

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "class_bars",
    "confusion_heatmap",
    "image_png",
    "training_curves",
]

# Beyond these sizes labels overlap and numbers in cells are unreadable. The per-class table of
# the report still names every class.
_MAX_TICK_LABELS = 60
_MAX_ANNOTATED_CLASSES = 25
_MAX_FIGURE_INCHES = 12.0


def confusion_heatmap(
    matrix: npt.ArrayLike, class_names: Sequence[str], *, normalized: bool
) -> bytes:
    """Heatmap of a (K, K) confusion matrix, true classes down and predicted classes across.

    With ``normalized`` the values are row fractions, drawn as percent on a fixed 0-100 scale.
    NaN rows (classes with no samples) are drawn grey.
    """
    require_matplotlib()
    import matplotlib as mpl

    values = np.asarray(matrix, dtype=np.float64) * (100 if normalized else 1)  # (K, K)
    num_classes = values.shape[0]
    side = _clamp(0.32 * num_classes + 3.0, 4.5, _MAX_FIGURE_INCHES)
    fig = new_figure(side + 1.0, side)
    cell = (side - 1.5) / num_classes  # roughly the inches per row and column, axis labels aside
    ax = fig.add_subplot()
    cmap = mpl.colormaps["Blues"].with_extremes(bad="#dddddd")
    vmax = 100.0 if normalized else max(float(np.nanmax(values)), 1.0)
    masked = np.ma.masked_invalid(values)  # type: ignore[no-untyped-call]  # untyped in numpy 1.26
    image = ax.imshow(masked, cmap=cmap, vmin=0.0, vmax=vmax)
    bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    bar.set_label("% of the true class" if normalized else "videos")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    _label_classes(ax, "x", class_names, cell)
    _label_classes(ax, "y", class_names, cell)
    if num_classes <= _MAX_ANNOTATED_CLASSES:
        font = _font_size(cell, largest=8)
        for (row, col), value in np.ndenumerate(values):
            if math.isnan(value) or (not normalized and value == 0):
                continue
            text = f"{value:.1f}" if normalized else str(int(value))
            colour = "white" if value > 0.6 * vmax else "black"
            ax.text(col, row, text, ha="center", va="center", fontsize=font, color=colour)
    return to_png(fig)


def class_bars(
    values: npt.ArrayLike,
    class_names: Sequence[str],
    *,
    xlabel: str,
    reference: float | None = None,
    limit: float | None = None,
) -> bytes:
    """Horizontal bars, one per class in index order; NaN draws no bar.

    ``reference`` draws a dashed vertical line, such as the overall accuracy. ``limit`` fixes
    the end of the axis, such as 100 for percentages.
    """
    widths = np.asarray(values, dtype=np.float64)  # (K,)
    num_classes = widths.size
    height = _clamp(0.24 * num_classes + 1.2, 2.5, 2 * _MAX_FIGURE_INCHES)
    fig = new_figure(7.0, height)
    ax = fig.add_subplot()
    positions = np.arange(num_classes)
    ax.barh(positions, np.nan_to_num(widths), color="#4c72b0")
    ax.set_ylim(num_classes - 0.5, -0.5)  # first class at the top, like the tables
    _label_classes(ax, "y", class_names, (height - 1.2) / num_classes)
    if limit is not None:
        ax.set_xlim(0, limit)
    if reference is not None:
        ax.axvline(reference, color="#c44e52", linestyle="--", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    return to_png(fig)


def training_curves(history: Sequence[Mapping[str, Any]]) -> list[tuple[str, bytes]]:
    """One plot per quantity found in per-epoch records: loss, accuracy and learning rate.

    Keys containing ``loss`` go on the loss plot, keys containing ``acc`` on the accuracy plot
    and ``lr`` on its own. The x axis is ``epoch`` when records have it, else the record number.
    Records that lack a key (validation every few epochs) leave gaps. Accuracies are fractions,
    as ``metrics.jsonl`` stores them, and are drawn in percent. Returns (quantity, PNG) pairs.
    """
    keys = list(dict.fromkeys(key for record in history for key in record))
    panels = {  # quantity: (keys, y axis label, scale)
        "loss": ([key for key in keys if "loss" in key], "loss", 1.0),
        "accuracy": ([key for key in keys if "acc" in key], "accuracy (%)", 100.0),
        "learning rate": ([key for key in keys if key == "lr"], "learning rate", 1.0),
    }
    plots = []
    for quantity, (series, ylabel, scale) in panels.items():
        lines = {key: _series(history, key, scale) for key in series}
        lines = {key: points for key, points in lines.items() if points[0]}
        if lines:
            log_y = quantity == "learning rate"
            plots.append((quantity, _line_plot(ylabel, lines, log_y=log_y)))
    return plots


def image_png(image: npt.NDArray[np.uint8]) -> bytes:
    """Encode a uint8 (H, W, 3) RGB image as PNG."""
    require_matplotlib()
    import matplotlib.image as mpl_image

    buffer = io.BytesIO()
    mpl_image.imsave(buffer, image, format="png")
    return buffer.getvalue()


def _line_plot(
    ylabel: str, lines: Mapping[str, tuple[list[float], list[float]]], *, log_y: bool
) -> bytes:
    fig = new_figure(6.0, 3.8)
    ax = fig.add_subplot()
    for key, (xs, ys) in lines.items():
        style = "--" if key.startswith("train") else "-"
        ax.plot(xs, ys, style, marker="o" if len(xs) < 30 else None, markersize=3, label=key)
    if log_y and all(y > 0 for _, ys in lines.values() for y in ys):
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    ax.legend()
    return to_png(fig)


def _series(
    history: Sequence[Mapping[str, Any]], key: str, scale: float
) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    for number, record in enumerate(history, start=1):
        value = _finite_number(record.get(key))
        if value is not None:
            epoch = _finite_number(record.get("epoch"))
            xs.append(float(number) if epoch is None else epoch)
            ys.append(value * scale)
    return xs, ys


def _finite_number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _label_classes(
    ax: Axes, axis: Literal["x", "y"], class_names: Sequence[str], spacing: float
) -> None:
    """Name the classes along one axis when the labels can be read, ``spacing`` inches apart."""
    set_ticks = ax.set_xticks if axis == "x" else ax.set_yticks
    if len(class_names) > _MAX_TICK_LABELS:
        set_ticks([])
        return
    set_ticks(
        range(len(class_names)),
        labels=list(class_names),
        fontsize=_font_size(spacing, largest=9),
        rotation=90 if axis == "x" else 0,
    )


def _font_size(spacing: float, *, largest: float) -> float:
    """Points of text that fit in rows ``spacing`` inches apart (72 points to the inch)."""
    return _clamp(0.6 * 72 * spacing, 5.0, largest)


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
