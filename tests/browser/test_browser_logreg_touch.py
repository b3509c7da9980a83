"""The logistic page in real Chromium: points added by clicking, dragged and erased, and a
run replayed in the browser (play, step buttons, scrubber) without a message to the server."""

from __future__ import annotations

import time

import pytest

from tests.support import browser
from ui.registry import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]
URL_PATH = next(p[4] for p in PAGES if p[1] == "pages/logistic_regression.py")
EDITOR = ".st-key-lr_touch"
PLAYER = ".st-key-lr_replay_player"
STATE_JS = """root => ({
  seqSent: +root.dataset.seqSent, seqAcked: +root.dataset.seqAcked, count: +root.dataset.count,
  readout: root.querySelector('.pts-readout').textContent,
  classes: Array.from(root.querySelectorAll('circle.pt')).map(c => +c.dataset.cls),
  points: Array.from(root.querySelectorAll('circle.pt')).map(c => [+c.getAttribute('cx'),
    +c.getAttribute('cy')]),
})"""


def open_lab(page, base_url: str, query: str) -> None:
    browser.open_page(page, base_url, URL_PATH, query, timeout=180)
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    browser.wait_idle(page, 120)


def editor(page) -> dict:
    return page.locator(f"{EDITOR} .pts-root").evaluate(STATE_JS)


def acknowledged(page) -> bool:
    state = editor(page)
    return state["seqAcked"] == state["seqSent"]


def to_screen(page, cx: float, cy: float):
    return page.locator(f"{EDITOR} svg.pts-plot").evaluate(
        "(svg, p) => { const m = svg.getScreenCTM(); const q = svg.createSVGPoint();"
        " q.x = p[0]; q.y = p[1]; const r = q.matrixTransform(m); return [r.x, r.y]; }",
        [cx, cy],
    )


def test_draw_a_data_set_from_scratch_and_train_on_it(streamlit_server, page):
    page.set_viewport_size({"width": 1400, "height": 2400})
    open_lab(page, streamlit_server, "lr_n=40&lr_test=0")
    page.get_by_text("Touch the data: click to add points of a class").click()
    page.locator(f"{EDITOR} circle.pt").first.wait_for(timeout=60_000)
    browser.wait_idle(page, 30)
    assert editor(page)["count"] == 40
    page.locator(f"{EDITOR} button", has_text="Clear all").click()
    page.get_by_text("a classifier needs points of at least two classes").wait_for(timeout=30_000)
    browser.wait_idle(page, 30)
    plot = page.locator(f"{EDITOR} svg.pts-plot")
    box = plot.bounding_box()
    for k, spots in enumerate(([(0.2, 0.3), (0.25, 0.4), (0.3, 0.25)], [(0.7, 0.7), (0.8, 0.6)])):
        page.locator(f"{EDITOR} button[data-cls='{k}']").click()  # pick the class: add mode
        browser.wait_idle(page, 30)
        for fx, fy in spots:
            count = editor(page)["count"]
            plot.scroll_into_view_if_needed()  # the page above grows once the data can train
            box = plot.bounding_box()
            page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            browser.wait_until(
                lambda c=count: acknowledged(page) and editor(page)["count"] == c + 1,
                30,
                f"a point clicked at {fx, fy}",
            )
    browser.wait_idle(page, 60)
    state = editor(page)
    assert state["count"] == 5 and sorted(state["classes"]) == [0, 0, 0, 1, 1], state
    assert "3 0 · 2 1" in state["readout"]
    page.locator(f"{EDITOR} button[data-mode=move]").click()
    browser.wait_idle(page, 30)
    plot.scroll_into_view_if_needed()
    x, y = to_screen(page, *editor(page)["points"][4])
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y - 40, steps=6)
    page.mouse.up()
    browser.wait_until(lambda: acknowledged(page), 30, "a dragged point")
    page.locator(f"{EDITOR} button[data-mode=erase]").click()
    browser.wait_idle(page, 30)
    page.mouse.click(*to_screen(page, *editor(page)["points"][0]))
    browser.wait_until(lambda: acknowledged(page), 30, "an erased point")
    browser.wait_idle(page, 60)
    assert editor(page)["count"] == 4
    page.get_by_role("button", name="Step", exact=True).click()
    browser.wait_idle(page, 60)
    assert page.locator(f"{EDITOR} svg image.surface").count() == 1  # the model underneath
    assert browser.exceptions(page) == []
    browser.screenshot(page, "logreg-touch-drawn")


def test_the_replay_plays_steps_and_scrubs_without_the_server(streamlit_server, page):
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    page.set_viewport_size({"width": 1400, "height": 2400})
    open_lab(page, streamlit_server, "lr_data=xor&lr_layers=1&lr_units1=4&lr_lr=0.3")
    for _ in range(3):
        page.get_by_role("button", name="Step", exact=True).click()
        browser.wait_idle(page, 30)
    page.get_by_text("Replay the run in your browser: play it, step it").click()
    root = page.locator(f"{PLAYER} .rp-root")
    root.wait_for(timeout=60_000)
    browser.wait_idle(page, 60)
    assert root.evaluate("r => r.dataset.step") == "0"
    before = len(sent)
    page.locator(f"{PLAYER} button[data-act=next]").click()
    assert root.evaluate("r => r.dataset.step") == "1"
    page.locator(f"{PLAYER} button[data-act=last]").click()
    assert root.evaluate("r => r.dataset.step") == "3"
    page.locator(f"{PLAYER} button[data-act=prev]").click()
    assert root.evaluate("r => r.dataset.step") == "2"
    page.locator(f"{PLAYER} button[data-act=first]").click()
    page.evaluate("window.__replayPaints = []")
    page.locator(f"{PLAYER} button[data-act=play]").click()
    browser.wait_until(lambda: root.evaluate("r => r.dataset.step") == "3", 10, "the end")
    painted = page.evaluate("window.__replayPaints")
    # frames 1, 2, 3 in turn; a busy machine may skip one the player was late for
    assert 1 <= len(painted) <= 3
    scrub = page.locator(f"{PLAYER} input.rp-scrub")
    scrub.fill("1")  # the scrubber, set like a drag sets it
    assert root.evaluate("r => r.dataset.step") == "1"
    assert "step 1 / 3" in page.locator(f"{PLAYER} .rp-status").inner_text()
    for end, step in (("0", "0"), ("3", "3")):  # both ends, then past them: they hold
        scrub.fill(end)
        assert root.evaluate("r => r.dataset.step") == step
    page.locator(f"{PLAYER} button[data-act=next]").click()  # at the last frame already
    assert root.evaluate("r => r.dataset.step") == "3"
    page.locator(f"{PLAYER} button[data-act=first]").click()
    page.locator(f"{PLAYER} button[data-act=prev]").click()  # before the first: stays
    assert root.evaluate("r => r.dataset.step") == "0"
    scrub.fill("1")
    browser.screenshot(page, "logreg-replay")
    time.sleep(0.5)
    assert len(sent) == before, "the replay sent messages to the server"
    assert browser.exceptions(page) == []


def test_play_trains_then_the_browser_plays_the_new_steps_by_itself(streamlit_server, page):
    """Play: one server run trains 100 steps, the replay opens and plays them; a second Play
    plays from where the first ended. Nothing is sent to the server while it plays."""
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    page.set_viewport_size({"width": 1400, "height": 2400})
    query = "lr_data=moons&lr_layers=1&lr_units1=6&lr_lr=0.3&lr_play_steps=100"
    open_lab(page, streamlit_server, query)
    page.evaluate("window.__replayPaints = []")
    page.get_by_role("button", name="Train & play").click()
    root = page.locator(f"{PLAYER} .rp-root")
    root.wait_for(timeout=60_000)
    browser.wait_until(lambda: root.evaluate("r => r.dataset.step") == "100", 30, "autoplay")
    browser.wait_idle(page, 30)
    before = len(sent)
    assert len(page.evaluate("window.__replayPaints")) > 40  # it played: many frames painted
    page.locator(f"{PLAYER} button[data-act=first]").click()
    page.locator(f"{PLAYER} button[data-act=play]").click()
    browser.wait_until(lambda: root.evaluate("r => r.dataset.step") == "100", 30, "a replay")
    assert len(sent) == before
    page.evaluate("window.__steps = []")
    root.evaluate(
        "r => new MutationObserver(() => window.__steps.push(+r.dataset.step))"
        ".observe(r, {attributes: true, attributeFilter: ['data-step']})"
    )
    page.get_by_role("button", name="Train & play").click()  # 100 more
    browser.wait_until(lambda: root.evaluate("r => r.dataset.step") == "200", 30, "the second")
    shown = page.evaluate("window.__steps")
    assert shown and min(shown) >= 99, shown[:10]  # it went on from step 100, not from 0
    assert browser.exceptions(page) == []
    browser.screenshot(page, "logreg-played")


# The browser's forward pass on every cell of a frame, encoded as the server encodes the
# surface (class, 24 confidence levels), against the server's bytes for that frame.
COMPARE_JS = """(root, f) => {
  const {grid, bounds} = root.__replay();
  const codes = root.__codes(f);
  const [x0, x1, y0, y1] = bounds;
  let same = 0, classDiffers = 0, worst = 0;
  for (let r = 0; r < grid; r++) for (let c = 0; c < grid; c++) {
    const a = x0 + (c * (x1 - x0)) / (grid - 1), b = y0 + (r * (y1 - y0)) / (grid - 1);
    const p = root.__probabilities(f, a, b);
    let k, conf;
    if (p.length === 1) { k = p[0] >= 0.5 ? 1 : 0; conf = Math.abs(2 * p[0] - 1); }
    else { k = p.indexOf(Math.max(...p)); conf = (p[k] - 1 / p.length) / (1 - 1 / p.length); }
    const mine = k * 25 + Math.round(24 * Math.min(Math.max(conf, 0), 1));
    const theirs = codes[r * grid + c];
    if (mine === theirs) same++;
    else if (Math.floor(mine / 25) !== Math.floor(theirs / 25)) classDiffers++;
    else worst = Math.max(worst, Math.abs(mine - theirs));
  }
  return {same, classDiffers, worst, cells: grid * grid};
}"""


@pytest.mark.parametrize(
    "query",
    [
        "lr_data=xor&lr_layers=2&lr_units1=6&lr_units2=4&lr_act=tanh&lr_lr=0.3",
        "lr_data=multiblobs&lr_k=4&lr_layers=1&lr_units1=5&lr_act=relu&lr_feat=x1*x2",
    ],
)
def test_the_network_run_in_the_browser_draws_what_the_server_trained(
    streamlit_server, page, query
):
    """The replay's network diagram runs the model in the page on each frame's parameters:
    its output must be the surface the server computed with torch, frame after frame."""
    page.set_viewport_size({"width": 1400, "height": 2600})
    open_lab(page, streamlit_server, query)
    page.get_by_role("button", name="Train & play").click()  # 200 steps, then replayed
    root = page.locator(f"{PLAYER} .rp-root")
    browser.wait_until(lambda: root.evaluate("r => r.dataset.step") == "200", 30, "autoplay")
    frames = root.evaluate("r => r.__replay().frames")
    for f in (0, frames // 2, frames - 1):
        got = root.evaluate(COMPARE_JS, f)
        # float32 in the browser, float32 in torch, summed in other orders: a cell on a
        # level's edge may round the other way, never by more than one level
        assert got["classDiffers"] <= 2 and got["worst"] <= 1, got
        assert got["same"] >= 0.97 * got["cells"], got
    assert page.locator(f"{PLAYER} canvas.rp-net").count() == 1
    browser.screenshot(page, "logreg-replay-network-" + query.split("&")[0].split("=")[1])
