"""BlazePose arithmetic against hand-worked values: anchors, decoding, NMS, regions, tiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sportslens.pose.backends import blazepose_geometry as geo
from sportslens.pose.layouts import BLAZEPOSE33_NAMES, BLAZEPOSE_TO_COCO, COCO17_NAMES


def test_anchors_cover_three_grids_in_the_detectors_order() -> None:
    anchors = geo.ssd_anchors()
    assert anchors.shape == (2254, 2)  # 28*28*2 + 14*14*2 + 7*7*6
    np.testing.assert_allclose(anchors[:2], [[0.5 / 28, 0.5 / 28]] * 2, rtol=1e-6)
    np.testing.assert_allclose(anchors[2], [1.5 / 28, 0.5 / 28], rtol=1e-6)
    np.testing.assert_allclose(anchors[1568], [0.5 / 14, 0.5 / 14], rtol=1e-6)
    # the three stride-32 layers share one 7x7 grid: six anchors per cell
    np.testing.assert_allclose(anchors[1960:1966], [[0.5 / 7, 0.5 / 7]] * 6, rtol=1e-6)
    np.testing.assert_allclose(anchors[1966], [1.5 / 7, 0.5 / 7], rtol=1e-6)
    np.testing.assert_allclose(anchors[-1], [6.5 / 7, 6.5 / 7], rtol=1e-6)


def test_decoding_adds_anchor_centres_and_keeps_confident_anchors() -> None:
    anchors = np.array([[0.5, 0.25], [0.1, 0.1]], np.float32)
    raw = np.zeros((2, 12), np.float32)
    raw[0, :4] = [22.4, -11.2, 44.8, 67.2]  # box offsets in 224-pixel input units
    raw[0, 4:6] = [-44.8, 22.4]  # keypoint 0 (the hips)
    logits = np.array([2.0, -3.0], np.float32)
    boxes, scores = geo.decode_detections(raw, logits, anchors, min_score=0.5)
    assert boxes.shape == (1, 12)
    np.testing.assert_allclose(boxes[0, :6], [0.6, 0.2, 0.2, 0.3, 0.3, 0.35], atol=1e-6)
    np.testing.assert_allclose(boxes[0, 6:], [0.5, 0.25] * 3, atol=1e-6)
    assert scores[0] == pytest.approx(1 / (1 + math.exp(-2.0)))


def test_huge_logits_decode_without_overflow() -> None:
    raw = np.zeros((2, 12), np.float32)
    with np.errstate(over="raise"):
        _, scores = geo.decode_detections(raw, np.array([500.0, -500.0], np.float32), raw[:, :2])
    assert scores.tolist() == [1.0]


def test_suppression_keeps_the_best_of_overlapping_boxes_and_separate_ones() -> None:
    boxes = np.array([[10, 10, 10, 10], [11, 10, 10, 10], [50, 50, 10, 10]], np.float32)
    kept = geo.non_max_suppression(boxes, np.array([0.6, 0.9, 0.7], np.float32), iou=0.3)
    assert kept == [1, 2]


@pytest.mark.parametrize(
    ("end", "angle"),
    [
        ((100.0, 0.0), 0.0),  # straight above the hips: upright
        ((200.0, 100.0), math.pi / 2),  # to the right: lying, head right
        ((0.0, 100.0), -math.pi / 2),  # to the left
        ((100.0, 200.0), -math.pi),  # below: upside down
    ],
)
def test_regions_turn_the_body_upright(end: tuple[float, float], angle: float) -> None:
    region = geo.region_from_points(np.array([100.0, 100.0]), np.array(end))
    assert region[:3].tolist() == pytest.approx([100.0, 100.0, 250.0])  # 2 x 100 px x 1.25
    assert region[3] == pytest.approx(angle)


def test_crop_pixels_map_back_to_the_frame_through_the_rotation() -> None:
    upright = geo.crop_matrix(np.array([300.0, 200.0, 512.0, 0.0]))
    corners = geo.to_frame(np.array([[0.0, 0.0], [128.0, 128.0], [256.0, 0.0]]), upright)
    np.testing.assert_allclose(corners, [[44, -56], [300, 200], [556, -56]], atol=1e-4)
    lying = geo.crop_matrix(np.array([300.0, 200.0, 512.0, math.pi / 2]))
    # the top middle of the crop (the head) is to the right of the centre in the frame
    np.testing.assert_allclose(
        geo.to_frame(np.array([[128.0, 0.0]]), lying), [[556, 200]], atol=1e-4
    )


@pytest.mark.parametrize(
    ("width", "height", "tile", "xs", "ys"),
    [
        (1768, 994, 700, [0, 356, 712, 1068], [0, 294]),
        (640, 360, 700, [0, 140, 280], [0]),
        (256, 256, 700, [0], [0]),
    ],
)
def test_tiles_cover_the_frame_with_overlap(
    width: int, height: int, tile: int, xs: list[int], ys: list[int]
) -> None:
    found = geo.tiles(width, height, tile)
    side = min(tile, width, height)
    assert found == [(x, y, side) for y in ys for x in xs]


@pytest.mark.parametrize(
    ("coco", "blaze"),
    [("nose", 0), ("left_eye", 2), ("right_ear", 8), ("left_shoulder", 11), ("right_wrist", 16),
     ("left_hip", 23), ("right_ankle", 28)],
)  # fmt: skip
def test_blazepose_landmarks_map_to_coco17_by_name(coco: str, blaze: int) -> None:
    assert BLAZEPOSE_TO_COCO[COCO17_NAMES.index(coco)] == blaze
    assert BLAZEPOSE33_NAMES[blaze] == coco


class _CountingModels:
    """Stands in for the two interpreters: records the detector's tiles, finds nobody."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[int, int, int]]] = []

    def detect(
        self, frame: object, tiles: list[tuple[int, int, int]], score: float
    ) -> list[object]:
        self.calls.append(tiles)
        return []


def test_the_detector_sweeps_the_whole_first_frame_then_one_tile_a_frame() -> None:
    from sportslens.pose.backends.blazepose_multi import MultiPoseSettings, follow_people

    frames = [(t, np.zeros((720, 1280, 3), np.uint8)) for t in range(10)]
    models = _CountingModels()
    list(follow_people(frames, MultiPoseSettings(), models))  # type: ignore[arg-type]
    grid = geo.tiles(1280, 720, 504)  # tiles of 0.7 x 720 pixels
    assert len(grid) == 8 and models.calls[0] == grid
    assert [c for call in models.calls[1:] for c in call] == grid + grid[:1]


def test_a_finer_sweep_runs_beside_the_coarse_one_one_tile_a_frame_each() -> None:
    from sportslens.pose.backends.blazepose_multi import MultiPoseSettings, follow_people

    frames = [(t, np.zeros((720, 1280, 3), np.uint8)) for t in range(30)]
    models = _CountingModels()
    settings = MultiPoseSettings(fine_tile=0.5)
    list(follow_people(frames, settings, models))  # type: ignore[arg-type]
    coarse, fine = geo.tiles(1280, 720, 504), geo.tiles(1280, 720, 360)  # 0.7 and 0.5 x 720
    assert len(fine) > len(coarse)
    assert models.calls[0] == coarse and models.calls[1] == fine  # the first frame whole
    later = models.calls[2:]  # then one coarse tile and one fine tile a frame
    assert all(len(call) == 1 for call in later) and len(later) == 2 * 29
    assert [c for call in later[0::2] for c in call] == (coarse * 4)[:29]
    assert [c for call in later[1::2] for c in call] == (fine * 3)[:29]


class _ScriptedModels:
    """Stands in for the two interpreters: the detector finds ``regions`` on the first frame
    only; each region's landmarks are a 60-px stick body ``shift[x]`` pixels right of its
    centre x, with the presence scores of ``presence`` frame after frame."""

    def __init__(
        self, regions: list[tuple[float, float]], shift: dict[float, float], presence: list[float]
    ) -> None:
        self.regions = [np.array([x, y, 100.0, 0.0]) for x, y in regions]
        self.shift, self.presence, self.frame = shift, presence, -1

    def detect(self, frame: object, tiles: object, score: float) -> list[tuple[np.ndarray, float]]:
        self.frame += 1
        return [(r, 0.9) for r in self.regions] if self.frame == 0 else []

    def landmarks_in(
        self, frame: object, region: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        x, y = region[0] + self.shift[float(region[0])], region[1]
        body = np.stack([np.full(33, x) + np.linspace(-10, 10, 33), y + np.linspace(-30, 30, 33)])
        return body.T.astype(np.float32), np.ones(33, np.float32), self.presence[self.frame], region


def _people_per_frame(
    models: _ScriptedModels, frames: int, hold_s: float = 0.0, fps: float = 30.0
) -> list[int]:
    from sportslens.pose.backends.blazepose_multi import MultiPoseSettings, follow_people

    video = [(t, np.zeros((240, 320, 3), np.uint8)) for t in range(frames)]
    settings = MultiPoseSettings(hold_s=hold_s)
    found = follow_people(video, settings, models, fps)  # type: ignore[arg-type]
    return [len(points) for points, _ in found]


def test_regions_that_converge_keep_both_people_unless_their_landmarks_agree() -> None:
    # Three regions centred within a quarter of their side: the second holds someone half
    # hidden 30 px to the right (landmarks elsewhere: kept), the third the first person again.
    shift = {100.0: 0.0, 110.0: 20.0, 105.0: -5.0}
    models = _ScriptedModels([(100, 120), (110, 120), (105, 120)], shift, [0.9] * 3)
    assert _people_per_frame(models, 3) == [2, 2, 2]


def test_a_person_whose_presence_dips_is_looked_for_again_in_their_last_region() -> None:
    # Bending over drops the presence score for a few frames; the detector finds nobody then.
    def models() -> _ScriptedModels:
        return _ScriptedModels([(100, 120)], {100.0: 0.0}, [0.9, 0.05, 0.05, 0.9, 0.9])

    assert _people_per_frame(models(), 5, hold_s=0.33) == [1, 0, 0, 1, 1]
    assert _people_per_frame(models(), 5) == [1, 0, 0, 0, 0]  # hold_s=0: dropped at once


def test_a_region_is_held_for_seconds_not_frames() -> None:
    # A 4-frame dip: 0.13 s at 30 fps (held through it), 0.4 s at 10 fps (longer than 0.33 s).
    def models() -> _ScriptedModels:
        return _ScriptedModels([(100, 120)], {100.0: 0.0}, [0.9] + [0.05] * 4 + [0.9])

    assert _people_per_frame(models(), 6, hold_s=0.33, fps=30.0) == [1, 0, 0, 0, 0, 1]
    assert _people_per_frame(models(), 6, hold_s=0.33, fps=10.0) == [1, 0, 0, 0, 0, 0]


Arr = np.ndarray[tuple[int, ...], np.dtype[np.float64]]


class _MovedModels(_ScriptedModels):
    """As :class:`_ScriptedModels`, with the landmarks 40 px to the right from frame 3 on
    (what a held region finds beside the person: a barbell plate)."""

    def landmarks_in(self, frame: object, region: Arr) -> tuple[Arr, Arr, float, Arr]:
        body, scores, presence, follow = super().landmarks_in(frame, region)
        return body + np.float32(40.0 if self.frame >= 3 else 0.0), scores, presence, follow


def test_a_held_region_that_comes_back_elsewhere_is_not_the_person() -> None:
    models = _MovedModels([(100, 120)], {100.0: 0.0}, [0.9, 0.05, 0.05, 0.9, 0.9])
    assert _people_per_frame(models, 5, hold_s=0.33) == [1, 0, 0, 0, 0]


class _CandidateModels:
    """Stands in for the two interpreters: the detector finds ``found`` (x, score) on the first
    frame only, each a 100-px region at y = 120; the landmark model finds a 60-px stick body
    at the region's centre with the presence ``presence[x]``."""

    def __init__(self, found: list[tuple[float, float]], presence: dict[float, float]) -> None:
        self.found, self.presence, self.frame = found, presence, -1

    def detect(self, frame: object, tiles: object, score: float) -> list[tuple[Arr, float]]:
        self.frame += 1
        regions = [(np.array([x, 120.0, 100.0, 0.0]), s) for x, s in self.found]
        return [(r, s) for r, s in regions if s >= score] if self.frame == 0 else []

    def landmarks_in(self, frame: object, region: Arr) -> tuple[Arr, Arr, float, Arr]:
        x, y = region[0], region[1]
        body = np.stack([np.full(33, x) + np.linspace(-10, 10, 33), y + np.linspace(-30, 30, 33)])
        return body.T, np.ones(33), self.presence[float(x)], region


def test_a_weak_detection_is_followed_only_once_the_landmark_model_confirms_it() -> None:
    from sportslens.pose.backends.blazepose_multi import MultiPoseSettings, follow_people

    # x=100: a sure detection, followed at a low presence; x=200: a weak one the landmark
    # model barely sees (dropped); x=300: a weak one it sees clearly (followed).
    found = [(100.0, 0.9), (200.0, 0.4), (300.0, 0.4)]
    models = _CandidateModels(found, {100.0: 0.3, 200.0: 0.3, 300.0: 0.9})
    video = [(t, np.zeros((240, 400, 3), np.uint8)) for t in range(3)]
    settings = MultiPoseSettings(weak_detection=0.3)
    people = [p for p, _ in follow_people(video, settings, models)]  # type: ignore[arg-type]
    assert [sorted(np.round(p[:, :, 0].mean(axis=1)).tolist()) for p in people] == [[100, 300]] * 3
    strict = MultiPoseSettings()  # the default: weak detections ignored
    models = _CandidateModels(found, {100.0: 0.3, 200.0: 0.3, 300.0: 0.9})
    people = [p for p, _ in follow_people(video, strict, models)]  # type: ignore[arg-type]
    assert [len(p) for p in people] == [1] * 3


def test_a_candidate_mostly_inside_someone_followed_is_a_part_of_them() -> None:
    from sportslens.pose.backends.blazepose_multi import MultiPoseSettings, _confirmed

    settings = MultiPoseSettings()
    body = np.stack([np.full(33, 100.0), np.linspace(60, 180, 33)], axis=1)  # a 120-px body
    legs = np.stack([np.full(33, 101.0), np.linspace(130, 180, 33)], axis=1)  # its lower part
    beside = body + np.array([60.0, 0.0])
    assert _confirmed(beside.astype(np.float32), 0.9, [body.astype(np.float32)], settings)
    assert not _confirmed(legs.astype(np.float32), 0.9, [body.astype(np.float32)], settings)
    assert not _confirmed(beside.astype(np.float32), 0.3, [body.astype(np.float32)], settings)
