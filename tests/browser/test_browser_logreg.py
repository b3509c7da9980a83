"""The logistic regression lab in real Chromium: the heat map is drawn, play trains, pause stops."""

from __future__ import annotations

import pytest

from tests.support import browser
from ui.registry import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

URL_PATH = next(p[4] for p in PAGES if p[1] == "pages/logistic_regression.py")
IGNORED_CONSOLE = ("net::ERR_", "Failed to load resource")


def metric_values(page) -> dict[str, str]:
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return dict(zip((label.strip() for label in labels), (v.strip() for v in values), strict=False))


def step(page) -> int:
    return int(metric_values(page)["Step"].replace(",", ""))


def train_accuracy(page) -> float:
    text = metric_values(page).get("Train accuracy", "0%")
    return float(text.rstrip("%")) if text.rstrip("%").replace(".", "").isdigit() else 0.0


def surface_chart(page):
    """The first chart on the page: the probability surface."""
    return page.locator('[data-testid="stPlotlyChart"]').first


def legend(page) -> str:
    """The surface's legend entries (SVG text, so text_content rather than inner_text)."""
    return " | ".join(surface_chart(page).locator(".legend text").all_text_contents())


def test_xor_with_the_product_feature_forms_a_boundary(streamlit_server, page):
    query = "lr_data=xor&lr_feat=x1*x2&lr_lr=0.3&lr_speed=20&lr_n=300"
    browser.open_page(page, streamlit_server, URL_PATH, query, timeout=180)
    surface_chart(page).locator(".heatmaplayer image").wait_for(timeout=180_000)
    assert browser.exceptions(page) == []
    assert step(page) == 0
    assert "class 0 (train)" in legend(page) and "class 1 (test)" in legend(page)

    page.get_by_role("button", name="Play").click()
    browser.wait_until(lambda: train_accuracy(page) >= 95, 120, "training accuracy to pass 95%")
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=60_000)
    browser.wait_idle(page, 60)
    paused = step(page)
    assert paused > 0
    # paused means paused: no ticks keep training
    browser.assert_unchanged(lambda: step(page), 1.5, "the paused step")
    assert train_accuracy(page) >= 95
    assert surface_chart(page).locator(".heatmaplayer image").count() == 1
    assert "decision boundary" in legend(page)
    assert browser.exceptions(page) == []
    assert [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)] == []
    surface_chart(page).scroll_into_view_if_needed()
    browser.screenshot(page, "logreg-xor-trained")


def test_five_classes_draw_regions_and_step(streamlit_server, page):
    browser.open_page(
        page, streamlit_server, URL_PATH, "lr_data=multiblobs&lr_k=5&lr_noise=0.4", 180
    )
    surface_chart(page).locator(".heatmaplayer image").wait_for(timeout=180_000)
    for _ in range(3):
        page.get_by_role("button", name="Step").click()
        browser.wait_idle(page, 60)
    assert step(page) == 3
    assert all(f"class {k} (train)" in legend(page) for k in range(5))
    assert browser.exceptions(page) == []
    surface_chart(page).scroll_into_view_if_needed()
    browser.screenshot(page, "logreg-five-classes")
