"""The linear regression page in real Chromium: play a run (trained at once, replayed in
the browser), see the line fit and the landscape path.
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
    "Array.from(document.querySelectorAll(\"[class*='st-key-lin_fig_'] .js-plotly-plot\"))"
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
    """Play trains the 60 steps in one click; the replay opens and plays them by itself in
    the browser, without a message to the server; the charts show where the run ended."""
    sent = []  # every websocket message from the page to the server
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    page.set_viewport_size({"width": 1400, "height": 2600})
    open_lab(page, streamlit_server, "lin_epochs=60&lin_noise=1.5")
    assert page.locator(STEP_METRIC).inner_text() == "0"
    assert page.get_by_text("Step of 60").count() == 1

    page.get_by_role("button", name="Train & play").click()
    browser.wait_until(lambda: page.locator(STEP_METRIC).inner_text() == "60", 60, "60 steps")
    page.locator(REPLAY).wait_for(timeout=60_000)
    browser.wait_idle(page, 60)
    before, seen, t0 = len(sent), [], time.time()
    while time.time() - t0 < 30 and (not seen or seen[-1] != 60):
        step = replay_step(page)
        if not seen or seen[-1] != step:
            seen.append(step)
        time.sleep(0.02)
    assert seen[-1] == 60, seen
    assert any(0 < step < 60 for step in seen), f"the replay should be seen moving, saw {seen}"
    time.sleep(0.3)
    assert len(sent) == before, "the replay sent messages to the server while it played"

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
    scrubbed = replay_step(page)
    steps = ".st-key-lin_replay_steps button"
    for act, expected in (("next", scrubbed + 1), ("prev", scrubbed), ("first", 0), ("prev", 0)):
        page.locator(f"{steps}[data-act={act}]").click()  # the step buttons, and one past 0
        browser.wait_until(lambda e=expected: replay_step(page) == e, 10, f"{act} to {expected}")
    page.locator(f"{steps}[data-act=last]").click()
    browser.wait_until(lambda: replay_step(page) == 60, 10, "the last step")
    page.locator(f"{steps}[data-act=next]").click()  # past the end: it holds
    time.sleep(0.3)
    assert replay_step(page) == 60
    time.sleep(0.5)
    assert len(sent) == before, "playing, scrubbing or stepping the replay sent messages"
    assert browser.exceptions(page) == []


EDITOR = ".st-key-lin_touch"  # the points editor (a custom component, no iframe)
EDITOR_STATE_JS = """root => ({
  seqSent: +root.dataset.seqSent, seqAcked: +root.dataset.seqAcked, count: +root.dataset.count,
  readout: root.querySelector('.pts-readout').textContent,
  lsqW: +(root.querySelector('.lsq') || {dataset: {w: NaN}}).dataset.w,
  points: Array.from(root.querySelectorAll('circle.pt')).map(c => [+c.getAttribute('cx'),
    +c.getAttribute('cy')]),
})"""


def editor(page) -> dict:
    return page.locator(f"{EDITOR} .pts-root").evaluate(EDITOR_STATE_JS)


def svg_to_screen(page, cx: float, cy: float) -> tuple[float, float]:
    """An SVG user-space point -> page coordinates (the SVG may be scaled)."""
    return page.locator(f"{EDITOR} svg.pts-plot").evaluate(
        "(svg, p) => { const m = svg.getScreenCTM(); const q = svg.createSVGPoint();"
        " q.x = p[0]; q.y = p[1]; const r = q.matrixTransform(m); return [r.x, r.y]; }",
        [cx, cy],
    )


def open_editor(page, base_url: str, query: str) -> None:
    open_lab(page, base_url, query)
    page.get_by_text("Touch the data: drag, add or erase points").click()
    page.locator(f"{EDITOR} svg.pts-plot circle.pt").first.wait_for(timeout=60_000)
    browser.wait_idle(page, 60)


def acknowledged(page) -> bool:
    state = editor(page)
    return state["seqAcked"] == state["seqSent"]


def test_drag_add_and_erase_points_and_the_least_squares_line_follows(streamlit_server, page):
    page.set_viewport_size({"width": 1300, "height": 2200})
    open_editor(page, streamlit_server, "lin_n=20&lin_noise=0.5")
    state = editor(page)
    assert state["count"] == 20 and len(state["points"]) == 20
    slope_before = state["lsqW"]
    # the right-most point, dragged far down: the least-squares line tilts at once
    i = max(range(20), key=lambda k: state["points"][k][0])
    x, y = svg_to_screen(page, *state["points"][i])
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 120, steps=6)
    during = editor(page)["lsqW"]
    assert during < slope_before  # refitted while dragging, before the server heard anything
    page.mouse.up()
    browser.wait_until(lambda: acknowledged(page), 30, "the server to take the edit in")
    browser.wait_idle(page, 60)
    fit = plots(page)[0]
    training = next(t for t in fit if t["name"] == "training data")
    moved = min(training["y"])
    assert len(training["y"]) == 20 and moved < min(p for p in training["y"] if p != moved)
    assert page.get_by_role("button", name="Undo my edits").count() == 1

    page.locator(f"{EDITOR} button[data-mode=add]").click()
    browser.wait_idle(page, 30)
    box = page.locator(f"{EDITOR} svg.pts-plot").bounding_box()
    for fx in (0.3, 0.5):  # two clicks on empty space: two new points
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + 0.12 * box["height"])
        browser.wait_until(lambda: acknowledged(page), 30, "an added point")
    assert editor(page)["count"] == 22
    page.locator(f"{EDITOR} button[data-mode=erase]").click()
    browser.wait_idle(page, 30)
    first = editor(page)["points"][0]
    page.mouse.click(*svg_to_screen(page, *first))
    browser.wait_until(lambda: acknowledged(page), 30, "an erased point")
    browser.wait_idle(page, 60)
    assert editor(page)["count"] == 21
    fit = plots(page)[0]
    assert len(next(t for t in fit if t["name"] == "training data")["y"]) == 21
    browser.screenshot(page, "linreg-touch-edited")

    page.locator(f"{EDITOR} button", has_text="Clear all").click()
    page.get_by_text("a line needs at least 2").wait_for(timeout=30_000)
    browser.wait_idle(page, 30)
    assert browser.exceptions(page) == []
    page.get_by_role("button", name="Undo my edits").click()
    browser.wait_until(lambda: editor(page)["count"] == 20, 30, "the generated points back")


def test_fit_it_yourself_then_gradient_descent_continues_from_your_line(streamlit_server, page):
    page.set_viewport_size({"width": 1300, "height": 2400})
    open_editor(page, streamlit_server, "lin_n=30")
    page.locator(f"{EDITOR} button[data-mode=fit]").click()
    page.locator(f"{EDITOR} circle.handle").first.wait_for(timeout=30_000)
    browser.wait_idle(page, 30)
    flat = editor(page)["readout"]
    assert flat.startswith("Your line: y = 0·x")
    handle = page.locator(f"{EDITOR} circle.handle").nth(1)  # the right-hand handle
    hx, hy = svg_to_screen(
        page, float(handle.get_attribute("cx")), float(handle.get_attribute("cy"))
    )
    page.mouse.move(hx, hy)
    page.mouse.down()
    page.mouse.move(hx, hy - 150, steps=8)  # lift the right end: the line tilts up
    page.mouse.up()
    browser.wait_idle(page, 60)
    readout = editor(page)["readout"]
    assert readout != flat and "y = 0·x" not in readout
    shown_loss = float(readout.split("loss (MSE) ")[1].split(" ")[0])
    labels = [m.inner_text() for m in page.locator('[data-testid="stMetricLabel"]').all()]
    values = [m.inner_text() for m in page.locator('[data-testid="stMetricValue"]').all()]
    server_loss = float(values[labels.index("Loss (MSE)")])
    assert server_loss == pytest.approx(shown_loss, rel=2e-3)  # autograd agrees with the browser
    browser.screenshot(page, "linreg-fit-yourself")
    page.get_by_role("button", name="Let gradient descent continue from your line").click()
    browser.wait_idle(page, 60)
    values = [m.inner_text() for m in page.locator('[data-testid="stMetricValue"]').all()]
    labels = [m.inner_text() for m in page.locator('[data-testid="stMetricLabel"]').all()]
    start_loss = float(values[labels.index("Loss, PyTorch")])
    assert start_loss == pytest.approx(server_loss, rel=1e-3)  # step 0 is your line
    page.get_by_role("button", name="+100").click()
    step = page.locator(
        '[data-testid="stMetric"]:has-text("Step of") [data-testid="stMetricValue"]'
    )
    browser.wait_until(lambda: step.inner_text() == "100", 60, "100 steps from your line")
    values = [m.inner_text() for m in page.locator('[data-testid="stMetricValue"]').all()]
    assert float(values[labels.index("Loss, PyTorch")]) < start_loss


def test_pin_a_run_and_compare_it_with_the_next(streamlit_server, page):
    page.set_viewport_size({"width": 1400, "height": 2400})
    open_lab(page, streamlit_server, "lin_epochs=50&lin_lr=0.01")
    page.get_by_role("button", name="+100").click()
    browser.wait_until(lambda: page.locator(STEP_METRIC).inner_text() == "50", 60, "50 steps")
    page.get_by_role("button", name="Pin this run to compare").click()
    browser.wait_idle(page, 60)
    page.get_by_role("button", name="Reset", exact=True).click()
    browser.wait_idle(page, 60)
    page.get_by_role("button", name="+10", exact=True).click()
    browser.wait_until(lambda: page.locator(STEP_METRIC).inner_text() == "10", 60, "10 steps")
    browser.wait_idle(page, 60)
    fit, landscape, loss, _ = plots(page)
    name = "pinned: SGD, lr 0.01, standardised, full batch"
    assert name in [t["name"] for t in fit]
    pinned_loss = next(t for t in loss if t["name"] == f"{name}, train")
    assert pinned_loss["x"][-1] == 50  # the pinned run's whole curve, beside 10 new steps
    assert name in [t["name"] for t in landscape]
    browser.screenshot(page, "linreg-pinned")
    # other data: the pinned run is not drawn, and the page says why
    page.get_by_role("button", name="New sample").click()
    page.get_by_text("was trained on other data").wait_for(timeout=30_000)
    browser.wait_idle(page, 60)
    assert name not in [t["name"] for t in plots(page)[0]]
    assert browser.exceptions(page) == []


def touch_drag(page, start, end, steps: int = 8) -> None:
    """A finger on the screen: touchstart, moves, touchend (Chromium makes pointer events)."""
    cdp = page.context.new_cdp_session(page)
    x0, y0 = start
    x1, y1 = end
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]}
    )
    for k in range(1, steps + 1):
        f = k / steps
        point = {"x": x0 + f * (x1 - x0), "y": y0 + f * (y1 - y0)}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_on_a_tablet_in_presenter_mode_a_finger_adds_and_drags_points(streamlit_server, chromium):
    context = chromium.new_context(viewport={"width": 820, "height": 1180}, has_touch=True)
    page = context.new_page()
    try:
        open_editor(page, streamlit_server, "lin_n=15&presenter=1")
        page.locator(f"{EDITOR} button[data-mode=add]").tap()
        browser.wait_idle(page, 30)
        plot = page.locator(f"{EDITOR} svg.pts-plot")
        plot.scroll_into_view_if_needed()
        box = plot.bounding_box()
        page.touchscreen.tap(box["x"] + 0.5 * box["width"], box["y"] + 0.1 * box["height"])
        browser.wait_until(lambda: editor(page)["count"] == 16, 30, "a tapped point")
        browser.wait_until(lambda: acknowledged(page), 30, "the server to take it in")
        page.locator(f"{EDITOR} button[data-mode=move]").tap()
        browser.wait_idle(page, 30)
        state = editor(page)
        i = max(range(16), key=lambda k: state["points"][k][1])  # the lowest point on screen
        x, y = svg_to_screen(page, *state["points"][i])
        touch_drag(page, (x, y), (x, y - 0.3 * box["height"]))
        browser.wait_until(lambda: acknowledged(page), 30, "the dragged point")
        moved = editor(page)["points"][i]
        assert moved[1] < state["points"][i][1] - 50  # up by about a third of the plot
        assert editor(page)["count"] == 16
        browser.wait_idle(page, 60)
        assert browser.exceptions(page) == []
        browser.screenshot(page, "linreg-touch-tablet-presenter")
    finally:
        context.close()
