"""A timeline per person: one lane per track of a video's keypoints (skeleton models).

:class:`TimelineLanes` holds each chosen person's :class:`~sportslens.timeline.Timeline`; its JSON
keeps a single-person timeline's fields (those of the person seen largest, so clients of one
timeline read it unchanged) and adds ``track_id`` and ``lanes``, every person's timeline with its
track id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sportslens.timeline.build import Timeline


@dataclass(frozen=True)
class TimelineLanes:
    """Timelines of several people of one video, in track order."""

    source: str
    track_ids: list[int]
    lanes: list[Timeline]
    main: int
    """Position of the person seen largest (the single-person answer)."""

    def __post_init__(self) -> None:
        if len(self.track_ids) != len(self.lanes):
            raise ValueError(f"{len(self.track_ids)} track ids for {len(self.lanes)} lanes")
        if self.lanes and not 0 <= self.main < len(self.lanes):
            raise ValueError(f"main lane {self.main} of {len(self.lanes)}")

    @property
    def complete(self) -> bool:
        """Whether every lane was scored to the end."""
        return all(lane.complete for lane in self.lanes)

    def to_dict(self) -> dict[str, Any]:
        """The main lane's timeline, its ``track_id``, and ``lanes``: each person's timeline."""
        lanes = [
            {"track_id": track_id, **lane.to_dict()}
            for track_id, lane in zip(self.track_ids, self.lanes, strict=True)
        ]
        main = lanes[self.main] if lanes else {"source": self.source, "track_id": None}
        return {**main, "lanes": lanes}
