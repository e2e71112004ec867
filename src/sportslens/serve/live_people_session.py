"""``/v1/live?people=all|N``: every person of a live session, each with a track id and a count.

The counting is the CLI's (``sportslens live --people``): each frame goes through
:class:`~sportslens.live_analysis.Everyone` (blazepose-multi one frame at a time, a live
tracker, a :class:`~sportslens.pose.live_counter.LiveCounter` per track); this module only turns
its results into the socket's messages. A ``frame`` message carries ``people``: each person
followed now, with their joints in this frame (all None on a frame they were not detected in),
count, angle and signal. ``repetition`` messages carry the person's ``track_id``; a person the
tracker retires (unseen for a second) sends a ``person`` event with their count, as the CLI's
events do. Repetition times are the frame's index over the session's fps, as the CLI's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.live_analysis import Analysed, Everyone, PeopleFn
from sportslens.live_people import PersonStatus
from sportslens.pose.keypoints import MIN_DETECTED_SCORE
from sportslens.pose.people import parse_people_choice
from sportslens.serve.live_frames import ClosingError, joints
from sportslens.serve.live_limits import CLOSE_POLICY, LiveSettings


def people_parameter(text: str | None, settings: LiveSettings) -> int | None:
    """``?people=``: None (one person, the default), or the most people followed at once."""
    if text is None or text in ("", "largest"):
        return None
    try:
        choice = parse_people_choice(text)
    except ValueError:
        raise ClosingError(
            CLOSE_POLICY, f"people={text!r} must be all, largest or a count of at least 1"
        ) from None
    most = settings.max_people if choice == "all" else int(choice)
    if most > settings.max_people:
        raise ClosingError(
            CLOSE_POLICY, f"people={most} is over the limit of {settings.max_people} people"
        )
    return most


class PeopleAnalysis:
    """One session's people: frames in, the events they ended and the ``people`` field out."""

    def __init__(self, find: PeopleFn, fps: float, exercise: str | None, most: int) -> None:
        self.fps, self.most = fps, most
        self.everyone = Everyone(find, fps, exercise)

    def push(
        self, index: int, image: NDArray[np.uint8]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], tuple[int, int]]:
        """Frame ``index`` ((H, W, 3) uint8): its events, its people and its (width, height)."""
        analysed = self.everyone.push(index, image)
        return analysed.events, _people(analysed), (image.shape[1], image.shape[0])

    def finish(self) -> list[dict[str, Any]]:
        """The source ended: everyone's last repetitions and ``person`` events."""
        return self.everyone.finish()

    def summary(self) -> list[dict[str, Any]]:
        """Every person who left, by track id: ``{"track_id", "count"}``."""
        return [{"track_id": t, "count": c} for t, c in sorted(self.everyone.people())]


def _people(analysed: Analysed) -> list[dict[str, Any]]:
    """Each person followed now, with this frame's joints where they were detected."""
    rows = {int(tid): row for row, tid in enumerate(analysed.track_ids)}
    return [_person(status, analysed, rows.get(status.track_id)) for status in analysed.people]


def _person(status: PersonStatus, analysed: Analysed, row: int | None) -> dict[str, Any]:
    return {
        "track_id": status.track_id,
        "keypoints": [None] * analysed.points.shape[1]  # (P, V, 2): V joints, none found
        if row is None
        else joints(analysed.points[row], analysed.scores[row], MIN_DETECTED_SCORE),
        "count": status.count,
        "angle": None if status.angle is None else round(status.angle, 1),
        "signal": status.signal,
    }
