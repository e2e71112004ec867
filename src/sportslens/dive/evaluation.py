"""Evaluating attribute heads: per-attribute accuracy and confusion, and composed dive numbers.

:func:`attribute_metrics` is arithmetic on true and predicted attribute values.
:class:`AttributeRecorder` collects them during ``sportslens evaluate``'s one pass over a split
and gives the report its "Dive attributes" section (and ``metrics.json`` its ``attributes``).
``sportslens bench compose`` (:func:`sportslens.bench.evaluate_composition`) runs the same
metrics over any dataset labelled by dive number, such as dives held out of training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from sportslens.dive.attributes import ATTRIBUTES, compose_values, dive_attribute_values
from sportslens.dive.diving48 import dive_number_of
from sportslens.dive.numbers import parse
from sportslens.metrics import confusion_matrix
from sportslens.report import ReportSection
from sportslens.report import html as report_html

__all__ = [
    "AttributeRecorder",
    "attribute_html",
    "attribute_markdown",
    "attribute_metrics",
    "composed_number",
]

Values = Mapping[str, str]  # attribute name -> value, as in ATTRIBUTES


def composed_number(values: Values) -> str:
    """The dive number four attribute values compose."""
    return compose_values(values).number


def attribute_metrics(
    true: Sequence[Values], predicted: Sequence[Values], trained_numbers: Sequence[str]
) -> dict[str, Any]:
    """Per-attribute accuracy and confusion matrix, and how often the composed number is right.

    Confusion matrices count videos, rows true and columns predicted, over the values that occur
    in either. ``composed_unseen`` is the fraction of composed numbers not among the trained
    classes, and ``composed_unseen_correct`` the fraction that were such and right.
    """
    if len(true) != len(predicted) or not true:
        raise ValueError(
            f"need one prediction per video and at least one video; got {len(predicted)} "
            f"predictions for {len(true)} videos"
        )
    out: dict[str, Any] = {"videos": len(true), "attributes": {}}
    for name, names in ATTRIBUTES.items():
        t = np.array([names.index(v[name]) for v in true])  # (N,)
        p = np.array([names.index(v[name]) for v in predicted])
        present = sorted(set(t.tolist()) | set(p.tolist()))
        remap = {index: i for i, index in enumerate(present)}
        counts = confusion_matrix(
            [remap[i] for i in t.tolist()], [remap[i] for i in p.tolist()], len(present)
        )
        out["attributes"][name] = {
            "accuracy": float((t == p).mean()),
            "values": [names[i] for i in present],
            "confusion": counts.tolist(),
        }
    true_numbers = [composed_number(v) for v in true]
    pred_numbers = [composed_number(v) for v in predicted]
    right = np.array([a == b for a, b in zip(true_numbers, pred_numbers, strict=True)])
    unseen = np.array([n not in set(trained_numbers) for n in pred_numbers])
    out["composed_accuracy"] = float(right.mean())
    out["composed_unseen"] = float(unseen.mean())
    out["composed_unseen_correct"] = float((unseen & right).mean())
    return out


class AttributeRecorder:
    """Each video's true and most likely attribute values over one evaluation pass."""

    def __init__(self, classes: Sequence[str]) -> None:
        self.trained_numbers = [dive_number_of(name) for name in classes]
        self.true: list[dict[str, str]] = []
        self.predicted: list[dict[str, str]] = []

    def add(self, probabilities: Mapping[str, torch.Tensor], labels: torch.Tensor) -> None:
        """One batch: each attribute's probabilities (B, values), views averaged; labels (B,)."""
        best = {name: probabilities[name].argmax(dim=1).tolist() for name in ATTRIBUTES}
        for i, label in enumerate(labels.tolist()):
            self.true.append(dive_attribute_values(parse(self.trained_numbers[label])))
            self.predicted.append({name: ATTRIBUTES[name][best[name][i]] for name in ATTRIBUTES})

    def section(self) -> ReportSection:
        """The report's "Dive attributes" section, and ``attributes`` in metrics.json."""
        metrics = attribute_metrics(self.true, self.predicted, self.trained_numbers)
        return ReportSection(
            "Dive attributes",
            attribute_html(metrics),
            attribute_markdown(metrics),
            key="attributes",
            metrics=metrics,
        )


def attribute_html(metrics: Mapping[str, Any]) -> str:
    """The HTML report's section body: the accuracy table, then one confusion table per head."""
    rows = {name: 100 * row["accuracy"] for name, row in metrics["attributes"].items()}
    rows["composed dive number"] = 100 * metrics["composed_accuracy"]
    accuracy = pd.DataFrame({"accuracy %": rows})
    unseen = 100 * metrics["composed_unseen"]
    parts = [
        report_html.table(accuracy, digits=1),
        report_html.paragraph(
            f"Composed numbers that are no trained class: {unseen:.1f}% of videos."
        ),
    ]
    for name, row in metrics["attributes"].items():
        confusion = pd.DataFrame(row["confusion"], index=row["values"], columns=row["values"])
        parts += [f"<h3>{name} (rows true, columns predicted)</h3>", report_html.table(confusion)]
    return "\n".join(parts)


def attribute_markdown(metrics: Mapping[str, Any]) -> str:
    """The markdown section body: accuracy per attribute, composed numbers, confusion matrices."""
    lines = ["| head | accuracy |", "|---|---:|"]
    for name, row in metrics["attributes"].items():
        lines.append(f"| {name} | {100 * row['accuracy']:.1f}% |")
    lines.append(f"| composed dive number | {100 * metrics['composed_accuracy']:.1f}% |")
    unseen = 100 * metrics["composed_unseen"]
    lines += ["", f"Composed numbers that are no trained class: {unseen:.1f}% of videos.", ""]
    for name, row in metrics["attributes"].items():
        values = row["values"]
        lines += [f"### {name} (rows true, columns predicted)", ""]
        lines.append("| | " + " | ".join(values) + " |")
        lines.append("|---|" + "---:|" * len(values))
        for value, counts in zip(values, row["confusion"], strict=True):
            lines.append(f"| {value} | " + " | ".join(str(c) for c in counts) + " |")
        lines.append("")
    return "\n".join(lines)
