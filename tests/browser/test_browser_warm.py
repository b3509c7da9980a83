"""A warm server: after its first page, the server loads torch, MNIST and the shipped models in
the background, so the first lab page a teacher opens finds them loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def server_log(proc) -> str:
    return Path(proc.log_path).read_text(errors="replace")


def test_the_server_warms_up_after_its_first_page_and_the_lab_finds_mnist_loaded(chromium):
    proc, url = browser.start_server()
    try:
        assert "warm-up done" not in server_log(proc)  # nothing loads before a visitor comes
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        browser.open_page(page, url)  # the home page: no torch in it
        browser.wait_until(lambda: "warm-up done" in server_log(proc), 180, "the warm-up")
        line = next(x for x in server_log(proc).splitlines() if "warm-up done" in x)
        assert "MNIST" in line and "cnn" in line and "mlp" in line and "linear" in line, line
        browser.open_page(page, url, "mnist", timeout=60)
        page.get_by_role("button", name="Train").wait_for(timeout=30_000)
        loads = [x for x in server_log(proc).splitlines() if "MNIST loaded in" in x]
        assert len(loads) == 1 and loads[0].endswith("on explorer-warm-up"), loads
        context.close()
    finally:
        browser.stop_server(proc)
