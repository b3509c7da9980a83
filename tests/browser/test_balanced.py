"""A bigger class: two app replicas behind HAProxy (scripts/serve_replicas.py), on one machine.

Chromium opens the teacher's shared link through the balancer, trains, loses its websocket
(HAProxy cuts it, as a network blip or a balancer reload would), reconnects, then draws with
the model it trained: all of it on the one replica its SRV cookie names, while a second
student's session sits on the other replica. The benchmark's headless client
(benchmarks.st_client) is spread and kept the same way.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from benchmarks.classroom import TEACHER_LINK
from benchmarks.st_client import StreamlitSession
from scripts import serve_replicas
from tests.support import browser
from tests.support.draw_browser import CANVAS, DIGITS, INVITATION, draw, read_prediction

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NAMES = {serve_replicas.replica_name(0), serve_replicas.replica_name(1)}
ACCURACY = '[data-testid="stMetric"]:has-text("Test accuracy") [data-testid="stMetricValue"]'
MODEL_PICKER = '[data-testid="stSelectbox"]:has-text("Model that reads your drawing")'
# A websocket cut on purpose is reported in the console; so are resources of a page left.
IGNORED_CONSOLE = ("net::ERR_", "Failed to load resource", "WebSocket")


@pytest.fixture(scope="module")
def cluster():
    """Two replicas and HAProxy on free ports, for the whole module.

    Without haproxy the tests are skipped on a developer's machine (saying how to install it)
    but fail in CI, which installs it (.ci/run). The replicas' background warm-up is off: on
    two cores it would only compete with what the test waits for.
    """
    if serve_replicas.haproxy_path() is None:
        if os.environ.get("CI"):
            pytest.fail(serve_replicas.MISSING_HAPROXY)
        pytest.skip(serve_replicas.MISSING_HAPROXY)
    with serve_replicas.Cluster(replicas=2, env={"EXPLORER_WARM_UP": "0"}) as c:
        yield c


def sticky_replica(context) -> str:
    """The replica the balancer's SRV cookie in this browser context names."""
    return next(c["value"] for c in context.cookies() if c["name"] == serve_replicas.COOKIE)


def open_websockets(cluster) -> dict[str, int]:
    """Connections each replica holds now, as HAProxy counts them (a websocket is one)."""
    return {name: int(row["scur"]) for name, row in cluster.server_stats().items()}


def wait_for_websockets(cluster, expected: dict[str, int]) -> None:
    browser.wait_until(
        lambda: open_websockets(cluster) == expected,
        30,
        f"HAProxy to count {expected} open connections (has {open_websockets(cluster)})",
    )


def test_two_students_are_spread_and_a_reconnect_keeps_the_session(cluster, make_page):
    a, b = make_page(height=1600), make_page()
    a.goto(f"{cluster.url}/mnist?{TEACHER_LINK}")  # the shared link; its replica loads MNIST...
    browser.open_page(b, cluster.url)  # ... while the other student opens the home page
    browser.wait_for_app_navigation(a, 120)
    a.get_by_role("heading", name="MNIST lab").first.wait_for(timeout=120_000)
    mine, theirs = sticky_replica(a.context), sticky_replica(b.context)
    assert {mine, theirs} == NAMES  # a new student goes to the replica with fewer connections
    wait_for_websockets(cluster, {mine: 1, theirs: 1})

    train = a.locator(".st-key-mn_train button")
    train.wait_for(timeout=120_000)  # once this replica has loaded MNIST
    train.click()
    a.locator(ACCURACY).wait_for(timeout=120_000)
    browser.wait_idle(a)
    accuracy = a.locator(ACCURACY).inner_text().strip()
    assert accuracy.endswith("%")

    # HAProxy cuts the student's connections; the page reconnects with its session id, through
    # the balancer, to the replica its cookie names, which still holds the session.
    with a.expect_websocket(timeout=30_000) as reconnected:
        cluster.admin(f"shutdown sessions server {serve_replicas.BACKEND}/{mine}")
    assert reconnected.value.url == cluster.url.replace("http", "ws") + "/_stcore/stream"
    wait_for_websockets(cluster, {mine: 1, theirs: 1})
    assert sticky_replica(a.context) == mine
    browser.wait_idle(a)
    assert a.locator(ACCURACY).inner_text().strip() == accuracy
    browser.screenshot(a, "balanced-mnist-after-reconnect", max_height=1600)

    # The page on screen proves little (it stays while disconnected): the next run does. The
    # draw page lists the model this session trained only if the session is still there
    # (reconnected to the other replica, it lists the shipped models alone).
    a.locator('[data-testid="stSidebarNav"]').get_by_text("Draw a digit").click()
    a.wait_for_selector(CANVAS, timeout=120_000)
    a.get_by_text(INVITATION).wait_for(timeout=60_000)
    browser.wait_idle(a)
    a.locator(MODEL_PICKER).click()
    options = a.get_by_role("option").all_inner_texts()
    own = [o for o in options if o.startswith("Yours: ")]
    assert len(own) == 1, options
    a.get_by_role("option", name=own[0]).click()
    browser.wait_idle(a)
    draw(a, DIGITS["1"])
    assert read_prediction(a) in set("0123456789")
    # The images a run shows live in that replica's memory (/media/...): every one loaded.
    images = "[...document.querySelectorAll('[data-testid=\"stImage\"] img')]"
    a.wait_for_function(f"() => {images}.every(img => img.complete)", timeout=30_000)
    sizes = a.evaluate(f"() => {images}.map(img => img.naturalWidth)")
    assert len(sizes) >= 5 and min(sizes) > 0, sizes  # the five preprocessing steps
    assert sticky_replica(a.context) == mine
    browser.screenshot(a, "balanced-draw-own-model")
    assert browser.exceptions(a) == [] and browser.exceptions(b) == []
    assert [e for e in a.console_errors if not any(s in e for s in IGNORED_CONSOLE)] == []


def test_the_benchmark_client_is_spread_and_sticks_like_a_browser(cluster):
    """Two headless students (benchmarks.st_client) through the balancer: one per replica,
    each websocket on the replica its SRV cookie names."""

    async def two_students():
        async with StreamlitSession(cluster.url) as s1, StreamlitSession(cluster.url) as s2:
            results = [await s1.open(), await s2.open()]
            names = [s1.cookies.get(serve_replicas.COOKIE), s2.cookies.get(serve_replicas.COOKIE)]
            held = await asyncio.to_thread(open_websockets, cluster)
            return results, names, held, s1.texts() + s2.texts()

    wait_for_websockets(cluster, dict.fromkeys(NAMES, 0))  # the browsers have left
    results, names, held, texts = _run(two_students())
    assert all(r.ok for r in results), results
    assert set(names) == NAMES and held == dict.fromkeys(NAMES, 1)
    assert texts.count("PyTorch Linear Models Explorer") == 2


def _run(coro):
    """Run `coro` in a thread of its own (Playwright's sync API holds this thread's loop)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, 120)).result()
