"""Real-browser helpers: a Streamlit server on a free port and Chromium via Playwright.

Used by the browser tests and by the benchmarks that time what a person sees.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


SERVERS: dict[str, subprocess.Popen] = {}  # base URL -> the server process behind it


def server_died(base_url: str) -> str | None:
    """If the server behind `base_url` has exited: its exit code and the end of its log."""
    proc = SERVERS.get(base_url)
    if proc is None or proc.poll() is None:
        return None
    log = Path(getattr(proc, "log_path", "/nonexistent"))
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    return f"the server exited with code {proc.returncode}; its log ends:\n{tail}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    script: str = "app.py", port: int | None = None, env: dict | None = None, cwd: Path = ROOT
) -> tuple[subprocess.Popen, str]:
    """Start `streamlit run script` on 127.0.0.1 and return (process, base URL) once it answers."""
    port = port or free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    # The server's log goes to a file, not a pipe: an unread pipe fills up and stalls the server.
    log = tempfile.NamedTemporaryFile("w+b", prefix="streamlit-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
    )
    proc.log_path = log.name
    url = f"http://127.0.0.1:{port}"
    SERVERS[url] = proc
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"streamlit exited: {Path(log.name).read_text(errors='replace')[-2000:]}"
            )
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("streamlit did not answer within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log = Path(getattr(proc, "log_path", "/nonexistent"))
    if os.environ.get("EXPLORER_KEEP_SERVER_LOG"):
        print(f"server log kept at {log}")
    else:
        log.unlink(missing_ok=True)


@contextlib.contextmanager
def running_server(script: str = "app.py", env: dict | None = None):
    proc, url = start_server(script, env=env)
    try:
        yield url
    finally:
        stop_server(proc)


@contextlib.contextmanager
def launched_chromium():
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        raise RuntimeError("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


def wait_idle(page, timeout: float = 60, settle: float = 0.4) -> None:
    """Wait until the app is rendered and Streamlit has stopped running the script."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline = time.time() + timeout
    quiet_since = None
    while time.time() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count() > 0
        skeleton = page.locator('[data-testid="stSkeleton"]').count() > 0
        if running or skeleton:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since >= settle:
            return
        time.sleep(0.05)
    raise TimeoutError("the app kept running for too long")


def open_page(page, base_url: str, url_path: str = "", query: str = "", timeout: float = 90):
    """Go to a page of the app (by its url_path) and wait until it is idle."""
    if url_path == "home":  # the default page lives at "/", not at its url_path
        url_path = ""
    url = f"{base_url}/{url_path}" + (f"?{query}" if query else "")
    if died := server_died(base_url):
        raise RuntimeError(died)
    page.goto(url)
    wait_for_app_navigation(page, timeout)
    # Every page opens with a title: until it shows, a busy server may not have started the
    # script yet, and "no status widget" would look idle.
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout * 1000)
    wait_idle(page, timeout)


# True once the sidebar shows the app's navigation (tests/browser/test_browser_navigation.py
# checks that it never shows anything else, first visitor of a fresh server included).
APP_NAV_JS = """() => document.querySelector('[data-testid="stSidebarNav"]') !== null"""


def wait_for_app_navigation(page, timeout: float = 90) -> None:
    page.wait_for_function(APP_NAV_JS, timeout=timeout * 1000)


def exceptions(page) -> list[str]:
    """Texts of any Streamlit exception boxes on the page."""
    return page.locator('[data-testid="stException"]').all_inner_texts()


def screenshot(page, name: str, max_height: int = 4000) -> Path:
    """Save the whole page (up to `max_height` px) to test-output/screenshots/NAME.png.

    Streamlit scrolls inside its main area, so a full-page shot of the window alone would
    show only the first screen: the window is made as tall as the content for the shot.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        "(() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; })()"
    )
    tall = min(max(int(height), size["height"]), max_height)
    if tall > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": tall})
        time.sleep(0.8)  # let charts re-lay out at the new size
    page.screenshot(path=str(path), full_page=True)
    if tall > size["height"]:
        page.set_viewport_size(size)
    return path


def wait_until(predicate, timeout: float, what: str, poll: float = 0.1) -> None:
    """Poll `predicate()` until it is true; fail after `timeout` seconds, saying `what`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def wait_for_change(read, old, timeout: float, what: str):
    """Poll `read()` until it differs from `old`; return the new value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (now := read()) != old:
            return now
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def assert_unchanged(read, seconds: float, what: str, poll: float = 0.1) -> None:
    """Poll `read()` for `seconds`, failing at the first change (a paused run stays put)."""
    first, deadline = read(), time.time() + seconds
    while time.time() < deadline:
        now = read()
        assert now == first, f"{what} changed from {first!r} to {now!r}"
        time.sleep(poll)
