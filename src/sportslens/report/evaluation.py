"""Evaluation reports: metrics.json, report.md and a self-contained report.html.

This module renders and does not compute. Every number comes from `sportslens.metrics` and
every plot from `sportslens.report.plots`. Per-class tables, plots and the misclassified list
are at video level, after clips are averaged. The summary gives clip and video level side by
side. Plotting needs the ``sportslens[plot]`` extra.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sportslens.metrics import (
    Predictions,
    classification_report,
    confusion_matrix,
    misclassified,
    normalize_confusion,
    summarize,
    video_level,
)
from sportslens.report import html as report_html
from sportslens.report import plots as report_plots
from sportslens.report.figure import require_matplotlib

__all__ = ["COMPARE_COLUMNS", "ReportSection", "compare_runs", "format_markdown", "write_report"]

COMPARE_COLUMNS = (
    "model",
    "frames",
    "resolution",
    "pretrained on",
    "acc@1",
    "acc@5",
    "params (M)",
    "GFLOPs",
)

_TITLE = "sportslens evaluation report"
# Captions under the training curves: the plots carry no titles, so each is named once.
_CURVE_CAPTIONS = {
    "loss": "Loss per epoch (dashed: training)",
    "accuracy": "Accuracy per epoch, % (dashed: training)",
    "learning rate": "Learning rate per epoch",
}
# The per-class table's rates, shown in percent like every accuracy on the report's pages.
_PERCENT_COLUMNS = {"precision": "precision (%)", "recall": "recall (%)", "f1": "F1 (%)"}
# With more classes than this, per-class plots take the full page width instead of sharing a row.
_WIDE_PLOT_CLASSES = 20


@dataclass(frozen=True)
class ReportSection:
    """A part of the report that a caller adds: a heading, its HTML and markdown bodies, and
    the numbers it adds to ``metrics.json`` under ``key`` (none when ``key`` is empty)."""

    title: str
    html: str
    """The section's body; its maker escapes any text in it."""
    markdown: str
    """The section's body in markdown, below a ``## title`` line."""
    key: str = ""
    metrics: Mapping[str, Any] = field(default_factory=dict)


def write_report(
    out_dir: str | Path,
    predictions: Predictions,
    *,
    history: Sequence[Mapping[str, Any]] | None = None,
    model_info: Mapping[str, Any] | None = None,
    gallery: Sequence[tuple[str, npt.NDArray[np.uint8]]] | None = None,
    sections: Sequence[ReportSection] = (),
    top_misclassified: int = 50,
) -> dict[str, Path]:
    """Write ``metrics.json``, ``report.md`` and ``report.html`` into ``out_dir``.

    ``history`` holds per-epoch records as read from ``metrics.jsonl``. ``model_info`` is
    shown as given, key by key. ``gallery`` holds (caption, uint8 (H, W, 3) image) pairs that
    the caller prepared, such as frames of misclassified clips. ``sections`` come last, in
    order, such as the attribute heads' results. Returns the paths under the keys
    ``metrics``, ``markdown`` and ``html``. The misclassified list keeps the
    ``top_misclassified`` most confident mistakes. Raises ImportError before writing anything
    when matplotlib is missing.
    """
    require_matplotlib()
    images = [(caption, _checked_image(caption, image)) for caption, image in gallery or ()]
    summary = summarize(predictions)
    videos = video_level(predictions)
    per_class = classification_report(videos.labels, videos.predicted, videos.class_names)
    all_wrong = misclassified(videos)
    wrong = all_wrong.head(top_misclassified)
    info = dict(model_info or {})

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "metrics": out / "metrics.json",
        "markdown": out / "report.md",
        "html": out / "report.html",
    }
    extra = {section.key: dict(section.metrics) for section in sections if section.key}
    metrics = {**summary, **extra}
    paths["metrics"].write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    markdown = _markdown(summary, per_class, wrong, info, paths["html"].name, sections)
    paths["markdown"].write_text(markdown, encoding="utf-8")
    blocks = [
        ("Summary", report_html.table(_summary_table(summary), digits=1)),
        *([("Model", report_html.key_value_table(info))] if info else []),
        *_curves_section(history or ()),
        _per_class_section(videos, _percent_table(per_class), summary["video_acc1"]),
        _confusion_section(videos),
        _misclassified_section(wrong, len(wrong) < len(all_wrong), images),
        *((section.title, section.html) for section in sections),
    ]
    page = report_html.page(_TITLE, _counts_line(summary), blocks)
    paths["html"].write_text(page, encoding="utf-8")
    return paths


def compare_runs(runs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The side-by-side table of a paper: one row per run, columns `COMPARE_COLUMNS`.

    Each run is ``{"metrics": summarize(...) or metrics.json, "model_info": {...}}``. The model
    info keys read are ``name``, ``frames``, ``resolution``, ``pretrained_on``, ``params``
    (a count) and ``gflops``; a run's own ``name`` key overrides the model's. Accuracies are
    video-level percentages. ``acc@5`` is NaN for a run with fewer than 5 classes. A missing
    value is NaN (or None in a text column).
    """
    rows = []
    for number, run in enumerate(runs):
        if "metrics" not in run:
            raise ValueError(
                f"run {number} has no 'metrics' entry (keys: {sorted(run)}); "
                "pass {'metrics': summarize(...), 'model_info': {...}}"
            )
        metrics = run["metrics"]
        info = run.get("model_info") or {}
        params = info.get("params")
        rows.append(
            {
                "model": run.get("name", info.get("name")),
                "frames": info.get("frames"),
                "resolution": info.get("resolution"),
                "pretrained on": info.get("pretrained_on"),
                "acc@1": 100 * metrics["video_acc1"],
                "acc@5": 100 * metrics["video_acc_topk"] if metrics["topk"] == 5 else math.nan,
                "params (M)": math.nan if params is None else params / 1e6,
                "GFLOPs": info.get("gflops", math.nan),
            }
        )
    return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))


def format_markdown(frame: pd.DataFrame, *, digits: int = 1) -> str:
    """A DataFrame as a GitHub markdown table; floats to ``digits`` places, missing as '–'.

    The index becomes the first column unless it is the default 0..N-1 range.
    """
    show_index = not isinstance(frame.index, pd.RangeIndex)
    header = ([str(frame.index.name or "")] if show_index else []) + [str(c) for c in frame.columns]
    lines = [_markdown_row(header), _markdown_row(["---"] * len(header))]
    for label, values in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = ([label] if show_index else []) + list(values)
        lines.append(_markdown_row([report_html.format_value(v, digits) for v in cells]))
    return "\n".join(lines) + "\n"


def _markdown(
    summary: Mapping[str, Any],
    per_class: pd.DataFrame,
    wrong: pd.DataFrame,
    info: Mapping[str, Any],
    html_name: str,
    sections: Sequence[ReportSection],
) -> str:
    parts = [
        f"# {_TITLE}",
        f"{_counts_line(summary)} Plots: [{html_name}]({html_name}).",
        "## Summary",
        format_markdown(_summary_table(summary)),
    ]
    if info:
        values = {key: report_html.format_value(value) for key, value in info.items()}
        frame = pd.DataFrame({"value": list(values.values())}, index=pd.Index(values, name="key"))
        parts += ["## Model", format_markdown(frame)]
    per_class_percent = format_markdown(_percent_table(per_class), digits=1)
    parts += ["## Per-class report (video level)", per_class_percent]
    parts += [
        "## Misclassified videos",
        format_markdown(wrong, digits=3) if len(wrong) else "None.",
    ]
    for section in sections:
        parts += [f"## {section.title}", section.markdown]
    return "\n\n".join(part.rstrip("\n") for part in parts) + "\n"


def _summary_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Accuracies in percent, clip and video level side by side."""
    rows = {
        "top-1": "acc1",
        f"top-{summary['topk']}": "acc_topk",
        "mean class accuracy": "mean_class_acc",
    }
    table = pd.DataFrame(
        {
            level: [100 * summary[f"{level}_{key}"] for key in rows.values()]
            for level in ("clip", "video")
        },
        index=pd.Index(list(rows), name="accuracy (%)"),
    )
    return table


def _counts_line(summary: Mapping[str, Any]) -> str:
    return (
        f"{summary['num_videos']} videos, {summary['num_clips']} clips, "
        f"{summary['num_classes']} classes."
    )


def _curves_section(history: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    curves = [
        (_CURVE_CAPTIONS[quantity], png) for quantity, png in report_plots.training_curves(history)
    ]
    return [("Training curves", report_html.image_grid(curves))] if curves else []


def _percent_table(per_class: pd.DataFrame) -> pd.DataFrame:
    """``classification_report``'s table with precision, recall and F1 in percent."""
    table = per_class.copy()
    for column in _PERCENT_COLUMNS:
        table[column] = 100 * table[column]
    return table.rename(columns=_PERCENT_COLUMNS)


def _per_class_section(
    videos: Predictions, per_class: pd.DataFrame, accuracy: float
) -> tuple[str, str]:
    """Bars and the table, ``per_class`` in percent (``_percent_table``)."""
    names = list(videos.class_names)
    classes = per_class.loc[names]
    accuracy_bars = report_plots.class_bars(
        classes["recall (%)"],
        names,
        xlabel="accuracy (%)",
        reference=100 * accuracy,
        limit=100.0,
    )
    support_bars = report_plots.class_bars(classes["support"], names, xlabel="videos")
    plots = [
        (
            f"Accuracy of each class (its recall); dashed: overall video accuracy, "
            f"{100 * accuracy:.1f}%",
            accuracy_bars,
        ),
        ("Videos of each class (support)", support_bars),
    ]
    wide = len(names) > _WIDE_PLOT_CLASSES
    body = report_html.image_grid(plots, wide=wide) + report_html.table(per_class, digits=1)
    return "Per-class results (video level)", body


def _confusion_section(videos: Predictions) -> tuple[str, str]:
    counts = confusion_matrix(videos.labels, videos.predicted, videos.num_classes)
    names = videos.class_names
    plots = [
        (
            "Videos, by true and predicted class",
            report_plots.confusion_heatmap(counts, names, normalized=False),
        ),
        (
            "Percent of each true class: each row sums to 100",
            report_plots.confusion_heatmap(normalize_confusion(counts), names, normalized=True),
        ),
    ]
    wide = len(names) > _WIDE_PLOT_CLASSES
    return "Confusion matrix (video level)", report_html.image_grid(plots, wide=wide)


def _misclassified_section(
    wrong: pd.DataFrame, truncated: bool, images: Sequence[tuple[str, bytes]]
) -> tuple[str, str]:
    if wrong.empty:
        body = report_html.paragraph("Every video was classified correctly.")
    else:
        note = "Most confident mistakes first"
        note += f", the first {len(wrong)} shown." if truncated else "."
        body = report_html.paragraph(note, note=True) + report_html.table(wrong, index=False)
    if images:
        body += report_html.image_grid(images)
    return "Misclassified videos", body


def _checked_image(caption: str, image: npt.NDArray[np.uint8]) -> bytes:
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(
            f"gallery image {caption!r} must be uint8 (H, W, 3) RGB, "
            f"got {array.dtype} {array.shape}"
        )
    return report_plots.image_png(array)


def _markdown_row(cells: Sequence[str]) -> str:
    escaped = [cell.replace("|", "\\|").replace("\n", " ") for cell in cells]
    return "| " + " | ".join(escaped) + " |"
