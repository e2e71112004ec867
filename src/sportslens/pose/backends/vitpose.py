"""The ``vitpose`` backend: ViTPose (transformers) on the person an object detector finds.

Top-down, as in the ViTPose paper: a detector (RT-DETR by default) boxes the people in a frame,
the highest-scoring person box is cropped and ViTPose predicts its 17 COCO keypoints. With no
detector, the whole frame is the box (for clips cropped to one athlete). Models load with
``from_pretrained`` from a hub id or a local folder; with no network and no local copy the
loader fails at once and says what to download.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.hub import HubModelMissingError, load_from_hub
from sportslens.pose.keypoints import MIN_DETECTED_SCORE, Keypoints
from sportslens.progress import progress_bar
from sportslens.video import Source, describe_source, iter_frames, probe

DEFAULT_POSE_MODEL = "usyd-community/vitpose-base-simple"
"""ViTPose-B trained on COCO (the "simple" decoder), the model the reference project used."""

DEFAULT_DETECTOR = "PekingU/rtdetr_r50vd_coco_o365"
"""RT-DETR R50, COCO classes (person is class 0), as in the transformers ViTPose example."""


ModelUnavailableError = HubModelMissingError
"""A model is neither in a local folder, nor in the hub cache, nor downloadable now."""


@dataclass(frozen=True)
class VitPoseSettings:
    """Which models the vitpose backend loads and how it runs them."""

    model: str = DEFAULT_POSE_MODEL  # hub id or local folder
    detector: str | None = DEFAULT_DETECTOR  # hub id or local folder; None: whole-frame box
    device: str = "auto"  # "auto": CUDA when available, else CPU
    batch_size: int = 8  # frames per forward pass
    detection_threshold: float = 0.3  # person boxes scoring below this are ignored


@dataclass(frozen=True)
class _Models:
    pose: Any
    pose_processor: Any
    detector: Any | None
    detector_processor: Any | None
    person_label: int
    device: str


def extract_vitpose(
    source: Source, settings: VitPoseSettings, *, progress: bool = False
) -> Keypoints:
    """COCO-17 keypoints of the highest-scoring person in every frame; no person: scores 0."""
    import torch

    models = load_vitpose(settings)
    info = probe(source)
    keypoints = np.zeros((info.num_frames, 17, 2), dtype=np.float32)  # (T, 17, 2)
    scores = np.zeros((info.num_frames, 17), dtype=np.float32)  # (T, 17)
    name = describe_source(source)
    with progress_bar(enabled=progress) as bar, torch.inference_mode():
        task = bar.add_task(f"pose {Path(name).name}", total=info.num_frames)
        for indices, frames in _batches(iter_frames(source), settings.batch_size):
            boxes = _person_boxes(models, frames, settings.detection_threshold)
            found = [i for i, box in enumerate(boxes) if box is not None]
            if found:
                points, point_scores = _estimate(
                    models, [frames[i] for i in found], [boxes[i] for i in found]
                )
                rows = [indices[i] for i in found]
                keypoints[rows] = points
                scores[rows] = np.clip(point_scores, MIN_DETECTED_SCORE, 1.0)
            bar.advance(task, len(indices))
    return Keypoints(keypoints, scores, "coco17", info.fps, (info.width, info.height), name)


def _batches(
    frames: Iterator[tuple[int, NDArray[Any]]], size: int
) -> Iterator[tuple[list[int], list[NDArray[Any]]]]:
    """Group ``(index, frame)`` pairs into lists of at most ``size``."""
    indices: list[int] = []
    batch: list[NDArray[Any]] = []
    for index, frame in frames:
        indices.append(index)
        batch.append(frame)
        if len(batch) == size:
            yield indices, batch
            indices, batch = [], []
    if batch:
        yield indices, batch


def _person_boxes(
    models: _Models, frames: list[NDArray[Any]], threshold: float
) -> list[list[float] | None]:
    """The best person box of each frame as COCO ``[x, y, width, height]``, or None."""
    detector, processor = models.detector, models.detector_processor
    if detector is None or processor is None:
        return [[0.0, 0.0, float(f.shape[1]), float(f.shape[0])] for f in frames]
    inputs = processor(images=frames, return_tensors="pt").to(models.device)
    outputs = detector(**inputs)
    sizes = [(f.shape[0], f.shape[1]) for f in frames]
    results = processor.post_process_object_detection(
        outputs, target_sizes=sizes, threshold=threshold
    )
    boxes: list[list[float] | None] = []
    for result in results:
        people = result["labels"] == models.person_label
        if not bool(people.any()):
            boxes.append(None)
            continue
        best = int(result["scores"].masked_fill(~people, -1.0).argmax())
        x0, y0, x1, y1 = (float(v) for v in result["boxes"][best])
        boxes.append([x0, y0, x1 - x0, y1 - y0])
    return boxes


def _estimate(
    models: _Models, frames: list[NDArray[Any]], boxes: list[list[float] | None]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Keypoints (n, 17, 2) in frame pixels and scores (n, 17) for one box per frame."""
    import torch

    per_image = [[box] for box in boxes]
    inputs = models.pose_processor(images=frames, boxes=per_image, return_tensors="pt")
    pixels = inputs["pixel_values"].to(models.device)  # (n, 3, h, w)
    extra: dict[str, Any] = {}
    if getattr(models.pose.config.backbone_config, "num_experts", 1) > 1:
        # ViTPose+ has one head per training dataset; index 0 is COCO.
        extra["dataset_index"] = torch.zeros(len(frames), dtype=torch.long, device=models.device)
    outputs = models.pose(pixel_values=pixels, **extra)
    if outputs.heatmaps.shape[1] != 17:
        raise ValueError(
            f"the ViTPose model predicts {outputs.heatmaps.shape[1]} keypoints; sportslens "
            "reads COCO-17 models only"
        )
    results = models.pose_processor.post_process_pose_estimation(outputs, boxes=per_image)
    points = np.stack([r[0]["keypoints"].cpu().numpy() for r in results])  # (n, 17, 2)
    scores = np.stack([r[0]["scores"].cpu().numpy() for r in results])  # (n, 17)
    return points.astype(np.float32), scores.astype(np.float32)


@functools.lru_cache(maxsize=2)
def load_vitpose(settings: VitPoseSettings) -> _Models:
    """Load (once per process) the pose model, the detector and their processors."""
    try:
        import torch
        from transformers import (
            AutoImageProcessor,
            AutoModelForObjectDetection,
            VitPoseForPoseEstimation,
        )
    except ImportError as error:
        raise ImportError(
            "the vitpose backend needs transformers: pip install 'sportslens[hf]'"
        ) from error
    device = settings.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    what, flag = "ViTPose model", "--vitpose-model"
    pose = _from_pretrained(VitPoseForPoseEstimation, settings.model, what, flag)
    pose_processor = _from_pretrained(AutoImageProcessor, settings.model, what, flag)
    detector = detector_processor = None
    person = 0
    if settings.detector is not None:
        what, flag = "person detector", "--detector"
        detector = _from_pretrained(AutoModelForObjectDetection, settings.detector, what, flag)
        detector_processor = _from_pretrained(AutoImageProcessor, settings.detector, what, flag)
        person = _person_label(detector.config.id2label, settings.detector)
        detector = detector.to(device).eval()
    return _Models(
        pose.to(device).eval(), pose_processor, detector, detector_processor, person, device
    )


def _person_label(id2label: dict[int, str], name: str) -> int:
    for index, label in id2label.items():
        if str(label).lower() == "person":
            return int(index)
    raise ValueError(f"the detector {name!r} has no 'person' class among its labels")


def _from_pretrained(loader: Any, name: str, what: str, flag: str) -> Any:
    """``loader.from_pretrained(name)`` from a local folder, the hub cache or the hub.

    Without a local copy and without the hub, this fails at once (transformers would retry for
    about half a minute) with the commands that fetch the weights and the flag that takes them.
    """
    folder = Path(name).expanduser()
    if folder.is_dir():
        return loader.from_pretrained(folder)
    if folder.exists() or name.startswith((".", "/", "~")):
        raise FileNotFoundError(f"{what} {name}: not a folder holding a saved model")
    try:
        return load_from_hub(loader.from_pretrained, name, what=f"the {what} weights", flag=flag)
    except HubModelMissingError as error:
        if flag != "--detector":
            raise
        hint = "Or pass --detector none to use the whole frame."
        raise HubModelMissingError(f"{error} {hint}") from None
