"""Reports: the files written, a self-contained page, and the run comparison table."""

from __future__ import annotations

import base64
import html
import json
import math
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from sportslens.metrics import Predictions, summarize
from sportslens.report import (
    COMPARE_COLUMNS,
    ReportSection,
    compare_runs,
    format_markdown,
    write_report,
)
from sportslens.report import plots as report_plots
from sportslens.report.figure import to_png

if TYPE_CHECKING:
    from matplotlib.figure import Figure

pytest.importorskip("matplotlib")

CLASS_NAMES = ["pike", "tuck & twist", "free"]
# One clip per video except v1, which has two. Videos v1 and v3 end up wrong.
SCORES = [
    [0.8, 0.1, 0.1],  # v0 pike: right
    [0.3, 0.6, 0.1],  # v1 pike, clip 1
    [0.4, 0.5, 0.1],  # v1 pike, clip 2: mean predicts "tuck & twist"
    [0.1, 0.7, 0.2],  # v2 tuck: right
    [0.1, 0.2, 0.7],  # v3 tuck: predicted free
    [0.2, 0.1, 0.7],  # v4 free: right
]
LABELS = [0, 0, 0, 1, 1, 2]
VIDEO_IDS = ["v0", "v1", "v1", "v2", "v3", "v4"]
SOURCES = [f"/data/dives/{v}.mp4" for v in VIDEO_IDS]
# As metrics.jsonl stores them: accuracies are fractions.
HISTORY: list[dict[str, float]] = [
    {"epoch": 1, "train_loss": 1.1, "train_acc1": 0.40, "lr": 0.1},
    {"epoch": 2, "train_loss": 0.8, "val_loss": 0.9, "train_acc1": 0.55, "val_acc1": 0.50},
    {"epoch": 3, "train_loss": 0.6, "val_loss": 0.7, "train_acc1": 0.70, "val_acc1": 0.65},
]
MODEL_INFO = {
    "name": "r2plus1d_tiny",
    "params": 1_234_567,
    "gflops": 0.42,
    "latency_ms": 3.1,
    "frames": 8,
    "resolution": (64, 64),
    "pretrained_on": "synthetic divers",
}


@pytest.fixture(scope="module")
def predictions() -> Predictions:
    return Predictions(
        scores=np.array(SCORES),
        labels=np.array(LABELS),
        video_ids=np.array(VIDEO_IDS),
        class_names=CLASS_NAMES,
        sources=np.array(SOURCES),
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, predictions: Predictions) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    gallery = [
        ("v1: pike predicted as tuck & twist", rng.integers(0, 256, (24, 96, 3), dtype=np.uint8)),
        ("v3: tuck predicted as free", np.zeros((24, 96, 3), dtype=np.uint8)),
    ]
    return write_report(
        tmp_path_factory.mktemp("report") / "nested",
        predictions,
        history=HISTORY,
        model_info=MODEL_INFO,
        gallery=gallery,
    )


def test_write_report_creates_the_three_files(written: dict[str, Path]) -> None:
    assert sorted(written) == ["html", "markdown", "metrics"]
    assert [written[key].name for key in ("metrics", "markdown", "html")] == [
        "metrics.json",
        "report.md",
        "report.html",
    ]
    assert all(path.is_file() and path.stat().st_size > 0 for path in written.values())


def test_metrics_json_round_trips_to_the_summary(
    written: dict[str, Path], predictions: Predictions
) -> None:
    loaded = json.loads(written["metrics"].read_text(encoding="utf-8"))
    assert loaded == summarize(predictions)
    assert loaded["num_videos"] == 5
    assert loaded["video_acc1"] == 3 / 5


def test_html_is_self_contained(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", page)
    assert links, "the page embeds its images through src attributes"
    assert all(link.startswith("data:image/png;base64,") for link in links)
    assert "<script" not in page
    assert "<link" not in page
    assert "@import" not in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    # Training curves (loss, accuracy, lr), two class bar charts, two heatmaps, two gallery images.
    assert len(images) == 9
    assert all(base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") for data in images)
    assert 'name="viewport"' in page


def test_html_names_every_class_and_misclassified_video(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    for name in CLASS_NAMES:
        assert html.escape(name) in page
    assert "tuck & twist" not in page  # escaped, never raw
    for source in ("/data/dives/v1.mp4", "/data/dives/v3.mp4"):
        assert source in page
    assert "/data/dives/v0.mp4" not in page  # classified correctly
    for caption in ("v1: pike predicted as tuck &amp; twist", "v3: tuck predicted as free"):
        assert caption in page
    for key in MODEL_INFO:
        assert f"<th>{key}</th>" in page
    assert "64×64" in page
    for heading in ("Summary", "Model", "Training curves", "Confusion matrix", "Misclassified"):
        assert heading in page


def test_markdown_holds_the_summary_and_links_the_page(written: dict[str, Path]) -> None:
    markdown = written["markdown"].read_text(encoding="utf-8")
    assert "[report.html](report.html)" in markdown
    assert "| accuracy (%) | clip | video |" in markdown
    # Clips: 3 of 6 right, both v1 clips wrong. Videos: 3 of 5.
    assert "| top-1 | 50.0 | 60.0 |" in markdown
    assert "| top-3 | 100.0 | 100.0 |" in markdown
    # Mean class accuracy: clips (1/3 + 1/2 + 1) / 3, videos (1/2 + 1/2 + 1) / 3.
    assert "| mean class accuracy | 61.1 | 66.7 |" in markdown
    # Per class in percent too, like every accuracy on the report's pages.
    assert "| class | precision (%) | recall (%) | F1 (%) | support |" in markdown
    assert "| tuck & twist | 50.0 | 50.0 | 50.0 | 2 |" in markdown
    # v3 is predicted free at 0.7, v1 as tuck & twist at 0.55: the more confident mistake first.
    assert markdown.index("/data/dives/v3.mp4") < markdown.index("/data/dives/v1.mp4")
    assert "| key | value |" in markdown
    assert "| resolution | 64×64 |" in markdown


def test_write_report_without_extras_leaves_their_sections_out(
    tmp_path: Path, predictions: Predictions
) -> None:
    paths = write_report(tmp_path, predictions)
    page = paths["html"].read_text(encoding="utf-8")
    assert "Training curves" not in page
    assert "<h2>Model</h2>" not in page
    assert page.count("data:image/png;base64,") == 4
    assert "## Model" not in paths["markdown"].read_text(encoding="utf-8")


def test_sections_come_last_in_every_file_from_one_write(
    tmp_path: Path, predictions: Predictions
) -> None:
    """A caller's section (the attribute heads' results) is written with the report, not
    patched into its files afterwards."""
    section = ReportSection(
        "Extra heads", "<p>tuck &amp; twist</p>", "| head | accuracy |\n|---|---:|\n| a | 50.0% |",
        key="extra", metrics={"videos": 5, "accuracy": 0.5},
    )  # fmt: skip
    paths = write_report(tmp_path, predictions, sections=[section])
    metrics = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    assert metrics == {**summarize(predictions), "extra": {"videos": 5, "accuracy": 0.5}}
    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert markdown.index("## Misclassified videos") < markdown.index("## Extra heads")
    assert markdown.endswith("## Extra heads\n\n| head | accuracy |\n|---|---:|\n| a | 50.0% |\n")
    page = paths["html"].read_text(encoding="utf-8")
    body = "<section><h2>Extra heads</h2>\n<p>tuck &amp; twist</p>\n</section>"
    assert page.index("<h2>Misclassified videos</h2>") < page.index(body) < page.index("</body>")


def test_write_report_rejects_a_gallery_image_that_is_not_rgb_uint8(
    tmp_path: Path, predictions: Predictions
) -> None:
    with pytest.raises(ValueError, match="'bad frame' must be uint8"):
        write_report(tmp_path, predictions, gallery=[("bad frame", np.zeros((8, 8)))])  # type: ignore[list-item]
    assert not any(tmp_path.iterdir())


def test_missing_matplotlib_names_the_extra(
    tmp_path: Path, predictions: Predictions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=re.escape('pip install "sportslens[plot]"')):
        write_report(tmp_path / "out", predictions)
    assert not (tmp_path / "out").exists()


def test_training_curves_plot_whichever_quantities_exist() -> None:
    titles = [title for title, _ in report_plots.training_curves(HISTORY)]
    assert titles == ["loss", "accuracy", "learning rate"]
    only_loss: list[dict[str, float | None]] = [
        {"epoch": 1, "train_loss": 1.0},
        {"epoch": 2, "train_loss": None},
    ]
    assert [title for title, _ in report_plots.training_curves(only_loss)] == ["loss"]
    assert report_plots.training_curves([]) == []


@pytest.fixture(scope="module")
def drawn(
    tmp_path_factory: pytest.TempPathFactory, predictions: Predictions
) -> tuple[list[Figure], str]:
    """Every figure a full report draws, in page order, and the page's HTML."""
    figures: list[Figure] = []

    def keep(fig: Figure) -> bytes:
        figures.append(fig)
        return to_png(fig)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_plots, "to_png", keep)
        paths = write_report(tmp_path_factory.mktemp("drawn"), predictions, history=HISTORY)
    return figures, paths["html"].read_text(encoding="utf-8")


def test_each_plot_is_named_once_by_its_caption_and_not_by_a_title(
    drawn: tuple[list[Figure], str],
) -> None:
    figures, page = drawn
    assert len(figures) == 7  # three curves, two bar charts, two heatmaps
    assert [fig.axes[0].get_title() for fig in figures] == [""] * 7
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", page)
    assert len(captions) == len(set(captions)) == 7
    assert captions[0] == "Loss per epoch (dashed: training)"
    assert "dashed: overall video accuracy, 60.0%" in captions[3]


def test_accuracy_is_in_percent_on_every_plot_and_table_of_the_page(
    drawn: tuple[list[Figure], str],
) -> None:
    figures, page = drawn
    curves, bars = figures[1].axes[0], figures[3].axes[0]
    assert curves.get_ylabel() == "accuracy (%)"
    assert [line.get_ydata().tolist() for line in curves.get_lines()] == [  # type: ignore[union-attr]
        pytest.approx([40.0, 55.0, 70.0]),
        pytest.approx([50.0, 65.0]),
    ]
    assert bars.get_xlabel() == "accuracy (%)" and bars.get_xlim() == (0.0, 100.0)
    widths = [patch.get_width() for patch in bars.patches]  # type: ignore[attr-defined]
    assert widths == pytest.approx([50.0, 50.0, 100.0])  # recall: pike, tuck & twist, free
    assert bars.get_lines()[0].get_xdata()[0] == pytest.approx(60.0)  # type: ignore[index]
    normalised = figures[6].axes[0].get_images()[0].get_array()
    assert normalised.max() == pytest.approx(100.0)  # type: ignore[union-attr]
    assert "<th>recall (%)</th>" in page and '<td class="num">50.0</td>' in page


def _run(name: str, acc1: float, topk: int, **info: object) -> dict[str, object]:
    metrics = {"video_acc1": acc1, "video_acc_topk": 0.95, "topk": topk}
    return {"metrics": metrics, "model_info": {"name": name, **info}}


def test_compare_runs_gives_the_paper_columns_in_order() -> None:
    runs = [
        _run(
            "r3d_18",
            0.52,
            5,
            frames=16,
            resolution=112,
            pretrained_on="Kinetics-400",
            params=33_200_000,
            gflops=40.7,
        ),
        _run("tiny", 0.801, 3, frames=8, resolution=(64, 64)),
    ]
    table = compare_runs(runs)
    assert tuple(table.columns) == COMPARE_COLUMNS
    assert list(table["model"]) == ["r3d_18", "tiny"]
    first, second = table.iloc[0], table.iloc[1]
    assert first["acc@1"] == pytest.approx(52.0)
    assert first["acc@5"] == pytest.approx(95.0)
    assert first["params (M)"] == pytest.approx(33.2)
    assert first["GFLOPs"] == 40.7
    assert first["pretrained on"] == "Kinetics-400"
    assert math.isnan(second["acc@5"])  # three classes: no top-5
    assert math.isnan(second["params (M)"])
    assert pd.isna(second["pretrained on"])

    markdown = format_markdown(table)
    lines = markdown.splitlines()
    assert lines[0] == (
        "| model | frames | resolution | pretrained on | acc@1 | acc@5 | params (M) | GFLOPs |"
    )
    assert lines[2] == "| r3d_18 | 16 | 112 | Kinetics-400 | 52.0 | 95.0 | 33.2 | 40.7 |"
    assert lines[3] == "| tiny | 8 | 64×64 | – | 80.1 | – | – | – |"


def test_compare_runs_names_a_run_without_metrics() -> None:
    with pytest.raises(ValueError, match="run 1 has no 'metrics'"):
        compare_runs([_run("a", 0.5, 5), {"model_info": {"name": "b"}}])
    assert list(compare_runs([]).columns) == list(COMPARE_COLUMNS)


def test_format_markdown_escapes_pipes_and_shows_a_named_index() -> None:
    frame = pd.DataFrame({"score": [0.5]}, index=pd.Index(["a|b"], name="class"))
    assert (
        format_markdown(frame, digits=2) == "| class | score |\n| --- | --- |\n| a\\|b | 0.50 |\n"
    )
