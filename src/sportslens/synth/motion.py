"""Synthetic athletes, part 2: exercises as joint-angle cycles, and a clip's repetition schedule.

Each exercise is a function from a repetition phase in [0, 1) to joint angles; most are a table
of keyframe poses eased into one another. A repetition starts and ends in the exercise's rest
pose, which is the same standing pose for every class except the push-up (a plank), so a single
frame of the rest pose says nothing about the class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.synth.body import ANGLE_INDEX, ANGLES, MIRROR

PoseFunction = Callable[[NDArray[Any]], NDArray[Any]]
"""Maps phases (T,) in [0, 1) to joint angles (T, len(ANGLES)) in degrees."""

_NEUTRAL = {
    "shoulder_flex": 3.0,
    "shoulder_abd": 7.0,  # arms hang just clear of the hips
    "elbow": 10.0,
    "hip_abd": 4.0,  # feet a little apart
    "knee": 2.0,
}


def pose(**angles: float) -> NDArray[Any]:
    """A pose (len(ANGLES),) in degrees: the neutral stance with ``angles`` changed.

    A name without ``_l``/``_r`` (``knee=90``) sets both sides; a sided name sets one.
    """
    out = np.zeros(len(ANGLES))
    for name, value in {**_NEUTRAL, **angles}.items():
        names = [name] if name in ANGLE_INDEX else [name + "_l", name + "_r"]
        for full in names:
            if full not in ANGLE_INDEX:
                raise ValueError(f"unknown joint angle {name!r}; expected one of {ANGLES}")
            out[ANGLE_INDEX[full]] = value
    return out


NEUTRAL = pose()
"""The standing rest pose shared by every standing exercise."""

Keyframes = list[tuple[float, NDArray[Any]]]


def interpolate(keyframes: Keyframes, phase: NDArray[Any]) -> NDArray[Any]:
    """Poses (T, len(ANGLES)) at ``phase`` (T,), eased with a raised cosine between keyframes.

    Easing gives zero joint velocity at every keyframe: motion starts and stops smoothly and holds
    briefly at the turning points, as lifters do.
    """
    times = np.array([t for t, _ in keyframes])  # (K,)
    poses = np.stack([p for _, p in keyframes])  # (K, A)
    k = np.clip(np.searchsorted(times, phase, side="right") - 1, 0, len(times) - 2)  # (T,)
    local = np.clip((phase - times[k]) / (times[k + 1] - times[k]), 0.0, 1.0)
    weight = (0.5 - 0.5 * np.cos(np.pi * local))[:, None]  # (T, 1)
    result: NDArray[Any] = poses[k] + weight * (poses[k + 1] - poses[k])
    return result


_SQUAT: Keyframes = [
    (0.0, NEUTRAL),
    (0.5, pose(trunk_lean=35, hip_flex=105, knee=128, shoulder_flex=110, elbow=5)),
    (1.0, NEUTRAL),
]
# Romanian deadlift: hinge at the hips, soft knees, arms hang straight down (flex = lean).
_DEADLIFT: Keyframes = [
    (0.0, NEUTRAL),
    (0.5, pose(trunk_lean=72, hip_flex=15, knee=28, shoulder_flex=72, elbow=0)),
    (1.0, NEUTRAL),
]
_SNATCH: Keyframes = [
    (0.0, NEUTRAL),
    # Down to the bar on the floor, wide grip.
    (0.22, pose(trunk_lean=55, hip_flex=85, knee=110, shoulder_flex=55, shoulder_abd=22, elbow=0)),
    # Triple extension.
    (0.36, pose(trunk_lean=-5, hip_flex=-5, knee=5, shoulder_flex=15, shoulder_abd=22, elbow=25)),
    # Overhead squat catch, held briefly; overhead in the world means flex = 180 + lean.
    (0.5, pose(trunk_lean=15, hip_flex=115, knee=135, shoulder_flex=195, shoulder_abd=25, elbow=0)),
    (
        0.58,
        pose(trunk_lean=15, hip_flex=115, knee=135, shoulder_flex=195, shoulder_abd=25, elbow=0),
    ),
    (0.74, pose(shoulder_flex=180, shoulder_abd=25, elbow=0)),
    (0.88, pose(shoulder_flex=30, shoulder_abd=20, elbow=5)),
    (1.0, NEUTRAL),
]
_JUMPING_JACK: Keyframes = [
    (0.0, NEUTRAL),
    (0.5, pose(shoulder_abd=165, elbow=15, hip_abd=22, knee=8)),
    (1.0, NEUTRAL),
]
# Left leg forward; the back knee angle keeps the back foot near the floor (heel raised).
_LUNGE: Keyframes = [
    (0.0, NEUTRAL),
    (0.5, pose(trunk_lean=5, hip_flex_l=80, knee_l=90, hip_flex_r=-25, knee_r=55, shoulder_abd=12)),
    (1.0, NEUTRAL),
]
# Angles relative to the trunk; the body's pitch is solved so hands and toes stay on the floor.
_PLANK = pose(shoulder_flex=70, shoulder_abd=10, elbow=0, hip_abd=3, knee=0)
_PUSH_UP: Keyframes = [
    (0.0, _PLANK),
    (0.5, pose(shoulder_flex=35, shoulder_abd=22, elbow=110, hip_abd=3, knee=0)),
    (1.0, _PLANK),
]


def squat(phase: NDArray[Any]) -> NDArray[Any]:
    """Hips sit back and down, the trunk leans to balance, arms reach forward."""
    return interpolate(_SQUAT, phase)


def deadlift(phase: NDArray[Any]) -> NDArray[Any]:
    """A hip hinge with a slight knee bend, the bar hanging in straight arms."""
    return interpolate(_DEADLIFT, phase)


def snatch(phase: NDArray[Any]) -> NDArray[Any]:
    """Bar from the floor to overhead in one pull, caught in a squat, stood up and lowered."""
    return interpolate(_SNATCH, phase)


def jumping_jack(phase: NDArray[Any]) -> NDArray[Any]:
    """Arms sweep sideways to overhead while the legs spread."""
    return interpolate(_JUMPING_JACK, phase)


def lunge(phase: NDArray[Any]) -> NDArray[Any]:
    """The left leg steps forward and both knees bend (odd repetitions are mirrored)."""
    return interpolate(_LUNGE, phase)


def push_up(phase: NDArray[Any]) -> NDArray[Any]:
    """From a plank the elbows bend and the chest drops towards the floor."""
    return interpolate(_PUSH_UP, phase)


def arm_circles(phase: NDArray[Any]) -> NDArray[Any]:
    """Arms rise sideways to shoulder height, draw two circles, and come down."""
    envelope = interpolate([(0.0, np.zeros(1)), (0.2, np.ones(1)), (0.8, np.ones(1)),
                            (1.0, np.zeros(1))], phase)  # fmt: skip  # (T, 1)
    angle = 2 * np.pi * 2 * np.clip((phase - 0.2) / 0.6, 0.0, 1.0)  # two circles, (T,)
    raised = pose(shoulder_abd=85, elbow=0)  # (A,)
    circle = np.zeros((len(phase), len(ANGLES)))  # (T, A): the hands trace circles 20° across
    for side in ("_l", "_r"):
        circle[:, ANGLE_INDEX["shoulder_abd" + side]] = 20 * np.sin(angle)
        circle[:, ANGLE_INDEX["shoulder_swing" + side]] = 20 * (1 - np.cos(angle))
    result: NDArray[Any] = NEUTRAL + envelope * (raised - NEUTRAL + circle)
    return result


@dataclass(frozen=True)
class Exercise:
    """How one class moves and how it is staged."""

    pose: PoseFunction
    period: tuple[float, float]  # seconds per repetition, (fastest, slowest)
    alternates: bool = False  # odd repetitions mirror left and right
    on_hands: bool = False  # hands and toes on the floor instead of standing
    barbell: bool = False  # a bar with plates is held in the hands


# Periods span brisk to slow; a 3 s clip then holds 1-2 squats or lunges, 1 snatch, 1-3 push-ups
# and 1-4 jumping jacks.
EXERCISES = {
    "squat": Exercise(squat, (1.0, 2.4)),
    "deadlift": Exercise(deadlift, (1.2, 2.6), barbell=True),
    "snatch": Exercise(snatch, (1.8, 3.2), barbell=True),
    "jumping_jack": Exercise(jumping_jack, (0.6, 1.2)),
    "lunge": Exercise(lunge, (1.2, 2.4), alternates=True),
    "push_up": Exercise(push_up, (0.8, 1.8), on_hands=True),
    "arm_circles": Exercise(arm_circles, (1.4, 2.8)),
}

CLASSES = tuple(EXERCISES)
"""Every synthetic class, in a fixed order: the single source of truth for class names."""


@dataclass(frozen=True)
class Schedule:
    """When the repetitions happen in a clip, and how deep each one goes."""

    reps: int
    period: float  # seconds per repetition
    start: float  # seconds of idle rest pose before the first repetition
    amplitudes: tuple[float, ...]  # per repetition: 1 is the full keyframe motion
    sway: tuple[float, float, float]  # idle sway: (degrees, hertz, phase in radians)


def sample_schedule(
    rng: np.random.Generator, exercise: Exercise, seconds: float, *, max_reps: int = 5
) -> Schedule:
    """Repetitions (1 to ``max_reps``) that fit in ``seconds`` with idle time before and after."""
    fastest, slowest = exercise.period
    available = seconds * float(rng.uniform(0.75, 0.95))
    most = int(np.clip(available // fastest, 1, max_reps))
    reps = int(rng.integers(1, most + 1))
    # A clip too short for one slow repetition gets a faster one rather than a cut-off one.
    period = min(float(rng.uniform(fastest, slowest)), available / reps)
    start = float(rng.uniform(0.0, 1.0)) * (seconds - reps * period)
    depth = float(rng.uniform(0.85, 1.05))
    amplitudes = tuple(depth * float(a) for a in rng.uniform(0.92, 1.0, reps))
    sway = (float(rng.uniform(0.5, 2.0)), float(rng.uniform(0.2, 0.5)), float(rng.uniform(0, 6.3)))
    return Schedule(reps, period, start, amplitudes, sway)


def joint_angles(label: str, schedule: Schedule, num_frames: int, fps: float) -> NDArray[Any]:
    """Joint angles (T, len(ANGLES)) in degrees for every frame of a clip of ``label``."""
    exercise = EXERCISES[label]
    seconds = np.arange(num_frames) / fps  # (T,)
    progress = (seconds - schedule.start) / schedule.period  # repetitions done, (T,)
    active = (progress >= 0) & (progress < schedule.reps)
    rep = np.clip(np.floor(progress), 0, schedule.reps - 1).astype(int)  # (T,)
    phase = np.where(active, progress - rep, 0.0)
    rest = exercise.pose(np.zeros(1))  # (1, A)
    amplitude = np.asarray(schedule.amplitudes)[rep][:, None]  # (T, 1)
    angles: NDArray[Any] = rest + amplitude * (exercise.pose(phase) - rest)  # (T, A)
    if exercise.alternates:
        odd = (rep % 2 == 1) & active
        angles[odd] = angles[odd][:, MIRROR]
    swaying: NDArray[Any] = angles + _sway(schedule.sway, seconds)
    return swaying


def _sway(sway: tuple[float, float, float], seconds: NDArray[Any]) -> NDArray[Any]:
    """Small idle motion (T, len(ANGLES)) of trunk and arms, so rest is never a frozen frame."""
    degrees, hertz, offset = sway
    wave = degrees * np.sin(2 * np.pi * hertz * seconds + offset)  # (T,)
    out = np.zeros((len(seconds), len(ANGLES)))
    out[:, ANGLE_INDEX["trunk_lean"]] = 0.5 * wave
    out[:, ANGLE_INDEX["shoulder_flex_l"]] = 2.0 * wave
    out[:, ANGLE_INDEX["shoulder_flex_r"]] = -1.5 * wave
    return out
