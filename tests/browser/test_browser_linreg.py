"""The linear regression page in real Chromium: play a run, see the line fit
and the landscape path.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support import browser
from ui.registry import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]
URL_PATH = next(p[4] for p in PAGES if p[1] == "pages/linear_regression.py")
IGNORED_CONSOLE = ("net::ERR_", "Failed to load resource")
STEP_METRIC = '[data-testid="stMetricValue"] >> nth=0'
# _fullData: the traces as plotly.js drew them (arrays decoded from the binary transport)
PLOTS_JS = (
    "Array.from(document.querySelectorAll('.js-plotly-plot'))"
    ".map(p => (p._fullData || []).map(t => "
    "({name: t.name || '', type: t.type, n: (t.x || []).length, x: Array.from(t.x || []), "
    "y: Array.from(t.y || [])})))"
)


def open_lab(page, base_url: str, query: str):
    browser.open_page(page, base_url, URL_PATH, query, timeout=180)
    page.get_by_text("Linear regression: by hand and the PyTorch way").wait_for(timeout=120_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    browser.wait_idle(page, 120)


def plots(page) -> list[list[dict]]:
    return page.evaluate(PLOTS_JS)


def test_playing_fits_the_line_and_draws_the_path(streamlit_server, page):
    page.set_viewport_size({"width": 1400, "height": 2600})
    open_lab(page, streamlit_server, "lin_epochs=60&lin_speed=100&lin_noise=1.5")
    assert page.locator(STEP_METRIC).inner_text() == "0"
    assert page.get_by_text("Step of 60").count() == 1

    page.get_by_role("button", name="Play").click()
    seen, t0 = [], time.time()
    while time.time() - t0 < 90:
        text = page.locator(STEP_METRIC).inner_text()
        if not seen or seen[-1] != text:
            seen.append(text)
        if text == "60" and page.get_by_role("button", name="Play").count():
            break
        time.sleep(0.05)
    elapsed = time.time() - t0
    assert seen[-1] == "60", seen
    assert len(seen) >= 3, f"the run should be seen moving, saw {seen}"
    # throttled: at most one chart update per tick (TICK_S = 0.4 s), never one per training step
    assert (len(seen) - 1) / elapsed <= 1 / 0.4 + 0.5, (seen, elapsed)
    browser.wait_idle(page, 60)

    fit, landscape, loss, residuals = plots(page)
    names = [t["name"] for t in fit]
    assert "least squares (lstsq)" in names and "By hand" in names and "PyTorch" in names
    lstsq = next(t for t in fit if t["name"] == "least squares (lstsq)")
    fitted = next(t for t in fit if t["name"] == "PyTorch")
    # after 60 epochs the PyTorch line lies on the least-squares line
    assert max(abs(a - b) for a, b in zip(lstsq["y"], fitted["y"], strict=True)) < 1e-2
    assert landscape[0]["type"] == "contour"
    path = next(t for t in landscape if t["name"] == "PyTorch")
    assert path["n"] == 61  # start + 60 steps, all drawn
    assert sum(t["n"] for t in loss if t["name"].startswith("PyTorch")) >= 61
    assert len(residuals[0]["y"]) == 100
    assert page.get_by_text("loss above").count() >= 1

    assert browser.exceptions(page) == []
    errors = [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)]
    assert errors == []
    browser.screenshot(page, "linreg-played")

    # the exports are made when clicked, from the run as it now stands
    with page.expect_download() as download:
        page.get_by_role("button", name="Learned parameters (JSON)").click()
    doc = json.loads(Path(download.value.path()).read_text())
    assert doc["pytorch"]["steps"] == 60 and doc["pytorch"]["weights"][0] == path["x"][-1]
    with page.expect_download() as download:
        page.get_by_role("button", name="Script that reproduces this run").click()
    assert "train_by_hand(60)" in Path(download.value.path()).read_text()


def test_pause_stops_the_updates(streamlit_server, page):
    open_lab(page, streamlit_server, "lin_epochs=1000&lin_speed=50")
    page.get_by_role("button", name="Play").click()
    step = page.locator(STEP_METRIC)
    browser.wait_for_change(step.inner_text, "0", 60, "the step count to leave 0")
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=30_000)
    browser.wait_idle(page, 60)
    paused_at = page.locator(STEP_METRIC).inner_text()
    # several ticks' worth: the timer must be gone, not just the button
    browser.assert_unchanged(step.inner_text, 2.5, "the paused step count")
    assert paused_at != "1,000"


def test_divergence_shows_its_explanation(streamlit_server, page):
    page.set_viewport_size({"width": 1400, "height": 2000})
    open_lab(page, streamlit_server, "lin_std=0&lin_lr=0.5")
    page.get_by_role("button", name="+100").click()
    page.get_by_text("What to try").first.wait_for(timeout=60_000)
    browser.wait_idle(page, 60)
    assert page.get_by_text("Training stopped at step").count() == 1
    assert browser.exceptions(page) == []
    browser.screenshot(page, "linreg-diverged")


REPLAY = ".st-key-lin_replay_chart .js-plotly-plot"
# Frames plotly.js animates in the replay chart, counted in the page: (count, first, last) ms.
COUNT_FRAMES_JS = (
    "gd => { gd._frames_seen = []; "
    "gd.on('plotly_animatingframe', () => gd._frames_seen.push(performance.now())); }"
)


def replay_step(page) -> int:
    text = page.locator(f"{REPLAY} .slider-group > .slider-label").text_content()  # "step N"
    return int(text.split()[-1])


def test_the_replay_plays_and_scrubs_in_the_browser_without_the_server(streamlit_server, page):
    sent = []  # every websocket message from the page to the server
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    page.set_viewport_size({"width": 1400, "height": 2400})
    open_lab(page, streamlit_server, "lin_epochs=60")
    page.get_by_role("button", name="+100").click()  # trains to the end: 60 steps
    browser.wait_until(lambda: page.locator(STEP_METRIC).inner_text() == "60", 60, "60 steps")
    page.get_by_text("Replay the run in your browser").click()
    page.locator(REPLAY).wait_for(timeout=60_000)
    browser.wait_idle(page, 60)
    assert replay_step(page) == 0
    page.locator(REPLAY).evaluate(COUNT_FRAMES_JS)
    before = len(sent)

    page.locator(f"{REPLAY} .updatemenu-button", has_text="Play").first.click()
    browser.wait_until(lambda: replay_step(page) == 60, 30, "the replay to reach step 60")
    frames = page.locator(REPLAY).evaluate("gd => gd._frames_seen.length")
    assert frames >= 60  # every frame after the start was drawn
    times = page.locator(REPLAY).evaluate("gd => gd._frames_seen")
    print(
        f"replay: {len(times)} frames at {1000 * (len(times) - 1) / (times[-1] - times[0]):.1f} fps"
    )
    browser.screenshot(page, "linreg-replay-played")

    rail = page.locator(f"{REPLAY} .slider-rail-rect")
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 2, y)  # the grip, at the last step
    page.mouse.down()
    for f in (0.8, 0.6, 0.4, 0.25):  # dragged back to a quarter of the run
        page.mouse.move(box["x"] + f * box["width"], y, steps=3)
    page.mouse.up()
    browser.wait_until(lambda: replay_step(page) != 60, 10, "the scrubber to move")
    assert 5 <= replay_step(page) <= 25, replay_step(page)
    fits = page.locator(REPLAY).evaluate(
        "gd => gd._fullData.filter(t => t.name === 'PyTorch' && t.xaxis === 'x')"
        ".map(t => Array.from(t.y))"
    )
    assert len(fits) == 1 and len(fits[0]) == 100
    browser.screenshot(page, "linreg-replay-scrubbed")
    time.sleep(0.5)
    assert len(sent) == before, "playing or scrubbing the replay sent messages to the server"
    assert browser.exceptions(page) == []
