"""Real Chromium: train the softmax model, see its weight templates,
drill into the confusion matrix.
"""

from __future__ import annotations

import pytest

from tests.support import browser
from tests.support.mnist_helpers import malicious_files

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IGNORED_CONSOLE = ("net::ERR_", "Failed to load resource")


def chart(page, title: str):
    """The plotly chart whose title contains `title`."""
    return page.locator('[data-testid="stPlotlyChart"]').filter(has_text=title)


def test_train_linear_model_and_see_templates(streamlit_server, page, tmp_path):
    browser.open_page(page, streamlit_server, "mnist", query="mn_n=10000&mn_epochs=2", timeout=180)
    # the first visit loads MNIST into the server (once per process): wait for the page itself
    page.locator("h1").filter(has_text="MNIST lab").wait_for(timeout=180_000)
    page.get_by_role("button", name="Train").wait_for(timeout=180_000)
    browser.wait_idle(page, timeout=180)
    assert browser.exceptions(page) == []
    assert "Softmax regression 784-10" in page.get_by_text("Trains on").inner_text()
    page.get_by_role("button", name="Train").click()
    page.locator('[data-testid="stMetric"]').filter(has_text="Test accuracy").wait_for(
        timeout=120_000
    )
    browser.wait_idle(page, timeout=120)
    assert browser.exceptions(page) == []

    accuracy = page.locator('[data-testid="stMetric"]').filter(has_text="Test accuracy")
    value = float(
        accuracy.locator('[data-testid="stMetricValue"]').inner_text().strip().rstrip("%")
    )
    assert 85 <= value <= 100

    templates = chart(page, "Weight templates")
    templates.scroll_into_view_if_needed()
    assert templates.count() == 1
    assert (
        templates.locator(".heatmaplayer image, .hm image, image").count() >= 1
    )  # drawn, not empty
    box = templates.bounding_box()
    assert box and box["width"] > 400 and box["height"] > 200
    templates.screenshot(path=str(browser.SCREENSHOTS / "mnist-weight-templates.png"))

    # the drill-down starts on the most frequent mistake; click the cell (true 3, predicted 3)
    matrix = chart(page, "Confusion matrix")
    matrix.scroll_into_view_if_needed()
    assert page.get_by_text("3s classified correctly").count() == 0
    plot = matrix.locator(".nsewdrag").first
    b = plot.bounding_box()
    page.mouse.click(b["x"] + b["width"] * 3.5 / 10, b["y"] + b["height"] * 3.5 / 10)
    browser.wait_idle(page, timeout=60)
    page.get_by_text("3s classified correctly").wait_for(timeout=30_000)
    assert browser.exceptions(page) == []
    chart(page, "Confusion matrix").scroll_into_view_if_needed()
    browser.screenshot(page, "mnist-trained")

    # a model file carrying code is refused, visibly, and its code never runs
    target = tmp_path / "payload-ran.txt"
    evil = tmp_path / "evil.pt"
    evil.write_bytes(malicious_files(target)["torch.save"])
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(evil))
    page.get_by_text("evil.pt was refused").wait_for(timeout=30_000)
    assert not target.exists()
    real = [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)]
    assert real == []


def test_stop_keeps_the_partly_trained_cnn(streamlit_server, page):
    query = "mn_model=Small+CNN+%28two+conv+layers%29&mn_epochs=3"
    browser.open_page(page, streamlit_server, "mnist", query=query, timeout=180)
    page.get_by_role("button", name="Train").wait_for(timeout=180_000)
    browser.wait_idle(page, timeout=180)
    page.get_by_role("button", name="Train").click()
    page.get_by_text("Epoch 1/3").wait_for(timeout=60_000)  # the progress bar's text
    assert "examples/s" in page.get_by_text("Epoch 1/3").inner_text()
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("Training was stopped").wait_for(timeout=120_000)
    browser.wait_idle(page, timeout=120)
    assert browser.exceptions(page) == []
    assert chart(page, "first-layer filters").count() == 1
    browser.screenshot(page, "mnist-stopped-cnn")


def test_click_a_test_image_and_look_inside_the_trained_mlp(streamlit_server, make_page):
    """Train a small MLP, click the first sample prediction: the look inside the model opens
    on that image, with every layer; pick a hidden unit for its weights and top images."""
    page = make_page(height=2300)
    query = "mn_model=MLP+%28hidden+layers%29&mn_n=5000&mn_epochs=1"
    browser.open_page(page, streamlit_server, "mnist", query=query, timeout=180)
    page.get_by_role("button", name="Train").wait_for(timeout=180_000)
    browser.wait_idle(page, timeout=180)
    page.get_by_role("button", name="Train").click()
    samples = chart(page, "Sample test predictions")
    samples.wait_for(timeout=120_000)
    browser.wait_idle(page, timeout=120)
    assert page.get_by_text("is a **").count() == 0  # the section is closed: nothing built
    samples.scroll_into_view_if_needed()
    plot = samples.locator(".nsewdrag").first
    b = plot.bounding_box()  # 8 tiles a row of 28 + 16 pixels; 2 rows of 28 + 34
    page.mouse.click(b["x"] + b["width"] * 14 / 352, b["y"] + b["height"] * 14 / 124)
    browser.wait_idle(page, timeout=60)
    # the reading is a markdown paragraph (a chart's SVG title may hold the same words)
    reading = page.locator("[data-testid='stMarkdownContainer']").filter(has_text="Test image #")
    reading = reading.first
    reading.wait_for(timeout=60_000)
    number = int(page.locator(".st-key-mn_pick input").input_value())
    assert f"Test image #{number:,} is a" in reading.inner_text()
    assert f"mn_pick={number}" in page.url or number == 0  # the link opens the same image
    page.get_by_text("net.1 (ReLU): 128 units").wait_for(timeout=30_000)  # a layer's picture
    box = page.locator(".st-key-mn_unit_layer input[role='combobox']")
    box.click()
    box.fill("net.1")
    page.get_by_role("option").filter(has_text="net.1").first.click()
    browser.wait_idle(page, timeout=60)
    chart(page, "The weights of unit 0 in net.0").wait_for(timeout=60_000)
    top = chart(page, "test images that raise unit 0 most")
    top.wait_for(timeout=60_000)
    browser.wait_idle(page)
    assert len(top.locator(".annotation-text").all_text_contents()) == 8
    assert browser.exceptions(page) == []
    page.get_by_text("What a unit responds to.").evaluate("e => e.scrollIntoView({block: 'start'})")
    browser.wait_idle(page)
    page.screenshot(path=str(browser.SCREENSHOTS / "mnist-inside-unit.png"))
    real = [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)]
    assert real == []
