"""What the server does once, when it starts, before any visitor's session exists.

`streamlit run app.py` finds the `st.App` in app.py and serves it; `lifespan` below runs
at start-up. It turns off Streamlit's legacy `pages/` mode: with a folder named `pages`
beside the main script, Streamlit would otherwise run the very first session of a fresh
server in that mode until app.py's `st.navigation` call turns it off, so the first visitor
would see the files of `pages/` listed by name in the sidebar, and a deep link opened
first would run its page file alone, without the app around it. `st.navigation` itself
clears the same class-wide flag (`PagesManager.uses_pages_directory`) on its first call;
doing it at start-up only moves that moment before the first session instead of into it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

SERVING = False  # True in a `streamlit run` server (the lifespan ran), False under AppTest


def use_app_navigation() -> None:
    """Pages come from app.py's `st.navigation` only, never from the `pages/` folder."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def server_log() -> None:
    """The app's own log lines (logger "explorer") go to the server's log at INFO."""
    log = logging.getLogger("explorer")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def server_defaults() -> None:
    """Process-wide defaults for a server shared by a class (an operator's setting wins).

    One torch thread per server process: the server's parallelism is its many sessions,
    and a 2-thread pool per training oversubscribes a 2-core machine
    (`benchmarks.classroom`: p95 47 s with 2 threads against 4.6 s with 1, 30 students).
    Scripts, benchmarks and notebooks keep all cores (`core.runtime`).
    """
    os.environ.setdefault("EXPLORER_TORCH_THREADS", "1")


@asynccontextmanager
async def lifespan(app) -> AsyncIterator[None]:
    """Start-up and shut-down of the server process (`st.App`'s lifespan hook)."""
    global SERVING
    server_defaults()
    server_log()
    use_app_navigation()
    SERVING = True  # the shell warms the server after its first page (ui.warm)
    yield
