"""The annotated video of a timeline per person: each person drawn in their track's colour with
their current action label and its score beside their track id, above their head.

It is the people overlay (:func:`sportslens.pose.people_overlay.draw_people`) with each track's
``#<id>`` label extended by what that person's lane says at the frame, read the way the
single-person overlay reads its timeline (:func:`sportslens.timeline.overlay.label_at`). The
video is decoded once, frame by frame, and written atomically (:func:`write_drawn`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.layouts import layout_edges
from sportslens.pose.overlay import write_drawn
from sportslens.pose.people import People
from sportslens.pose.people_overlay import draw_people
from sportslens.timeline.build import Timeline
from sportslens.timeline.lanes import TimelineLanes
from sportslens.timeline.overlay import label_at, shown_scores
from sportslens.video import Source


def write_lanes_overlay(
    lanes: TimelineLanes, source: Source, path: str | os.PathLike[str], *, progress: bool = False
) -> Path:
    """Write ``source`` with every lane's person and current label drawn; returns the path."""
    people = lanes_people(lanes)
    edges = layout_edges(people.layout)
    shown = [shown_scores(lane) for lane in lanes.lanes]  # per lane: label -> (W,) scores

    def draw(frame: NDArray[Any], index: int, scale: NDArray[np.float32]) -> NDArray[np.uint8]:
        seconds = index / people.fps
        texts = [
            lane_text(track_id, lane, scores, seconds)
            for track_id, lane, scores in zip(lanes.track_ids, lanes.lanes, shown, strict=True)
        ]
        points = people.keypoints[index] * scale  # (P, V, 2) in this frame's pixels
        return draw_people(
            frame, points, people.scores[index], people.track_ids, edges,
            frame_number=index, labels=texts,
        )  # fmt: skip

    return write_drawn(source, people, path, draw, progress=progress)


def lane_text(track_id: int, lane: Timeline, shown: dict[str, NDArray[Any]], seconds: float) -> str:
    """``#<id> <label> <score>`` in an action segment; ``#<id>`` alone in background, as the
    people overlay labels a person (a label per person on every frame would hide the scene)."""
    segment, score = label_at(lane, shown, seconds)
    return f"#{track_id}" if segment.background else f"#{track_id} {segment.label} {score:.2f}"


def lanes_people(lanes: TimelineLanes) -> People:
    """The lanes' keypoints as one :class:`People`: (T, P, V, 2), P in lane order."""
    if not lanes.lanes:
        raise ValueError(f"{lanes.source}: nobody found, so nobody to draw")
    kps = [lane.keypoints for lane in lanes.lanes if lane.keypoints is not None]
    if len(kps) != len(lanes.lanes):
        raise ValueError("the per-person overlay needs a skeleton model's lanes (keypoints)")
    first = kps[0]
    return People(
        np.stack([kp.keypoints for kp in kps], axis=1),  # (T, P, V, 2) pixels
        np.stack([kp.scores for kp in kps], axis=1),  # (T, P, V)
        np.asarray(lanes.track_ids, dtype=np.int64),
        first.layout, first.fps, first.size, first.source,
    )  # fmt: skip
