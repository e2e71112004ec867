"""Resuming a training run: check that it is the same run, restore its state, reconcile ``best``.

``fit(..., resume=True)`` continues from ``RUN/last``. The model, its build options, the class
names and the heads must be the ones the run was made with: anything else is a new run, and
:class:`~sportslens.checkpoint.CheckpointError` says so instead of a tensor-size traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from sportslens import distributed as dist
from sportslens.checkpoint import (
    CONFIG_FILE,
    CheckpointError,
    CheckpointInfo,
    load_training_state,
    load_weights,
    read_info,
    resolve_checkpoint,
)
from sportslens.models import VideoClassifier

if TYPE_CHECKING:
    from sportslens.train import Trainer


def restore_run(
    run_dir: Path, trainer: Trainer, model: VideoClassifier, info: CheckpointInfo
) -> tuple[int, float, list[dict[str, float]]]:
    """Restore model, optimiser, scheduler, scaler and RNG from ``run_dir/last``.

    Returns the epoch to start from, the best validation top-1 so far and the history. ``info``
    describes the model about to train; it must match the run's own checkpoint.
    """
    folder = resolve_checkpoint(run_dir / "last")
    check_same_run(read_info(folder), info, folder)
    state = load_training_state(folder)
    load_weights(model, folder, trainer.device, made_as=f"the {info.model} model of this run")
    trainer.optimizer.load_state_dict(state["optimizer"])
    trainer.scheduler.load_state_dict(state["scheduler"])
    trainer.scaler.load_state_dict(state["scaler"])
    torch.set_rng_state(state["torch_rng"])
    history = list(state["history"])
    # metrics.jsonl may hold epochs written after the checkpoint: keep only the checkpoint's.
    if dist.is_main():
        lines = [json.dumps(row) for row in history]
        (run_dir / "metrics.jsonl").write_text("".join(line + "\n" for line in lines))
    # best/ is written before last/ records its score, so a kill between the two leaves best/
    # ahead of last/: keep best/'s score, or a rerun of that epoch that scores lower on a
    # non-deterministic GPU would let a worse epoch replace it.
    best = max(float(state["best"]), saved_best_score(run_dir))
    return int(state["epoch"]), best, history


def saved_best_score(run_dir: Path) -> float:
    """The validation top-1 that ``run_dir/best`` was saved with; -1 when there is none yet."""
    try:
        folder = resolve_checkpoint(run_dir / "best")
    except CheckpointError:  # no best/ yet
        return -1.0
    try:
        info = read_info(folder)
    except CheckpointError as error:
        raise CheckpointError(f"{error}; to resume without it, delete {folder}") from error
    return float(info.metrics.get("val_acc1", -1.0))


def check_same_run(made: CheckpointInfo, now: CheckpointInfo, folder: Path) -> None:
    """Refuse to resume the run whose checkpoint ``folder`` holds ``made`` as ``now``."""
    run = folder.parent
    advice = (
        f"resume with the options the run was made with (train_config in {folder / CONFIG_FILE}),"
        " or give another --out to start a new run"
    )
    if made.model != now.model:
        raise CheckpointError(
            f"{run}: this run was made with model {made.model} and cannot resume as model "
            f"{now.model}; {advice}"
        )
    shared = sorted(made.build_kwargs.keys() & now.build_kwargs.keys())
    changed = [k for k in shared if _plain(made.build_kwargs[k]) != _plain(now.build_kwargs[k])]
    if changed:
        before = ", ".join(f"{k}={made.build_kwargs[k]!r}" for k in changed)
        after = ", ".join(f"{k}={now.build_kwargs[k]!r}" for k in changed)
        raise CheckpointError(
            f"{run}: this run was made with {made.model} {before} and cannot resume with "
            f"{after}; {advice}"
        )
    if list(made.classes) != list(now.classes):
        raise CheckpointError(
            f"{run}: this run was trained on the classes {made.classes}, but the data now gives "
            f"{now.classes}; {advice}"
        )
    if made.heads != now.heads:
        heads = "attributes" if made.heads else "class"
        raise CheckpointError(f"{run}: this run was made with heads: {heads}; {advice}")


def _plain(value: Any) -> Any:
    """A build option as config.json stores it (tuples become lists), to compare like with like."""
    return json.loads(json.dumps(value, default=str))
