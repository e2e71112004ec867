"""Softmax scores of a model over a loader: what validation and evaluation both run."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch.utils.data import DataLoader

from sportslens.models import VideoClassifier
from sportslens.models.heads import HeadsRecorder
from sportslens.progress import progress_bar


@torch.no_grad()
def predict_loader(
    model: VideoClassifier,
    loader: DataLoader[Any],
    device: torch.device,
    *,
    progress: bool = False,
    recorder: HeadsRecorder | None = None,
) -> dict[str, NDArray[Any]]:
    """Softmax scores for every item: ``scores`` (N, V, K), ``labels`` (N,), ``records`` (N,).

    V is the number of views per video (1 unless the dataset returns several). A ``recorder``
    is fed the extra heads' probabilities, views averaged, from the same forward passes.
    """
    model.eval()
    scores, labels, records = [], [], []
    with progress_bar(enabled=progress) as bar:
        task = bar.add_task("evaluating", total=len(loader))
        for batch in loader:
            clips = batch.clip.to(device)
            # (B, V, C, T, H, W) with several views per video, else (B, C, T, H, W); keypoint
            # clips (B, C, T, V, M) have as many axes as one video view.
            views = clips.shape[1] if clips.ndim == 6 else 1
            flat = clips.flatten(0, 1) if clips.ndim == 6 else clips
            outputs = model.forward_heads(flat) if recorder else {"class": model(flat)}
            probs = {  # (B, V, values) each; "class" (B, V, K)
                name: logits.float().softmax(dim=1).reshape(len(batch.label), views, -1)
                for name, logits in outputs.items()
            }
            scores.append(probs.pop("class").cpu().numpy())
            if recorder is not None:
                recorder.add({k: v.mean(dim=1).cpu() for k, v in probs.items()}, batch.label)
            labels.append(batch.label.numpy())
            records.append(batch.record.numpy())
            bar.advance(task)
    return {
        "scores": np.concatenate(scores),
        "labels": np.concatenate(labels),
        "records": np.concatenate(records),
    }
