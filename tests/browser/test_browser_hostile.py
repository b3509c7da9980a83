"""Hostile links and uploads in real Chromium: nothing they name is rendered, linked or fetched.

Every page is opened with hostile markup in every URL parameter it reads (and in one it does
not); both regression pages get a CSV whose header is markup. Afterwards the page must hold
no element that points at the hostile host (a link, an image, an SVG link inside a plotly
figure), no element the markup would create, and the browser must have sent no request to
that host. The share link must carry only the app's own settings.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlparse

import pytest

from tests.apptest.test_hostile_pages import PAGES as PAGE_FILES
from tests.apptest.test_hostile_pages import url_keys
from tests.support import browser
from ui.registry import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]
HOST = "example.invalid"
MARKUP = (
    f"![i](http://{HOST}/u.png) <img src=http://{HOST}/v.png> [l](http://{HOST}/l) "
    f"https://{HOST}/w www.{HOST} x@{HOST} <b id=injected>b</b> :red[r] $x$"
)
FOUND_JS = (
    "() => Array.from(document.querySelectorAll("
    "'a, img, image, iframe, source, link, b#injected, [href], [src]'))"
    f"""
  .filter(e => e.id === 'injected' || [e.getAttribute('href'), e.getAttribute('src'),
                e.getAttribute('xlink:href')].some(v => v && v.includes('{HOST}')))
  .map(e => e.outerHTML.slice(0, 200))"""
)
URL_PATHS = {p[1]: p[4] for p in PAGES}


def watch_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    return seen


def assert_nothing_from(page, requests: list[str]) -> None:
    assert page.evaluate(FOUND_JS) == []
    assert [u for u in requests if (urlparse(u).hostname or "").endswith(HOST)] == []
    assert browser.exceptions(page) == []


@pytest.mark.parametrize("path", list(PAGE_FILES), ids=lambda p: URL_PATHS[p])
def test_hostile_markup_in_every_url_parameter(streamlit_server, make_page, path):
    page = make_page(height=1400)
    requests = watch_requests(page)
    query = urlencode({k: MARKUP for k in url_keys(PAGE_FILES[path])} | {"evil": MARKUP})
    browser.open_page(page, streamlit_server, URL_PATHS[path], query, timeout=180)
    page.wait_for_timeout(500)  # toasts and late figures
    assert_nothing_from(page, requests)
    browser.screenshot(page, f"hostile-url-{URL_PATHS[path]}")


def test_share_link_leaves_unknown_parameters_out(streamlit_server, page):
    query = urlencode({"lr_lr": "1", "evil": MARKUP})
    browser.open_page(
        page, streamlit_server, URL_PATHS["pages/logistic_regression.py"], query, timeout=180
    )
    page.get_by_text("Share this experiment").click()
    link = page.locator('[data-testid="stPopoverBody"] code').first.inner_text(timeout=30_000)
    assert "lr_lr=1" in link and "evil" not in link and HOST not in link


CSV = (
    "![i](http://example.invalid/h.png),<a href='http://example.invalid/a'>y</a>,label\n"
    + "".join(f"{i % 7},{(i * 3) % 5},{i % 2}\n" for i in range(40))
).encode()


@pytest.mark.parametrize(
    "path, query",
    [
        ("pages/linear_regression.py", "lin_data=Upload+a+CSV"),
        ("pages/logistic_regression.py", "lr_data=csv"),
    ],
)
def test_a_csv_header_of_markup_stays_text(streamlit_server, make_page, tmp_path, path, query):
    page = make_page(height=2200)
    requests = watch_requests(page)
    browser.open_page(page, streamlit_server, URL_PATHS[path], query, timeout=180)
    upload = tmp_path / "hostile.csv"
    upload.write_bytes(CSV)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    browser.wait_idle(page, 120)
    page.wait_for_timeout(500)
    assert_nothing_from(page, requests)
    # the names are still shown, as text
    assert "example.invalid" in page.locator('[data-testid="stMain"]').inner_text()
    browser.screenshot(page, f"hostile-csv-{URL_PATHS[path]}")
