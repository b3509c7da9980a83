"""The load benchmark's websocket client and drawings, against a live `streamlit run app.py`.

The slow tests drive the real server the way `benchmarks.classroom` does, so a
protocol change in Streamlit (handshake, XSRF, widget states, page switches)
breaks a test here before it silently breaks the benchmark's figures.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import random

import numpy as np
import pytest
from PIL import Image

from benchmarks import classroom
from benchmarks.classroom_drawings import STROKES, canvas_states, cleared_state
from benchmarks.st_client import StreamlitSession, fetch_cookies, fetch_xsrf_cookie, json_value
from ui.registry import PAGES

ROOT = classroom.ROOT
CANVAS = {
    "canvasWidth": 280,
    "canvasHeight": 280,
    "strokeWidth": 18,
    "strokeColor": "#ffffff",
    "backgroundColor": "#000000",
    "returnImageData": True,
}


def _png(data_url: str) -> Image.Image:
    head, encoded = data_url.split(",", 1)
    assert head == "data:image/png;base64"
    return Image.open(io.BytesIO(base64.b64decode(encoded)))


# ---- fast: the drawings and the statistics -------------------------------------


@pytest.mark.parametrize("digit", range(10))
def test_drawing_is_sent_stroke_by_stroke_like_the_canvas(digit):
    states = canvas_states(digit, CANVAS, random.Random(digit))
    assert len(states) == len(STROKES[digit]())
    for n, state in enumerate(states, start=1):
        raw = state["drawing"]["raw"]
        assert len(raw["objects"]) == n  # every send carries all strokes so far
        for obj in raw["objects"]:
            assert obj["type"] == "Path" and obj["stroke"] == "#ffffff" and obj["strokeWidth"] == 18
            assert obj["path"][0][0] == "M" and obj["path"][-1][0] == "L"
            assert {c[0] for c in obj["path"][1:-1]} == {"Q"}
            xs = [v for c in obj["path"] for v in c[1::2]]
            ys = [v for c in obj["path"] for v in c[2::2]]
            assert 0 <= min(xs) and max(xs) <= 280 and 0 <= min(ys) and max(ys) <= 280
        img = _png(state["drawing"]["data"])
        assert img.size == (280, 280)
    # The last image has ink (white on black) in the middle, none in the corners.
    grey = _png(states[-1]["drawing"]["data"]).convert("L")
    assert grey.getpixel((3, 3)) == 0
    assert np.asarray(grey.crop((60, 40, 220, 240))).max() == 255


def test_no_png_unless_the_page_asks_and_reset_is_empty():
    state = canvas_states(3, {**CANVAS, "returnImageData": False}, random.Random(0))[-1]
    assert state["drawing"]["data"] is None
    reset = cleared_state(CANVAS)
    assert reset["drawing"]["raw"]["objects"] == []
    assert np.asarray(_png(reset["drawing"]["data"]).convert("L")).max() == 0
    assert json.loads(json_value(reset)) == reset


def test_percentile_matches_the_definition():
    values = [float(v) for v in range(1, 101)]
    assert classroom.percentile(values, 50) == pytest.approx(50.5)
    assert classroom.percentile(values, 95) == pytest.approx(95.05)
    assert classroom.percentile([2.0], 95) == 2.0
    train = classroom.TRAINING
    rows = classroom.summary_rows(
        [
            classroom.Action(0, "a", 1.0, True, 10),
            classroom.Action(1, "a", 3.0, False, 30),
            classroom.Action(0, train, 4.0, True, 10, first_progress_s=0.5),
            classroom.Action(1, train, 6.0, True, 10, first_progress_s=0.7),
        ]
    )
    by = {r["action"]: r for r in rows}
    assert by["ALL ACTIONS"]["errors"] == 1 and by["ALL ACTIONS"]["p50_s"] == 3.5
    assert by["ALL BUT TRAINING"]["n"] == 2 and by["ALL BUT TRAINING"]["p50_s"] == 2.0
    first = by["training: first progress shown"]
    assert first["n"] == 2 and first["p50_s"] == pytest.approx(0.6) and first["errors"] == 0


def test_solo_budgets_pass_and_fail_on_the_lone_students_table():
    def row(action, cpu_ms, kb):
        return {"action": action, "server_cpu_ms_each": cpu_ms, "kB_each": kb}

    within = [
        row(classroom.OPEN_LAB, 20, 9),
        row(classroom.TRAINING, 180, 263),
        row(classroom.OPEN_DRAW, 30, 9),
        row(classroom.STROKE, 31, 6),
    ]
    checks = classroom.budget_checks(within)
    assert len(checks) == 6 and all(ok for ok, _ in checks.values())
    over = [row(classroom.STROKE, 45, 6), row(classroom.TRAINING, 180, 555)]
    checks = classroom.budget_checks(over)
    assert not checks["server CPU, draw a stroke (alone)"][0]
    assert "45 ms (target <= 40 ms)" in checks["server CPU, draw a stroke (alone)"][1]
    assert not checks[f"bytes sent, {classroom.TRAINING}"][0]
    assert not checks[f"server CPU, {classroom.OPEN_LAB} (alone)"][0]  # not measured: no pass


def test_solo_table_averages_the_cpu_ticks():
    actions = [
        classroom.Action(-1, classroom.STROKE, 0.05, True, 6000, "", cpu, None)
        for cpu in (0.03, 0.04, 0.03, 0.02)
    ]
    (row,) = classroom.solo_table(actions)
    assert row["n"] == 4 and row["server_cpu_ms_each"] == pytest.approx(30.0)
    assert row["kB_each"] == pytest.approx(6.0)


def test_tree_rss_counts_this_process():
    assert classroom.tree_rss_bytes(os.getpid()) > 10 * 2**20


async def _cookie_carrying_client(seen: dict) -> StreamlitSession:
    """A client against a stand-in server whose health check sets a balancer's cookie too:
    `seen` gets the Cookie header of the websocket handshake and of a media fetch."""
    from websockets.asyncio.server import serve

    def http_part(connection, request):
        if request.path == "/_stcore/health":
            response = connection.respond(200, "ok")
            response.headers["Set-Cookie"] = "_streamlit_xsrf=2|ab|cd|1; Path=/; SameSite=Lax"
            response.headers["Set-Cookie"] = "SRV=replica2; path=/; HttpOnly"  # a second value
            return response
        if request.path.startswith("/media/"):
            seen["media"] = request.headers.get("Cookie", "")
            return connection.respond(200, "image bytes")
        seen["websocket"] = request.headers.get("Cookie", "")
        seen["subprotocols"] = request.headers.get("Sec-WebSocket-Protocol", "")
        return None  # the websocket handshake goes on

    async def handler(ws):
        await ws.wait_closed()

    async with serve(
        handler, "127.0.0.1", 0, process_request=http_part, subprotocols=["streamlit"]
    ) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        seen["cookies"] = await asyncio.to_thread(fetch_cookies, url)
        s = StreamlitSession(url, timeout=10)
        await s.connect()
        seen["media bytes"] = await asyncio.to_thread(s._get, "/media/0123.png")
        await s.close()
        return s


def test_every_cookie_of_the_first_answer_goes_with_the_websocket_and_media():
    """A balancer's stickiness cookie (HAProxy's SRV) is sent back like the browser sends it,
    so a session's websocket and its images reach the same replica."""
    seen = {}
    s = _run(_cookie_carrying_client(seen))
    assert seen["cookies"] == {"_streamlit_xsrf": "2|ab|cd|1", "SRV": "replica2"}
    assert s.xsrf_token == "2|ab|cd|1"
    for request in ("websocket", "media"):
        sent = dict(part.split("=", 1) for part in seen[request].split("; "))
        assert sent == {"_streamlit_xsrf": "2|ab|cd|1", "SRV": "replica2"}, request
    assert seen["subprotocols"] == "streamlit, 2|ab|cd|1"
    assert seen["media bytes"] == len("image bytes")


# ---- slow: a live server ---------------------------------------------------------


def _run(coro):
    """Run `coro` to completion in a thread of its own: Playwright's sync API (used by the
    browser tests in the same pytest process) keeps an event loop running in this thread,
    and asyncio.run refuses to start inside one."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, 240)).result()


async def _first_visit(url: str) -> None:
    """A fresh server's first session: it pays for the imports, then the tests' sessions run."""
    async with StreamlitSession(url) as first:
        await first.open("", "")


@pytest.mark.slow
def test_server_hands_out_an_xsrf_cookie(streamlit_server):
    token = fetch_xsrf_cookie(streamlit_server)
    assert token.startswith("2|") and token.count("|") == 3  # Streamlit's v2 XSRF token format


@pytest.mark.slow
def test_two_sessions_open_the_home_page(streamlit_server):
    async def visit(i: int):
        async with StreamlitSession(streamlit_server) as s:
            first = await s.open("", "")
            again = await s.rerun()
            return s, first, again

    async def both():
        await _first_visit(streamlit_server)
        return await asyncio.gather(visit(0), visit(1))

    for s, first, again in _run(both()):
        for result in (first, again):
            assert result.status == "FINISHED_SUCCESSFULLY" and result.ok, result
            assert result.messages > 5 and result.bytes > 1000
        assert "PyTorch Linear Models Explorer" in s.texts()
        assert s.exceptions() == [] and s.alerts("ERROR") == []
        built = {url for _, path, _, _, url in PAGES if (ROOT / path).exists()}
        assert set(s.pages) == (built - {"home"}) | {""}  # every built page; home is served at "/"
        assert s.widget(key="presenter").label == "Presenter mode"


@pytest.mark.slow
def test_widget_state_reaches_the_server_and_stays_in_its_session(streamlit_server):
    async def scenario():
        await _first_visit(streamlit_server)
        async with StreamlitSession(streamlit_server) as a, StreamlitSession(streamlit_server) as b:
            await a.open("", "")
            await a.rerun()
            await b.open("", "")
            result = await a.set_value(a.widget(key="presenter"), bool_value=True)
            await b.rerun()
            return a, b, result

    a, b, result = _run(scenario())
    assert result.ok
    assert a.query_string == "presenter=1"  # the page published it to the URL (page_info_changed)
    assert b.query_string == ""  # the other student's page is untouched


@pytest.mark.slow
def test_a_student_trains_then_draws_and_sees_a_prediction(streamlit_server):
    async def scenario():
        await _first_visit(streamlit_server)
        async with StreamlitSession(streamlit_server, timeout=200) as s:
            opened = await s.open(classroom.LAB, classroom.TEACHER_LINK)
            assert "mn_epochs=1" in s.query_string
            trained = await s.click(s.widget(key=classroom.TRAIN_KEY))
            assert classroom.accuracy_shown(s), s.metrics()
            switched = await s.switch_page(classroom.DRAW)
            canvas = s.widget(kind="bidi_component")
            strokes = []
            for state in canvas_states(7, json.loads(canvas.proto.json or "{}"), random.Random(7)):
                strokes.append(
                    await s.set_value(s.widget(kind="bidi_component"), json_value=json_value(state))
                )
            return s, opened, trained, switched, strokes

    s, opened, trained, switched, strokes = _run(scenario())
    for result in (opened, trained, switched, *strokes):
        assert result.ok, result
    assert classroom.prediction_shown(s), s.metrics()
    assert s.exceptions() == [] and s.alerts("ERROR") == []
    assert not s.protocol_errors


FRAGMENT_APP = """
import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

st.image(np.zeros((28, 28), dtype=np.uint8), caption="served from /media, fetched like a browser")

st.session_state["full_runs"] = st.session_state.get("full_runs", 0) + 1
st.metric("full runs", st.session_state["full_runs"])


@st.fragment
def canvas():
    result = st_canvas(stroke_width=12, height=120, width=120, return_image_data=True, key="pad")
    st.metric("strokes", len((result.json_data or {}).get("objects", [])))
    st.metric(
        "ink",
        int((result.image_data[..., 3] > 0).sum()) if result.image_data is not None else -1,
    )


@st.fragment(run_every=0.3)
def ticker():
    st.session_state["ticks"] = st.session_state.get("ticks", 0) + 1
    st.metric("ticks", st.session_state["ticks"])


canvas()
ticker()
"""


@pytest.mark.slow
def test_fragments_auto_reruns_and_a_canvas_in_a_fragment(tmp_path):
    """What the pages may use: a canvas inside st.fragment, st.fragment(run_every=...), st.image."""
    from tests.support import browser

    (tmp_path / "frag.py").write_text(FRAGMENT_APP)

    async def scenario(url):
        async with StreamlitSession(url) as s:
            await s.open("", "")
            pad = s.widget(kind="bidi_component")
            assert pad.fragment_id
            strokes = []
            for state in canvas_states(4, json.loads(pad.proto.json), random.Random(4)):
                strokes.append(
                    await s.set_value(s.widget(kind="bidi_component"), json_value=json_value(state))
                )
            after_strokes = s.metrics()
            waited = await s.wait_for(
                lambda s: int(s.metrics()["ticks"]) >= int(after_strokes["ticks"]) + 3, 20
            )
            return s, pad, strokes, after_strokes, waited

    proc, url = browser.start_server("frag.py", cwd=tmp_path)
    try:
        s, pad, strokes, after_strokes, waited = _run(scenario(url))
    finally:
        browser.stop_server(proc)
    assert [r.status for r in strokes] == ["FINISHED_FRAGMENT_RUN_SUCCESSFULLY"] * 2
    assert all(r.fragment_ids == (pad.fragment_id,) for r in strokes)
    assert after_strokes["strokes"] == "2" and int(after_strokes["ink"]) > 500  # the PNG arrived
    assert after_strokes["full runs"] == "1"  # strokes reran the fragment only
    assert s.auto_rerun_count >= 3 and waited < 10
    assert s.media_fetched > 50  # the PNG/JPEG behind st.image was loaded over HTTP
    assert not s.protocol_errors
