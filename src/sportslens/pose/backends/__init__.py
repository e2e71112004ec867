"""Pose backends behind one function: :func:`extract_keypoints`.

* ``mediapipe`` — MediaPipe 0.10.21's bundled BlazePose (offline; the default).
* ``vitpose`` — ViTPose through transformers, with an RT-DETR person detector (needs weights).
* ``blazepose-multi`` — every person: MediaPipe's detector and landmark models run standalone
  in LiteRT, followed and tracked (offline; :func:`extract_people` keeps them all).
* ``import`` — keypoints another tool wrote (``.npz``, ``.json`` or ``.csv``).

Every backend returns one :class:`~sportslens.pose.keypoints.Keypoints` with a row per video
frame; frames with no person have scores 0. :func:`extract_people` returns every tracked person
(:class:`~sportslens.pose.people.People`); the single-person backends give one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.backends.imported import import_keypoints
from sportslens.pose.backends.vitpose import ModelUnavailableError, VitPoseSettings
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.people import People, PeopleChoice, load_people
from sportslens.video import Source, describe_source, probe

Backend = Literal["mediapipe", "vitpose", "blazepose-multi", "import"]
Layout = Literal["coco17", "blazepose33"]

BACKENDS: tuple[Backend, ...] = ("mediapipe", "vitpose", "blazepose-multi", "import")


def extract_keypoints(
    source: Source,
    backend: Backend = "mediapipe",
    *,
    layout: Layout = "coco17",
    vitpose: VitPoseSettings | None = None,
    import_from: str | os.PathLike[str] | None = None,
    progress: bool = False,
    on_frame: Callable[[int, NDArray[np.uint8]], None] | None = None,
) -> Keypoints:
    """Body keypoints of the main person in every frame of the video ``source``.

    ``layout`` is the layout returned: COCO-17 by default, so files from every backend (and the
    synthetic athletes' ground truth) share one layout; MediaPipe alone can also return its
    full 33 landmarks. ``vitpose`` configures that backend (default: the hub models);
    ``import_from`` is the keypoint file the ``import`` backend reads, with fps and size taken
    from the video. Frames are decoded one at a time; ``on_frame(index, frame)`` sees each
    (mediapipe only: the other backends refuse it, and the caller decodes for itself).
    """
    if on_frame is not None and backend != "mediapipe":
        raise ValueError(f"on_frame is for the mediapipe backend, not {backend!r}")
    match backend:
        case "mediapipe":
            from sportslens.pose.backends.mediapipe import extract_mediapipe

            kp = extract_mediapipe(source, progress=progress, on_frame=on_frame)
        case "vitpose":
            from sportslens.pose.backends.vitpose import extract_vitpose

            _require_coco(layout, "vitpose")
            kp = extract_vitpose(source, vitpose or VitPoseSettings(), progress=progress)
        case "blazepose-multi":
            return extract_people(source, backend, layout=layout, progress=progress).person(0)
        case "import":
            if import_from is None:
                raise ValueError("the import backend needs the keypoint file to read (import_from)")
            info = probe(source)
            kp = import_keypoints(
                import_from,
                fps=info.fps,
                size=(info.width, info.height),
                source=describe_source(source),
                num_frames=info.num_frames,
            )
        case _:
            raise ValueError(f"unknown pose backend {backend!r}; expected one of {BACKENDS}")
    if layout == kp.layout:
        return kp
    if layout == "coco17":
        return kp.to_coco17()
    raise ValueError(f"the {backend} backend gives {kp.layout} keypoints, not {layout}")


def extract_people(
    source: Source,
    backend: Backend = "blazepose-multi",
    *,
    layout: Layout = "coco17",
    people: PeopleChoice = "largest",
    vitpose: VitPoseSettings | None = None,
    import_from: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> People:
    """Every tracked person of ``source`` (``blazepose-multi``, or ``vitpose`` with each person
    box; the other backends give one person), then ``people`` of them: ``"all"``, the N seen
    largest or the ``"largest"`` (for vitpose: its best box per frame, as before).

    With ``"largest"`` and no person found, the answer is one person with scores 0 in every
    frame, as :func:`extract_keypoints` gives.
    """
    if backend == "import" and import_from is not None and _holds_people(import_from):
        found = load_people(import_from)
        frames = probe(source).num_frames
        if found.num_frames != frames:
            raise ValueError(
                f"{import_from}: {found.num_frames} keypoint frames for a video of {frames}"
            )
        return found.select(people) if found.num_people else found
    if backend == "vitpose" and people != "largest":
        from sportslens.pose.backends.vitpose import extract_vitpose_people

        _require_coco(layout, "vitpose")
        found = extract_vitpose_people(source, vitpose or VitPoseSettings(), progress=progress)
        return found.select(people) if found.num_people else found
    if backend != "blazepose-multi":
        kp = extract_keypoints(
            source, backend, layout=layout, vitpose=vitpose, import_from=import_from,
            progress=progress,
        )  # fmt: skip
        return People.of(kp)
    from sportslens.pose.backends.blazepose_multi import extract_blazepose_multi

    found = extract_blazepose_multi(source, progress=progress)
    found = found if layout == "blazepose33" else found.to_coco17()
    if found.num_people == 0 and people == "largest":
        shape = (found.num_frames, found.keypoints.shape[2])
        empty = np.zeros(shape, np.float32)
        kp = Keypoints(
            np.zeros((*shape, 2), np.float32), empty, found.layout, found.fps, found.size,
            found.source,
        )  # fmt: skip
        return People.of(kp)
    return found.select(people) if found.num_people else found


def _holds_people(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a version 2 keypoint file (several people), not another tool's."""
    if not str(path).lower().endswith(".npz"):
        return False
    with np.load(path, allow_pickle=False) as data:
        return "version" in data and int(data["version"]) >= 2


def _require_coco(layout: str, backend: str) -> None:
    if layout != "coco17":
        raise ValueError(f"the {backend} backend gives coco17 keypoints only, not {layout}")


__all__ = [
    "BACKENDS",
    "Backend",
    "Layout",
    "ModelUnavailableError",
    "VitPoseSettings",
    "extract_keypoints",
    "extract_people",
    "import_keypoints",
]
