"""Splitting: counts follow the fractions, seeds reproduce, groups never leak, files round-trip."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from sportslens.data.catalog import Catalog, Record
from sportslens.data.splits import data_root, load_splits, save_splits, split_catalog


def _catalog(class_sizes: Sequence[int], groups: int | None = None) -> Catalog:
    """``class_sizes[k]`` videos of class k; with ``groups``, video i is in group i % groups."""
    classes = tuple(f"c{k}" for k in range(len(class_sizes)))
    records: list[Record] = []
    for label, size in enumerate(class_sizes):
        for i in range(size):
            number = len(records)
            group = None if groups is None else f"g{number % groups}"
            records.append(Record(f"/v/{label}_{i}.mp4", classes[label], label, group=group))
    return Catalog(tuple(records), classes, name="toy")


def _counts(catalog: Catalog) -> dict[str | None, int]:
    return dict(Counter(record.split for record in catalog))


@pytest.mark.parametrize(
    ("n", "fractions", "expected"),
    [
        (100, (0.8, 0.1, 0.1), {"train": 80, "val": 10, "test": 10}),
        (10, (0.7, 0.15, 0.15), {"train": 7, "val": 2, "test": 1}),  # remainder ties: earlier
        (7, (0.5, 0.25, 0.25), {"train": 3, "val": 2, "test": 2}),  # remainders .5 < .75
        (9, (1 / 3, 1 / 3, 1 / 3), {"train": 3, "val": 3, "test": 3}),
        (5, (0.9, 0.1, 0.0), {"train": 5}),
    ],
)
def test_random_split_counts_follow_the_fractions(
    n: int, fractions: tuple[float, ...], expected: dict[str, int]
) -> None:
    split = split_catalog(_catalog([n]), fractions, strategy="random")
    assert _counts(split) == expected


def test_stratified_split_keeps_class_proportions() -> None:
    split = split_catalog(_catalog([20, 30, 10]), strategy="stratified")
    assert _counts(split) == {"train": 48, "val": 6, "test": 6}
    for name in ("train", "val", "test"):
        share = split.split(name).class_counts() / split.class_counts()
        assert share.tolist() == pytest.approx([{"train": 0.8}.get(name, 0.1)] * 3)


def test_stratified_split_keeps_small_classes_everywhere_possible() -> None:
    split = split_catalog(_catalog([1, 2, 3, 4, 7, 50]), strategy="stratified", seed=3)
    counts = {name: split.split(name).class_counts().tolist() for name in split.splits}
    assert counts["train"][0] == 1  # a class of one lives in train
    assert counts["train"][1] >= 1 and counts["val"][1] == 1
    for k in range(2, 6):  # three or more videos: in every split
        assert all(counts[name][k] >= 1 for name in ("train", "val", "test"))


def test_splits_are_reproducible_from_the_seed() -> None:
    catalog = _catalog([40, 40])
    for strategy in ("random", "stratified"):
        first = split_catalog(catalog, strategy=strategy, seed=7)
        assert split_catalog(catalog, strategy=strategy, seed=7) == first
        assert split_catalog(catalog, strategy=strategy, seed=8) != first
    grouped = _catalog([40, 40], groups=20)
    first = split_catalog(grouped, strategy="group", seed=7)
    assert split_catalog(grouped, strategy="group", seed=7) == first
    assert split_catalog(grouped, strategy="group", seed=8) != first


def test_group_split_never_puts_a_group_in_two_splits() -> None:
    catalog = _catalog([37, 25, 18], groups=23)
    split = split_catalog(catalog, (0.6, 0.2, 0.2), strategy="group", seed=1)
    splits_of_group: dict[str | None, set[str | None]] = {}
    for record in split:
        splits_of_group.setdefault(record.group, set()).add(record.split)
    assert all(len(splits) == 1 for splits in splits_of_group.values())
    counts = _counts(split)
    assert set(counts) == {"train", "val", "test"}
    assert counts["train"] == pytest.approx(48, abs=4)  # groups of 3–4 videos: near the target


def test_group_split_needs_groups() -> None:
    with pytest.raises(ValueError, match=r"needs a group on every record; 5 have none: /v/0_0.mp4"):
        split_catalog(_catalog([5]), strategy="group")


@pytest.mark.parametrize(
    ("fractions", "message"),
    [
        ((0.8, 0.1), "must have the same length"),
        ((0.8, 0.1, 0.2), r"must sum to 1, got \(0.8, 0.1, 0.2\)"),
        ((1.2, -0.1, -0.1), "must be non-negative"),
    ],
)
def test_bad_fractions_are_refused(fractions: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_catalog(_catalog([10]), fractions)


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown strategy 'alphabetical'"):
        split_catalog(_catalog([10]), strategy="alphabetical")  # type: ignore[arg-type]


def test_save_and_load_round_trip_exactly(tmp_path: Path) -> None:
    base = _catalog([6, 5], groups=4)
    segments = (
        Record("/v/long.mp4", "c0", 0, start_frame=0, end_frame=9, group="g9"),
        Record("/v/long.mp4", "c0", 0, start_frame=10, end_frame=19, group="g9"),
    )
    catalog = Catalog(base.records + segments, base.classes, name="toy")
    split = split_catalog(catalog, strategy="random", seed=5)

    path = tmp_path / "runs/splits.csv"
    save_splits(split, path)
    assert path.read_text().splitlines()[0] == "path,label,split,group,start_frame,end_frame"

    assert load_splits(catalog, path) == split


def _moved(catalog: Catalog, old: str, new: str) -> Catalog:
    """The same records with ``old`` replaced by ``new`` at the start of the paths below it."""
    return Catalog(
        tuple(replace(r, source=r.source.replace(old, new, 1)) for r in catalog),
        catalog.classes,
        name=catalog.name,
    )


def test_paths_below_the_root_are_saved_relative_and_found_below_a_new_root(
    tmp_path: Path,
) -> None:
    split = split_catalog(_catalog([4, 4]), seed=1)
    outside = Record("/elsewhere/x.mp4", "c0", 0, split="train")
    split = Catalog((*split.records, outside), split.classes, name="toy")
    path = tmp_path / "splits.csv"
    save_splits(split, path, root="/v")
    lines = path.read_text().splitlines()
    assert lines[1].startswith("0_") and "/elsewhere/x.mp4,c0,train" in lines[-1]
    moved = _moved(split, "/v/", "/new/data/")
    unsplit = moved.with_splits([None] * len(moved))
    assert load_splits(unsplit, path, root="/new/data") == moved


def test_old_absolute_split_files_still_load_and_follow_a_moved_root(tmp_path: Path) -> None:
    split = split_catalog(_catalog([4, 4]), seed=2)
    path = tmp_path / "splits.csv"
    save_splits(split, path)  # absolute paths, as runs wrote them before
    assert load_splits(split, path, root="/anywhere") == split
    moved = _moved(split, "/v/", "/new/")
    unsplit = moved.with_splits([None] * len(moved))
    assert load_splits(unsplit, path, root="/new", moved_from="/v") == moved


def test_the_data_root_is_the_folder_or_the_labels_files_folder(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text("path,label\n")
    assert data_root(tmp_path) == tmp_path
    assert data_root(tmp_path / "labels.csv") == tmp_path


def test_load_splits_names_unknown_and_missing_records(tmp_path: Path) -> None:
    catalog = split_catalog(_catalog([5]), seed=0)
    path = tmp_path / "splits.csv"
    save_splits(catalog, path)
    with pytest.raises(ValueError, match=r"paths not in toy: /v/0_0.mp4"):
        load_splits(catalog.subset([1, 2, 3, 4]), path)
    bigger = _catalog([6])
    with pytest.raises(ValueError, match=r"1 records of toy are not listed: /v/0_5.mp4"):
        load_splits(bigger, path)
    path.write_text("path,label\n/v/0_0.mp4,c0\n")
    with pytest.raises(ValueError, match="missing column split"):
        load_splits(catalog, path)
    path.write_text("path,split\n/v/0_0.mp4,train\n/v/0_0.mp4,test\n")
    with pytest.raises(ValueError, match=r"line 3 gives /v/0_0.mp4 a second, different split"):
        load_splits(catalog, path)
