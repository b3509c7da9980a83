"""The autograd page in real Chromium: the graph is drawn with values and gradients on its
nodes, the step-through moves the highlight, bad input shows a message, a model graph works."""

from __future__ import annotations

import pytest

from tests.support import browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GRAPH = '[data-testid="stGraphVizChart"] svg'
CURRENT = 'svg polygon[fill="#FAF3B0" i]'  # core.autograd.graph.CURRENT_FILL
IGNORED_CONSOLE = ("net::ERR_", "Failed to load resource")


def open_autograd(page, url: str, query: str = "") -> str:
    """Open the page and wait for the drawn graph; its text."""
    browser.open_page(page, url, "autograd", query=query, timeout=180)
    page.wait_for_selector(GRAPH, timeout=180_000)
    browser.wait_idle(page, timeout=120)
    return page.locator(GRAPH).first.text_content()


def tall_screenshot(page, name: str):
    """Streamlit scrolls inside its main area, so a full-page shot needs a tall window."""
    size = page.viewport_size
    page.set_viewport_size({"width": 1400, "height": 3600})
    browser.wait_idle(page, 60)  # the graph and tables re-lay out to the new size
    path = browser.screenshot(page, name)
    page.set_viewport_size(size)
    return path


def real_errors(page) -> list[str]:
    return [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)]


def test_graph_step_through_and_bad_input(streamlit_server, page):
    text = open_autograd(page, streamlit_server)
    assert browser.exceptions(page) == []
    for label in (
        "x (2, 3)",
        "AddBackward0",
        "MulBackward0",
        "MeanBackward0",
        "out ()",
        "y = x + 2",
        "value",
        "grad",
        "[[27, 48, 75],",
        "99.5",
    ):
        assert label in text, label
    assert page.locator(CURRENT).count() == 1  # all five steps done: the last is highlighted
    assert page.get_by_text("Step 5 of 5").count() == 1
    page.get_by_text("agree", exact=True).wait_for(timeout=60_000)  # the gradient check
    tall_screenshot(page, "autograd-graph")

    for _ in range(2):
        page.get_by_role("button", name="Previous").click()
        browser.wait_idle(page)
    page.get_by_text("Step 3 of 5").wait_for(timeout=60_000)
    text = page.locator(GRAPH).first.text_content()
    assert "2 inputs, sum:" in text  # y * y sends two gradients to y, drawn on one edge
    assert page.locator(CURRENT).count() == 1
    assert text.count("\ngrad\n") == 4  # out and the 3 nodes run so far; the rest: none yet
    tall_screenshot(page, "autograd-step3")
    assert real_errors(page) == []

    # Bad input: a clear message naming where and why; the page stays up and recovers.
    box = page.get_by_label("Operations: one per line, the last is the output")
    box.fill("out = x.__class__")
    box.press("Control+Enter")
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="not allowed")
    alert.first.wait_for(timeout=60_000)
    message = alert.first.inner_text()
    assert "Expression, line 1, column 9" in message and "__class__" in message
    assert browser.exceptions(page) == []
    tall_screenshot(page, "autograd-error")
    box.fill("out = (x * x).sum()")
    box.press("Control+Enter")
    page.get_by_text("Step 3 of 3").wait_for(timeout=60_000)  # Sum, Mul, AccumulateGrad
    assert "MulBackward0" in page.locator(GRAPH).first.text_content()
    assert browser.exceptions(page) == [] and real_errors(page) == []


def test_mnist_model_graph_names_its_parameters(streamlit_server, page):
    query = (
        "ag_mode=A+model%27s+loss&ag_model=MNIST%3A+784+-%3E+10+softmax+classifier+%2B+"
        "CrossEntropyLoss"
    )
    text = open_autograd(page, streamlit_server, query)
    for label in (
        "model.weight (10, 784)",
        "model.bias (10,)",
        "AddmmBackward0",
        "LogSoftmaxBackward0",
        "NllLossBackward0",
        "loss ()",
    ):
        assert label in text, label
    assert browser.exceptions(page) == []
    tall_screenshot(page, "autograd-mnist")
