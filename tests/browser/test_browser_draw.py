"""Real Chromium: draw a 1, a 0 and a 7 with the mouse on the real canvas
and read the prediction.
"""

from __future__ import annotations

import pytest

from tests.support import browser
from tests.support.draw_browser import (
    DIGITS,
    PREDICTION,
    clear,
    draw,
    open_draw_page,
    read_prediction,
    wait_for_prediction,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
IGNORED_CONSOLE = ("net::ERR_", "Failed to load resource")


@pytest.fixture
def tall_page(make_page):
    """A page tall enough that a full screenshot shows every section (Streamlit scrolls inside)."""
    return make_page(height=2300)


def test_mouse_drawn_digits_are_read_correctly(streamlit_server, tall_page):
    page = tall_page
    open_draw_page(page, streamlit_server)
    assert page.locator(PREDICTION).count() == 0  # an invitation, not a guess
    images = page.locator('[data-testid="stImage"]')
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for digit in ("1", "0", "7"):
        draw(page, DIGITS[digit])
        assert read_prediction(page) == digit, f"drew a {digit}"
        if digit == "1":  # the deeper sections start closed: the five steps, one chart
            browser.wait_idle(page)
            assert images.count() == 5 and charts.count() == 1
            browser.screenshot(page, "draw-closed")
            for label in (
                "Why the model decided",
                "All models on the same drawing",
                "Inside the model",
            ):
                page.get_by_text(label).click()  # opened once, open for every drawing after
                browser.wait_idle(page)
        # + the input and its saliency, + the CNN's six layers; + every model's probabilities
        browser.wait_until(lambda: images.count() >= 13, 30, "the saliency maps and layers")
        browser.wait_until(lambda: charts.count() == 2, 30, "the models compared")
        browser.wait_idle(page)
        browser.screenshot(page, f"draw-{digit}")
        clear(page)
        assert page.locator(PREDICTION).count() == 0
    assert browser.exceptions(page) == []
    assert [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)] == []


def test_undo_removes_the_last_stroke(streamlit_server, page):
    open_draw_page(page, streamlit_server, "draw_model=Shipped+MLP")
    draw(page, DIGITS["1"])
    assert read_prediction(page) == "1"
    draw(page, [[(0.22, 0.14), (0.55, 0.12)]])  # a top bar to the left: a 7 now
    browser.wait_idle(page)
    page.locator(".st-key-draw_undo button").click()
    wait_for_prediction(page, "1")
    page.locator(".st-key-draw_undo button").click()  # the first stroke goes too: an empty canvas
    page.get_by_text("Draw a digit (0 to 9)").wait_for(timeout=60_000)
    assert browser.exceptions(page) == []
