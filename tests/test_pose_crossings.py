"""Crossings undone offline (sportslens.pose.crossings): when, and when not, to swap."""

from __future__ import annotations

from typing import Any

import numpy as np

from sportslens.pose.crossings import CrossingSettings, History, uncross


def body(x: float, height: float = 60.0) -> np.ndarray:
    """(17, 2) a stick figure ``height`` px tall centred at (x, 100)."""
    return np.stack(
        [x + np.linspace(-8, 8, 17), 100 + np.linspace(-height / 2, height / 2, 17)], axis=1
    ).astype(np.float32)


def history(xs: dict[int, float], height: float = 60.0) -> History:
    ones = np.ones(17, np.float32)
    return {t: (body(x, height), ones) for t, x in xs.items()}


def box(track: History, frame: int) -> tuple[Any, float]:
    points = track[frame][0]
    lo, hi = points.min(axis=0), points.max(axis=0)
    return (lo + hi) / 2, float(np.hypot(*(hi - lo)))


def centre_x(track: History, frame: int) -> float:
    return float(box(track, frame)[0][0])


def test_two_tracks_that_came_out_of_a_crossing_on_each_other_are_swapped_back() -> None:
    # a walks right and b left; hidden behind a (frames 10-19), b came out on a's track.
    a = {t: 100.0 + 3 * t for t in range(40)}
    b = {t: 180.0 - 3 * t for t in range(40)}
    one = history({t: a[t] if t < 10 else b[t] for t in range(40) if not 10 <= t < 13})
    two = history({t: b[t] if t < 10 else a[t] for t in range(40) if not 10 <= t < 20})
    assert uncross([one, two], box, CrossingSettings(), 30.0) == 1
    assert all(centre_x(one, t) == a[t] for t in one)
    assert all(centre_x(two, t) == b[t] for t in two)


def test_a_crossing_already_right_is_left_alone() -> None:
    a = {t: 100.0 + 3 * t for t in range(40)}
    b = {t: 180.0 - 3 * t for t in range(40)}
    one, two = history(a), history({t: x for t, x in b.items() if not 10 <= t < 20})
    assert uncross([one, two], box, CrossingSettings(), 30.0) == 0
    assert all(centre_x(one, t) == a[t] for t in one)


def test_people_side_by_side_in_place_are_never_swapped() -> None:
    # Two lifters 20 px apart (a third of a body) sway in place; one dips out now and then.
    t = np.arange(120)
    a = 100 + 4 * np.sin(t / 5)
    b = 120 + 4 * np.cos(t / 7)
    one = history({int(k): float(a[k]) for k in t})
    two = history({int(k): float(b[k]) for k in t if k % 17 not in (3, 4)})
    assert uncross([one, two], box, CrossingSettings(longest=10.0), 30.0) == 0


def test_a_passer_by_who_took_over_a_still_lifters_track_gives_it_back() -> None:
    # A lifter stands still; a larger (nearer) passer-by walks in front of them. The
    # tracker's lifter track came out of the crossing on the passer-by.
    lifter = dict.fromkeys(range(60), 150.0)
    passer = {t: 80.0 + 2.5 * t for t in range(60)}
    one = {t: history({t: lifter[t]})[t] for t in range(20)}
    one |= {t: history({t: passer[t]}, 90.0)[t] for t in range(24, 60)}
    two = {t: history({t: passer[t]}, 90.0)[t] for t in range(20)}
    two |= {t: history({t: lifter[t]})[t] for t in range(40, 60)}
    assert uncross([one, two], box, CrossingSettings(), 30.0) == 1
    assert all(abs(box(one, t)[1] - box(one, 0)[1]) < 1 for t in one)  # one body size
    assert all(abs(box(two, t)[1] - box(two, 0)[1]) < 1 for t in two)


def test_a_meeting_longer_than_longest_is_left_alone() -> None:
    a = {t: 100.0 + 3 * t for t in range(40)}
    b = {t: 180.0 - 3 * t for t in range(40)}
    one = history({t: a[t] if t < 10 else b[t] for t in range(40) if not 10 <= t < 13})
    two = history({t: b[t] if t < 10 else a[t] for t in range(40) if not 10 <= t < 20})
    assert uncross([one, two], box, CrossingSettings(longest=0.2), 30.0) == 0


def test_a_newcomer_takes_over_the_past_of_a_track_that_slid_onto_another_body() -> None:
    # Only a (walking right) was followed; where b (walking left, not followed) met it, the
    # region slid onto b (frame 14 on). a is found again at frame 30, as a new track.
    a = {t: 100.0 + 3 * t for t in range(60)}
    b = {t: 184.0 - 3 * t for t in range(60)}
    one = history({t: a[t] if t < 14 else b[t] for t in range(60)})
    two = history({t: a[t] for t in range(30, 60)})
    assert uncross([one, two], box, CrossingSettings(), 30.0) == 1
    assert all(abs(centre_x(one, t) - a[t]) < 1 for t in range(14)), "one keeps a's past"
    assert all(abs(centre_x(one, t) - a[t]) < 1 for t in range(30, 60)), "and a's future"
    assert all(abs(centre_x(two, t) - b[t]) < 1 for t in range(20, 60)), "two is b from there"


def test_a_newcomer_is_not_given_the_past_of_a_track_that_kept_its_motion() -> None:
    # A lifter stands still at x = 150; someone walks in at frame 30 where the lifter stood
    # 40 px away, which no motion of the lifter leads to.
    one = history(dict.fromkeys(range(60), 150.0))
    two = history({t: 110.0 - 2 * (t - 30) for t in range(30, 60)})
    assert uncross([one, two], box, CrossingSettings(), 30.0) == 0
