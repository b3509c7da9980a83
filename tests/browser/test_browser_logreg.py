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
    query = "lr_data=xor&lr_feat=x1*x2&lr_lr=0.3&lr_play_steps=1000&lr_n=300"
    browser.open_page(page, streamlit_server, URL_PATH, query, timeout=180)
    surface_chart(page).locator(".heatmaplayer image").wait_for(timeout=180_000)
    assert browser.exceptions(page) == []
    assert step(page) == 0
    assert "class 0 (train)" in legend(page) and "class 1 (test)" in legend(page)

    page.get_by_role("button", name="Train & play").click()  # trains once, the browser replays it
    browser.wait_until(lambda: train_accuracy(page) >= 95, 120, "training accuracy to pass 95%")
    browser.wait_idle(page, 60)
    assert step(page) > 0
    # trained once: no ticks keep training while the replay plays
    browser.assert_unchanged(lambda: step(page), 1.5, "the step after Play")
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


# ---- the network diagram ----------------------------------------------------------------

DEEP = "lr_data=xor&lr_layers=3&lr_units1=5&lr_units2=5&lr_units3=5&lr_opt=adam&lr_lr=0.03"
DIAGRAM_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .some(g => g._fullLayout && (g._fullLayout.images || []).length > 0)"""
# Screen position, hover text and ParamRef of every hover marker of a trace of the diagram.
MARKERS_JS = """(gd, name) => {
  const t = gd._fullData.find(d => d.name === name);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  return Array.from(t.x).map((x, k) => ({
    sx: box.left + xa._offset + xa.l2p(x), sy: box.top + ya._offset + ya.l2p(t.y[k]),
    text: t.text[k], ref: Array.from(t.customdata[k])}));
}"""
# Each link shape's colour and width (the links are path shapes binned by sign and size).
LINKS_JS = """gd => gd._fullLayout.shapes.filter(s => s.type === 'path')
    .map(s => [s.line.color, s.line.width])"""


def diagram(page):
    """The network diagram's plotly element (the only chart with pictures in its layout)."""
    page.wait_for_function(DIAGRAM_JS, timeout=60_000)
    charts = page.locator(".js-plotly-plot")
    for k in range(charts.count()):
        if charts.nth(k).evaluate("g => (g._fullLayout.images || []).length") > 0:
            return charts.nth(k)
    raise AssertionError("no network diagram on the page")


def link_marker(page, ref: list[int]) -> dict:
    """Where the link `ref` can be hovered now (positions move as the page scrolls)."""
    gd = diagram(page)
    gd.scroll_into_view_if_needed()
    return next(m for m in gd.evaluate(MARKERS_JS, "links") if m["ref"] == ref)


def hover_text(page, marker: dict) -> str:
    """The hover label with the pointer on `marker` (moved off the chart first, so a label
    from on the way there cannot be read)."""
    label = page.locator(".hoverlayer .hovertext")
    page.mouse.move(5, 5)
    browser.wait_until(lambda: label.count() == 0, 10, "the old hover label to go")
    page.mouse.move(marker["sx"], marker["sy"])
    label.first.wait_for(timeout=10_000)
    return " ".join(label.all_text_contents())


def surface_picture(page) -> str:
    """The probability surface as the browser drew it (the heat map's image)."""
    return surface_chart(page).locator(".heatmaplayer image").first.get_attribute("href")


def set_button(page):
    return page.get_by_test_id("stBaseButton-secondaryFormSubmit").filter(has_text="Set")


def value_now(page) -> str:
    return metric_values(page)["Its value now"]


def open_diagram(page, base_url: str, query: str) -> None:
    browser.open_page(page, base_url, URL_PATH, query, timeout=180)
    page.locator('[data-testid="stExpander"] summary', has_text="Inside the network").click()
    diagram(page)
    browser.wait_idle(page, 60)


def test_network_diagram_hover_a_link_pick_it_and_set_its_weight(streamlit_server, page):
    open_diagram(page, streamlit_server, DEEP + "&lr_play_steps=1000")
    gd = diagram(page)
    assert gd.evaluate("g => g._fullLayout.images.length") == 2 + 15 + 1
    page.get_by_role("button", name="Train & play").click()
    browser.wait_until(lambda: train_accuracy(page) >= 90, 120, "training accuracy to pass 90%")
    browser.wait_idle(page, 60)
    assert step(page) > 0

    ref = [1, 2, 3]  # layer 1 unit 4 -> layer 2 unit 3
    marker = link_marker(page, ref)
    text = hover_text(page, marker)
    assert "layer 1, unit 4 → layer 2, unit 3" in text and "weight = " in text
    shown = text.split("weight = ")[1].split()[0]
    assert float(shown) == pytest.approx(float(marker["text"].split("weight = ")[1]))
    page.mouse.click(marker["sx"], marker["sy"])  # a click picks the link for editing
    browser.wait_until(lambda: value_now(page) == shown, 30, "the clicked link to be picked")
    browser.wait_idle(page, 60)
    surface_before = surface_picture(page)

    field = page.get_by_label("New value", exact=False)
    field.fill("1e300")  # refused, and said
    set_button(page).click()
    page.get_by_text("outside -100 to 100").wait_for(timeout=30_000)
    browser.wait_idle(page, 60)
    assert value_now(page) == shown

    field.fill("-6")
    set_button(page).click()
    page.get_by_text("Set layer 1 unit 4 → layer 2 unit 3").wait_for(timeout=30_000)
    browser.wait_idle(page, 60)
    assert value_now(page) == "-6.000"
    assert "weight = -6.000" in hover_text(page, link_marker(page, ref))
    widths = diagram(page).evaluate(LINKS_JS)
    colour, width = max(widths, key=lambda cw: cw[1])
    assert colour.startswith("rgba(0,114,178")  # the largest weight now: blue, the widest
    browser.wait_until(  # the surface is the edited model's
        lambda: surface_picture(page) != surface_before, 30, "the surface to follow the edit"
    )
    assert browser.exceptions(page) == []
    assert [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)] == []
    page.mouse.move(5, 5)  # no hover label in the picture
    diagram(page).scroll_into_view_if_needed()
    browser.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    diagram(page).screenshot(path=str(browser.SCREENSHOTS / "logreg-network-edited.png"))
    browser.screenshot(page, "logreg-network-page")


def test_network_diagram_in_presenter_mode(streamlit_server, page):
    open_diagram(page, streamlit_server, DEEP + "&presenter=1&lr_units2=8&lr_feat=x1*x2")
    gd = diagram(page)
    assert gd.evaluate("g => g._fullLayout.images.length") == 3 + 18 + 1
    assert gd.evaluate("g => g._fullLayout.font.size") == 20  # the projector's type
    marker = link_marker(page, [0, 0, 2])
    assert "x1·x2 → layer 1, unit 1" in hover_text(page, marker)
    page.mouse.move(5, 5)
    gd.scroll_into_view_if_needed()
    browser.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    gd.screenshot(path=str(browser.SCREENSHOTS / "logreg-network-presenter.png"))
