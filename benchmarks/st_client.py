"""A headless Streamlit client that speaks the browser's websocket protocol.

One `StreamlitSession` is one browser tab: it connects to `/_stcore/stream`,
asks for script runs with a `BackMsg.rerun_script` (query string, page, widget
states, fragment), and reads `ForwardMsg`s into a flat model of the page
(element deltas by delta path) until the run's `script_finished`. The load
benchmark (`benchmarks.classroom`) drives thirty of these from one asyncio
loop: the server does the same work as for thirty browsers, the client side
costs a few protobuf parses instead of thirty Chromium renderers.

What it copies from Streamlit 1.67's frontend (read from the installed
package: `web/server/starlette/starlette_websocket.py` and the bundled
`static/js/index.*.js`):

- XSRF: the browser first talks HTTP to the server (`/_stcore/health`), which
  sets the `_streamlit_xsrf` cookie; it then opens the websocket with the
  cookie and with subprotocols `["streamlit", <cookie value>]` -- the second
  entry is the XSRF token, checked against the cookie. Same here; the token
  must be present, so a server with XSRF protection on is what we test.
- Cookies: every cookie that first response sets (a load balancer's stickiness
  cookie too, e.g. HAProxy's SRV in scripts/serve_replicas.py) goes with the
  websocket handshake and with every later HTTP request, as in a browser, so a
  session stays on the replica that holds it.
- The first run after connecting sends `page_name` (the URL path, e.g. "draw")
  and an empty `page_script_hash`; later runs send the current page's hash, and
  a page switch sends the target page's hash (from the `navigation` message).
- Every run sends the widget states the tab knows (here: those this client
  set, minus widgets no longer on the page); a button click adds one
  `trigger_value`. A page switch keeps only the main script's widgets.
- `page_info_changed` updates the query string used by the next runs (the
  pages keep their settings in the URL).
- `auto_rerun` (fragments with `run_every`) starts a timer that reruns that
  fragment with `is_auto_rerun`; `stop_auto_rerun` and any full run stop them.
- A components-v2 widget (e.g. streamlit-drawable-canvas 0.13) sends its whole
  state dict as one `json_value` under the component's id.

The client never sends `cached_message_hashes`, so the server sends every
message in full (a browser with a warm cache would receive less). Images a run
shows (`st.image`: `/media/...` URLs) are fetched over HTTP after the run, as
the browser would load them; a failed fetch is a protocol error.
"""

from __future__ import annotations

import asyncio
import http.cookies
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

XSRF_COOKIE = "_streamlit_xsrf"
MAX_MESSAGE_BYTES = 256 * 1024 * 1024  # above Streamlit's default server.maxMessageSize (200 MB)
FINAL = {
    "FINISHED_SUCCESSFULLY",
    "FINISHED_FRAGMENT_RUN_SUCCESSFULLY",
    "FINISHED_WITH_COMPILE_ERROR",
}
_STATUS_NAMES = {
    v.number: v.name
    for v in ForwardMsg.DESCRIPTOR.enum_types_by_name["ScriptFinishedStatus"].values
}


class ProtocolError(RuntimeError):
    """The server said something a browser would treat as broken (or never answered)."""


@dataclass
class Shown:
    """One element on the page: where it is, what kind, its proto, and which script put it there."""

    path: tuple[int, ...]
    kind: str  # the Element oneof: "metric", "button", "bidi_component", "exception", ...
    proto: Any  # the inner message, e.g. streamlit.proto.Metric
    script_hash: str  # metadata.active_script_hash: the main script's or the page's
    fragment_id: str
    run_id: str

    @property
    def widget_id(self) -> str:
        return getattr(self.proto, "id", "") or ""

    @property
    def label(self) -> str:
        return getattr(self.proto, "label", "") or ""


@dataclass
class RunResult:
    """The answer to one action: how long until its script run finished, and how it ended."""

    seconds: float
    status: str
    run_id: str
    fragment_ids: tuple[str, ...]
    messages: int
    bytes: int
    exceptions: list[str] = field(default_factory=list)
    first_progress_s: float | None = None  # when a progress bar of this run first showed

    @property
    def ok(self) -> bool:
        return (
            self.status in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")
            and not self.exceptions
        )


def set_cookies(response) -> dict[str, str]:
    """{name: value} of every cookie an HTTP response sets (its Set-Cookie headers)."""
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        jar = http.cookies.SimpleCookie()
        jar.load(header)
        cookies.update({name: morsel.value for name, morsel in jar.items()})
    return cookies


def fetch_cookies(base_url: str, timeout: float = 30) -> dict[str, str]:
    """GET `/_stcore/health` like the browser does; every cookie the answer sets."""
    with urllib.request.urlopen(base_url + "/_stcore/health", timeout=timeout) as response:
        return set_cookies(response)


def fetch_xsrf_cookie(base_url: str, timeout: float = 30) -> str:
    """GET `/_stcore/health` like the browser does and return the `_streamlit_xsrf` cookie.

    '' if there is none.
    """
    return fetch_cookies(base_url, timeout).get(XSRF_COOKIE, "")


def cookie_header(cookies: dict[str, str]) -> str:
    """The Cookie request header that sends `cookies` back."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


class StreamlitSession:
    """One browser tab talking to a Streamlit server over its websocket protocol.

    Use as `async with StreamlitSession(url) as s: await s.open("draw")`. Each
    action returns a `RunResult`; `elements()`, `widget()`, `metrics()` read
    the page as the last finished runs left it.
    """

    def __init__(
        self, base_url: str, timeout: float = 120, user_agent: str = "classroom-benchmark"
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.user_agent = user_agent
        self.query_string = ""
        self.page_script_hash = ""
        self.main_script_hash = ""
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.xsrf_token = ""
        self.cookies: dict[str, str] = {}  # what the server (or a balancer) set, sent back
        self.protocol_errors: list[str] = []
        self.auto_rerun_count = 0
        self.media_fetched = 0  # images loaded the way the browser loads them (bytes)
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._elements: dict[tuple[int, ...], Shown] = {}
        self._run_touched: dict[str, set[tuple[int, ...]]] = {}
        self._first_progress: dict[str, float] = {}  # run id -> when its first bar arrived
        self._run_fragments: dict[str, tuple[str, ...]] = {}
        self._finished: list[
            tuple[str, str, tuple[str, ...], float]
        ] = []  # (run id, status, fragments, t)
        self._changed = asyncio.Condition()
        self._widget_values: dict[str, WidgetState] = {}
        self._auto: dict[str, tuple[float, asyncio.Task]] = {}
        self._action_lock = asyncio.Lock()
        self._msg_count = 0
        self._byte_count = 0
        self._closed = False
        self._current_run = ""

    # ---- connection -------------------------------------------------------

    async def __aenter__(self) -> StreamlitSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        """HTTP first (for the XSRF cookie and any other, e.g. a balancer's), then the websocket
        with the token as subprotocol and every cookie."""
        from websockets.asyncio.client import connect
        from websockets.typing import Origin, Subprotocol

        self.cookies = await asyncio.to_thread(fetch_cookies, self.base_url)
        self.xsrf_token = self.cookies.get(XSRF_COOKIE, "")
        if not self.xsrf_token:
            raise ProtocolError("the server set no _streamlit_xsrf cookie: is XSRF protection off?")
        parts = urllib.parse.urlsplit(self.base_url)
        ws_url = urllib.parse.urlunsplit(
            ("ws", parts.netloc, parts.path + "/_stcore/stream", "", "")
        )
        self._ws = await connect(
            ws_url,
            origin=Origin(f"{parts.scheme}://{parts.netloc}"),
            subprotocols=[Subprotocol("streamlit"), Subprotocol(self.xsrf_token)],
            additional_headers={"Cookie": cookie_header(self.cookies)},
            user_agent_header=self.user_agent,
            proxy=None,
            max_size=MAX_MESSAGE_BYTES,
            open_timeout=self.timeout,
        )
        if self._ws.subprotocol != "streamlit":
            raise ProtocolError(
                f"server chose subprotocol {self._ws.subprotocol!r}, not 'streamlit'"
            )
        self._reader = asyncio.create_task(self._read_forever())

    async def close(self) -> None:
        self._closed = True
        for _, task in self._auto.values():
            task.cancel()
        self._auto.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 5)
            except (TimeoutError, asyncio.CancelledError):
                self._reader.cancel()

    # ---- actions ----------------------------------------------------------

    async def open(self, url_path: str = "", query: str = "") -> RunResult:
        """The first run of a freshly opened tab at `/<url_path>?<query>`."""
        self.query_string = query
        return await self._rerun(page_name=url_path)

    async def switch_page(self, url_path: str) -> RunResult:
        """Click a page in the navigation: run that page, keeping only the main script's widgets."""
        if url_path not in self.pages:
            raise ProtocolError(
                f"no page {url_path!r} in the navigation (have {sorted(self.pages)})"
            )
        self._stop_auto_reruns()
        main_ids = {
            e.widget_id for e in self._elements.values() if e.script_hash == self.main_script_hash
        }
        self._widget_values = {k: v for k, v in self._widget_values.items() if k in main_ids}
        # The browser drops the old page's elements at once; so do we.
        self._elements = {
            p: e for p, e in self._elements.items() if e.script_hash == self.main_script_hash
        }
        return await self._rerun(page_script_hash=self.pages[url_path])

    async def rerun(self) -> RunResult:
        """Rerun the current page with the current widget states (the 'R' key)."""
        return await self._rerun()

    async def click(self, button: Shown) -> RunResult:
        """Press a button (a trigger sent once with this run)."""
        trigger = WidgetState(id=button.widget_id, trigger_value=True)
        return await self._rerun(extra=[trigger], fragment_id=button.fragment_id or None)

    async def set_value(self, widget: Shown, **value: Any) -> RunResult:
        """Change a widget's value and rerun, as the browser does.

        E.g. `int_value=3`, `json_value='{...}'`.
        """
        state = WidgetState(id=widget.widget_id, **value)
        self._widget_values[widget.widget_id] = state
        return await self._rerun(fragment_id=widget.fragment_id or None)

    async def wait_for(
        self, condition: Callable[[StreamlitSession], bool], timeout: float
    ) -> float:
        """Seconds until `condition(self)` holds, as auto-reruns and pushed runs update the page."""
        t0 = time.perf_counter()
        deadline = t0 + timeout
        async with self._changed:
            while not condition(self):
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError(f"condition not met within {timeout:.0f} s")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    continue
                self._raise_if_broken()
        return time.perf_counter() - t0

    # ---- reading the page --------------------------------------------------

    def elements(self, kind: str | None = None) -> list[Shown]:
        """Elements now on the page in delta-path order, optionally of one kind."""
        shown = sorted(self._elements.values(), key=lambda e: e.path)
        return [e for e in shown if kind is None or e.kind == kind]

    def widget(
        self, *, key: str | None = None, label: str | None = None, kind: str | None = None
    ) -> Shown:
        """The widget with user key `key` (ids end in '-<key>') or with this label."""
        for e in self.elements(kind):
            if not e.widget_id:
                continue
            if key is not None and not e.widget_id.endswith("-" + key):
                continue
            if label is not None and e.label != label:
                continue
            return e
        raise LookupError(
            f"no widget key={key!r} label={label!r} kind={kind!r} on the page "
            f"(widgets: {[(e.kind, e.widget_id, e.label) for e in self.elements() if e.widget_id]})"
        )

    def metrics(self) -> dict[str, str]:
        """{label: shown value} of every st.metric on the page."""
        return {e.proto.label: e.proto.body for e in self.elements("metric")}

    def exceptions(self) -> list[str]:
        """Every exception box on the page, as 'Type: message'."""
        return [f"{e.proto.type}: {e.proto.message}" for e in self.elements("exception")]

    def alerts(self, fmt: str = "ERROR") -> list[str]:
        """Bodies of st.error/st.warning/... boxes (fmt: ERROR, WARNING, INFO, SUCCESS)."""
        from streamlit.proto.Alert_pb2 import Alert

        wanted = Alert.Format.Value(fmt)
        return [e.proto.body for e in self.elements("alert") if e.proto.format == wanted]

    def texts(self) -> list[str]:
        """Markdown, headings, captions and text of the page, in order."""
        out = []
        for e in self.elements():
            if e.kind in ("markdown", "text"):
                out.append(e.proto.body)
            elif e.kind == "heading":
                out.append(e.proto.body)
        return out

    # ---- protocol -----------------------------------------------------------

    async def _rerun(
        self,
        *,
        page_name: str = "",
        page_script_hash: str | None = None,
        extra: list[WidgetState] = (),
        fragment_id: str | None = None,
        is_auto_rerun: bool = False,
    ) -> RunResult:
        """Send one rerun_script and wait for the finish of the run that answers it."""
        self._raise_if_broken()
        async with self._action_lock:
            if not is_auto_rerun and fragment_id is None:
                self._stop_auto_reruns()  # a full run restarts the page's timers
            live = {e.widget_id for e in self._elements.values() if e.widget_id}
            states = [v for k, v in self._widget_values.items() if k in live]
            msg = BackMsg()
            cs = msg.rerun_script
            cs.query_string = self.query_string
            cs.widget_states.widgets.extend(states + list(extra))
            cs.page_script_hash = (
                self.page_script_hash if page_script_hash is None else page_script_hash
            )
            cs.page_name = page_name
            if fragment_id:
                cs.fragment_id = fragment_id
            cs.is_auto_rerun = is_auto_rerun
            ctx = cs.context_info
            ctx.timezone, ctx.timezone_offset, ctx.locale = "UTC", 0, "en-US"
            ctx.url = f"{self.base_url}/{page_name}" + (
                f"?{self.query_string}" if self.query_string else ""
            )
            ctx.is_embedded, ctx.color_scheme = False, "light"
            seen = len(self._finished)
            m0, b0 = self._msg_count, self._byte_count
            t0 = time.perf_counter()
            await self._ws.send(msg.SerializeToString())
            run_id, status, fragments, t1 = await self._wait_finish(seen, fragment_id)
            result = RunResult(
                seconds=t1 - t0,
                status=status,
                run_id=run_id,
                fragment_ids=fragments,
                messages=self._msg_count - m0,
                bytes=self._byte_count - b0,
            )
            if (shown := self._first_progress.pop(run_id, None)) is not None:
                result.first_progress_s = shown - t0
            result.exceptions = [
                f"{e.proto.type}: {e.proto.message}"
                for e in self._elements.values()
                if e.kind == "exception" and e.run_id == run_id
            ]
            await self._fetch_media(run_id)
            return result

    async def _fetch_media(self, run_id: str) -> None:
        """GET the images this run put on the page (after the run, so not in its time)."""
        urls = {
            img.url
            for e in self._elements.values()
            if e.kind == "imgs" and e.run_id == run_id
            for img in e.proto.imgs
            if img.url and not img.url.startswith(("data:", "http"))
        }
        for url in urls:
            try:
                self.media_fetched += await asyncio.to_thread(self._get, url)
            except OSError as err:
                self.protocol_errors.append(f"image {url}: {err}")

    def _get(self, path: str) -> int:
        url = self.base_url + (path if path.startswith("/") else "/" + path)
        request = urllib.request.Request(url, headers={"Cookie": cookie_header(self.cookies)})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            self.cookies = {**self.cookies, **set_cookies(response)}  # as a browser would keep them
            return len(response.read())

    async def _wait_finish(self, seen: int, fragment_id: str | None):
        """The first final script_finished after index `seen` of a run of the wanted kind."""
        deadline = time.perf_counter() + self.timeout
        async with self._changed:
            while True:
                for run_id, status, fragments, t in self._finished[seen:]:
                    if status not in FINAL:
                        continue
                    if fragment_id is None and not fragments:
                        return run_id, status, fragments, t
                    if fragment_id is not None and fragment_id in fragments:
                        return run_id, status, fragments, t
                self._raise_if_broken()
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError(f"no script_finished within {self.timeout:.0f} s")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    pass

    def _raise_if_broken(self) -> None:
        if self.protocol_errors:
            raise ProtocolError("; ".join(self.protocol_errors))
        if self._reader is not None and self._reader.done() and not self._closed:
            raise ProtocolError("the websocket closed")

    async def _read_forever(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self._ws:
                if isinstance(raw, str):
                    self.protocol_errors.append("server sent a text frame")
                    continue
                self._msg_count += 1
                self._byte_count += len(raw)
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                finished = self._handle(msg)
                if finished:
                    async with self._changed:
                        self._changed.notify_all()
        except ConnectionClosed as err:
            if not self._closed:
                self.protocol_errors.append(f"websocket closed: {err}")
        finally:
            async with self._changed:
                self._changed.notify_all()

    def _handle(self, msg: ForwardMsg) -> bool:
        """Apply one ForwardMsg to the page model.

        True when a run finished (waiters should look).
        """
        kind = msg.WhichOneof("type")
        run = msg.metadata.run
        if kind == "new_session":
            ns = msg.new_session
            self.main_script_hash = ns.main_script_hash
            self.page_script_hash = ns.page_script_hash
            for page in ns.app_pages:
                self.pages[page.url_pathname] = page.page_script_hash
            self._current_run = run.script_run_id  # deltas carry no run id: they belong to this run
            self._run_touched[run.script_run_id] = set()
            self._run_fragments[run.script_run_id] = tuple(run.fragment_ids)
            if not run.fragment_ids:
                self._stop_auto_reruns()
        elif kind == "navigation":
            nav = msg.navigation
            self.pages = {p.url_pathname: p.page_script_hash for p in nav.app_pages}
            if nav.page_script_hash:
                self.page_script_hash = nav.page_script_hash
        elif kind == "delta":
            self._apply_delta(msg)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "script_finished":
            status = _STATUS_NAMES.get(msg.script_finished, str(msg.script_finished))
            fragments = self._run_fragments.pop(run.script_run_id, tuple(run.fragment_ids))
            touched = self._run_touched.pop(run.script_run_id, set())
            if status in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"):
                self._drop_stale(touched, fragments)
            self._finished.append((run.script_run_id, status, fragments, time.perf_counter()))
            return True
        elif kind == "auto_rerun":
            self._start_auto_rerun(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self._stop_auto_reruns(fid)
        elif kind == "page_not_found":
            self.protocol_errors.append(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "ref_hash":
            self.protocol_errors.append("server sent a cached-message reference we never asked for")
        elif (
            kind == "session_event"
            and msg.session_event.WhichOneof("type") == "script_compilation_exception"
        ):
            exc = msg.session_event.script_compilation_exception
            self.protocol_errors.append(f"script compilation error: {exc.type}: {exc.message}")
        return False

    def _apply_delta(self, msg: ForwardMsg) -> None:
        delta = msg.delta
        path = tuple(msg.metadata.delta_path)
        run_id = msg.metadata.run.script_run_id or self._current_run
        self._run_touched.setdefault(run_id, set()).add(path)
        which = delta.WhichOneof("type")
        if which == "new_element":
            el: Element = delta.new_element
            kind = el.WhichOneof("type") or ""
            if kind == "progress":
                self._first_progress.setdefault(run_id, time.perf_counter())
            self._elements[path] = Shown(
                path,
                kind,
                getattr(el, kind) if kind else el,
                msg.metadata.active_script_hash,
                delta.fragment_id,
                run_id,
            )
        elif which == "add_block":
            # A container: remember nothing but that the path is in use (children come as deltas).
            self._elements.pop(path, None)

    def _drop_stale(self, touched: set[tuple[int, ...]], fragments: tuple[str, ...]) -> None:
        """After a finished run, elements it did not (re)send are gone.

        This is the frontend's stale-node cleanup.
        """
        for path, e in list(self._elements.items()):
            in_scope = (not fragments) or (e.fragment_id in fragments)
            if in_scope and path not in touched:
                del self._elements[path]

    # ---- auto-reruns (st.fragment(run_every=...)) ------------------------------

    def _start_auto_rerun(self, fragment_id: str, interval: float) -> None:
        if not fragment_id:
            return
        current = self._auto.get(fragment_id)
        if current and current[0] == interval:
            return
        self._stop_auto_reruns(fragment_id)
        self._auto[fragment_id] = (
            interval,
            asyncio.create_task(self._auto_loop(fragment_id, interval)),
        )

    def _stop_auto_reruns(self, fragment_id: str | None = None) -> None:
        for fid in [fragment_id] if fragment_id else list(self._auto):
            entry = self._auto.pop(fid, None)
            if entry and entry[1] is not asyncio.current_task():
                entry[1].cancel()

    async def _auto_loop(self, fragment_id: str, interval: float) -> None:
        interval = max(interval, 0.05)
        next_tick = time.perf_counter() + interval
        try:
            while not self._closed:  # fixed rate, like the browser's setInterval
                await asyncio.sleep(max(0.0, next_tick - time.perf_counter()))
                next_tick = max(next_tick + interval, time.perf_counter())
                if self._action_lock.locked():
                    continue  # the browser would queue it behind the running action; skip a tick
                self.auto_rerun_count += 1
                await self._rerun(fragment_id=fragment_id, is_auto_rerun=True)
        except asyncio.CancelledError:
            pass
        except (ProtocolError, TimeoutError) as err:
            self.protocol_errors.append(f"auto-rerun of fragment {fragment_id}: {err}")


def json_value(state: dict) -> str:
    """A components-v2 state dict as the frontend sends it (compact JSON)."""
    return json.dumps(state, separators=(",", ":"))
