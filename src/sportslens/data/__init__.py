"""Datasets: catalogs of labelled videos, their readers and splits, and the torch Datasets."""

from sportslens.data.catalog import Catalog, Record, class_summary
from sportslens.data.dataset import (
    ClipConfig,
    ClipDataset,
    ClipSample,
    VideoDataset,
    count_failures,
)
from sportslens.data.formats import from_diving48, from_kinetics_csv, read_catalog
from sportslens.data.probe_cache import clear_memory_cache
from sportslens.data.readers import from_csv, from_folder
from sportslens.data.splits import load_splits, save_splits, split_catalog
from sportslens.sources import VIDEO_EXTENSIONS

__all__ = [
    "VIDEO_EXTENSIONS",
    "Catalog",
    "ClipConfig",
    "ClipDataset",
    "ClipSample",
    "Record",
    "VideoDataset",
    "class_summary",
    "clear_memory_cache",
    "count_failures",
    "from_csv",
    "from_diving48",
    "from_folder",
    "from_kinetics_csv",
    "load_splits",
    "read_catalog",
    "save_splits",
    "split_catalog",
]
