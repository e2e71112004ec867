"""Metrics on hand-made score tables whose answers are worked out in the comments."""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt
import pytest

from sportslens.metrics import (
    Predictions,
    classification_report,
    confusion_matrix,
    mean_class_accuracy,
    misclassified,
    normalize_confusion,
    summarize,
    topk_accuracy,
    video_level,
)


def _scores_from_ranking(rankings: list[list[int]]) -> npt.NDArray[np.float64]:
    """Softmax-like rows in which ``ranking[0]`` scores highest, ``ranking[1]`` next, and so on."""
    num_classes = len(rankings[0])
    rows = np.zeros((len(rankings), num_classes))
    weights = np.arange(num_classes, 0, -1, dtype=np.float64)  # K, K-1, ..., 1
    for row, ranking in enumerate(rankings):
        rows[row, ranking] = weights
    return np.asarray(rows / rows.sum(axis=1, keepdims=True), dtype=np.float64)


def _predictions(
    scores: npt.ArrayLike,
    labels: list[int],
    video_ids: list[str] | None = None,
    *,
    sources: list[str] | None = None,
) -> Predictions:
    table = np.asarray(scores, dtype=np.float64)
    return Predictions(
        scores=table,
        labels=np.array(labels),
        video_ids=np.array(video_ids or [f"v{i}" for i in range(len(labels))]),
        class_names=[f"c{k}" for k in range(table.shape[1])],
        sources=None if sources is None else np.array(sources),
    )


# Six classes, four rows. The true label of each row sits at rank 0, 1, 4 and 5.
RANKED_SCORES = _scores_from_ranking(
    [
        [2, 0, 1, 3, 4, 5],  # label 2 is first
        [0, 3, 1, 2, 4, 5],  # label 3 is second
        [0, 1, 2, 3, 5, 4],  # label 5 is fifth
        [0, 2, 3, 4, 5, 1],  # label 1 is last
    ]
)
RANKED_LABELS = [2, 3, 5, 1]


@pytest.mark.parametrize(
    ("k", "expected"),
    [(1, 0.25), (2, 0.5), (3, 0.5), (4, 0.5), (5, 0.75), (6, 1.0)],
)
def test_topk_accuracy_counts_the_rank_of_the_true_label(k: int, expected: float) -> None:
    assert topk_accuracy(RANKED_SCORES, RANKED_LABELS, k) == expected


def test_topk_ties_go_to_the_lower_class_index_like_argmax() -> None:
    scores = np.array([[0.4, 0.4, 0.2], [0.4, 0.4, 0.2]])
    # Row 0's label 0 wins the tie; row 1's label 1 loses it and is second.
    assert topk_accuracy(scores, [0, 1], 1) == 0.5
    assert topk_accuracy(scores, [0, 1], 2) == 1.0
    assert list(_predictions(scores, [0, 1]).predicted) == [0, 0]


@pytest.mark.parametrize("k", [0, 7])
def test_topk_accuracy_rejects_k_outside_the_classes(k: int) -> None:
    with pytest.raises(ValueError, match=f"got {k}"):
        topk_accuracy(RANKED_SCORES, RANKED_LABELS, k)


def test_a_model_that_always_picks_the_next_class_scores_zero_top1() -> None:
    num_classes = 6
    labels = np.arange(12) % num_classes
    # Each row puts the next class first, the one after it second and the true label third.
    rankings: list[list[int]] = []
    for label in labels.tolist():
        first, second = (label + 1) % num_classes, (label + 2) % num_classes
        rest = [c for c in range(num_classes) if c not in (first, second, label)]
        rankings.append([first, second, label, *rest])
    scores = _scores_from_ranking(rankings)
    assert topk_accuracy(scores, labels, 1) == 0.0
    assert topk_accuracy(scores, labels, 2) == 0.0
    assert topk_accuracy(scores, labels, 3) == 1.0
    assert topk_accuracy(scores, labels, 5) == 1.0
    predictions = _predictions(scores, labels.tolist())
    np.testing.assert_array_equal(predictions.predicted, (labels + 1) % num_classes)
    summary = summarize(predictions)
    assert summary["clip_acc1"] == summary["video_acc1"] == 0.0
    assert summary["clip_mean_class_acc"] == 0.0
    assert summary["video_acc_topk"] == 1.0


def test_video_level_averages_the_softmax_of_each_videos_clips() -> None:
    scores = [
        [0.9, 0.1],  # video a, clip 1: right
        [0.2, 0.8],  # video a, clip 2: wrong; the mean [0.55, 0.45] is right
        [0.6, 0.4],  # video b, clip 1: right
        [0.0, 1.0],  # video b, clip 2: wrong; the mean [0.3, 0.7] is wrong
        [0.3, 0.7],  # video c, one clip: right
    ]
    clips = _predictions(
        scores,
        [0, 0, 0, 0, 1],
        ["a", "a", "b", "b", "c"],
        sources=["a1.mp4", "a2.mp4", "b1.mp4", "b2.mp4", "c.mp4"],
    )
    videos = video_level(clips)
    assert list(videos.video_ids) == ["a", "b", "c"]
    assert list(videos.labels) == [0, 0, 1]
    assert videos.sources is not None
    assert list(videos.sources) == ["a1.mp4", "b1.mp4", "c.mp4"]
    np.testing.assert_allclose(videos.scores, [[0.55, 0.45], [0.3, 0.7], [0.3, 0.7]])
    assert list(videos.predicted) == [0, 1, 1]
    assert topk_accuracy(clips.scores, clips.labels, 1) == 3 / 5
    assert topk_accuracy(videos.scores, videos.labels, 1) == 2 / 3


def test_video_level_keeps_videos_in_order_of_first_clip() -> None:
    scores = np.full((4, 2), 0.5)
    clips = _predictions(scores, [1, 0, 1, 0], ["z", "a", "z", "a"])
    assert list(video_level(clips).video_ids) == ["z", "a"]
    videos = video_level(clips)
    assert list(video_level(videos).video_ids) == ["z", "a"]  # idempotent


def test_video_level_rejects_clips_of_one_video_with_different_labels() -> None:
    clips = _predictions(np.full((2, 2), 0.5), [0, 1], ["dive_7", "dive_7"])
    with pytest.raises(ValueError, match="dive_7"):
        video_level(clips)


def test_confusion_matrix_counts_true_rows_against_predicted_columns() -> None:
    labels = [0, 0, 0, 1, 1, 2]
    preds = [0, 0, 1, 1, 2, 2]
    counts = confusion_matrix(labels, preds, 4)
    expected = [[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    np.testing.assert_array_equal(counts, expected)
    assert counts.sum() == len(labels)
    normalized = normalize_confusion(counts)
    expected_rows = np.array([[2 / 3, 1 / 3, 0, 0], [0, 0.5, 0.5, 0], [0, 0, 1, 0]])
    np.testing.assert_allclose(normalized[:3], expected_rows)
    assert np.isnan(normalized[3]).all()  # class 3 has no samples


def test_classification_report_matches_hand_computed_values() -> None:
    labels = [0, 0, 0, 1, 1, 2]
    preds = [0, 0, 1, 1, 2, 2]
    report = classification_report(labels, preds, ["pike", "tuck", "free"])
    assert list(report.index) == ["pike", "tuck", "free", "macro avg", "weighted avg"]
    assert list(report.columns) == ["precision", "recall", "f1", "support"]
    # pike: TP 2 of 2 predicted and 3 true.  tuck: TP 1 of 2 and 2.  free: TP 1 of 2 and 1.
    expected = {
        "pike": (1.0, 2 / 3, 0.8, 3),
        "tuck": (0.5, 0.5, 0.5, 2),
        "free": (0.5, 1.0, 2 / 3, 1),
        "macro avg": (2 / 3, 13 / 18, (0.8 + 0.5 + 2 / 3) / 3, 6),
        "weighted avg": (4.5 / 6, 4 / 6, (3 * 0.8 + 2 * 0.5 + 2 / 3) / 6, 6),
    }
    for name, (precision, recall, f1, support) in expected.items():
        row = report.loc[name]
        assert row["precision"] == pytest.approx(precision)
        assert row["recall"] == pytest.approx(recall)
        assert row["f1"] == pytest.approx(f1)
        assert row["support"] == support
    assert report["support"].dtype == np.int64
    # Weighted recall is plain accuracy.
    assert report.loc["weighted avg", "recall"] == pytest.approx(4 / 6)


def test_classification_report_marks_undefined_ratios_nan_and_averages_skip_them() -> None:
    labels = [0, 0, 1, 1]
    preds = [0, 0, 0, 3]  # class 1 is never predicted; class 2 is absent; class 3 only predicted
    report = classification_report(labels, preds, ["a", "b", "c", "d"])
    assert report.loc[["b"], "precision"].isna().all()
    assert report.loc["b", "recall"] == 0.0
    assert report.loc["b", "f1"] == 0.0
    assert report.loc["c"][["precision", "recall", "f1"]].isna().all()
    assert report.loc["d", "precision"] == 0.0
    assert report.loc[["d"], "recall"].isna().all()
    assert report.loc["d", "f1"] == 0.0
    # Macro recall over the present classes a (1.0) and b (0.0) only.
    assert report.loc["macro avg", "recall"] == 0.5
    # Macro precision over a (2/3) and d (0.0); b and c have none.
    assert report.loc["macro avg", "precision"] == pytest.approx(1 / 3)
    assert report.loc["macro avg", "f1"] == pytest.approx((0.8 + 0 + 0) / 3)


def test_mean_class_accuracy_weighs_every_class_the_same() -> None:
    labels = [0] * 8 + [1] * 2
    preds = [0] * 10  # always the majority class
    assert topk_accuracy(np.eye(2)[preds], labels, 1) == 0.8
    assert mean_class_accuracy(labels, preds, 2) == 0.5  # (8/8 + 0/2) / 2
    # A third class with no samples is left out, not counted as 0.
    assert mean_class_accuracy(labels, preds, 3) == 0.5


def test_misclassified_lists_wrong_videos_most_confident_first() -> None:
    scores = [
        [0.6, 0.3, 0.1],  # v0: right
        [0.2, 0.7, 0.1],  # v1: true 0, predicted 1 at 0.7
        [0.1, 0.1, 0.8],  # v2: true 1, predicted 2 at 0.8
        [0.1, 0.5, 0.4],  # v3 clip 1
        [0.1, 0.3, 0.6],  # v3 clip 2: mean [0.1, 0.4, 0.5], true 1, predicted 2 at 0.5
        [0.4, 0.3, 0.3],  # v4: true 2, predicted 0 at 0.4
    ]
    predictions = _predictions(
        scores,
        [0, 0, 1, 1, 1, 2],
        ["v0", "v1", "v2", "v3", "v3", "v4"],
        sources=["v0.mp4", "v1.mp4", "v2.mp4", "v3a.mp4", "v3b.mp4", "v4.mp4"],
    )
    wrong = misclassified(predictions)
    assert list(wrong.columns) == [
        "video_id",
        "source",
        "true_label",
        "predicted_label",
        "predicted_score",
        "true_score",
    ]
    assert list(wrong["video_id"]) == ["v2", "v1", "v3", "v4"]
    assert list(wrong["source"]) == ["v2.mp4", "v1.mp4", "v3a.mp4", "v4.mp4"]
    assert list(wrong["true_label"]) == ["c1", "c0", "c1", "c2"]
    assert list(wrong["predicted_label"]) == ["c2", "c1", "c2", "c0"]
    np.testing.assert_allclose(wrong["predicted_score"], [0.8, 0.7, 0.5, 0.4])
    np.testing.assert_allclose(wrong["true_score"], [0.1, 0.2, 0.4, 0.3])
    assert list(misclassified(predictions, top=2)["video_id"]) == ["v2", "v1"]


def test_misclassified_without_sources_or_mistakes() -> None:
    right = _predictions(np.eye(3), [0, 1, 2])
    assert misclassified(right).empty
    wrong = misclassified(_predictions(np.eye(3)[[1, 1, 2]], [0, 1, 2]))
    assert list(wrong["video_id"]) == ["v0"]
    assert wrong["source"].isna().all()


def test_summarize_reports_clip_and_video_levels_as_json() -> None:
    scores = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.0, 1.0], [0.3, 0.7]]
    clips = _predictions(scores, [0, 0, 0, 0, 1], ["a", "a", "b", "b", "c"])
    summary = summarize(clips)
    assert summary == {
        "num_classes": 2,
        "num_clips": 5,
        "num_videos": 3,
        "topk": 2,  # fewer than 5 classes: top-K
        "clip_acc1": 3 / 5,
        "clip_acc_topk": 1.0,
        "clip_mean_class_acc": (2 / 4 + 1 / 1) / 2,
        "video_acc1": 2 / 3,
        "video_acc_topk": 1.0,
        "video_mean_class_acc": (1 / 2 + 1 / 1) / 2,
    }
    assert json.loads(json.dumps(summary)) == summary


def test_summarize_uses_top5_with_five_or_more_classes() -> None:
    summary = summarize(_predictions(RANKED_SCORES, RANKED_LABELS))
    assert summary["topk"] == 5
    assert summary["clip_acc_topk"] == summary["video_acc_topk"] == 0.75
    assert summary["clip_acc1"] == 0.25


def test_empty_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        _predictions(np.zeros((0, 3)), [])
    with pytest.raises(ValueError, match="non-empty"):
        topk_accuracy(np.zeros((0, 3)), [], 1)
    with pytest.raises(ValueError, match="non-empty"):
        confusion_matrix([], [], 3)


def test_predictions_validate_their_columns() -> None:
    with pytest.raises(ValueError, match="softmax"):
        _predictions([[2.0, -1.0], [0.5, 3.0]], [0, 1])  # logits, not probabilities
    with pytest.raises(ValueError, match=r"\[0, 2\), got 2"):
        _predictions(np.eye(2), [0, 2])
    with pytest.raises(ValueError, match="video_ids must have shape"):
        _predictions(np.eye(2), [0, 1], ["a"])
    with pytest.raises(ValueError, match="2 class names"):
        Predictions(np.eye(3), np.arange(3), np.arange(3), ["a", "b"])
    with pytest.raises(ValueError, match="repeat"):
        Predictions(np.eye(2), np.arange(2), np.arange(2), ["a", "a"])
    with pytest.raises(ValueError, match="integer"):
        Predictions(np.eye(2), np.array([0.0, 1.0]), np.arange(2), ["a", "b"])


def test_predictions_copy_and_freeze_their_arrays() -> None:
    scores = np.eye(2)
    predictions = Predictions(scores, np.arange(2), np.arange(2), ["a", "b"])
    scores[0, 0] = 0.0  # the caller's array stays theirs and writable
    assert predictions.scores[0, 0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        predictions.scores[0, 0] = 0.5
    assert len(predictions) == 2
    assert predictions.num_classes == 2
    assert predictions.class_names == ("a", "b")
