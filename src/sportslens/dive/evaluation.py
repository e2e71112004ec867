"""Evaluating attribute heads: per-attribute accuracy and confusion, and composed dive numbers.

:func:`attribute_metrics` is arithmetic on true and predicted attribute values. The rest runs a
model with attribute heads over a split (``sportslens evaluate`` adds the result to
``metrics.json``, ``report.md`` and ``report.html``) or over any dataset labelled by dive
number, such as dive combinations held out of training (``sportslens bench compose``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from sportslens.data import Catalog, ClipConfig
from sportslens.dive.attributes import ATTRIBUTES, dive_attribute_values
from sportslens.dive.diving48 import dive_number_of
from sportslens.dive.numbers import compose, parse
from sportslens.metrics import confusion_matrix
from sportslens.models import VideoClassifier

__all__ = [
    "attribute_html",
    "attribute_metrics",
    "composed_number",
    "evaluate_composition",
    "predict_attribute_values",
    "report_attributes",
]

Values = Mapping[str, str]  # attribute name -> value, as in ATTRIBUTES


def composed_number(values: Values) -> str:
    """The dive number four attribute values compose."""
    dive = compose(
        values["direction"],  # type: ignore[arg-type]  # a value of DIRECTIONS
        int(values["half_somersaults"]),
        values["position"],  # type: ignore[arg-type]  # a value of POSITIONS
        int(values["half_twists"]),
    )
    return dive.number


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


@torch.no_grad()
def predict_attribute_values(
    model: VideoClassifier, loader: DataLoader[Any], device: str = "cpu"
) -> list[dict[str, str]]:
    """Each video's most likely attribute values (softmax averaged over its views)."""
    model.eval().to(device)
    rows: list[dict[str, str]] = []
    for batch in loader:
        clips = batch.clip.to(device)
        views = clips.shape[1] if clips.ndim == 6 else 1  # (B, V, C, T, H, W) or (B, C, T, H, W)
        flat = clips.flatten(0, 1) if clips.ndim == 6 else clips
        logits = model.forward_heads(flat)
        best = {}
        for name in ATTRIBUTES:
            probs = logits[name].float().softmax(dim=1)  # (B * V, A)
            best[name] = probs.reshape(len(batch.label), views, -1).mean(dim=1).argmax(dim=1)
        for i in range(len(batch.label)):
            rows.append({k: ATTRIBUTES[k][int(v[i])] for k, v in best.items()})
    return rows


def report_attributes(
    model: VideoClassifier,
    catalog: Catalog,
    split: str,
    clip_cfg: ClipConfig,
    paths: Mapping[str, Path],
    *,
    workers: int = 0,
    device: str = "cpu",
) -> dict[str, Any]:
    """Evaluate the attribute heads on ``split`` and add the result to the written report."""
    from sportslens.model_data import create_dataset

    records = list(catalog.split(split))
    dataset = create_dataset(records, model, clip_cfg)
    loader = DataLoader(dataset, batch_size=8, num_workers=workers)
    predicted = predict_attribute_values(model, loader, device)
    true = [dive_attribute_values(parse(dive_number_of(r.label))) for r in records]
    trained = [dive_number_of(name) for name in catalog.classes]
    metrics = attribute_metrics(true, predicted, trained)
    summary = json.loads(paths["metrics"].read_text())
    summary["attributes"] = metrics
    paths["metrics"].write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    with paths["markdown"].open("a", encoding="utf-8") as file:
        file.write("\n" + attribute_markdown(metrics))
    page = paths["html"].read_text(encoding="utf-8")
    section = f"<section><h2>Dive attributes</h2>\n{attribute_html(metrics)}\n</section>\n"
    paths["html"].write_text(page.replace("</body>", section + "</body>", 1), encoding="utf-8")
    return metrics


def attribute_html(metrics: Mapping[str, Any]) -> str:
    """The HTML report's section body: the accuracy table, then one confusion table per head."""
    from sportslens.report import html as report_html

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
    """The report section: accuracy per attribute, composed numbers, confusion matrices."""
    lines = ["## Dive attributes", "", "| head | accuracy |", "|---|---:|"]
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


def evaluate_composition(
    run: Path, data: Path, *, batch_size: int = 8, device: str = "cpu"
) -> dict[str, Any]:
    """Predict every video of ``data`` (labelled by dive number) with the run's model: attribute
    and composed-number accuracy, and class top-1 on the videos whose dive is a trained class.

    A skeleton model reads the keypoint file beside each video, as it does in training.
    """
    from sportslens.model_data import read_model_catalog
    from sportslens.predict import Predictor

    predictor = Predictor.from_checkpoint(run, device)
    if not predictor.trained_numbers:
        raise ValueError(f"{run}: the model has no attribute heads (train with --heads attributes)")
    records = list(read_model_catalog(predictor.model.name, data))
    results = predictor.predict_many([r.source for r in records], top_k=1, batch_size=batch_size)
    true = [dive_attribute_values(parse(dive_number_of(r.label))) for r in records]
    predicted = [dict(p.dive.values) for p in results if p.dive is not None]
    trained = set(predictor.trained_numbers)
    numbers = [dive_number_of(r.label) for r in records]
    out: dict[str, Any] = {"run": str(run), "data": str(data)}
    for subset, keep in (
        ("all", [True] * len(numbers)),
        ("held_out", [n not in trained for n in numbers]),
        ("trained", [n in trained for n in numbers]),
    ):
        chosen = [i for i, k in enumerate(keep) if k]
        if not chosen:
            out[subset] = None
            continue
        out[subset] = attribute_metrics(
            [true[i] for i in chosen], [predicted[i] for i in chosen], predictor.trained_numbers
        )
        if subset == "trained":
            right = [dive_number_of(results[i].labels[0]) == numbers[i] for i in chosen]
            out[subset]["class_accuracy"] = float(np.mean(right))
    return out
