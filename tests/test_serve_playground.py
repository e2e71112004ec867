"""The playground page in real headless Chromium (Playwright), against a real local server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest

from conftest import MakeVideo
from serve_helpers import (
    CLASSES,
    running_server,
    write_squat,
    write_tiny_checkpoint,
    write_tiny_skeleton_checkpoint,
)
from sportslens.predict import Prediction, Predictor
from sportslens.serve import ServeSettings, create_app
from sportslens.video import Source

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def skip_unless_ci(reason: str) -> NoReturn:
    """Skip a browser test on a developer's machine; under CI=true a missing browser fails."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
    pytest.skip(reason)


def test_a_missing_browser_skips_locally_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        skip_unless_ci("no chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        skip_unless_ci("no chromium")


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
        skip_unless_ci("Debian's chromium is not installed (apt-get install chromium)")
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
        with page.expect_response("**/v1/timeline") as timeline:
            page.click("#timeline-button")  # the click hides the old error; the timeline's follows
        page.wait_for_selector("#error:not([hidden])")
        timeline_message = page.text_content("#error")
        page.screenshot(path=str(tmp_path / "error.png"))
        page.close()
    assert (message or "").startswith("422: broken.mp4: not a readable video container")
    assert timeline.value.status == 422
    assert (timeline_message or "").startswith("422: broken.mp4: not a readable video container")


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
        ticks = page.eval_on_selector_all("#axis span", "items => items.map(i => i.textContent)")
        legend = page.text_content("#strip-legend")
        page.click("#strip button >> nth=1")
        page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 1) < 0.2")
        page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
        page.close()
    assert dive_text == "forward 2½ somersaults pike"
    assert segments == ["squat", "forward_dive"]
    assert ticks == ["0 s", "1 s", "2 s"]  # a time axis under the 2 s strip
    assert legend == "squatforward_dive"  # full labels, however narrow their segments


def test_an_unplayable_codec_is_said_and_the_models_classes_and_metrics_are_listed(
    browser: Any, tmp_path: Path, make_video: MakeVideo
) -> None:
    # MPEG-4 part 2: PyAV decodes it, Chromium cannot play it.
    video = make_video("old.mp4", frames=30, height=96, width=128, codec="mpeg4")
    app = create_app(write_tiny_checkpoint(tmp_path / "run"), ServeSettings(temp_dir=tmp_path))
    with running_server(app) as url:
        page = browser.new_page(viewport=PHONE)
        page.goto(url)
        page.wait_for_selector("#model-info:not([hidden])")
        page.click("#model-info summary")
        classes = page.eval_on_selector_all("#classes li", "items => items.map(i => i.textContent)")
        metrics = page.text_content("#metrics")
        page.set_input_files("#file", str(video))
        page.wait_for_selector("#codec:not([hidden])", timeout=20_000)
        page.wait_for_selector("#labels li")
        notice = page.text_content("#codec")
        player_hidden = page.eval_on_selector("#player", "v => v.hidden")
        page.close()
    assert classes == CLASSES
    assert metrics == "best_val_acc10.250"
    assert (notice or "").startswith("This browser cannot play old.mp4")
    assert player_hidden  # no black box


# Reads the canvas back: its size and the alpha of the pixels at the given canvas points.
CANVAS_ALPHA = """([points]) => {
  const canvas = document.getElementById('pose-canvas');
  const context = canvas.getContext('2d');
  const image = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < image.length; i += 4) painted += image[i] > 0;
  const at = ([x, y]) => 4 * (Math.round(y) * canvas.width + Math.round(x)) + 3;
  const alpha = points.map((point) => image[at(point)]);
  return { width: canvas.width, height: canvas.height, painted, alpha };
}"""


def test_a_skeleton_models_pose_is_drawn_over_the_video_with_its_angle_chart(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sportslens.pose
    from sportslens.pose import Keypoints, load_keypoints

    video = write_squat(tmp_path)
    truth = load_keypoints(video.with_suffix(".npz"))

    def extract(source: str, backend: str = "mediapipe") -> Keypoints:
        return truth  # stands in for MediaPipe (tested on its own): the clip's true keypoints

    monkeypatch.setattr(sportslens.pose, "extract_keypoints", extract)
    run = write_tiny_skeleton_checkpoint(tmp_path / "run")
    app = create_app(run, ServeSettings(temp_dir=tmp_path))
    with running_server(app) as url:
        files = {"file": (video.name, video.read_bytes(), "video/mp4")}
        expected = httpx.post(f"{url}/v1/predict", files=files, timeout=60).json()
        page = browser.new_page(viewport=PHONE)
        script_errors: list[str] = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(url)
        page.set_input_files("#file", str(video))
        page.wait_for_selector("#pose:not([hidden])")
        page.eval_on_selector("#player", "v => { v.currentTime = 1.0; }")  # frame round(1 * 30)
        page.wait_for_function("document.getElementById('pose-canvas').dataset.frame === '30'")
        size = page.evaluate(CANVAS_ALPHA, [[]])
        scale = min(size["width"] / 160, size["height"] / 160)  # the video's 160 px, contained
        left, top = (size["width"] - 160 * scale) / 2, (size["height"] - 160 * scale) / 2
        seen = truth.keypoints[30][truth.scores[30] > 0]  # (J, 2) pixels
        joints = [[left + x * scale, top + y * scale] for x, y in seen.tolist()]
        drawn = page.evaluate(CANVAS_ALPHA, [[*joints, [1, 1]]])
        angles = page.eval_on_selector_all(
            "#pose-chart path.angle", "p => p.map(e => e.dataset.name)"
        )
        bands = page.eval_on_selector_all(
            "#pose-chart rect.rep", "r => r.map(e => +e.getAttribute('x'))"
        )
        reps_listed = page.eval_on_selector_all("#pose-reps li", "items => items.length")
        rep_texts = page.eval_on_selector_all("#pose-reps li", "i => i.map(e => e.textContent)")
        chart = page.eval_on_selector("#pose-chart", "c => c.getBoundingClientRect().height")
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(tmp_path / "pose.png"), full_page=True)

        page.set_input_files("#file", str(video.with_suffix(".npz")))  # keypoints alone: a slider
        page.wait_for_selector("#pose-scrub:not([hidden])")
        page.eval_on_selector(
            "#pose-scrub", "s => { s.value = 45; s.dispatchEvent(new Event('input')); }"
        )
        page.wait_for_function("document.getElementById('pose-canvas').dataset.frame === '45'")
        still = page.evaluate(CANVAS_ALPHA, [[]])
        player_hidden = page.eval_on_selector("#player", "v => v.hidden")
        page.screenshot(path=str(tmp_path / "pose_keypoints.png"), full_page=True)
        page.close()
    form = expected["form"]
    assert script_errors == []
    assert all(alpha > 0 for alpha in drawn["alpha"][:-1])  # a dot on every seen joint
    assert drawn["alpha"][-1] == 0  # and nothing in the corner
    measured = [name for name, values in form["angles_per_frame"].items() if any(values)]
    assert angles == measured and len(angles) >= 8
    assert bands == [rep["start"] for rep in form["repetitions"]] and form["count"] >= 1
    assert reps_listed == form["count"]
    for text, feedback in zip(rep_texts, form["feedback"], strict=True):  # each one's verdict
        assert f" · {feedback['verdict']}" in text
    assert chart > 100 and width <= PHONE["width"]
    assert still["painted"] > 100 and player_hidden
    assert (tmp_path / "pose.png").stat().st_size > 10_000


def test_the_api_docs_render_with_no_network(browser: Any, tmp_path: Path) -> None:
    app = create_app(write_tiny_checkpoint(tmp_path / "run"), ServeSettings(temp_dir=tmp_path))
    refused: list[str] = []

    def local_only(route: Any) -> None:
        if route.request.url.startswith("http://127.0.0.1"):
            route.continue_()
        else:  # a CDN, as on a machine with no internet
            refused.append(route.request.url)
            route.abort()

    with running_server(app) as url:
        page = browser.new_page(viewport=PHONE)
        page.route("**/*", local_only)
        page.goto(f"{url}/docs")
        page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=20_000)
        paths = page.eval_on_selector_all(
            ".opblock-summary-path", "items => items.map(i => i.dataset.path)"
        )
        swagger_refused = list(refused)
        page.goto(f"{url}/redoc")  # renders too; only its decorative Redocly logo is remote
        page.wait_for_selector("text='/v1/predict'", timeout=20_000)
        page.close()
    assert swagger_refused == []  # every asset came from the server itself
    assert {"/v1/predict", "/v1/model", "/health"} <= set(paths)


CANVAS_COLOURS = """([colours]) => {
  const canvas = document.getElementById('pose-canvas');
  const image = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = colours.map(() => 0);
  for (let i = 0; i < image.length; i += 4) {
    if (image[i + 3] < 250) continue;  // edges blend with what is under them
    colours.forEach(([r, g, b], k) => {
      counts[k] += Math.abs(image[i] - r) + Math.abs(image[i + 1] - g) +
                   Math.abs(image[i + 2] - b) < 30;
    });
  }
  return counts;
}"""


def test_every_person_is_drawn_in_its_colour_and_one_is_picked_by_track_id(
    browser: Any, crowd: Path, tmp_path: Path
) -> None:
    from sportslens.pose import load_people
    from sportslens.pose.people_overlay import track_colour

    npz = crowd.with_suffix(".npz")
    truth = load_people(npz)
    app = create_app(
        write_tiny_skeleton_checkpoint(tmp_path / "run"), ServeSettings(temp_dir=tmp_path)
    )
    with running_server(app) as url:
        files = {"file": (npz.name, npz.read_bytes(), "application/octet-stream")}
        expected = httpx.post(
            f"{url}/v1/predict", params={"people": "all"}, files=files, timeout=60
        ).json()
        page = browser.new_page(viewport=PHONE)
        script_errors: list[str] = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.goto(url)
        page.wait_for_selector("#people-box:not([hidden])")  # a skeleton model: people offered
        page.check("#everyone")
        page.set_input_files("#file", str(npz))
        page.wait_for_selector("#person:not([hidden])")
        options = page.eval_on_selector_all("#person option", "o => o.map(e => +e.value)")
        chosen = page.eval_on_selector("#person", "s => +s.value")
        page.eval_on_selector(
            "#pose-scrub", "s => { s.value = 30; s.dispatchEvent(new Event('input')); }"
        )
        page.wait_for_function("document.getElementById('pose-canvas').dataset.frame === '30'")
        colours = [list(track_colour(i)) for i in truth.track_ids.tolist()]
        painted = page.evaluate(CANVAS_COLOURS, [colours])
        page.screenshot(path=str(tmp_path / "people.png"), full_page=True)
        page.select_option("#person", "2")
        page.wait_for_function("document.getElementById('person').value === '2'")
        shown = page.eval_on_selector_all("#labels li", "items => items.map(i => i.dataset.label)")
        facts = page.text_content("#pose-facts")
        page.close()
    assert script_errors == []
    assert options == [0, 1, 2] and chosen == expected["track_id"]
    visible = (truth.scores[30] > 0).any(axis=1)  # (P,) who is in frame 30
    for track_id, count, seen in zip(truth.track_ids.tolist(), painted, visible, strict=True):
        assert (count > 20) == bool(seen), f"track {track_id}: {count} pixels of its colour"
    person = expected["people"][2]
    assert shown == [top["label"] for top in person["top"]]
    assert f"repetitions{person['form']['count']}" in (facts or "")
