"""The playground's live camera mode in real Chromium, its camera a generated athlete.

Chromium plays a ``.y4m`` file as its camera (``--use-file-for-fake-video-capture``), looping it;
the page sends the frames to a real server on 127.0.0.1, whose MediaPipe and streaming counter
answer; the count the page shows must reach the clip's true count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from live_helpers import NoPose, all_sessions_closed, athlete
from serve_helpers import running_server, write_tiny_checkpoint
from sportslens.serve import ServeSettings, create_app
from sportslens.serve.live_limits import LiveSettings
from sportslens.synth.files import write_y4m
from sportslens.video import iter_frames, probe
from test_serve_playground import CHROMIUM, CHROMIUM_ARGS, skip_unless_ci

FPS = 15


@pytest.fixture(scope="module")
def camera(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A 6 s squatting athlete at 15 fps as y4m, and its number of repetitions."""
    frames, truth = athlete(6.0, FPS)
    path = tmp_path_factory.mktemp("camera") / "athlete.y4m"
    write_y4m(path, frames, FPS)
    return path, truth


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """One Playwright per module: its sync API cannot be started twice at once."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        skip_unless_ci("Debian's chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as running:
        yield running


@contextmanager
def browser_with_camera(playwright: Any, y4m: Path) -> Iterator[Any]:
    """Chromium whose camera plays ``y4m`` (looping)."""
    fake_camera = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",  # grant the camera without asking
        f"--use-file-for-fake-video-capture={y4m}",
    ]
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *fake_camera]
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="module")
def camera_browser(playwright: Any, camera: tuple[Path, int]) -> Iterator[Any]:
    with browser_with_camera(playwright, camera[0]) as browser:
        yield browser


def test_the_camera_mode_counts_the_athletes_repetitions(
    camera_browser: Any, camera: tuple[Path, int], tmp_path: Path
) -> None:
    pytest.importorskip("mediapipe", reason="the pose extra is not installed")
    truth = camera[1]
    pose = NoPose(mediapipe=True)
    app = create_app(write_tiny_checkpoint(tmp_path / "run"), ServeSettings(), live_pose=pose)
    with running_server(app) as url:
        page = camera_browser.new_page()
        page.goto(url)
        page.fill("#live-exercise", "squat")
        page.click("#live-camera")
        # The clip loops: the count must get to the truth, within a few passes at most.
        page.wait_for_function(
            f"+document.getElementById('live-count').textContent >= {truth}", timeout=120_000
        )
        shown = int(page.text_content("#live-count") or "0")
        drawn = int(page.get_attribute("#live-canvas", "data-frames") or "0")
        angle = page.text_content("#live-angle")
        latency = page.text_content("#live-latency")
        page.screenshot(path=str(tmp_path / "live.png"))
        page.close()  # the browser leaves: the server must release the session
        assert pose.wait_until_left()
        assert all_sessions_closed(app.state.live)
    assert truth >= 3 and shown == truth
    assert drawn >= 2 * FPS  # frames went out and came back drawn
    assert angle is not None and angle.startswith("knees ")
    assert latency is not None and latency.startswith("latency ")


def test_the_page_says_why_the_server_refused_a_session(
    camera_browser: Any, tmp_path: Path
) -> None:
    settings = ServeSettings(live=LiveSettings(max_sessions=0))
    app = create_app(write_tiny_checkpoint(tmp_path / "run"), settings, live_pose=NoPose())
    with running_server(app) as url:
        page = camera_browser.new_page()
        page.goto(url)
        page.click("#live-camera")
        page.wait_for_function(
            "document.getElementById('live-message').textContent.includes('closed')"
        )
        message = page.text_content("#live-message")
        page.close()
    assert message == "Session closed (1013): all 0 live sessions are in use; try again later"


def test_a_camera_that_stops_ends_the_session(camera_browser: Any, tmp_path: Path) -> None:
    pose = NoPose()
    app = create_app(write_tiny_checkpoint(tmp_path / "run"), ServeSettings(), live_pose=pose)
    with running_server(app) as url:
        page = camera_browser.new_page()
        page.goto(url)
        page.click("#live-camera")
        page.wait_for_function("+document.getElementById('live-canvas').dataset.frames >= 3")
        assert app.state.live.open == 1
        # What the browser does when the camera is unplugged: the track ends.
        page.evaluate(
            "document.getElementById('live-video').srcObject.getVideoTracks()[0]"
            ".dispatchEvent(new Event('ended'))"
        )
        message = page.text_content("#live-message")
        assert pose.wait_until_left()
        page.close()
        assert all_sessions_closed(app.state.live)
    assert message == "The camera stopped."
    assert len(pose.frames) >= 3


_TWO_PEOPLE_SHOWN = """() => {
    const canvas = document.getElementById('live-canvas');
    if (+canvas.dataset.people !== 2) return null;
    const options = [...document.querySelectorAll('#live-person option')].map(o => o.value);
    const tracks = (canvas.dataset.tracks || '').split(' ').filter(Boolean);
    if (!tracks.every(t => options.includes(t))) return null;
    return {tracks, options, who: document.getElementById('live-who').textContent};
}"""


def test_every_person_is_drawn_with_their_track(
    playwright: Any, crossing: Path, tmp_path: Path
) -> None:
    """ "Every person" on a camera that films two squatters: both drawn, each with their id."""
    pytest.importorskip("mediapipe", reason="the backend runs the models in MediaPipe's wheel")
    pytest.importorskip("ai_edge_litert", reason="the backend runs the models in LiteRT")
    y4m = tmp_path / "two.y4m"
    write_y4m(y4m, [frame for _, frame in iter_frames(crossing)], probe(crossing).fps)
    app = create_app(write_tiny_checkpoint(tmp_path / "run"), ServeSettings(), live_pose=NoPose())
    with browser_with_camera(playwright, y4m) as browser, running_server(app) as url:
        page = browser.new_page()
        page.goto(url)
        page.check("#live-everyone")
        page.click("#live-camera")
        # One snapshot of what the page shows (frames keep arriving between separate reads).
        shown = page.wait_for_function(_TWO_PEOPLE_SHOWN, timeout=120_000).json_value()
        tracks, options, who = shown["tracks"], shown["options"], shown["who"]
        page.select_option("#live-person", tracks[-1])  # the picker shows that person's count
        picked = page.text_content("#live-who")
        page.screenshot(path=str(tmp_path / "live-people.png"))
        page.close()
        assert all_sessions_closed(app.state.live)
    # The camera loops the clip: at its restart a person may come back with a new id while the
    # old one is still followed (for a second), so the ids drawn are checked, not 0 and 1.
    assert len(set(tracks)) == 2 and set(tracks) <= set(options)
    assert who in {f"#{option} " for option in options} and picked == f"#{tracks[-1]} "
