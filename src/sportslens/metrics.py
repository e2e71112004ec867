"""Classification metrics: pure functions on score tables, labels and predicted classes.

`evaluate` returns a `Predictions` table with one row per clip (or per view of a clip). Several
rows may share a video id. Everything here is arithmetic on that table. Plots and pages are
drawn by `sportslens.report`.

Accuracies are fractions in [0, 1]. A ratio whose denominator is zero is NaN, never a silent 0.
This covers the precision of a class the model never predicts and the recall of a class with no
samples. Macro and weighted averages skip NaN, so a class missing from a test split neither helps
nor hurts them. Ties between equal scores go to the lower class index, as `numpy.argmax` does,
and top-k follows the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "Predictions",
    "classification_report",
    "confusion_matrix",
    "mean_class_accuracy",
    "misclassified",
    "normalize_confusion",
    "summarize",
    "topk_accuracy",
    "video_level",
]

FloatArray = npt.NDArray[np.float64]
ScoreArray = npt.NDArray[np.floating[Any]]
IntArray = npt.NDArray[np.int64]

# Rows of a softmax sum to 1. The slack admits float16 outputs but still catches raw logits.
_ROW_SUM_TOLERANCE = 1e-2
# The usual second headline number. With fewer classes, top-K would always be 1, so it is
# reported as top-K and `summarize` says which k it used.
_TOPK = 5


@dataclass(frozen=True, eq=False)
class Predictions:
    """Softmax scores and true labels of N evaluated clips, with the videos they came from.

    ``scores`` are float (N, K) softmax probabilities and ``labels`` are int (N,) class indices.
    ``video_ids`` (N,) repeat when several clips or views of one video were scored.
    ``class_names`` (K,) name the columns of ``scores``. ``sources`` (N,) are optional file
    paths that reports show. The arrays are copied and made read-only. Scores are stored as
    float32, which halves the memory of a large evaluation; sums over them are taken in float64.
    """

    scores: ScoreArray
    labels: IntArray
    video_ids: npt.NDArray[Any]
    class_names: Sequence[str]
    sources: npt.NDArray[np.str_] | None = None

    def __post_init__(self) -> None:
        scores = np.array(self.scores, dtype=np.float32)
        if scores.ndim != 2 or scores.shape[0] == 0 or scores.shape[1] == 0:
            raise ValueError(
                f"Predictions.scores must be a non-empty (N, K) table, got shape {scores.shape}"
            )
        num_rows, num_classes = scores.shape
        _check_probabilities(scores)
        class_names = tuple(str(name) for name in self.class_names)
        if len(class_names) != num_classes:
            raise ValueError(
                f"Predictions has {num_classes} score columns but {len(class_names)} class names"
            )
        if len(set(class_names)) != num_classes:
            duplicates = sorted({n for n in class_names if class_names.count(n) > 1})
            raise ValueError(f"Predictions.class_names repeat: {duplicates}")
        labels = _as_labels(self.labels, num_classes, "Predictions.labels")
        video_ids = np.array(self.video_ids)
        sources = None if self.sources is None else np.array([str(s) for s in self.sources])
        for name, column in (("labels", labels), ("video_ids", video_ids), ("sources", sources)):
            if column is not None and column.shape != (num_rows,):
                raise ValueError(
                    f"Predictions.{name} must have shape ({num_rows},) to match scores, "
                    f"got {column.shape}"
                )
        for array in (scores, labels, video_ids, sources):
            if array is not None:
                array.setflags(write=False)
        # A frozen dataclass allows assignment only through object.__setattr__.
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "video_ids", video_ids)
        object.__setattr__(self, "class_names", class_names)
        object.__setattr__(self, "sources", sources)

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @property
    def num_classes(self) -> int:
        """K, the number of score columns."""
        return int(self.scores.shape[1])

    @property
    def predicted(self) -> IntArray:
        """The top-1 class of each row (ties go to the lower index)."""
        return np.asarray(np.argmax(self.scores, axis=1), dtype=np.int64)


def topk_accuracy(scores: npt.ArrayLike, labels: npt.ArrayLike, k: int) -> float:
    """Fraction of rows whose true label is among the ``k`` highest scores."""
    table = _as_scores(scores)
    num_classes = table.shape[1]
    if not 1 <= k <= num_classes:
        raise ValueError(f"k must be between 1 and the number of classes {num_classes}, got {k}")
    truth = _as_labels(labels, num_classes, "labels")
    if truth.shape != (table.shape[0],):
        raise ValueError(f"{table.shape[0]} score rows but labels have shape {truth.shape}")
    return float(np.mean(_true_rank(table, truth) < k))


def video_level(predictions: Predictions) -> Predictions:
    """Average the softmax of each video's clips into one row per video.

    Videos keep the order of their first clip. Each video takes the source of its first clip.
    Averaging ranks classes the same way as torchvision's summing of clip softmax.
    """
    _, first, inverse = np.unique(predictions.video_ids, return_index=True, return_inverse=True)
    # np.unique sorts the ids; relabel the groups so videos come in order of first appearance.
    order = np.argsort(first, kind="stable")
    group = np.empty_like(order)
    group[order] = np.arange(order.size)
    group_of_row = group[inverse.reshape(-1)]
    first_row = first[order]

    labels = predictions.labels[first_row]
    disagree = np.flatnonzero(labels[group_of_row] != predictions.labels)
    if disagree.size:
        row = int(disagree[0])
        video = predictions.video_ids[row : row + 1].tolist()[0]  # a plain Python value
        names = predictions.class_names
        raise ValueError(
            f"video {video!r} has clips with different labels "
            f"({names[labels[group_of_row[row]]]!r} and {names[predictions.labels[row]]!r}); "
            "clips of one video must share its label"
        )

    num_videos = first_row.size
    counts = np.bincount(group_of_row, minlength=num_videos)  # (V,)
    # Sum each video's rows as one contiguous run. Evaluation usually emits a video's clips
    # together, and then the rows are already in order and need no copy.
    rows = np.argsort(group_of_row, kind="stable")
    grouped = predictions.scores if _is_identity(rows) else predictions.scores[rows]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sums = np.add.reduceat(grouped, starts, axis=0, dtype=np.float64)  # (V, K)
    sources = None if predictions.sources is None else predictions.sources[first_row]
    return Predictions(
        scores=sums / counts[:, None],
        labels=labels,
        video_ids=predictions.video_ids[first_row],
        class_names=predictions.class_names,
        sources=sources,
    )


def confusion_matrix(labels: npt.ArrayLike, preds: npt.ArrayLike, num_classes: int) -> IntArray:
    """Counts (K, K): row ``i``, column ``j`` counts rows of true class ``i`` predicted as ``j``."""
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    truth = _as_labels(labels, num_classes, "labels")
    guess = _as_labels(preds, num_classes, "preds")
    if truth.shape != guess.shape or truth.size == 0:
        raise ValueError(
            "labels and preds must be non-empty and of one length, "
            f"got shapes {truth.shape} and {guess.shape}"
        )
    cells = np.bincount(truth * num_classes + guess, minlength=num_classes * num_classes)
    return cells.reshape(num_classes, num_classes).astype(np.int64)


def normalize_confusion(counts: npt.ArrayLike) -> FloatArray:
    """Divide each row of a confusion matrix by its total. A class with no samples is a NaN row."""
    matrix = np.asarray(counts, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"a confusion matrix is square (K, K), got shape {matrix.shape}")
    totals = matrix.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, matrix / totals, np.nan)


def mean_class_accuracy(labels: npt.ArrayLike, preds: npt.ArrayLike, num_classes: int) -> float:
    """Mean of per-class recall over the classes present in ``labels``.

    It differs from accuracy when classes are imbalanced: every class weighs the same.
    """
    counts = confusion_matrix(labels, preds, num_classes)
    recall = _ratio(np.diag(counts), counts.sum(axis=1))
    return float(np.nanmean(recall))


def classification_report(
    labels: npt.ArrayLike, preds: npt.ArrayLike, class_names: Sequence[str]
) -> pd.DataFrame:
    """Per-class precision, recall, F1 and support, then ``macro avg`` and ``weighted avg`` rows.

    NaN marks an undefined ratio. Precision is NaN for a class never predicted and recall is NaN
    for a class with no samples. F1 is ``2 TP / (support + predicted)``, which is NaN only when
    both are zero. Averages skip NaN: macro is their plain mean and weighted uses support as
    weights, so weighted recall equals accuracy. The support of both average rows is N.
    """
    names = [str(name) for name in class_names]
    counts = confusion_matrix(labels, preds, len(names))
    hits = np.diag(counts)
    support = counts.sum(axis=1)
    predicted = counts.sum(axis=0)
    per_class = {
        "precision": _ratio(hits, predicted),
        "recall": _ratio(hits, support),
        "f1": _ratio(2 * hits, support + predicted),
    }
    table = pd.DataFrame(per_class, index=pd.Index(names, name="class"))
    table["support"] = support
    macro = {name: _nan_average(values, np.ones_like(values)) for name, values in per_class.items()}
    weighted = {name: _nan_average(values, support) for name, values in per_class.items()}
    total = int(support.sum())
    table.loc["macro avg"] = [*macro.values(), total]
    table.loc["weighted avg"] = [*weighted.values(), total]
    table["support"] = table["support"].astype(np.int64)
    return table


def misclassified(predictions: Predictions, top: int | None = None) -> pd.DataFrame:
    """The wrongly classified videos, most confident mistake first.

    Clips are averaged into videos first (`video_level`). Columns are ``video_id``, ``source``
    (None without sources), ``true_label``, ``predicted_label``, ``predicted_score`` and
    ``true_score``. Equal scores keep the video order. ``top`` keeps only the first rows.
    """
    if top is not None and top < 0:
        raise ValueError(f"top must be a non-negative number of rows or None, got {top}")
    videos = video_level(predictions)
    predicted = videos.predicted
    rows = np.flatnonzero(predicted != videos.labels)
    names = np.array(videos.class_names, dtype=object)
    table = pd.DataFrame(
        {
            "video_id": videos.video_ids[rows],
            "source": None if videos.sources is None else videos.sources[rows],
            "true_label": names[videos.labels[rows]],
            "predicted_label": names[predicted[rows]],
            "predicted_score": videos.scores[rows, predicted[rows]],
            "true_score": videos.scores[rows, videos.labels[rows]],
        }
    )
    table = table.sort_values("predicted_score", ascending=False, kind="stable")
    table = table.reset_index(drop=True)
    return table if top is None else table.head(top)


def summarize(predictions: Predictions) -> dict[str, Any]:
    """The headline numbers, JSON-ready: the content of ``metrics.json``.

    Keys: ``num_classes``, ``num_clips``, ``num_videos``, ``topk``, and for each ``level`` in
    ``clip`` and ``video`` the keys ``{level}_acc1``, ``{level}_acc_topk`` and
    ``{level}_mean_class_acc``. ``topk`` is 5, or K when there are fewer than 5 classes.
    """
    videos = video_level(predictions)
    k = min(_TOPK, predictions.num_classes)
    summary: dict[str, Any] = {
        "num_classes": predictions.num_classes,
        "num_clips": len(predictions),
        "num_videos": len(videos),
        "topk": k,
    }
    for level, table in (("clip", predictions), ("video", videos)):
        ranks = _true_rank(table.scores, table.labels)
        summary[f"{level}_acc1"] = float(np.mean(ranks < 1))
        summary[f"{level}_acc_topk"] = float(np.mean(ranks < k))
        summary[f"{level}_mean_class_acc"] = mean_class_accuracy(
            table.labels, table.predicted, table.num_classes
        )
    return summary


def _true_rank(scores: npt.NDArray[np.floating[Any]], labels: IntArray) -> IntArray:
    """0-based rank of each row's true class, counting equal scores at lower indices as ahead."""
    num_rows, num_classes = scores.shape
    true_score = scores[np.arange(num_rows), labels][:, None]  # (N, 1)
    higher = scores > true_score  # (N, K)
    tied_before = (scores == true_score) & (np.arange(num_classes) < labels[:, None])
    return np.asarray((higher | tied_before).sum(axis=1), dtype=np.int64)


def _is_identity(order: IntArray) -> bool:
    return bool(np.array_equal(order, np.arange(order.size)))


def _ratio(numerator: npt.NDArray[Any], denominator: npt.NDArray[Any]) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.asarray(numerator, dtype=np.float64) / denominator
    return np.where(denominator > 0, result, np.nan)


def _nan_average(values: FloatArray, weights: npt.NDArray[Any]) -> float:
    usable = ~np.isnan(values) & (weights > 0)
    if not usable.any():
        return float("nan")
    return float(np.average(values[usable], weights=weights[usable]))


def _as_scores(scores: npt.ArrayLike) -> FloatArray:
    table = np.asarray(scores, dtype=np.float64)
    if table.ndim != 2 or table.shape[0] == 0 or table.shape[1] == 0:
        raise ValueError(f"scores must be a non-empty (N, K) table, got shape {table.shape}")
    return table


def _as_labels(labels: npt.ArrayLike, num_classes: int, name: str) -> IntArray:
    array = np.asarray(labels)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be integer class indices, got dtype {array.dtype}")
    array = array.astype(np.int64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    bad = (array < 0) | (array >= num_classes)
    if bad.any():
        raise ValueError(
            f"{name} must lie in [0, {num_classes}), got {int(array[bad][0])} "
            f"at position {int(np.flatnonzero(bad)[0])}"
        )
    return array


def _check_probabilities(scores: ScoreArray) -> None:
    if not np.isfinite(scores).all():
        raise ValueError("Predictions.scores contain NaN or infinity")
    row_sums = scores.sum(axis=1, dtype=np.float64)
    if scores.min() < 0 or np.abs(row_sums - 1).max() > _ROW_SUM_TOLERANCE:
        raise ValueError(
            "Predictions.scores must be softmax probabilities (non-negative, rows summing to 1); "
            f"got values down to {scores.min():.3g} and row sums in "
            f"[{row_sums.min():.3g}, {row_sums.max():.3g}]. Apply softmax to the logits first"
        )


TARGET_ACCURACY = 0.9
"""The accuracy an answer must have on validation to be given as a class, not "unknown"."""


def confidence_threshold(
    confidence: npt.NDArray[Any], correct: npt.NDArray[Any], target: float = TARGET_ACCURACY
) -> float:
    """The lowest top-1 score ``t`` at which the answers scored ``t`` or more are right at least
    ``target`` of the time (validation: ``confidence`` (N,), ``correct`` (N,) bool).

    Below ``t`` an answer is "unknown". 0.0 when every answer is accurate enough; 1.0 when no
    threshold reaches ``target`` (nothing the model says can be trusted that much).
    """
    if len(confidence) == 0:
        return 1.0
    order = np.argsort(-np.asarray(confidence, dtype=np.float64))  # most confident first
    ranked = np.asarray(correct, dtype=np.float64)[order]
    accuracy = np.cumsum(ranked) / np.arange(1, len(ranked) + 1)  # (N,) of the top-n answers
    good = np.flatnonzero(accuracy >= target)
    if good.size == 0:
        return 1.0
    n = int(good[-1])  # the most answers kept while staying accurate enough
    if n == len(ranked) - 1:
        return 0.0
    return float(np.asarray(confidence, dtype=np.float64)[order][n])
