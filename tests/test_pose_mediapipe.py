"""The MediaPipe backend: every frame kept, misses marked, agreement with known keypoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import MakeVideo
from sportslens.pose import Keypoints, extract_keypoints, load_keypoints, save_keypoints

pytest.importorskip("mediapipe", reason="the pose extra is not installed")


def test_a_video_with_no_person_keeps_every_frame_with_scores_zero(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    video = make_video("bands.mp4", frames=15)  # coloured bands, no body
    kp = extract_keypoints(video)
    assert (kp.num_frames, kp.layout, kp.size) == (15, "coco17", (96, 64))
    assert kp.fps == pytest.approx(30)
    assert not kp.detected.any()
    assert not kp.scores.any()
    path = save_keypoints(tmp_path / "bands.npz", kp)
    assert load_keypoints(path).num_frames == 15


@pytest.fixture(scope="module")
def athlete(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic squat at 160 px: a drawn figure that MediaPipe does find."""
    from sportslens.synth.clips import sample_clip_spec, write_clip
    from sportslens.synth.settings import ClipSettings

    spec = sample_clip_spec("squat", 0, ClipSettings(num_frames=45, size=160, seed=1))
    return write_clip(spec, tmp_path_factory.mktemp("athlete") / "squat.mp4")


@pytest.fixture(scope="module")
def athlete_keypoints(athlete: Path) -> Keypoints:
    return extract_keypoints(athlete)


def test_keypoints_match_the_synthetic_ground_truth_left_and_right(
    athlete: Path, athlete_keypoints: Keypoints
) -> None:
    """MediaPipe's COCO keypoints land on the drawn body, with left and right not swapped."""
    truth = load_keypoints(athlete.with_suffix(".npz"))
    kp = athlete_keypoints
    assert kp.num_frames == truth.num_frames == 45
    seen = (truth.scores > 0) & (kp.scores > 0)  # (T, 17)
    assert kp.detected.mean() > 0.9
    error = np.linalg.norm(kp.keypoints - truth.keypoints, axis=2)[seen]
    assert np.median(error) < 5.0  # pixels, on a 160 px frame
    swap = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
    swapped = np.linalg.norm(kp.keypoints[:, swap] - truth.keypoints, axis=2)[seen]
    assert np.median(error) < np.median(swapped)


def test_blazepose_layout_keeps_all_33_landmarks(
    athlete: Path, athlete_keypoints: Keypoints
) -> None:
    kp = extract_keypoints(athlete, layout="blazepose33")
    assert kp.layout == "blazepose33" and kp.keypoints.shape == (45, 33, 2)
    np.testing.assert_array_equal(kp.to_coco17().keypoints, athlete_keypoints.keypoints)


@pytest.mark.slow
def test_finds_the_lifter_in_nearly_every_frame_of_a_real_clip(shared_clips: Path) -> None:
    clip = shared_clips / "mmskeleton_clean_and_jerk.mp4"
    if not clip.is_file():
        pytest.skip(f"{clip.name} is not among the shared clips")
    kp = extract_keypoints(clip)
    assert kp.num_frames == 300 and kp.size == (340, 256)
    assert kp.detected.mean() >= 0.9
