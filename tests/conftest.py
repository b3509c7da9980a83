"""Shared fixtures: AppTest per page, and a real Streamlit server driven by Chromium."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED_DATA = ROOT.parent / "shared" / "data"
if "EXPLORER_DATA_DIR" not in os.environ and SHARED_DATA.is_dir():
    os.environ["EXPLORER_DATA_DIR"] = str(SHARED_DATA)
# Tests share two cores with the browser and the server: one torch thread each.
os.environ.setdefault("EXPLORER_TORCH_THREADS", "1")

from tests.support import browser  # noqa: E402


@pytest.fixture
def app_test():
    """Factory: `app_test("pages/mnist.py", query={"k": "v"})` -> an AppTest already
    run on that page.
    """
    from streamlit.testing.v1 import AppTest

    def make(page: str = "pages/home.py", query: dict | None = None, timeout: float = 60):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        for k, v in (query or {}).items():
            at.query_params[k] = v
        at.run()
        if page != "pages/home.py":
            at.switch_page(page)
            at.run()
        return at

    return make


class SharedServer:
    """One `streamlit run app.py` for the whole session, started again if it ever dies."""

    def __init__(self):
        self.proc, self.url = None, None

    def current(self) -> str:
        if self.proc is not None and (died := browser.server_died(self.url)):
            # The test that killed it has failed already; its log says why, and the tests
            # after it get a fresh server instead of a refused connection each.
            print(f"\n{died}", file=sys.stderr)
            self.stop()
        if self.proc is None:
            self.proc, self.url = browser.start_server()
        return self.url

    def stop(self) -> None:
        if self.proc is not None:
            browser.stop_server(self.proc)
        self.proc = None


@pytest.fixture(scope="session")
def shared_server():
    server = SharedServer()
    yield server
    server.stop()


@pytest.fixture
def streamlit_server(shared_server):
    """Base URL of the session's `streamlit run app.py` on a free localhost port."""
    return shared_server.current()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, launched headless through Playwright.

    Without it the browser tests are skipped on a developer's machine (with a note on how to
    install it) but fail in CI, which installs it (.ci/run).
    """
    import shutil

    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        message = "Debian's chromium is not installed (sudo apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with browser.launched_chromium() as b:
        yield b


@pytest.fixture
def make_page(chromium):
    """Factory: `make_page(height=1000)` -> a page in a fresh browser context, closed after the
    test; console errors are collected on `page.console_errors`."""
    contexts = []

    def make(height: int = 1000):
        context = chromium.new_context(viewport={"width": 1400, "height": height})
        contexts.append(context)
        pg = context.new_page()
        pg.console_errors = []
        pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
        pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
        return pg

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page):
    """A fresh browser page 1400x1000 (see `make_page`)."""
    return make_page()


def pytest_collection_modifyitems(items):
    """Mark each test by the folder of its kind: `-m unit`, `-m apptest`, `-m browser`."""
    for item in items:
        kind = Path(str(item.fspath)).parent.name
        if kind in ("unit", "apptest", "browser"):
            item.add_marker(kind)


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the session (`tests/support/postgres.py`).

    Skipped with an install hint where PostgreSQL is missing, but failed when
    EXPLORER_REQUIRE_POSTGRES=1 (set by .ci/run, which installs it).
    """
    from tests.support import postgres

    if postgres.bin_dir() is None:
        if os.environ.get("EXPLORER_REQUIRE_POSTGRES") == "1":
            pytest.fail(postgres.INSTALL_HINT)
        pytest.skip(postgres.INSTALL_HINT)
    with postgres.running_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server):
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.new_database()
