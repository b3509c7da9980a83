"""The app around every page: page config, navigation, presenter mode, the share link.

app.py calls `run()` on every script run. Nothing here imports torch: the home page must
appear fast, and pages load torch themselves.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from ui import presenter_mode, server, url_state, warm
from ui.registry import PAGES

# Shipped with the app, so no browser asks an outside font server for the page icon.
FAVICON = Path(__file__).resolve().parent.parent / "assets" / "favicon.png"


def navigation() -> dict[str, list]:
    """The pages, grouped by section, for `st.navigation`."""
    sections: dict[str, list] = {}
    for i, entry in enumerate(PAGES):
        page = st.Page(
            entry.path, title=entry.title, icon=entry.icon, url_path=entry.url_path, default=i == 0
        )
        sections.setdefault(entry.section, []).append(page)
    return sections


def share_popover() -> None:
    with st.popover("Share this experiment", icon=":material/link:", width="stretch"):
        st.caption("Everyone who opens this link sees the same settings.")
        query = urlencode(url_state.shared_query())
        st.code((st.context.url or "") + ("?" + query if query else ""), language=None)


def run() -> None:
    """Configure the page, show the navigation and the sidebar, run the chosen page."""
    server.server_defaults()  # also under AppTest, which runs the script without the server
    st.set_page_config(
        page_title="PyTorch Linear Models Explorer", page_icon=str(FAVICON), layout="wide"
    )
    # Navigation first: widgets created before st.navigation are lost when it resolves the page.
    page = st.navigation(navigation(), position="sidebar", expanded=True)
    with st.sidebar:
        url_state.toggle(
            "Presenter mode",
            presenter_mode.PRESENTER_KEY,
            False,
            help="Bigger type for a projector; advanced controls are hidden.",
        )
    if presenter_mode.presenter():
        st.html(presenter_mode.PRESENTER_CSS)
    try:
        page.run()
    finally:  # also when the page stopped early (st.stop) on input it refused
        with st.sidebar:
            share_popover()
    if server.SERVING and warm.enabled():  # not under AppTest: tests load what they need
        warm.after_page()
