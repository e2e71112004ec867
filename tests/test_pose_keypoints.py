"""The keypoint file (round trip, errors, the older synthetic files), layouts and importing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sportslens.pose import (
    BLAZEPOSE33_NAMES,
    BLAZEPOSE_TO_COCO,
    COCO17_NAMES,
    FORMAT_VERSION,
    LAYOUTS,
    Keypoints,
    import_keypoints,
    load_keypoints,
    save_keypoints,
)


def make_keypoints(frames: int = 5, layout: str = "coco17", seed: int = 0) -> Keypoints:
    joints = len(LAYOUTS[layout][0])
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0.1, 1.0, (frames, joints))
    scores[1] = 0.0  # a frame with no person
    points = rng.uniform(0, 100, (frames, joints, 2))
    return Keypoints(points, scores, layout, 25.0, (320, 240), "clip.mp4")


# ---------------------------------------------------------------------------------------------
# The file


@pytest.mark.parametrize("layout", ["coco17", "blazepose33"])
def test_round_trip_keeps_every_field_and_extra_arrays(tmp_path: Path, layout: str) -> None:
    kp = make_keypoints(layout=layout)
    path = save_keypoints(tmp_path / "sub" / "kp.npz", kp, reps=np.int64(3))
    back = load_keypoints(path)
    np.testing.assert_array_equal(back.keypoints, kp.keypoints)
    np.testing.assert_array_equal(back.scores, kp.scores)
    assert back.keypoints.dtype == np.float32 and back.scores.dtype == np.float32
    assert (back.layout, back.fps, back.size, back.source) == (layout, 25.0, (320, 240), "clip.mp4")
    assert (back.num_frames, back.num_joints) == (5, len(LAYOUTS[layout][0]))
    assert back.detected.tolist() == [True, False, True, True, True]
    with np.load(path) as data:
        # One person is still written without a people axis, readable by earlier versions.
        assert int(data["version"]) == 1 and int(data["reps"]) == 3
    assert [p.name for p in path.parent.iterdir()] == ["kp.npz"]  # no temporary file left


def test_extra_arrays_may_not_replace_the_standard_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="own keys"):
        save_keypoints(tmp_path / "kp.npz", make_keypoints(), scores=np.zeros(3))


def write_npz(path: Path, **arrays: object) -> Path:
    with path.open("wb") as file:
        np.savez(file, **arrays)  # type: ignore[arg-type]
    return path


def valid_arrays() -> dict[str, object]:
    kp = make_keypoints()
    return {
        "keypoints": kp.keypoints,
        "scores": kp.scores,
        "layout": np.str_("coco17"),
        "fps": np.float64(25),
        "size": np.array([320, 240]),
        "source": np.str_("clip.mp4"),
        "version": np.int64(1),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scores": None}, r"missing key\(s\) \['scores'\]"),
        ({"layout": None}, r"missing key\(s\) \['layout'\]"),
        ({"version": np.int64(FORMAT_VERSION + 1)}, f"version {FORMAT_VERSION + 1} is newer"),
        ({"keypoints": np.zeros((5, 17, 3), np.float32)}, r"shape \(T, 17, 2\)"),
        ({"scores": np.zeros((4, 17), np.float32)}, r"scores must have shape \(5, 17\)"),
        ({"layout": np.str_("openpose25")}, "unknown keypoint layout 'openpose25'"),
        ({"size": np.array([320])}, "size must hold 2 numbers"),
        ({"scores": np.full((5, 17), 2.0, np.float32)}, r"scores must lie in \[0, 1\]"),
    ],
)
def test_bad_files_raise_a_value_error_naming_the_file(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    arrays = {**valid_arrays(), **change}
    path = write_npz(tmp_path / "bad.npz", **{k: v for k, v in arrays.items() if v is not None})
    with pytest.raises(ValueError, match=rf"bad\.npz: .*{message}"):
        load_keypoints(path)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nothing\.npz"):
        load_keypoints(tmp_path / "nothing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"junk\.npz: not a readable keypoint"):
        load_keypoints(junk)


def test_arrays_of_other_keys_are_never_read(tmp_path: Path) -> None:
    """An array only unpickling could load fails the moment it is read: it must not be."""
    extra = {"note": np.array([{"any": "object"}], dtype=object)}
    path = write_npz(tmp_path / "kp.npz", **valid_arrays(), **extra)
    back = load_keypoints(path)
    np.testing.assert_array_equal(back.keypoints, make_keypoints().keypoints)


def test_reads_the_first_unversioned_synthetic_files(tmp_path: Path) -> None:
    """visibility instead of scores, no layout/source/version, size as (height, width)."""
    kp = make_keypoints()
    path = write_npz(
        tmp_path / "squat_0000.npz",
        keypoints=kp.keypoints,
        visibility=(kp.scores > 0).astype(np.float32),
        fps=np.float64(30),
        reps=np.int64(2),
        size=np.array([240, 320]),
    )
    old = load_keypoints(path)
    assert (old.layout, old.fps, old.size, old.source) == ("coco17", 30.0, (320, 240), str(path))
    np.testing.assert_array_equal(old.scores, (kp.scores > 0).astype(np.float32))


def test_synthetic_athletes_write_keypoint_files(athletes: Path) -> None:
    for path in sorted(athletes.rglob("*.npz"))[:3]:
        kp = load_keypoints(path)
        assert kp.layout == "coco17" and kp.size == (64, 64) and kp.fps == 12
        assert kp.source == path.with_suffix(".mp4").name


def test_constructor_validates_and_converts(tmp_path: Path) -> None:
    kp = Keypoints(np.zeros((2, 17, 2)), np.ones((2, 17)), "coco17", 30, (8, 6), "x")
    assert kp.keypoints.dtype == np.float32 and kp.size == (8, 6)
    with pytest.raises(ValueError, match=r"shape \(T, 17, 2\)"):
        Keypoints(np.zeros((2, 33, 2)), np.ones((2, 33)), "coco17", 30, (8, 6), "x")
    with pytest.raises(ValueError, match="NaN"):
        Keypoints(np.full((2, 17, 2), np.nan), np.ones((2, 17)), "coco17", 30, (8, 6), "x")
    with pytest.raises(ValueError, match="fps"):
        Keypoints(np.zeros((2, 17, 2)), np.ones((2, 17)), "coco17", 0, (8, 6), "x")
    with pytest.raises(ValueError, match="size"):
        Keypoints(np.zeros((2, 17, 2)), np.ones((2, 17)), "coco17", 30, (0, 6), "x")


# ---------------------------------------------------------------------------------------------
# Layouts


def test_layouts_are_consistent() -> None:
    for layout, (names, edges) in LAYOUTS.items():
        assert len(set(names)) == len(names), layout
        assert all(0 <= a < len(names) and 0 <= b < len(names) and a != b for a, b in edges)
        assert len(set(map(frozenset, edges))) == len(edges), f"{layout}: repeated edge"
    assert len(COCO17_NAMES) == 17 and len(BLAZEPOSE33_NAMES) == 33
    assert [BLAZEPOSE33_NAMES[i] for i in BLAZEPOSE_TO_COCO] == list(COCO17_NAMES)


def test_blazepose_to_coco_maps_each_joint_to_the_same_body_part() -> None:
    """Hand-made BlazePose frames whose x is the landmark index: COCO picks the right ones."""
    frames = 2
    blaze = np.zeros((frames, 33, 2), np.float32)
    blaze[..., 0] = np.arange(33)  # x = BlazePose index
    blaze[..., 1] = 100 + np.arange(33)
    scores = np.linspace(0.01, 1, 33, dtype=np.float32)[None].repeat(frames, 0)
    coco = Keypoints(blaze, scores, "blazepose33", 30, (640, 480), "x").to_coco17()
    assert coco.layout == "coco17" and coco.keypoints.shape == (frames, 17, 2)
    index = {name: i for i, name in enumerate(COCO17_NAMES)}
    expected = {  # COCO joint → BlazePose landmark index (MediaPipe's documented numbering)
        "nose": 0,
        "left_eye": 2,
        "right_eye": 5,
        "left_ear": 7,
        "right_ear": 8,
        "left_shoulder": 11,
        "right_shoulder": 12,
        "left_elbow": 13,
        "right_elbow": 14,
        "left_wrist": 15,
        "right_wrist": 16,
        "left_hip": 23,
        "right_hip": 24,
        "left_knee": 25,
        "right_knee": 26,
        "left_ankle": 27,
        "right_ankle": 28,
    }
    for name, blaze_index in expected.items():
        assert coco.keypoints[0, index[name]].tolist() == [blaze_index, 100 + blaze_index]
        assert coco.scores[1, index[name]] == scores[1, blaze_index]
    already = make_keypoints()
    assert already.to_coco17() is already


# ---------------------------------------------------------------------------------------------
# Importing other tools' keypoints


def test_imports_npz_json_and_csv(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    xys = rng.uniform(0, 50, (4, 17, 3))
    xys[..., 2] = rng.uniform(0, 1, (4, 17))
    xys[2, 3, :2] = np.nan  # a missing joint
    np.savez(tmp_path / "a.npz", poses=xys)
    (tmp_path / "b.json").write_text(json.dumps({"keypoints": np.nan_to_num(xys).tolist()}))
    header = "frame," + ",".join(f"{n}_{c}" for n in COCO17_NAMES for c in "xys")
    rows = [f"{t}," + ",".join(f"{v:.6f}" for v in xys[t].reshape(-1)) for t in range(4)]
    (tmp_path / "c.csv").write_text("\n".join([header, *rows]).replace("nan", ""))
    for name in ["a.npz", "b.json", "c.csv"]:
        kp = import_keypoints(tmp_path / name, fps=10, size=(50, 50), num_frames=4)
        assert kp.layout == "coco17" and kp.num_frames == 4, name
        ok = np.ones((4, 17), bool)
        ok[2, 3] = False
        np.testing.assert_allclose(kp.keypoints[ok], xys[..., :2][ok], atol=1e-5, err_msg=name)
        if name != "b.json":  # JSON has no NaN: the tool's zeros stay as given
            assert kp.scores[2, 3] == 0 and kp.keypoints[2, 3].tolist() == [0, 0], name


def test_import_two_channels_and_blazepose(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps(np.ones((3, 33, 2)).tolist()))
    kp = import_keypoints(tmp_path / "p.json", fps=30, size=(10, 10))
    assert kp.layout == "blazepose33" and float(kp.scores.min()) == 1.0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.json", [[[1, 2]] * 5] * 3, "5 joints match no known layout"),
        ("b.csv", "1,2,3\n4,5,6\n", "3 numbers per row match no layout"),
        ("c.txt", "", "cannot import keypoints from a .txt file"),
        ("d.json", np.ones((4, 17, 2)).tolist(), "holds 4 frames of keypoints but the video has 9"),
    ],
)
def test_import_errors_name_the_file(
    tmp_path: Path, name: str, content: object, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(ValueError, match=rf"{name}: {message}"):
        import_keypoints(path, fps=30, size=(10, 10), num_frames=9)
