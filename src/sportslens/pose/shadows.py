"""Second skeletons fitted to one body, found once the video is done.

A backend that follows several regions can fit a second skeleton onto a body it already
follows: on a bent-over lifter, a detection on part of the body starts a region whose
landmarks lie scattered over that same body, too far from the first skeleton's to be merged
with it (`blazepose-multi` on a real deadlift clip gave one lifter four tracks). Frame by frame
such a *shadow* cannot be told from someone standing just behind the lifter. Over the whole
video it can: a shadow comes and goes while its host stays (it is there almost only while the
host is, and for at most half as long), and its joints' box lies inside the host's most of
that time. A person walking behind someone is inside their box only while passing; a spotter
behind a lifter for the whole set is there about as long as the lifter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.pose.crossings import History

__all__ = ["Corners", "ShadowSettings", "find_shadows"]

Corners = Callable[[History, int], NDArray[Any]]
"""(history, frame) -> the joints' box (x0, y0, x1, y1) at that frame."""


@dataclass(frozen=True)
class ShadowSettings:
    """When a track is a second skeleton on another track's body."""

    inside: float = 0.8
    """The median fraction of the track's box area inside the other's, over their shared
    frames (a real deadlift's shadows: 0.84-0.96; on 40 synthetic crowds two tracks reached
    it, and IDF1 stayed the same or rose without them)."""
    shared: float = 0.9
    """The fraction of the track's frames the other (longer) track must be in too."""
    longest: float = 0.5
    """A shadow is seen in at most this fraction of as many frames as its host (the real
    deadlift's shadows: 2-17 %)."""


def find_shadows(histories: list[History], corners: Corners, settings: ShadowSettings) -> set[int]:
    """Indices of the tracks that are shadows of a longer track that is not one itself."""
    boxes = [{frame: corners(h, frame) for frame in h} for h in histories]  # each box once
    order = sorted(range(len(histories)), key=lambda i: (-len(histories[i]), i))
    shadows: set[int] = set()
    for rank, track in enumerate(order):
        hosts = (other for other in order[:rank] if other not in shadows)
        if any(_is_shadow(boxes[track], boxes[host], settings) for host in hosts):
            shadows.add(track)
    return shadows


def _is_shadow(
    track: dict[int, NDArray[Any]], host: dict[int, NDArray[Any]], settings: ShadowSettings
) -> bool:
    """Whether ``track``'s boxes (frame -> (4,)) are mostly inside ``host``'s while both are
    there, and ``host`` is there for nearly all of ``track``'s frames and many more."""
    if not track or len(track) > settings.longest * len(host):
        return False
    shared = [frame for frame in track if frame in host]
    if len(shared) < settings.shared * len(track):
        return False
    mine = np.array([track[f] for f in shared], np.float64)  # (S, 4)
    theirs = np.array([host[f] for f in shared], np.float64)  # (S, 4)
    overlap = np.clip(
        np.minimum(mine[:, 2:], theirs[:, 2:]) - np.maximum(mine[:, :2], theirs[:, :2]), 0, None
    )
    area = np.prod(mine[:, 2:] - mine[:, :2], axis=1)  # (S,)
    inside = np.prod(overlap, axis=1) / np.maximum(area, 1e-9)  # (S,) fraction of mine
    return bool(np.median(inside) >= settings.inside)
