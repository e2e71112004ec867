"""Form analysis per person: the single-person :func:`~sportslens.pose.form.analyze_form` run on
each tracked person's ``(T, 17)`` series, unchanged.

A person seen too little for any angle signal (a passer-by crossing the frame in half a second)
gets the reason instead of an analysis, so one short track never hides the others' counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sportslens.pose.form import FormAnalysis, analyze_form
from sportslens.pose.people import People, PeopleChoice, load_people
from sportslens.shots import ShotChange, find_shot_changes, video_thumbnails

if TYPE_CHECKING:
    from sportslens.pose.backends import Backend


@dataclass(frozen=True)
class PersonForm:
    """One track's form analysis, or why there is none."""

    track_id: int
    analysis: FormAnalysis | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """``{"track_id", **analysis.to_dict()}`` less the source, or the track id and error."""
        if self.analysis is None:
            return {"track_id": self.track_id, "error": self.reason}
        answer = self.analysis.to_dict()
        del answer["source"]  # the answer around the people names the source once
        return {"track_id": self.track_id, **answer}


def people_backend(backend: Backend | None, people: PeopleChoice) -> Backend:
    """The pose backend for a video: the one named, else MediaPipe for the largest person and
    blazepose-multi (every person, tracked) for ``all`` or a count."""
    if backend is not None:
        return backend
    return "mediapipe" if people == "largest" else "blazepose-multi"


def people_from(
    source: str | Path, people: PeopleChoice = "all", backend: Backend | None = None
) -> People:
    """``people`` of a keypoint ``.npz`` file (any version), or of those a backend finds in a
    video (:func:`people_backend`)."""
    if Path(source).suffix.lower() == ".npz":
        found = load_people(source)
        return found.select(people) if found.num_people else found
    from sportslens.pose import extract_people  # loads the pose models on use

    return extract_people(str(source), people_backend(backend, people), people=people)


def people_and_shots(
    source: str | Path, people: PeopleChoice = "all", backend: Backend | None = None
) -> tuple[People, list[ShotChange]]:
    """:func:`people_from` and, for a video, its shot changes (a small second decode), at which
    each person's count is split as the single-person ``form`` splits it."""
    found = people_from(source, people, backend)
    if Path(source).suffix.lower() == ".npz":
        return found, []  # a keypoint file has no frames to find shot changes in
    return found, find_shot_changes(video_thumbnails(str(source)), found.fps)


def analyze_people(
    people: People,
    exercise: str | None = None,
    *,
    min_score: float = 0.5,
    shots: Sequence[ShotChange] = (),
) -> list[PersonForm]:
    """:func:`analyze_form` of each person, in track order, split at ``shots``."""
    forms = []
    for index, track_id in enumerate(people.track_ids.tolist()):
        try:
            analysis = analyze_form(
                people.person(index), exercise, min_score=min_score, shots=shots
            )
        except ValueError as error:  # no angle measured in enough frames
            forms.append(PersonForm(int(track_id), None, str(error)))
            continue
        forms.append(PersonForm(int(track_id), analysis))
    return forms
