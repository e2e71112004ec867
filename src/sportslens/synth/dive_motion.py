"""Synthetic dives, part 1: the motion of a dive in the world, from its number's attributes.

A dive is three phases over the clip's normalised time ``tau`` in [0, 1]: the diver stands at
the end of the board raising the arms and dipping the knees; then flies, the centre of mass on a
parabola out over the water while the body folds into its position (tuck, pike, straight, free),
somersaults ``half_somersaults`` half turns about the hips' axis and twists ``half_twists`` half
turns about the long axis; then enters the water and keeps going down, stretched.

World frame: x across the board, y up (water surface at y = 0), z away from the board (the board
ends at z = 0); metres. Somersaults follow the FINA directions: forward and inward dives rotate
forward, back and reverse dives backward; forward and reverse dives face the water at takeoff,
back and inward dives face the board. An odd number of half somersaults enters head first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportslens.dive import Dive, Position
from sportslens.synth.body import Athlete, forward_kinematics
from sportslens.synth.motion import pose

__all__ = ["Flight", "dive_world_points", "flight_angles"]

# Poses (joint angles, degrees) of each position at its fullest; the trunk lean and hip flexion
# together make the fold at the hips (a pike is about 125 degrees closed).
_POSITION_POSES: dict[Position, NDArray[Any]] = {
    "straight": pose(shoulder_flex=8, shoulder_abd=6, elbow=0, knee=0),
    "pike": pose(trunk_lean=60, hip_flex=65, knee=0, shoulder_flex=35, elbow=5),
    "tuck": pose(trunk_lean=50, hip_flex=85, knee=140, shoulder_flex=60, elbow=70),
    "free": pose(trunk_lean=20, hip_flex=25, knee=45, shoulder_flex=95, shoulder_swing=70,
                 elbow=110),
}  # fmt: skip
_STRETCHED = pose(shoulder_flex=180, shoulder_abd=4, elbow=0, knee=0)  # takeoff and entry
_DIP = pose(shoulder_flex=120, knee=45, hip_flex=25, trunk_lean=15)  # the board's knee bend


@dataclass(frozen=True)
class Flight:
    """The random but label-free facts of one dive's flight."""

    board_height: float  # metres above the water
    apex: float  # metres the centre of mass rises above a straight line to the water
    travel: float  # metres out from the board at entry
    takeoff: float  # tau when the feet leave the board
    entry: float  # tau when the centre of mass reaches the water


def _smoothstep(x: NDArray[Any]) -> NDArray[Any]:
    x = np.clip(x, 0.0, 1.0)
    out: NDArray[Any] = x * x * (3 - 2 * x)
    return out


def _ramp(x: NDArray[Any], start: float, end: float) -> NDArray[Any]:
    """0 before ``start``, 1 after ``end``, eased in between."""
    return _smoothstep((x - start) / (end - start))


def flight_angles(dive: Dive, s: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Joint angles (T, A), somersault and twist angles (T,) in radians at flight phase ``s``.

    The body folds into its position early and opens before entry; rotation is fastest while
    folded, as a real diver's is; the twist happens in the middle of the flight.
    """
    fold = _ramp(s, 0.05, 0.25) * (1 - _ramp(s, 0.75, 0.95))  # (T,) 0 stretched, 1 in position
    angles = (1 - fold)[:, None] * _STRETCHED + fold[:, None] * _POSITION_POSES[dive.position]
    sign = 1.0 if dive.direction in ("forward", "inward") else -1.0
    progress = 0.35 * np.clip(s, 0, 1) + 0.65 * _smoothstep(s)  # (T,) 0 → 1, fast mid-flight
    somersault = sign * np.pi * dive.half_somersaults * progress
    twist = np.pi * dive.half_twists * _ramp(s, 0.25, 0.75)
    return angles, somersault, twist


def _rotate_y(points: NDArray[Any], angle: NDArray[Any]) -> NDArray[Any]:
    """Rotate points (T, P, 3) about the y axis by ``angle`` (T,) radians."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]  # (T, 1)
    x, z = points[..., 0], points[..., 2]
    return np.stack([c * x + s * z, points[..., 1], -s * x + c * z], axis=-1)


def _rotate_x(points: NDArray[Any], angle: NDArray[Any]) -> NDArray[Any]:
    """Rotate points (T, P, 3) about the x axis by ``angle`` (T,); positive tips up forward."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    y, z = points[..., 1], points[..., 2]
    return np.stack([points[..., 0], c * y - s * z, s * y + c * z], axis=-1)


def dive_world_points(
    dive: Dive, flight: Flight, athlete: Athlete, num_frames: int
) -> NDArray[Any]:
    """Body points (T, NUM_POINTS, 3) in the world frame for every frame of the clip."""
    tau = np.linspace(0.0, 1.0, num_frames)  # (T,)
    s = (tau - flight.takeoff) / (flight.entry - flight.takeoff)  # (T,) flight phase
    on_board = s < 0
    board = _ramp(tau / flight.takeoff, 0.0, 0.5) * (1 - _ramp(tau / flight.takeoff, 0.5, 1.0))
    angles, somersault, twist = flight_angles(dive, np.clip(s, 0.0, 1.0))
    board_angles = (1 - board)[:, None] * _STRETCHED + board[:, None] * _DIP  # (T, A)
    angles = np.where(on_board[:, None], board_angles, angles)
    body = forward_kinematics(angles, athlete)  # (T, P, 3) body frame, pelvis at the origin
    standing = forward_kinematics(_STRETCHED[None], athlete)[0]  # (P, 3)
    centre = standing.mean(axis=0)  # a fixed point of the body, near the centre of mass
    local = _rotate_x(_rotate_y(body - centre, twist), somersault)  # (T, P, 3)
    if dive.direction in ("back", "inward"):  # facing the board: turn half about the vertical
        local = local * np.array([-1.0, 1.0, -1.0])
    stand_height = centre[1] - standing[15:17, 1].min() + 0.04  # ankle to sole, roughly
    path = _centre_path(flight, tau, s, float(stand_height))  # (T, 3)
    world: NDArray[Any] = local + path[:, None, :]
    return world


def _centre_path(
    flight: Flight, tau: NDArray[Any], s: NDArray[Any], stand_height: float
) -> NDArray[Any]:
    """The centre's path (T, 3): still on the board, a parabola to the water, then down.

    ``stand_height`` is the centre's height above the soles when standing stretched.
    """
    start = np.array([0.0, flight.board_height + stand_height, -0.3])
    u = np.clip(s, 0.0, 1.0)
    y = start[1] * (1 - u) + 4 * flight.apex * u * (1 - u)  # reaches 0 at the entry
    z = start[2] + (flight.travel - start[2]) * u
    # Under water the centre goes on down at half its entry speed (per unit of s).
    below = np.clip(s - 1.0, 0.0, None)
    y = y - 0.5 * (start[1] + 4 * flight.apex) * below
    return np.stack([np.zeros_like(tau), y, z], axis=-1)
