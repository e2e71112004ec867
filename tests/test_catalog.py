"""Catalogs: each reader on files written here, auto-detection, probing with its caches, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sportslens.video
from conftest import MakeVideo
from sportslens.data.catalog import Catalog, Record, class_summary
from sportslens.data.formats import from_diving48, from_kinetics_csv, read_catalog
from sportslens.data.probe_cache import CACHE_ENV, clear_memory_cache
from sportslens.data.readers import from_csv, from_folder


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty probe cache, on disk and in memory."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    clear_memory_cache()
    return cache


def _folders(tmp_path: Path, *names: str) -> None:
    for name in names:
        (tmp_path / name).mkdir(parents=True, exist_ok=True)


def _count_probes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every call to ``sportslens.video.probe`` (which still does its work)."""
    calls: list[str] = []
    real = sportslens.video.probe

    def counting(source: sportslens.video.Source) -> sportslens.video.VideoInfo:
        calls.append(str(source))
        return real(source)

    monkeypatch.setattr(sportslens.video, "probe", counting)
    return calls


# Folder per class ---------------------------------------------------------------------------


def test_folder_with_split_folders(tmp_path: Path, make_video: MakeVideo) -> None:
    _folders(tmp_path, "d/train/run", "d/train/jump", "d/validation/run", "d/test/jump")
    for name in ["train/run/r1.mp4", "train/run/r2.mkv", "train/jump/j1.mp4"]:
        make_video(f"d/{name}", frames=4)
    make_video("d/validation/run/r3.mp4", frames=4)
    make_video("d/test/jump/j2.mp4", frames=4)
    (tmp_path / "d/train/run/notes.txt").write_text("shot on a phone")
    (tmp_path / "d/train/jump/.DS_Store").write_bytes(b"\0")

    catalog = from_folder(tmp_path / "d")

    assert catalog.classes == ("jump", "run")
    assert catalog.splits == ("train", "val", "test")  # "validation" reads as val
    rows = {(Path(r.source).name, r.label, r.label_index, r.split) for r in catalog}
    assert rows == {
        ("j1.mp4", "jump", 0, "train"),
        ("r1.mp4", "run", 1, "train"),
        ("r2.mkv", "run", 1, "train"),
        ("r3.mp4", "run", 1, "val"),
        ("j2.mp4", "jump", 0, "test"),
    }
    assert all(Path(r.source).is_absolute() for r in catalog)
    assert catalog.problems == (
        (str(tmp_path / "d/train/run/notes.txt"), "not a video file (extension .txt)"),
    )
    assert len(catalog.split("train")) == 3
    assert list(catalog.split("val").class_counts()) == [0, 1]


def test_folder_per_class_keeps_empty_classes(tmp_path: Path, make_video: MakeVideo) -> None:
    _folders(tmp_path, "d/swim/lane2", "d/bike")
    make_video("d/swim/a.mp4", frames=4)
    make_video("d/swim/lane2/b.mp4", frames=4)  # videos in subfolders of a class count too

    catalog = from_folder(tmp_path / "d")

    assert catalog.classes == ("bike", "swim")
    assert [r.split for r in catalog] == [None, None]
    assert catalog.class_counts().to_dict() == {"bike": 0, "swim": 2}
    assert catalog.problems == ((str(tmp_path / "d/bike"), "class folder holds no videos"),)
    with pytest.raises(ValueError, match=r"no split 'train'; available: none"):
        catalog.split("train")


def test_folder_errors_name_the_problem(tmp_path: Path) -> None:
    _folders(tmp_path, "mixed/train/run", "mixed/run", "empty")
    with pytest.raises(ValueError, match=r"mixes split folders \(train\) with class folders"):
        from_folder(tmp_path / "mixed")
    with pytest.raises(ValueError, match="no class folders"):
        from_folder(tmp_path / "empty")
    with pytest.raises(ValueError, match="not a folder"):
        from_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"labels not among the given class_names: run"):
        from_folder(tmp_path / "mixed/train", class_names=["jump"])


# Diving48 -------------------------------------------------------------------------------------


def _diving48_entries() -> list[dict[str, object]]:
    return [
        {"vid_name": "dive_a", "label": 3, "start_frame": 0, "end_frame": 5},
        {"vid_name": "dive_b", "label": 47, "start_frame": 2, "end_frame": 7},
        {"vid_name": "dive_gone", "label": 0, "start_frame": 0, "end_frame": 3},
    ]


def test_diving48_keeps_segment_bounds(tmp_path: Path, make_video: MakeVideo) -> None:
    _folders(tmp_path, "rgb")
    make_video("rgb/dive_a.mp4", frames=8)
    make_video("rgb/dive_b.mp4", frames=8)
    annotations = tmp_path / "Diving48_V2_train.json"
    annotations.write_text(json.dumps(_diving48_entries()))

    catalog = from_diving48(annotations)

    assert len(catalog.classes) == 48
    assert catalog.classes[0] == "5231D Back 1½ somersaults, ½ twist, free"
    assert catalog.classes[47] == "301C Reverse dive, tuck"
    assert [(r.label, r.label_index, r.start_frame, r.end_frame) for r in catalog] == [
        ("203B Back 1½ somersaults, pike", 3, 0, 5),
        ("301C Reverse dive, tuck", 47, 2, 7),
    ]
    assert catalog[0].source == str(tmp_path / "rgb/dive_a.mp4")
    assert catalog.splits == ("train",)
    [(missing, reason)] = catalog.problems
    assert missing == str(tmp_path / "rgb/dive_gone.mp4")
    assert "not found" in reason and "Diving48_V2_train.json" in reason

    names = [f"dive {i}" for i in range(48)]
    renamed = from_diving48(annotations, tmp_path / "rgb", class_names=names)
    assert [r.label for r in renamed] == ["dive 3", "dive 47"]


def test_diving48_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "Diving48_test.json"
    bad.write_text("[{'vid_name': 1")
    with pytest.raises(ValueError, match=r"Diving48_test.json: not valid JSON"):
        from_diving48(bad)
    bad.write_text(json.dumps({"vid_name": "x"}))
    with pytest.raises(ValueError, match="expected a JSON list"):
        from_diving48(bad)
    bad.write_text(json.dumps([{"vid_name": "x", "label": 1, "start_frame": 0}]))
    with pytest.raises(ValueError, match=r"entry 0 lacks end_frame"):
        from_diving48(bad)
    bad.write_text(json.dumps([{"vid_name": "x", "label": 48, "start_frame": 0, "end_frame": 1}]))
    with pytest.raises(ValueError, match=r"entry 0 \(x\): label 48 is not below the 48 classes"):
        from_diving48(bad)


# CSV ------------------------------------------------------------------------------------------


def test_csv_with_relative_paths_and_optional_columns(
    tmp_path: Path, make_video: MakeVideo
) -> None:
    _folders(tmp_path, "clips")
    make_video("clips/a.mp4", frames=4)
    make_video("clips/b.mp4", frames=4)
    table = tmp_path / "labels.csv"
    table.write_text(
        "path,label,start_frame,end_frame,group,split\n"
        "clips/a.mp4,vault,,,athlete1,train\n"
        "clips/b.mp4,beam,2,3,athlete2,Validation\n"
        "clips/b.mp4,beam,0,1,athlete2,\n"
        "clips/lost.mp4,floor,,,athlete3,test\n"
    )

    catalog = from_csv(table)

    assert catalog.classes == ("beam", "floor", "vault")  # listed labels define classes
    assert [
        (Path(r.source).name, r.label_index, r.start_frame, r.end_frame, r.group, r.split)
        for r in catalog
    ] == [
        ("a.mp4", 2, None, None, "athlete1", "train"),
        ("b.mp4", 0, 2, 3, "athlete2", "val"),
        ("b.mp4", 0, 0, 1, "athlete2", None),
    ]
    assert catalog.problems == (
        (str(tmp_path / "clips/lost.mp4"), "video file not found (listed in labels.csv)"),
    )
    # The same table read against another root finds nothing there.
    assert len(from_csv(table, root=tmp_path / "elsewhere")) == 0


def test_csv_integer_labels_are_indices(tmp_path: Path, make_video: MakeVideo) -> None:
    video = make_video("a.mp4", frames=4)
    table = tmp_path / "index.csv"
    table.write_text(f"path,label\n{video},2\n{video},0\n")
    catalog = from_csv(table)
    assert catalog.classes == ("class_0", "class_1", "class_2")
    assert [(r.label, r.label_index) for r in catalog] == [("class_2", 2), ("class_0", 0)]


def test_csv_errors_name_file_and_column(tmp_path: Path) -> None:
    table = tmp_path / "bad.csv"
    table.write_text("path,group\na.mp4,g\n")
    with pytest.raises(ValueError, match=r"bad.csv: missing required column label \(found: path"):
        from_csv(table)
    table.write_text("path,label,start_frame\na.mp4,x,soon\n")
    with pytest.raises(ValueError, match=r"line 2: start_frame must be a non-negative integer"):
        from_csv(table)
    table.write_text("")
    with pytest.raises(ValueError, match="the file is empty"):
        from_csv(table)


# Kinetics -------------------------------------------------------------------------------------


def test_kinetics_matches_by_youtube_id(tmp_path: Path, make_video: MakeVideo) -> None:
    _folders(tmp_path, "k400/train/abseiling", "k400/train/juggling")
    make_video("k400/train/abseiling/aB3_x-9Yz0Q_000010_000020.mp4", frames=4)
    make_video("k400/train/juggling/Zz_9-_aaaaa.mp4", frames=4)
    table = tmp_path / "k400/train.csv"
    table.write_text(
        "label,youtube_id,time_start,time_end,split\n"
        "abseiling,aB3_x-9Yz0Q,10,20,train\n"
        "juggling,Zz_9-_aaaaa,0,10,train\n"
        "juggling,missing0000,4,14,train\n"
    )

    catalog = from_kinetics_csv(table, tmp_path / "k400")

    assert catalog.classes == ("abseiling", "juggling")
    assert [(Path(r.source).name, r.label, r.group, r.split) for r in catalog] == [
        ("aB3_x-9Yz0Q_000010_000020.mp4", "abseiling", "aB3_x-9Yz0Q", "train"),
        ("Zz_9-_aaaaa.mp4", "juggling", "Zz_9-_aaaaa", "train"),
    ]
    [(missing, reason)] = catalog.problems
    assert missing == "missing0000"
    assert "no video whose name starts with this id" in reason and "line 4" in reason


# Auto-detection -------------------------------------------------------------------------------


def test_read_catalog_detects_the_format(tmp_path: Path, make_video: MakeVideo) -> None:
    _folders(tmp_path, "folder/run", "synthetic", "diving/rgb", "kinetics")
    make_video("folder/run/a.mp4", frames=4)
    make_video("synthetic/s.mp4", frames=4)
    (tmp_path / "synthetic/labels.csv").write_text("path,label,group\ns.mp4,squat,person0\n")
    make_video("diving/rgb/d.mp4", frames=4)
    dive = {"vid_name": "d", "label": 1, "start_frame": 0, "end_frame": 3}
    (tmp_path / "diving/Diving48_V2_test.json").write_text(json.dumps([dive]))
    make_video("kinetics/abcdefghijk_000000_000010.mp4", frames=4)
    (tmp_path / "kinetics/k.csv").write_text(
        "label,youtube_id,time_start,time_end,split\nbowling,abcdefghijk,0,10,val\n"
    )
    (tmp_path / "plain.csv").write_text("path,label\nfolder/run/a.mp4,run\n")

    assert read_catalog(tmp_path / "folder").classes == ("run",)
    assert read_catalog(tmp_path / "synthetic")[0].group == "person0"
    assert read_catalog(tmp_path / "diving/Diving48_V2_test.json")[0].split == "test"
    assert read_catalog(tmp_path / "kinetics/k.csv")[0].label == "bowling"
    assert read_catalog(tmp_path / "plain.csv")[0].source == str(tmp_path / "folder/run/a.mp4")
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(ValueError, match=r"notes.txt: cannot tell how to read it"):
        read_catalog(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="no such file or folder"):
        read_catalog(tmp_path / "nowhere")


# Probing --------------------------------------------------------------------------------------


def _probe_catalog(tmp_path: Path, make_video: MakeVideo) -> Catalog:
    _folders(tmp_path, "d/long", "d/short")
    make_video("d/long/a.mp4", frames=30, fps=30, height=64, width=96)
    make_video("d/long/b.mp4", frames=20, fps=10, height=48, width=64)
    make_video("d/short/c.mp4", frames=6, fps=30, height=32, width=32)
    (tmp_path / "d/short/broken.mp4").write_bytes(np.random.default_rng(0).bytes(2000))
    return from_folder(tmp_path / "d")


def test_to_dataframe_probes_every_video(tmp_path: Path, make_video: MakeVideo) -> None:
    catalog = _probe_catalog(tmp_path, make_video)

    frame = catalog.to_dataframe(workers=2, progress=False).set_index(
        catalog.to_records_frame()["source"].map(lambda s: Path(s).name)
    )

    readable = frame.loc[["a.mp4", "b.mp4", "c.mp4"]]
    assert list(readable["frames"]) == [30, 20, 6]
    assert list(readable["fps"]) == pytest.approx([30, 10, 30], rel=1e-3)
    assert list(readable["duration"]) == pytest.approx([1.0, 2.0, 0.2], rel=1e-3)
    assert list(readable["width"]) == [96, 64, 32]
    assert list(readable["height"]) == [64, 48, 32]
    assert set(readable["codec"]) == {"h264"}
    assert list(readable["readable"]) == [True, True, True]
    assert list(readable["error"]) == [None, None, None]
    broken = frame.loc["broken.mp4"].to_dict()
    assert not broken["readable"]
    assert "broken.mp4" in broken["error"]
    assert pd.isna(broken["frames"])
    assert np.isnan(broken["duration"])
    assert list(frame["label"]) == ["long", "long", "short", "short"]


def test_probe_answers_come_from_memory_then_disk(
    tmp_path: Path, make_video: MakeVideo, monkeypatch: pytest.MonkeyPatch, private_cache: Path
) -> None:
    catalog = _probe_catalog(tmp_path, make_video)
    calls = _count_probes(monkeypatch)

    first = catalog.to_dataframe(progress=False)
    assert len(calls) == 4
    assert (private_cache / "probe.sqlite").is_file()

    pd.testing.assert_frame_equal(catalog.to_dataframe(progress=False), first)  # memory
    clear_memory_cache()
    pd.testing.assert_frame_equal(catalog.to_dataframe(progress=True), first)  # disk
    assert len(calls) == 4

    rewritten = tmp_path / "d/long/a.mp4"
    stat = rewritten.stat()
    os.utime(rewritten, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    catalog.to_dataframe(progress=False)
    assert calls[4:] == [str(rewritten)]  # a changed file is probed again, and only it


def test_unusable_disk_cache_warns_and_still_probes(
    tmp_path: Path, make_video: MakeVideo, private_cache: Path
) -> None:
    private_cache.mkdir()
    (private_cache / "probe.sqlite").write_text("this is not a database")
    catalog = from_csv(_one_video_csv(tmp_path, make_video))
    with pytest.warns(UserWarning, match="probe cache .* is unusable"):
        frame = catalog.to_dataframe(progress=False)
    assert list(frame["frames"]) == [4]


def _one_video_csv(tmp_path: Path, make_video: MakeVideo) -> Path:
    make_video("v.mp4", frames=4)
    table = tmp_path / "one.csv"
    table.write_text("path,label\nv.mp4,x\n")
    return table


def test_class_summary_gives_counts_and_durations(tmp_path: Path, make_video: MakeVideo) -> None:
    found = _probe_catalog(tmp_path, make_video)
    classes = ("empty", *found.classes)
    records = tuple(Record(r.source, r.label, classes.index(r.label)) for r in found)
    catalog = Catalog(records, classes, name="with an empty class")

    summary = class_summary(catalog.to_dataframe(progress=False))

    assert list(summary.index) == ["empty", "long", "short"]
    assert list(summary["videos"]) == [0, 2, 2]
    assert list(summary["unreadable"]) == [0, 0, 1]
    assert summary.loc["long", "duration_min"] == pytest.approx(1.0, rel=1e-3)
    assert summary.loc["long", "duration_mean"] == pytest.approx(1.5, rel=1e-3)
    assert summary.loc["long", "duration_max"] == pytest.approx(2.0, rel=1e-3)
    assert summary.loc["short", "duration_max"] == pytest.approx(0.2, rel=1e-3)
    assert np.isnan(summary["duration_mean"].tolist()[0])


# The catalog itself ---------------------------------------------------------------------------


def _catalog() -> Catalog:
    records = tuple(
        Record(f"/v/{i}.mp4", label, index, split=split)
        for i, (label, index, split) in enumerate(
            [("a", 0, "train"), ("b", 1, "train"), ("a", 0, "test"), ("a", 0, None)]
        )
    )
    return Catalog(records, ("a", "b", "c"), (("/v/x.txt", "not a video"),), name="toy")


def test_catalog_selects_and_counts() -> None:
    catalog = _catalog()
    assert len(catalog) == 4 and catalog[1].label == "b"
    assert [r.source for r in catalog.subset([3, 0])] == ["/v/3.mp4", "/v/0.mp4"]
    assert catalog.splits == ("train", "test")
    assert catalog.class_counts().to_dict() == {"a": 3, "b": 1, "c": 0}
    assert catalog.split("test").problems == catalog.problems
    with pytest.raises(ValueError, match=r"no split 'val'; available: train, test"):
        catalog.split("val")
    assert "4 videos, 3 classes" in repr(catalog)
    records = catalog.to_records_frame()
    assert list(records.columns) == [
        "source",
        "label",
        "label_index",
        "start_frame",
        "end_frame",
        "group",
        "split",
    ]
    assert list(records["label"].cat.categories) == ["a", "b", "c"]


def test_with_splits_by_position_or_source() -> None:
    catalog = _catalog()
    by_position = catalog.with_splits(["val", "val", "train", None])
    assert [r.split for r in by_position] == ["val", "val", "train", None]
    by_source = catalog.with_splits({f"/v/{i}.mp4": "test" for i in range(4)})
    assert by_source.splits == ("test",)
    with pytest.raises(ValueError, match="3 split names for 4 records"):
        catalog.with_splits(["a", "b", "c"])
    with pytest.raises(ValueError, match=r"unknown sources: /v/9.mp4"):
        catalog.with_splits({"/v/9.mp4": "train"})


def test_inconsistent_records_are_refused() -> None:
    with pytest.raises(ValueError, match=r"has label 'b' with index 0"):
        Catalog((Record("/v/0.mp4", "b", 0),), ("a", "b"))
    with pytest.raises(ValueError, match="class names repeat: a"):
        Catalog((), ("a", "a"))
    with pytest.raises(ValueError, match="end_frame 2 is before start_frame 5"):
        Record("/v/0.mp4", "a", 0, start_frame=5, end_frame=2)
