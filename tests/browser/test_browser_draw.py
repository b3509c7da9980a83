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
        # + the input and its saliency, + the CNN's six layers (clickable pictures: charts);
        # + every model's probabilities
        tiles = charts.filter(has_text="(click one)")
        browser.wait_until(
            lambda tiles=tiles: images.count() + tiles.count() >= 13,
            30,
            "the saliency maps and layers",
        )
        browser.wait_until(
            lambda tiles=tiles: charts.count() - tiles.count() == 2, 30, "the models compared"
        )
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


def choose(page, key: str, typed: str) -> None:
    """Pick the option of selectbox `key` that typing `typed` leaves first, as a student does."""
    box = page.locator(f".st-key-{key} input[role='combobox']")
    box.click()
    box.fill(typed)
    page.get_by_role("option").filter(has_text=typed).first.click()
    browser.wait_idle(page, timeout=120)


@pytest.mark.parametrize("look", ["normal", "presenter"])
def test_a_cnn_feature_map_shows_its_filter_and_the_test_images_it_responds_to(
    streamlit_server, tall_page, look
):
    page = tall_page
    open_draw_page(page, streamlit_server, "presenter=1" if look == "presenter" else "")
    draw(page, DIGITS["7"])
    assert read_prediction(page) == "7"
    page.get_by_text("Inside the model").click()
    browser.wait_idle(page)
    choose(page, "draw_unit_layer", "conv1")
    choose(page, "draw_unit", "feature map 5")
    charts = page.locator('[data-testid="stPlotlyChart"]')
    weights = charts.filter(has_text="The weights of feature map 5 in conv1")
    strongest = charts.filter(has_text="test images that raise feature map 5 most")
    weights.wait_for(timeout=60_000)
    strongest.wait_for(timeout=60_000)
    browser.wait_idle(page)
    # the 3x3 filter and the eight images are drawn, each image captioned with its number
    assert weights.locator(".heatmaplayer image, .hm image, image").count() >= 1
    assert strongest.locator(".heatmaplayer image, .hm image, image").count() >= 1
    captions = strongest.locator(".annotation-text").all_text_contents()
    assert len(captions) == 8 and all(c.startswith("#") for c in captions)
    box = strongest.bounding_box()
    assert box and box["width"] > 600 and box["height"] > 150
    page.get_by_text("Feature map 5 for your drawing: fires").wait_for(timeout=30_000)
    assert page.get_by_text("Your drawing gives").count() == 1
    # what a student sees: the picked map's filter, its map for the drawing, its top images
    page.get_by_text("What a unit responds to.").evaluate("e => e.scrollIntoView({block: 'start'})")
    browser.wait_idle(page)
    page.screenshot(path=str(browser.SCREENSHOTS / f"draw-feature-map-{look}.png"))
    assert browser.exceptions(page) == []
    assert [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)] == []


def test_clicking_a_feature_map_tile_picks_it_and_shows_its_filter_and_images(
    streamlit_server, tall_page
):
    """Inside the model, a click on one of conv2's maps picks it: the two selectboxes follow,
    and its filters and strongest test images are shown."""
    page = tall_page
    open_draw_page(page, streamlit_server)
    draw(page, DIGITS["7"])
    assert read_prediction(page) == "7"
    page.get_by_text("Inside the model").click()
    browser.wait_idle(page)
    tiles = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="conv2 (Conv2d): ")
    tiles.wait_for(timeout=60_000)
    tiles.scroll_into_view_if_needed()
    browser.wait_idle(page)
    square = tiles.locator(".scatterlayer .point").nth(3)  # map 3's invisible square
    box = square.bounding_box()
    assert box, "the click squares are drawn"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    browser.wait_idle(page, timeout=120)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    weights = charts.filter(has_text="The weights of feature map 3 in conv2")
    strongest = charts.filter(has_text="test images that raise feature map 3 most")
    weights.wait_for(timeout=60_000)
    strongest.wait_for(timeout=60_000)
    layer = page.locator(".st-key-draw_unit_layer input[role='combobox']")
    unit = page.locator(".st-key-draw_unit input[role='combobox']")
    assert "conv2" in (layer.input_value() or layer.get_attribute("aria-label") or "")
    assert "feature map 3" in (unit.input_value() or unit.get_attribute("aria-label") or "")
    assert "draw_unit=3" in page.url and "draw_unit_layer=conv2" in page.url
    browser.wait_idle(page)
    tiles.evaluate("e => e.scrollIntoView({block: 'start'})")
    browser.wait_idle(page)
    page.screenshot(path=str(browser.SCREENSHOTS / "draw-click-feature-map.png"))
    assert browser.exceptions(page) == []
    assert [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)] == []
