"""Entry point: `uv run streamlit run app.py`.

Builds the navigation (titled pages with icons, grouped by topic), the sidebar's
presenter-mode switch and share link, then runs the chosen page. Nothing here
imports torch: the home page must appear fast, and pages load torch themselves.
"""

from __future__ import annotations

import os
from urllib.parse import urlencode

import streamlit as st

from pages import ui, url_state
from pages.registry import PAGES

# One torch thread per server process unless the operator says otherwise: the server's
# parallelism is its many sessions, and a 2-thread pool per training oversubscribes a 2-core
# machine (benchmarks.classroom: p95 47 s with 2 threads vs 4.6 s with 1, 30 students).
# Scripts, benchmarks and notebooks keep all cores (core.runtime).
os.environ.setdefault("EXPLORER_TORCH_THREADS", "1")

st.set_page_config(
    page_title="PyTorch Linear Models Explorer",
    page_icon=":material/insights:",
    layout="wide",
)



def navigation() -> dict[str, list]:
    sections: dict[str, list] = {}
    for i, (section, path, title, icon, url) in enumerate(PAGES):
        page = st.Page(path, title=title, icon=icon, url_path=url, default=i == 0)
        sections.setdefault(section, []).append(page)
    return sections


PRESENTER_CSS = """
<style>
/* Presenter mode: readable from the back of a room. Only the main area grows, so the
   sidebar's page titles stay on one line. */
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] td,
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.4rem !important; }
[data-testid="stMain"] [data-testid="stWidgetLabel"] p { font-size: 1.25rem !important; }
[data-testid="stMain"] h1 { font-size: 3.2rem !important; }
[data-testid="stMain"] h2 { font-size: 2.4rem !important; }
[data-testid="stMain"] h3 { font-size: 1.9rem !important; }
[data-testid="stMain"] code { font-size: 1.2rem !important; }
[data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p { font-size: 3.4rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.4rem !important; }
</style>
"""

# Navigation first: widgets created before st.navigation are lost when it resolves the page.
page = st.navigation(navigation(), position="sidebar", expanded=True)
with st.sidebar:
    ui.toggle("Presenter mode", ui.PRESENTER_KEY, False,
              help="Bigger type for a projector; advanced controls are hidden.")
if ui.presenter():
    st.html(PRESENTER_CSS)
page.run()

with st.sidebar:
    with st.popover("Share this experiment", icon=":material/link:", width="stretch"):
        st.caption("Everyone who opens this link sees the same settings.")
        query = urlencode(url_state.shared_query())
        st.code((st.context.url or "") + ("?" + query if query else ""), language=None)
