"""The playground page in real headless Chromium (Playwright), against a real local server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import MakeVideo
from serve_helpers import running_server, write_tiny_checkpoint
from sportslens.predict import Prediction, Predictor
from sportslens.serve import ServeSettings, create_app
from sportslens.video import Source

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}  # an iPhone 12-14 sized viewport


@dataclass(frozen=True)
class DivePrediction(Prediction):
    def to_dict(self) -> dict[str, Any]:
        dive = {"number": "105B", "description": "forward 2½ somersaults pike", "position": "B"}
        return {**super().to_dict(), "dive": dive}


@dataclass(frozen=True)
class StubTimeline:
    def to_dict(self) -> dict[str, Any]:
        return {
            "windows": [{"start": 0.0, "end": 1.0}, {"start": 1.0, "end": 2.0}],
            "segments": [
                {"label": "squat", "start": 0.0, "end": 1.0},
                {"label": "forward_dive", "start": 1.0, "end": 2.0},
            ],
        }


class SeamPredictor(Predictor):
    """The fields other branches add: a dive model's attributes and Predictor.timeline."""

    def predict(self, video: Source, *, top_k: int = 5) -> Prediction:
        plain = super().predict(video, top_k=top_k)
        return DivePrediction(plain.source, plain.labels, plain.scores, plain.frames)

    def timeline(self, video: Source, **options: float) -> StubTimeline:
        return StubTimeline()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_upload_a_clip_and_see_the_apis_labels_on_a_phone(
    browser: Any, tmp_path: Path, make_video: MakeVideo
) -> None:
    video = make_video("dive.mp4", frames=45, height=96, width=128)
    app = create_app(write_tiny_checkpoint(tmp_path / "run"), ServeSettings(temp_dir=tmp_path))
    with running_server(app) as url:
        files = {"file": (video.name, video.read_bytes(), "video/mp4")}
        expected = httpx.post(f"{url}/v1/predict", files=files, timeout=60).json()
        page = browser.new_page(viewport=PHONE)
        page.goto(url)
        page.wait_for_function("document.getElementById('model').textContent.includes('r2plus1d')")
        page.set_input_files("#file", str(video))
        page.wait_for_selector("#labels li")
        shown = page.eval_on_selector_all("#labels li", "items => items.map(i => i.dataset.label)")
        scores = page.eval_on_selector_all(
            "#labels .score", "items => items.map(i => i.textContent)"
        )
        page.screenshot(path=str(tmp_path / "playground.png"), full_page=True)
        # The page fits the phone: nothing wider than the viewport.
        width = page.evaluate("document.documentElement.scrollWidth")
        player = page.eval_on_selector("#player", "v => v.src.startsWith('blob:')")
        page.close()
    assert shown == [top["label"] for top in expected["top"]]
    assert scores == [f"{top['score']:.3f}" for top in expected["top"]]
    assert width <= PHONE["width"]
    assert player  # the chosen clip plays in the page
    assert (tmp_path / "playground.png").stat().st_size > 10_000


def test_api_errors_are_shown_plainly(browser: Any, tmp_path: Path) -> None:
    app = create_app(write_tiny_checkpoint(tmp_path / "run"), ServeSettings(temp_dir=tmp_path))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video")
    with running_server(app) as url:
        page = browser.new_page(viewport=PHONE)
        page.goto(url)
        page.set_input_files("#file", str(broken))
        page.wait_for_selector("#error:not([hidden])")
        message = page.text_content("#error")
        page.click("#timeline-button")  # this predictor has no timeline: 501 explained
        page.wait_for_function("document.getElementById('error').textContent.startsWith('501')")
        timeline_message = page.text_content("#error")
        page.screenshot(path=str(tmp_path / "error.png"))
        page.close()
    assert (message or "").startswith("422: broken.mp4: not a readable video container")
    assert "Predictor.timeline" in (timeline_message or "")


def test_dive_and_timeline_fields_render_and_a_segment_seeks_the_video(
    browser: Any, tmp_path: Path, make_video: MakeVideo
) -> None:
    video = make_video("dive.mp4", frames=60, height=96, width=128)
    plain = Predictor.from_checkpoint(write_tiny_checkpoint(tmp_path / "run"))
    app = create_app(SeamPredictor(plain.model, plain.classes), ServeSettings(temp_dir=tmp_path))
    with running_server(app) as url:
        page = browser.new_page(viewport=PHONE)
        page.goto(url)
        page.set_input_files("#file", str(video))
        page.wait_for_selector("#dive:not([hidden])")
        dive_text = page.text_content("#dive-text")
        page.click("#timeline-button")
        page.wait_for_selector("#strip button")
        segments = page.eval_on_selector_all(
            "#strip button", "items => items.map(i => i.textContent)"
        )
        page.click("#strip button >> nth=1")
        page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 1) < 0.2")
        page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
        page.close()
    assert dive_text == "forward 2½ somersaults pike"
    assert segments == ["squat", "forward_dive"]
