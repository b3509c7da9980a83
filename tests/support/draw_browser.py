"""Drawing on the real canvas with Playwright's mouse: shared by the browser test
and the latency benchmark.
"""

from __future__ import annotations

import time

from pretrain.validation import CANVAS_STROKES
from tests.support import browser

CANVAS = "canvas.upper-canvas"  # fabric.js's interactive layer, in the page DOM (no iframe)
PREDICTION = '[data-testid="stMetric"]:has-text("Prediction") [data-testid="stMetricValue"]'
INVITATION = "Draw a digit (0 to 9)"

# Strokes in canvas fractions (0..1), as a person would draw each digit; the same drawings
# gate the shipped models in scripts/train_pretrained.py.
DIGITS = CANVAS_STROKES


def open_draw_page(page, base_url: str, query: str = "") -> None:
    """Open the page (home first: a fresh server serves deep links in legacy mode)
    and wait for the canvas.
    """
    browser.open_page(page, base_url)
    browser.open_page(page, base_url, "draw", query)
    page.wait_for_selector(CANVAS, timeout=120_000)
    page.get_by_text(INVITATION).wait_for(timeout=60_000)


def draw(page, strokes: list[list[tuple[float, float]]], steps: int = 4) -> None:
    """Draw `strokes` with the mouse over the canvas element (pressing, moving, releasing)."""
    box = page.locator(CANVAS).bounding_box()
    for stroke in strokes:
        x, y = box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"]
        page.mouse.move(x, y)
        page.mouse.down()
        for fx, fy in stroke[1:]:
            page.mouse.move(
                box["x"] + fx * box["width"], box["y"] + fy * box["height"], steps=steps
            )
        page.mouse.up()


def clear(page, timeout: float = 60) -> None:
    """Press the page's Clear button and wait for the invitation to come back."""
    page.locator(".st-key-draw_clear button").click()
    page.get_by_text(INVITATION).wait_for(timeout=timeout * 1000)
    browser.wait_idle(page)


def read_prediction(page, timeout: float = 60) -> str:
    """The "Prediction" metric's value once it shows and the app is idle."""
    page.locator(PREDICTION).wait_for(timeout=timeout * 1000)
    browser.wait_idle(page)
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = page.locator(PREDICTION).inner_text().strip()
        if text:
            return text
        time.sleep(0.05)
    raise TimeoutError("the Prediction metric stayed empty")


SHOWN_PREDICTION = """() => {
  const el = [...document.querySelectorAll('[data-testid="stMetric"]')]
    .find(m => m.innerText.startsWith('Prediction'));
  return el ? el.querySelector('[data-testid="stMetricValue"]').innerText.trim() : null;
}"""


def wait_for_prediction(page, value: str, timeout: float = 60) -> None:
    """Wait until the Prediction metric shows `value`."""
    page.wait_for_function(f"() => ({SHOWN_PREDICTION})() === {value!r}", timeout=timeout * 1000)


# In-page timing: stroke end (mouseup) to the moment a Prediction metric appears in the DOM.
ARM_TIMER = """() => {
  window.__drawTimes = window.__drawTimes || [];
  if (!window.__drawTimerInstalled) {
    window.__drawTimerInstalled = true;
    window.addEventListener('mouseup', () => { window.__strokeEnd = performance.now(); }, true);
    new MutationObserver(() => {
      if (!window.__armed) return;
      const el = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .find(m => m.innerText.startsWith('Prediction'));
      if (el && el.querySelector('[data-testid="stMetricValue"]')?.innerText.trim()) {
        window.__armed = false;
        window.__drawTimes.push(performance.now() - window.__strokeEnd);
      }
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
  }
  window.__armed = true;
}"""


def timed_stroke(page, strokes, timeout: float = 60) -> float:
    """Draw on an empty canvas; seconds from the last mouse release to the prediction on screen."""
    page.evaluate(ARM_TIMER)
    n = page.evaluate("() => window.__drawTimes.length")
    draw(page, strokes)
    deadline = time.time() + timeout
    while time.time() < deadline:
        times = page.evaluate("() => window.__drawTimes")
        if len(times) > n:
            return times[-1] / 1000
        time.sleep(0.02)
    raise TimeoutError("no prediction appeared after the stroke")
