"""The ``vitpose`` backend: ViTPose (transformers) on the person an object detector finds.

Top-down, as in the ViTPose paper: a detector (RT-DETR by default) boxes the people in a frame,
the highest-scoring person box is cropped and ViTPose predicts its 17 COCO keypoints; for every
person (:func:`extract_vitpose_people`) each box above the threshold is, and the keypoint tracker
follows them. With no
detector, the whole frame is the box (for clips cropped to one athlete). Models load with
``from_pretrained`` from a hub id or a local folder; with no network and no local copy the
loader fails at once and says what to download.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sportslens.hub import HubModelMissingError, load_from_hub
from sportslens.pose.keypoints import MIN_DETECTED_SCORE, Keypoints
from sportslens.pose.people import People
from sportslens.progress import progress_bar
from sportslens.video import Source, describe_source, iter_frames, probe

if TYPE_CHECKING:
    from sportslens.pose.tracking import TrackerConfig

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


def extract_vitpose_people(
    source: Source,
    settings: VitPoseSettings,
    *,
    progress: bool = False,
    tracker: TrackerConfig | None = None,
) -> People:
    """COCO-17 keypoints of every person box above ``settings.detection_threshold`` in every
    frame, followed over the video by the keypoint tracker (:mod:`sportslens.pose.tracking`)."""
    import torch

    from sportslens.pose.tracking import Tracker

    models = load_vitpose(settings)
    info = probe(source)
    follow = Tracker(info.fps, tracker)
    name = describe_source(source)
    with progress_bar(enabled=progress) as bar, torch.inference_mode():
        task = bar.add_task(f"pose {Path(name).name}", total=info.num_frames)
        for indices, frames in _batches(iter_frames(source), settings.batch_size):
            for index, (points, scores) in zip(
                indices, frame_people(models, frames, settings.detection_threshold), strict=True
            ):
                follow.update(index, points, scores)
            bar.advance(task, len(indices))
    return follow.people(info.num_frames, "coco17", info.fps, (info.width, info.height), name)


def frame_people(
    models: _Models, frames: list[NDArray[Any]], threshold: float
) -> list[tuple[NDArray[np.float32], NDArray[np.float32]]]:
    """Per frame, the keypoints (N, 17, 2) and scores (N, 17) of its N person boxes."""
    import torch

    with torch.inference_mode():
        boxes = _all_person_boxes(models, frames, threshold)
        found = [i for i, frame_boxes in enumerate(boxes) if frame_boxes]
        answers = [(np.zeros((0, 17, 2), np.float32), np.zeros((0, 17), np.float32))] * len(frames)
        if not found:
            return answers
        points, scores = _estimate_boxes(
            models, [frames[i] for i in found], [boxes[i] for i in found]
        )
    for i, xy, score in zip(found, points, scores, strict=True):
        answers[i] = (xy, np.clip(score, MIN_DETECTED_SCORE, 1.0).astype(np.float32))
    return answers


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
    return [boxes[0] if boxes else None for boxes in _all_person_boxes(models, frames, threshold)]


def _all_person_boxes(
    models: _Models, frames: list[NDArray[Any]], threshold: float
) -> list[list[list[float]]]:
    """Every person box of each frame scoring at least ``threshold``, best first, as COCO
    ``[x, y, width, height]``; with no detector, the whole frame."""
    detector, processor = models.detector, models.detector_processor
    if detector is None or processor is None:
        return [[[0.0, 0.0, float(f.shape[1]), float(f.shape[0])]] for f in frames]
    inputs = processor(images=frames, return_tensors="pt").to(models.device)
    outputs = detector(**inputs)
    sizes = [(f.shape[0], f.shape[1]) for f in frames]
    results = processor.post_process_object_detection(
        outputs, target_sizes=sizes, threshold=threshold
    )
    boxes: list[list[list[float]]] = []
    for result in results:
        people = (result["labels"] == models.person_label).nonzero().flatten().tolist()
        people.sort(key=lambda i: -float(result["scores"][i]))
        frame_boxes = []
        for i in people:
            x0, y0, x1, y1 = (float(v) for v in result["boxes"][i])
            frame_boxes.append([x0, y0, x1 - x0, y1 - y0])
        boxes.append(frame_boxes)
    return boxes


def _estimate(
    models: _Models, frames: list[NDArray[Any]], boxes: list[list[float] | None]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Keypoints (n, 17, 2) in frame pixels and scores (n, 17) for one box per frame."""
    points, scores = _estimate_boxes(models, frames, [[box] for box in boxes if box is not None])
    return np.stack([p[0] for p in points]), np.stack([s[0] for s in scores])


def _estimate_boxes(
    models: _Models, frames: list[NDArray[Any]], boxes: list[list[list[float]]]
) -> tuple[list[NDArray[np.float32]], list[NDArray[np.float32]]]:
    """Per frame, keypoints (N, 17, 2) in frame pixels and scores (N, 17) for its N boxes."""
    import torch

    inputs = models.pose_processor(images=frames, boxes=boxes, return_tensors="pt")
    pixels = inputs["pixel_values"].to(models.device)  # (sum N, 3, h, w): every box's crop
    extra: dict[str, Any] = {}
    if getattr(models.pose.config.backbone_config, "num_experts", 1) > 1:
        # ViTPose+ has one head per training dataset; index 0 is COCO.
        extra["dataset_index"] = torch.zeros(len(pixels), dtype=torch.long, device=models.device)
    outputs = models.pose(pixel_values=pixels, **extra)
    if outputs.heatmaps.shape[1] != 17:
        raise ValueError(
            f"the ViTPose model predicts {outputs.heatmaps.shape[1]} keypoints; sportslens "
            "reads COCO-17 models only"
        )
    results = models.pose_processor.post_process_pose_estimation(outputs, boxes=boxes)
    points = [
        np.stack([p["keypoints"].cpu().numpy() for p in r]).astype(np.float32) for r in results
    ]
    scores = [np.stack([p["scores"].cpu().numpy() for p in r]).astype(np.float32) for r in results]
    return points, scores  # each (N, 17, 2) and (N, 17)


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
