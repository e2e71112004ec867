"""The exercises the repetition counter knows: each one's joint-angle signal and rest side.

A repetition is an excursion of one signal away from where the body rests between repetitions
and back. ``rest`` says which end of the signal that is: ``high`` for a joint that is straight
between repetitions (a squat's knees, 175°, bend to 80°), ``low`` for one that is closed (a jumping
jack's arms hang at 20° and rise to 170°), ``either`` where both happen (a deadlift starts on the
floor or at the top): then the clip decides (:func:`sportslens.pose.counting.count_in_spans`).

Signals are the names of :func:`sportslens.pose.reps.candidate_signals`: a joint angle
(``left_knee``), the mean of a left/right pair (``knees``, ``hips``, ``elbows``, ``shoulders``) or
``trunk_lean``. Angles, not positions: a camera that pans or zooms does not change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Rest = Literal["high", "low", "either"]


@dataclass(frozen=True)
class Exercise:
    """One exercise: the signal its repetitions show in, and which side of it is rest."""

    name: str
    signal: str
    rest: Rest
    motion: str
    """What the signal does in one repetition, in words (for the docs and error messages)."""
    aliases: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    """Signals the repetitions also show in when the camera faces the athlete and foreshortens
    ``signal`` (a push-up's elbows bend towards a front camera; its shoulders still open and
    close in the image): the counter takes the widest, most regular of ``signal`` and these."""


_TABLE = (
    Exercise("squat", "knees", "high", "knees bend from ~175° to ~80° and straighten"),
    Exercise("lunge", "knees", "high", "the front knee bends to ~90° (the pair's mean dips)"),
    Exercise("deadlift", "hips", "either", "hips open from ~60° at the floor to ~175° at lockout",
             also=("trunk_lean",)),
    Exercise("push_up", "elbows", "high", "elbows bend from ~170° to ~80° and extend", ("pushup",),
             also=("shoulders",)),
    Exercise(
        "pull_up", "elbows", "high", "elbows close from ~170° (hang) to ~60° (chin over bar)",
        ("pullup", "chin_up", "chinup"),
    ),
    Exercise("sit_up", "hips", "high", "hips close from ~170° (lying) to ~60° (sitting up)",
             ("situp", "crunch")),
    Exercise("curl", "elbows", "high", "elbows close from ~165° to ~40° and open",
             ("bicep_curl", "biceps_curl", "dumbbell_curl")),
    Exercise("bench_press", "elbows", "high", "elbows bend from ~170° to ~80° at the chest",
             ("bench",)),
    Exercise("overhead_press", "elbows", "low", "elbows open from ~70° (rack) to ~175° overhead",
             ("press", "shoulder_press", "military_press")),
    Exercise("burpee", "trunk_lean", "low",
             "the trunk tips from upright (~0°) to the plank (~75°) and back", ("burpees",)),
    Exercise("jumping_jack", "shoulders", "low", "arms rise from ~20° to ~170° and fall",
             ("jumping_jacks", "jacks", "star_jump")),
    Exercise("snatch", "shoulders", "low", "arms rise from the hang (~20°) to overhead (~170°)"),
    Exercise("clean_and_jerk", "shoulders", "low", "arms rise from the hang to overhead"),
    Exercise("arm_circles", "shoulders", "low", "each circle takes the arm from ~20° to ~170°"),
    Exercise("lateral_raise", "shoulders", "low", "arms rise sideways from ~15° to ~90°"),
)  # fmt: skip

EXERCISES: dict[str, Exercise] = {exercise.name: exercise for exercise in _TABLE}
"""Every known exercise by its canonical name."""

_BY_NAME: dict[str, Exercise] = {
    key: exercise for exercise in _TABLE for key in (exercise.name, *exercise.aliases)
}


def canonical_name(name: str) -> str:
    """``name`` lower-cased with spaces and hyphens as underscores: "Push-up" → "push_up"."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def find_exercise(name: str) -> Exercise | None:
    """The exercise called ``name`` (any case, spaces, hyphens or an alias), or None."""
    key = canonical_name(name)
    return _BY_NAME.get(key) or _BY_NAME.get(key.rstrip("s"))
