"""'Your turn' on the autograd page in real Chromium: type a wrong gradient, read the hint,
type an unreadable one, then the right one, and see the step revealed."""

from __future__ import annotations

import pytest

from tests.support import browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GRAPH = '[data-testid="stGraphVizChart"] svg'
FIELD = "Gradient sent along input 1 (shape (2, 3))"


def answer(page, typed: str) -> None:
    """Type into the first gradient field, commit it (Enter), then press Check."""
    box = page.get_by_label(FIELD)
    box.fill(typed)
    box.press("Enter")
    browser.wait_idle(page)
    page.get_by_role("button", name="Check").click()
    browser.wait_idle(page)


def alert(page, words: str):
    found = page.locator('[data-testid="stAlert"]').filter(has_text=words)
    found.first.wait_for(timeout=60_000)
    return found.first.inner_text()


def test_wrong_then_unreadable_then_right(streamlit_server, page):
    browser.open_page(page, streamlit_server, "autograd", timeout=180)
    page.wait_for_selector(GRAPH, timeout=180_000)
    page.get_by_text("Your turn: compute each step").click()  # on: back to the forward pass
    browser.wait_idle(page)
    page.get_by_text("Your turn: step 1.").wait_for(timeout=60_000)
    assert page.get_by_text("Forward pass only: values are computed").count() == 1

    answer(page, "1, 1, 1, 1, 1, 1")
    assert "Not quite: 6 of 6 value(s) are off" in alert(page, "Not quite")
    page.get_by_text("Hint.").wait_for(timeout=60_000)
    hint = page.locator('[data-testid="stCode"]').filter(has_text="upstream (shape ()) =")
    assert "1" in hint.first.inner_text()
    local = page.locator('[data-testid="stCode"]').filter(has_text="local derivative for input 1")
    assert "0.1667" in local.first.inner_text()
    browser.screenshot(page, "fillin-wrong-hint")

    answer(page, "1/6, 1/6, oops")
    assert "“oops” is not a number" in alert(page, "is not a number")
    assert page.get_by_text("Your turn: step 1.").count() == 1  # no step lost, nothing revealed

    answer(page, "0.1667, 0.1667, 0.1667; 0.1667, 0.1667, 0.1667")
    said = alert(page, "Right: step 1")
    assert "is what autograd computed" in said
    page.get_by_text("Your turn: step 2.").wait_for(timeout=60_000)
    asked = page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text="Your turn: step 2."
    )
    assert "for z = y * y * 3." in asked.first.inner_text()  # a code span: no escapes shown
    page.get_by_text("Step 1 of 5").wait_for(timeout=60_000)
    assert "1 of 5 steps computed (0 at the first try, 1 after a hint)" in page.inner_text(
        '[data-testid="stMain"]'
    )
    assert page.locator('svg polygon[fill="#FAF3B0" i]').count() == 1  # step 1 highlighted
    assert browser.exceptions(page) == []
    browser.screenshot(page, "fillin-right")
