"""A catalog: the table of labelled videos a dataset, a split or an evaluation starts from.

Readers for folders, CSV files, Diving48 and Kinetics live in :mod:`sportslens.data.readers`;
splitting lives in :mod:`sportslens.data.splits`. A catalog never opens a video until
:meth:`Catalog.to_dataframe` is asked for the facts about each one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sportslens.data.probe_cache import PROBE_COLUMNS, probe_videos
from sportslens.messages import preview

_PROBE_DTYPES = {
    "frames": "Int64",
    "fps": "float64",
    "duration": "float64",
    "width": "Int64",
    "height": "Int64",
    "codec": "object",
    "readable": "bool",
    "error": "object",
}

SPLIT_ORDER = ("train", "val", "test")
"""The standard split names, listed first and in this order wherever splits are listed."""

_SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
    "testing": "test",
}


def default_class_names(count: int) -> tuple[str, ...]:
    """``class_0`` … ``class_9``, or zero-padded (``class_00`` … ``class_47``) past ten."""
    width = len(str(max(count - 1, 0)))
    return tuple(f"class_{i:0{width}d}" for i in range(count))


def split_name(text: str | None) -> str | None:
    """A split name as sportslens spells it: ``training`` → ``train``, ``validation`` and ``valid``
    → ``val``, ``testing`` → ``test`` (any case); other names stay as written; empty → None."""
    if text is None or not text.strip():
        return None
    return _SPLIT_ALIASES.get(text.strip().lower(), text.strip())


@dataclass(frozen=True)
class Record:
    """One labelled video, or one labelled segment of a video.

    ``start_frame`` and ``end_frame`` bound the segment, both inclusive (as Diving48 gives them);
    ``group`` is a subject or scene id that must not straddle splits.
    """

    source: str
    label: str
    label_index: int
    start_frame: int | None = None
    end_frame: int | None = None
    group: str | None = None
    split: str | None = None

    def __post_init__(self) -> None:
        if self.start_frame is not None and self.start_frame < 0:
            raise ValueError(f"{self.source}: start_frame must be >= 0, got {self.start_frame}")
        if (
            self.start_frame is not None
            and self.end_frame is not None
            and self.end_frame < self.start_frame
        ):
            raise ValueError(
                f"{self.source}: end_frame {self.end_frame} is before "
                f"start_frame {self.start_frame}"
            )

    @property
    def key(self) -> tuple[str, int | None, int | None]:
        """What tells two records apart: the source and the segment's bounds."""
        return self.source, self.start_frame, self.end_frame


@dataclass(frozen=True, repr=False)
class Catalog:
    """Labelled videos, their class names (index → name) and the files that could not be used.

    ``problems`` holds ``(file, reason)`` for everything a reader saw but could not use, so that
    nothing is dropped silently; ``name`` says where the catalog came from.
    """

    records: tuple[Record, ...]
    classes: tuple[str, ...]
    problems: tuple[tuple[str, str], ...] = ()
    name: str = ""
    _class_index: dict[str, int] = field(init=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "records", tuple(self.records))
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "problems", tuple(self.problems))
        index = {name: i for i, name in enumerate(self.classes)}
        if len(index) != len(self.classes):
            repeated = sorted({c for c in self.classes if self.classes.count(c) > 1})
            raise ValueError(f"{self.name}: class names repeat: {', '.join(repeated)}")
        object.__setattr__(self, "_class_index", index)
        for record in self.records:
            if index.get(record.label) != record.label_index:
                raise ValueError(
                    f"{self.name}: {record.source} has label {record.label!r} with index "
                    f"{record.label_index}, but the classes give {record.label!r} index "
                    f"{index.get(record.label)}"
                )

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> Record:
        return self.records[index]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __repr__(self) -> str:
        splits = "/".join(self.splits) or "none"
        return (
            f"Catalog({self.name!r}: {len(self)} videos, {len(self.classes)} classes, "
            f"splits {splits}, {len(self.problems)} problems)"
        )

    @property
    def splits(self) -> tuple[str, ...]:
        """The split names present: train, val, test first, then any others alphabetically."""
        present = {record.split for record in self.records if record.split is not None}
        known = [name for name in SPLIT_ORDER if name in present]
        return (*known, *sorted(present - set(SPLIT_ORDER)))

    def class_index(self, label: str) -> int:
        """The index of class ``label``."""
        if label not in self._class_index:
            raise ValueError(f"{self.name}: no class {label!r} (classes: {preview(self.classes)})")
        return self._class_index[label]

    def split(self, name: str) -> Catalog:
        """The records of split ``name``, with the same classes and problems."""
        records = tuple(record for record in self.records if record.split == name)
        if not records:
            available = ", ".join(self.splits) or "none (the records have no split)"
            raise ValueError(f"{self.name}: no split {name!r}; available: {available}")
        return replace(self, records=records, name=f"{self.name} ({name})")

    def subset(self, indices: Sequence[int] | NDArray[Any]) -> Catalog:
        """The records at ``indices`` (in that order), with the same classes and problems."""
        return replace(self, records=tuple(self.records[int(i)] for i in indices))

    def with_splits(self, splits: Mapping[str, str | None] | Sequence[str | None]) -> Catalog:
        """A copy with each record's split set.

        ``splits`` is either one split name per record, in record order, or a mapping from
        source to split name that covers every source (all segments of a video share its split).
        """
        if isinstance(splits, str):
            raise TypeError("with_splits takes one split name per record or a mapping, not a str")
        if isinstance(splits, Mapping):
            names = self._splits_from_mapping(splits)
        else:
            names = list(splits)
            if len(names) != len(self.records):
                raise ValueError(
                    f"{self.name}: {len(names)} split names for {len(self.records)} records"
                )
        records = tuple(replace(r, split=s) for r, s in zip(self.records, names, strict=True))
        return replace(self, records=records)

    def _splits_from_mapping(self, splits: Mapping[str, str | None]) -> list[str | None]:
        sources = {record.source for record in self.records}
        unknown = sorted(set(splits) - sources)
        if unknown:
            raise ValueError(f"{self.name}: splits name unknown sources: {preview(unknown)}")
        missing = sorted(sources - set(splits))
        if missing:
            raise ValueError(f"{self.name}: no split given for {preview(missing)}")
        return [splits[record.source] for record in self.records]

    def class_counts(self) -> pd.Series:
        """Videos per class, indexed by class name in class order (zeros included)."""
        counts = np.bincount(
            [record.label_index for record in self.records], minlength=len(self.classes)
        )
        return pd.Series(counts, index=pd.Index(self.classes, name="label"), name="videos")

    def to_records_frame(self) -> pd.DataFrame:
        """The records as a table (no video is opened); ``label`` is categorical in class order."""
        columns = {
            "source": pd.array([r.source for r in self.records], dtype=object),
            "label": pd.Categorical([r.label for r in self.records], categories=list(self.classes)),
            "label_index": pd.array([r.label_index for r in self.records], dtype="int64"),
            "start_frame": pd.array([r.start_frame for r in self.records], dtype="Int64"),
            "end_frame": pd.array([r.end_frame for r in self.records], dtype="Int64"),
            "group": pd.array([r.group for r in self.records], dtype=object),
            "split": pd.array([r.split for r in self.records], dtype=object),
        }
        return pd.DataFrame(columns)

    def to_dataframe(self, *, workers: int = 4, progress: bool = True) -> pd.DataFrame:
        """The records plus, per video, ``frames, fps, duration, width, height, codec, readable,
        error``.

        Videos are probed in ``workers`` threads behind a progress bar, and the answers cached in
        memory and on disk (see :mod:`sportslens.data.probe_cache`), so a second call is instant.
        An unreadable video gets ``readable=False`` and its error text rather than an exception.
        """
        results = probe_videos(
            [record.source for record in self.records], workers=workers, progress=progress
        )
        probed = pd.DataFrame(
            [result.to_dict() for result in results], columns=list(PROBE_COLUMNS), dtype=object
        ).astype(_PROBE_DTYPES)
        return pd.concat([self.to_records_frame(), probed], axis=1)

    def describe(self, *, workers: int = 4, progress: bool = True) -> pd.DataFrame:
        """Per class: videos, unreadable videos and duration statistics (probes the videos)."""
        return class_summary(self.to_dataframe(workers=workers, progress=progress))


def class_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per class, from :meth:`Catalog.to_dataframe`'s table: ``videos, unreadable`` and the
    ``duration_min, duration_mean, duration_max`` of the readable videos, in seconds.

    Classes follow the label column's category order when it has one (zeros kept).
    """
    missing = [c for c in ("label", "readable", "duration") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"class_summary needs the columns of Catalog.to_dataframe(); missing {missing}"
        )
    label = frame["label"]
    readable = frame["readable"].astype(bool)
    durations = frame["duration"].where(readable).groupby(label, observed=False, sort=True)
    summary = pd.DataFrame(
        {
            "videos": readable.groupby(label, observed=False, sort=True).size(),
            "unreadable": (~readable).groupby(label, observed=False, sort=True).sum(),
            "duration_min": durations.min(),
            "duration_mean": durations.mean(),
            "duration_max": durations.max(),
        }
    )
    summary.index.name = "label"
    return summary
