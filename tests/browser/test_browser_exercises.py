"""Real Chromium: answer an exercise on the MNIST lab and on Draw a digit, and read the grade
the page gives after running the experiment."""

from __future__ import annotations

import pytest

from tests.support import browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def open_exercises(page, tab: str):
    """Open the 'Predict, then check' expander and the tab `tab`; its panel."""
    section = page.locator('[data-testid="stExpander"]').filter(has_text="Predict, then check")
    if section.locator("details[open]").count() == 0:  # presenter mode opens it already
        section.locator("summary").click()
    section.get_by_role("tab", name=tab).click()
    panel = section.get_by_role("tabpanel", name=tab)
    panel.wait_for()
    return section, panel


def grade_text(panel, timeout: float = 120) -> str:
    alert = panel.locator('[data-testid="stAlert"]').filter(has_text="You predicted")
    alert.wait_for(timeout=timeout * 1000)
    return alert.inner_text()


def test_mnist_lab_exercise_is_answered_and_graded(streamlit_server, page):
    browser.open_page(page, streamlit_server, "mnist", timeout=180)
    page.get_by_role("button", name="Train").wait_for(timeout=180_000)
    browser.wait_idle(page, timeout=180)
    section, panel = open_exercises(page, "Exercise 1")
    assert "0 of 3 answered" in section.inner_text()
    field = panel.get_by_label("Your prediction (%)")
    field.fill("1e400")
    field.press("Enter")
    browser.wait_idle(page)
    panel.get_by_role("button", name="Check").click()
    browser.wait_idle(page)
    assert "cannot be graded" in panel.inner_text()
    assert "0 of 3 answered" in section.inner_text()  # refused: nothing counted
    field.fill("92")
    field.press("Enter")
    browser.wait_idle(page)
    panel.get_by_role("button", name="Check").click()
    verdict = grade_text(panel)
    browser.wait_idle(page, timeout=120)
    assert "Right!" in verdict and "You predicted 92%" in verdict, verdict
    assert "1 of 3 answered, 1 right" in section.inner_text()
    assert browser.exceptions(page) == []
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(browser.SCREENSHOTS / "exercises-mnist.png"))


def test_draw_page_exercise_is_answered_and_graded(streamlit_server, page):
    browser.open_page(page, streamlit_server, "draw", timeout=180)
    section, panel = open_exercises(page, "Exercise 2")
    assert "naive resize" in panel.inner_text()
    panel.get_by_text("Yes, a 7").click()
    browser.wait_idle(page)
    panel.get_by_role("button", name="Check").click()
    verdict = grade_text(panel)
    browser.wait_idle(page, timeout=120)
    assert "Not quite." in verdict and "No, another digit" in verdict, verdict
    assert "Why:" in panel.inner_text() and "the model read" in panel.inner_text()
    assert "1 of 3 answered, 0 right" in section.inner_text()
    assert browser.exceptions(page) == []
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(browser.SCREENSHOTS / "exercises-draw.png"))
    browser.screenshot(page, "exercises-draw-page")


def test_presenter_mode_asks_large_and_reveals_on_show_me(streamlit_server, page):
    browser.open_page(page, streamlit_server, "draw", query="presenter=1", timeout=180)
    section, panel = open_exercises(page, "Exercise 1")
    question = panel.locator("h3").filter(has_text="small 7")
    assert float(question.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 24
    panel.get_by_text("Yes, a 7").click()
    browser.wait_idle(page)
    panel.get_by_role("button", name="Check").click()
    panel.get_by_text("Prediction checked").wait_for(timeout=120_000)
    browser.wait_idle(page)
    assert "You predicted" not in panel.inner_text()  # the class has not seen the answer yet
    assert "1 of 3 answered." in section.inner_text()  # and not whether it was right
    assert "right." not in section.inner_text()
    section.screenshot(path=str(browser.SCREENSHOTS / "exercises-presenter-locked.png"))
    panel.get_by_role("button", name="Show me").click()
    verdict = grade_text(panel)
    browser.wait_idle(page)
    assert "Right!" in verdict and "Yes, a 7" in verdict
    assert "1 of 3 answered, 1 right" in section.inner_text()
    assert browser.exceptions(page) == []
    section.screenshot(path=str(browser.SCREENSHOTS / "exercises-presenter-revealed.png"))


def test_linear_lab_exercise_is_graded_on_its_own_settings(streamlit_server, page):
    """Predict what the loss does without standardisation; the page is set differently
    (standardised, the default), says so, and grades against the exercise's own run."""
    for _ in range(2):  # the second visit: a new session, on a server that drew the page
        browser.open_page(page, streamlit_server, "linear_regression", timeout=180)
        page.get_by_role("button", name="Train & play").wait_for(timeout=180_000)
        browser.wait_idle(page, timeout=120)
    section, panel = open_exercises(page, "Exercise 3")
    assert "standardisation" in panel.inner_text()
    # said from the session's first run on, before the page has drawn its widgets for it
    assert "set differently (standardise)" in panel.inner_text()  # the page is standardised
    panel.get_by_text("Explodes").click()
    browser.wait_idle(page)
    panel.get_by_role("button", name="Check").click()
    verdict = grade_text(panel)
    browser.wait_idle(page, timeout=60)
    assert "Right!" in verdict and "explodes" in verdict.lower(), verdict
    assert "1 of 3 answered, 1 right" in section.inner_text()
    assert browser.exceptions(page) == []
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(browser.SCREENSHOTS / "exercises-linear.png"))


def test_logistic_lab_exercise_refuses_nonsense_then_grades_a_wrong_answer(streamlit_server, page):
    browser.open_page(page, streamlit_server, "logistic_regression", timeout=180)
    page.get_by_role("button", name="Train & play").wait_for(timeout=180_000)
    browser.wait_idle(page, timeout=120)
    section, panel = open_exercises(page, "Exercise 1")
    field = panel.get_by_label("Your prediction (%)")
    field.fill("about half")
    field.press("Enter")
    browser.wait_idle(page)
    panel.get_by_role("button", name="Check").click()
    browser.wait_idle(page)
    assert "That is not a number" in panel.inner_text()
    assert "0 of 4 answered" in section.inner_text()
    field.fill("100")  # a straight line cannot separate XOR
    field.press("Enter")
    browser.wait_idle(page)
    panel.get_by_role("button", name="Check").click()
    verdict = grade_text(panel)
    browser.wait_idle(page, timeout=60)
    assert "Not quite." in verdict and "You predicted 100%" in verdict, verdict
    assert "1 of 4 answered, 0 right" in section.inner_text()
    assert browser.exceptions(page) == []
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(browser.SCREENSHOTS / "exercises-logistic.png"))


def test_autograd_exercise_is_answered_and_graded(streamlit_server, page):
    browser.open_page(page, streamlit_server, "autograd", timeout=180)
    page.locator('[data-testid="stGraphVizChart"]').first.wait_for(timeout=180_000)
    browser.wait_idle(page, timeout=120)
    section, panel = open_exercises(page, "Exercise 2")
    assert "z.sum()" in panel.inner_text()
    field = panel.get_by_label("Your prediction")
    field.fill("6")
    field.press("Enter")
    browser.wait_idle(page)
    panel.get_by_role("button", name="Check").click()
    verdict = grade_text(panel)
    browser.wait_idle(page, timeout=60)
    assert "Right!" in verdict and "You predicted 6" in verdict, verdict
    assert "1 of 3 answered, 1 right" in section.inner_text()
    assert browser.exceptions(page) == []
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(browser.SCREENSHOTS / "exercises-autograd.png"))


def test_the_bug_hunt_mystery_is_named_after_wrong_guesses(streamlit_server, page):
    """A mystery bug run for real; the student guesses until right (each wrong guess points
    at a symptom), then sees the wrong line beside the right one."""
    page.set_viewport_size({"width": 1400, "height": 2400})
    browser.open_page(page, streamlit_server, "linear_regression", timeout=180)
    page.get_by_role("button", name="Train & play").wait_for(timeout=180_000)
    browser.wait_idle(page, timeout=120)
    hunt = page.locator('[data-testid="stExpander"]').filter(has_text="Bug hunt")
    hunt.locator("summary").click()
    question = hunt.get_by_role("radiogroup", name="Which bug is it?")
    question.wait_for(timeout=60_000)
    browser.wait_idle(page)
    assert hunt.locator(".js-plotly-plot").count() == 1  # the loss beside the right loop's
    options = question.get_by_role("radio").count()
    assert options == 7
    for i in range(options):
        hunt.get_by_role("radiogroup", name="Which bug is it?").locator("label").nth(i).click()
        browser.wait_idle(page)
        hunt.get_by_role("button", name="Check my guess").click()
        browser.wait_idle(page)
        if hunt.get_by_text("The wrong line").count():
            break
        assert "wrong guess" in hunt.inner_text() and "Look at" in hunt.inner_text()
    text = hunt.inner_text()
    assert "Right: it is" in text and "The right line" in text, text[-600:]
    assert browser.exceptions(page) == []
    hunt.scroll_into_view_if_needed()
    hunt.screenshot(path=str(browser.SCREENSHOTS / "bughunt-named.png"))
