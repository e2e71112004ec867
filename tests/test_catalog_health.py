"""``catalog --check``: videos that probe fine but break mid-way are counted as unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import MakeVideo
from sportslens.cli import app
from sportslens.data import class_summary, read_catalog
from sportslens.data.health import find_undecodable, mark_undecodable
from sportslens.data.probe_cache import CACHE_ENV, clear_memory_cache

runner = CliRunner()


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty probe cache, on disk and in memory."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    clear_memory_cache()
    return cache


def broken_tree(make_video: MakeVideo, root: Path) -> Path:
    """Two classes of three videos; ``lunge_2`` is zeroed mid-way (its first frame still decodes)
    and ``squat_0`` is not a video at all."""
    for label in ("squat", "lunge"):
        (root / label).mkdir(parents=True)
        for i in range(3):
            make_video(f"{root.name}/{label}/{label}_{i}.mp4", frames=20 + 10 * i)
    victim = root / "lunge" / "lunge_2.mp4"
    raw = bytearray(victim.read_bytes())
    third = len(raw) // 3
    raw[third : third + third // 2] = bytes(third // 2)
    victim.write_bytes(bytes(raw))
    (root / "squat" / "squat_0.mp4").write_bytes(b"not a video")
    return root


def test_catalog_check_counts_the_videos_it_found_broken_as_unreadable(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    data = broken_tree(make_video, tmp_path / "data")
    plain = json.loads(runner.invoke(app, ["catalog", str(data), "--json"]).output)
    assert {c["label"]: c["unreadable"] for c in plain["classes"]} == {"lunge": 0, "squat": 1}

    out = tmp_path / "out"
    result = runner.invoke(app, ["catalog", str(data), "--check", "--json", "--out", str(out)])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert sorted(Path(p).name for p, _ in report["undecodable"]) == ["lunge_2.mp4", "squat_0.mp4"]
    counts = {c["label"]: (c["videos"], c["unreadable"]) for c in report["classes"]}
    assert counts == {"lunge": (3, 1), "squat": (3, 1)}
    saved = pd.read_csv(out / "catalog.csv").set_index("source")
    assert not saved.loc[str(data / "lunge" / "lunge_2.mp4"), "readable"]
    assert "decoding failed" in saved.loc[str(data / "lunge" / "lunge_2.mp4"), "error"]

    table = runner.invoke(app, ["catalog", str(data), "--check"]).output
    total = next(line for line in table.splitlines() if "total" in line)
    assert [cell.strip() for cell in total.split("│")][1:4] == ["total", "6", "2"]


def test_mark_undecodable_keeps_the_probes_own_reason(
    make_video: MakeVideo, tmp_path: Path
) -> None:
    catalog = read_catalog(broken_tree(make_video, tmp_path / "data"))
    frame = catalog.to_dataframe(progress=False)
    bad = find_undecodable([r.source for r in catalog], workers=1, progress=False)
    marked = mark_undecodable(frame, bad).set_index("source")
    assert "not a readable video container" in marked.loc[str(catalog.records[3].source), "error"]
    summary = class_summary(marked.reset_index())
    assert summary["unreadable"].tolist() == [1, 1]
    assert summary.loc["lunge", "duration_max"] == 1.0  # the broken 40-frame clip is left out
    assert frame["readable"].sum() == 5  # the input table is left alone
