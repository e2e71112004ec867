"""Second skeletons on one body (sportslens.pose.shadows): which tracks are shadows, which not."""

from __future__ import annotations

from typing import Any

import numpy as np

from sportslens.pose.crossings import History
from sportslens.pose.shadows import ShadowSettings, find_shadows


def box_track(frames: range, x: float, width: float, height: float, y: float = 0.0) -> History:
    """A track whose (2, 2) "joints" are the corners of a box at (x, y) of the given size."""
    ones = np.ones(2, np.float32)
    corners = np.array([[x, y], [x + width, y + height]], np.float32)
    return dict.fromkeys(frames, (corners, ones))


def corners(history: History, frame: int) -> Any:
    points = history[frame][0]
    return np.concatenate([points.min(axis=0), points.max(axis=0)])


def test_a_second_skeleton_inside_a_lifters_body_the_whole_time_is_a_shadow() -> None:
    lifter = box_track(range(300), 100, 150, 270)
    partial = box_track(range(20, 120), 120, 80, 190, y=60)  # inside the lifter's box
    assert find_shadows([lifter, partial], corners, ShadowSettings()) == {1}


def test_the_longer_track_is_kept_whichever_comes_first() -> None:
    lifter = box_track(range(300), 100, 150, 270)
    partial = box_track(range(0, 100), 120, 80, 190, y=60)
    assert find_shadows([partial, lifter], corners, ShadowSettings()) == {0}


def test_a_spotter_behind_a_lifter_for_the_whole_set_is_not_a_shadow() -> None:
    # further from the camera, so smaller and inside the lifter's box, but there as long
    lifter = box_track(range(300), 100, 150, 270)
    spotter = box_track(range(10, 290), 120, 100, 220, y=20)
    assert find_shadows([lifter, spotter], corners, ShadowSettings()) == set()
    assert find_shadows([lifter, spotter], corners, ShadowSettings(longest=1.0)) == {1}


def test_a_person_passing_behind_another_is_not_a_shadow() -> None:
    # inside the front person's box only for the 20 frames of the crossing, out of 100
    ones = np.ones(2, np.float32)
    front = box_track(range(300), 200, 100, 200)
    passer = {
        t: (np.array([[5.0 * (t - 100), 20], [5.0 * (t - 100) + 60, 200]], np.float32), ones)
        for t in range(100, 200)
    }
    assert find_shadows([front, passer], corners, ShadowSettings()) == set()


def test_a_smaller_person_half_inside_a_nearer_ones_box_is_not_a_shadow() -> None:
    near = box_track(range(200), 100, 150, 300)
    beside = box_track(range(50, 130), 200, 100, 200, y=50)  # half outside the near one's box
    assert find_shadows([near, beside], corners, ShadowSettings()) == set()
    assert find_shadows([near, beside], corners, ShadowSettings(inside=0.4)) == {1}


def test_a_track_that_outlives_the_other_is_not_a_shadow() -> None:
    # inside the lifter's box while both are there, but mostly there after the lifter left
    lifter = box_track(range(300), 100, 150, 270)
    stays = box_track(range(250, 380), 120, 80, 190, y=60)
    assert find_shadows([lifter, stays], corners, ShadowSettings()) == set()
    assert find_shadows([lifter, stays], corners, ShadowSettings(shared=0.3)) == {1}


def test_a_track_inside_a_shadow_alone_is_judged_against_real_tracks_only() -> None:
    lifter = box_track(range(300), 100, 150, 270)
    shadow = box_track(range(140), 130, 150, 200, y=40)  # 80 % inside the lifter's box
    inner = box_track(range(60), 255, 25, 100, y=60)  # inside the shadow's part outside it
    assert find_shadows([lifter, shadow, inner], corners, ShadowSettings()) == {1}
    assert find_shadows([shadow, inner], corners, ShadowSettings()) == {1}  # with no lifter
