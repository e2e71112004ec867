"""Shot changes found in real encoded videos: two takes of a squat set joined by a hard cut or a
cross-fade, framed alike (the athlete where she was, seen from the other side in another room),
and the repetitions never joined across them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from sportslens.pose.form import analyze_form, keypoints_and_shots
from sportslens.pose.keypoints import Keypoints
from sportslens.pose.signal import find_spans
from sportslens.shots import ShotChange, find_shot_changes, thumbnail, video_thumbnails
from sportslens.synth import clips
from sportslens.synth.motion import Schedule
from sportslens.synth.scene import clip_keypoints
from sportslens.synth.settings import ClipSettings
from sportslens.writer import write_video

FPS = 30.0
FADE = 8


def _takes() -> tuple[clips.ClipSpec, clips.ClipSpec]:
    """The same three-squat set filmed twice: the second camera sees the other side, elsewhere."""
    spec = clips.sample_clip_spec("squat", 0, ClipSettings(num_frames=180, size=160))
    schedule = Schedule(3, 1.4, 0.4, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
    first = replace(spec, schedule=schedule)
    other_room = clips.sample_clip_spec("squat", 3, ClipSettings(num_frames=180, size=160)).look
    return first, replace(first, yaw=-first.yaw, look=other_room)


def _frames(spec: clips.ClipSpec) -> NDArray[np.uint8]:
    return np.stack(list(clips.render_frames(spec)))  # (T, H, W, 3)


def _keypoints(spec: clips.ClipSpec) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    points, visibility = clip_keypoints(spec)
    return points.astype(np.float32), visibility.astype(np.float32)


# The third squat's bottom: schedule start 0.4 s + 2.5 periods of 1.4 s = 3.9 s, frame 117.
JOIN = 117


@pytest.fixture(scope="module")
def joined(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Videos of take one until JOIN, take two after: a hard cut and an 8-frame cross-fade."""
    folder = tmp_path_factory.mktemp("shots")
    one, two = _takes()
    a, b = _frames(one), _frames(two)
    cut = np.concatenate([a[:JOIN], b[JOIN:]])
    alpha = np.linspace(0, 1, FADE + 2)[1:-1, None, None, None]  # (FADE, 1, 1, 1)
    blend = (1 - alpha) * a[JOIN : JOIN + FADE] + alpha * b[JOIN : JOIN + FADE]
    fade = np.concatenate([a[:JOIN], blend.round().astype(np.uint8), b[JOIN + FADE :]])
    (pa, va), (pb, vb) = _keypoints(one), _keypoints(two)
    half = JOIN + FADE // 2
    kp = Keypoints(
        np.concatenate([pa[:half], pb[half:]]),
        np.concatenate([va[:half], vb[half:]]),
        "coco17",
        FPS,
        (160, 160),
        "joined",
    )
    return {
        "cut": write_video(folder / "cut.mp4", cut, FPS),
        "fade": write_video(folder / "fade.mp4", fade, FPS),
        "single": write_video(folder / "single.mp4", a, FPS),
        "pan": write_video(folder / "pan.mp4", _panned(a), FPS),
        "keypoints": kp,
    }


def _panned(frames: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A camera panning 1 px a frame and zooming in, over the take's own (T, H, W, 3) frames."""
    out = []
    for t, frame in enumerate(frames):
        shift = t // 2
        crop = frame[shift // 2 : 160 - shift // 4, shift // 2 : 160 - shift // 4]
        rows = np.linspace(0, crop.shape[0] - 1, 160).astype(int)
        out.append(np.roll(crop[rows][:, rows], t, axis=1))
    return np.stack(out)


def test_a_hard_cut_between_takes_framed_alike_is_found_at_its_frame(joined: dict) -> None:
    changes = find_shot_changes(video_thumbnails(joined["cut"]), FPS)
    assert changes == [ShotChange(JOIN - 1, JOIN)]
    assert changes[0].kind == "cut" and changes[0].boundary == JOIN


def test_a_cross_fade_is_found_over_its_frames(joined: dict) -> None:
    changes = find_shot_changes(video_thumbnails(joined["fade"]), FPS)
    assert len(changes) == 1
    change = changes[0]
    assert change.kind == "fade"
    # The blend runs over frames JOIN..JOIN + 7; its ends are the last pure frames (the run may
    # take in a few frames of the athlete rising fast just after it).
    assert JOIN - 2 <= change.before < JOIN <= JOIN + FADE <= change.after <= JOIN + FADE + 4
    assert change.before < change.boundary < change.after


def test_one_take_and_a_panning_zooming_camera_have_no_shot_change(joined: dict) -> None:
    assert find_shot_changes(video_thumbnails(joined["single"]), FPS) == []
    assert find_shot_changes(video_thumbnails(joined["pan"]), FPS) == []


@pytest.mark.parametrize("video", ["cut", "fade"])
def test_repetitions_are_not_joined_across_the_shot_change(joined: dict, video: str) -> None:
    kp = joined["keypoints"]
    # The athlete stands where she stood: the keypoints alone see no cut and join the takes,
    # so the third squat's descent (take one) and ascent (take two) make one repetition.
    assert [span.opened_by for span in find_spans(kp)] == ["start"]
    assert analyze_form(kp, "squat").repetitions.count == 3
    shots = find_shot_changes(video_thumbnails(joined[video]), FPS)
    report = analyze_form(kp, "squat", shots=shots).repetitions
    assert [span.opened_by for span in report.spans] == ["start", "cut"]
    assert report.count == 2  # the two whole squats of take one
    assert len(report.partial) == 2  # half a squat either side of the change


def test_thumbnails_taken_while_decoding_match_the_small_decode(joined: dict) -> None:
    """The pose backend's frames (full size) and FFmpeg's small decode give the same changes."""
    from sportslens.video import iter_frames

    full = np.stack([thumbnail(frame) for _, frame in iter_frames(joined["cut"])])
    assert find_shot_changes(full, FPS) == [ShotChange(JOIN - 1, JOIN)]


def test_a_keypoint_file_has_no_frames_to_find_shots_in(tmp_path: Path, joined: dict) -> None:
    from sportslens.pose.keypoints import save_keypoints

    path = save_keypoints(tmp_path / "joined.npz", joined["keypoints"])
    kp, shots = keypoints_and_shots(path)
    assert shots == [] and kp.num_frames == joined["keypoints"].num_frames


def test_analyze_splits_at_the_cut_it_finds_and_says_so(tmp_path: Path, joined: dict) -> None:
    import json

    from typer.testing import CliRunner

    from sportslens.cli import app
    from sportslens.pose.keypoints import save_keypoints

    keypoints = save_keypoints(tmp_path / "joined.npz", joined["keypoints"])
    out = tmp_path / "report"
    args = ["analyze", str(joined["cut"]), "--exercise", "squat", "--keypoints", str(keypoints)]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "each shot change: cut at 3.9 s" in result.output
    form = json.loads((out / "analysis.json").read_text())["form"]
    assert form["shot_changes"] == [{"before": JOIN - 1, "after": JOIN, "kind": "cut"}]
    assert form["count"] == 2 and len(form["partial"]) == 2


def test_each_person_is_split_at_the_shot_change_as_one_person_is(joined: dict) -> None:
    """``form --people``: every track's count is split where the single-person count is."""
    from sportslens.pose.people import People
    from sportslens.pose.people_form import analyze_people

    shots = find_shot_changes(video_thumbnails(joined["cut"]), FPS)
    people = People.of(joined["keypoints"], track_id=4)
    (joined_up,) = analyze_people(people, "squat")
    (split,) = analyze_people(people, "squat", shots=shots)
    assert joined_up.analysis is not None and split.analysis is not None
    assert joined_up.analysis.repetitions.count == 3
    assert (split.track_id, split.analysis.repetitions.count) == (4, 2)
    assert len(split.analysis.repetitions.partial) == 2
