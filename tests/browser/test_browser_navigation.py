"""The first visitor of a freshly started server sees only page titles, and nothing leaves the host.

Streamlit starts in its legacy mode when a folder named `pages/` sits beside the main script
and lists the folder's files in the sidebar until `st.navigation` replaces them. The app turns
that mode off before the first session (`ui.server`); these tests watch the sidebar from the
browser's first paint, on `/` and on a deep link, each on a server started for the test.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.support import browser
from ui.registry import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Runs before any of the app's scripts: every change of the sidebar's links is recorded.
WATCH_NAV = """
window.__navSeen = [];
const record = () => {
  const nav = document.querySelector('[data-testid="stSidebarNav"]');
  if (!nav) return;
  const labels = Array.from(nav.querySelectorAll('a')).map((a) => {
    const copy = a.cloneNode(true);
    copy.querySelectorAll('[data-testid="stIconMaterial"]').forEach((e) => e.remove());
    return copy.innerText.trim();
  });
  const last = window.__navSeen[window.__navSeen.length - 1];
  if (JSON.stringify(last) !== JSON.stringify(labels)) window.__navSeen.push(labels);
};
new MutationObserver(record).observe(document, {subtree: true, childList: true,
                                                characterData: true});
"""
TITLES = {p.title for p in PAGES}


@pytest.mark.parametrize(
    "path, query, title",
    [
        ("", "", "PyTorch Linear Models Explorer"),
        ("linear_regression", "lin_epochs=5", "Linear regression"),
    ],
    ids=["root", "deep-link"],
)
def test_a_fresh_servers_first_visitor_sees_only_titles(chromium, path, query, title):
    with browser.running_server() as url:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.add_init_script(WATCH_NAV)
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            browser.open_page(page, url, path, query=query, timeout=180)
            page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
            seen = page.evaluate("window.__navSeen")
            browser.screenshot(page, f"fresh-server-first-visit-{path or 'root'}")
        finally:
            context.close()
    assert seen, "the sidebar navigation never appeared"
    for labels in seen:  # every state the sidebar was ever in, from the first paint on
        assert set(labels) <= TITLES, labels
    assert set(seen[-1]) == TITLES
    app_host = urlparse(url).netloc
    assert {urlparse(u).netloc for u in requests if not u.startswith("data:")} == {app_host}
