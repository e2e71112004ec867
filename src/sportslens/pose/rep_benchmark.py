"""How well repetition counting matches the synthetic athletes' true repetition counts.

Every synthetic athlete's ``.npz`` holds its true ``reps``; counting on its ground-truth
keypoints (optionally with Gaussian pixel noise, as a pose estimator would add) measures the
counter alone, without pose-estimation errors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from sportslens.pose.form import analyze_form
from sportslens.pose.keypoints import load_keypoints


def _true_reps(path: Path) -> int:
    with np.load(path) as data:
        if "reps" not in data.files:
            raise ValueError(f"{path}: no 'reps' array; expected a synthetic athlete's .npz")
        return int(data["reps"])


def benchmark_repetitions(
    clips: Iterable[tuple[str, str]],
    *,
    use_exercise: bool = False,
    noise_px: float = 0.0,
    rng: np.random.Generator | None = None,
) -> dict[str, Any]:
    """Exact-count rate, within-one rate and mean absolute count error over ``clips``: (keypoint
    file, label) pairs, such as the records of a synthetic dataset's keypoint catalog.

    ``use_exercise`` counts on each class's own signal (the clip's label as ``--exercise``)
    instead of choosing one; ``noise_px`` adds Gaussian noise of that many pixels to every
    keypoint, drawn from ``rng``. Returns overall and per-class figures.
    """
    rng = rng or np.random.default_rng(0)
    errors: dict[str, list[int]] = defaultdict(list)
    for source, label in clips:
        kp = load_keypoints(source)
        if noise_px > 0:
            noise = rng.normal(0.0, noise_px, kp.keypoints.shape).astype(np.float32)
            kp = replace(kp, keypoints=kp.keypoints + noise)
        exercise = label if use_exercise else None
        counted = analyze_form(kp, exercise).repetitions.count
        errors[label].append(counted - _true_reps(Path(source)))
    every = np.concatenate([np.asarray(e) for e in errors.values()])  # (N,)
    return {
        "clips": int(every.size),
        "exact_rate": float((every == 0).mean()),
        "within_one_rate": float((np.abs(every) <= 1).mean()),
        "mean_abs_error": float(np.abs(every).mean()),
        "per_class": {
            label: {
                "clips": len(e),
                "exact_rate": float(np.mean(np.asarray(e) == 0)),
                "within_one_rate": float(np.mean(np.abs(e) <= 1)),
                "mean_abs_error": float(np.abs(e).mean()),
            }
            for label, e in sorted(errors.items())
        },
    }
