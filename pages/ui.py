"""Page helpers shared by every page: presenter mode, lessons, shared data, and (re-exported
from `pages.url_state`) the URL-backed widgets every setting is made with."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from core import theme
from pages.url_state import (  # noqa: F401  (re-exported: pages call ui.slider(...) etc.)
    checkbox,
    multiselect,
    number_input,
    radio,
    select_slider,
    selectbox,
    slider,
    text_area,
    text_input,
    toggle,
)
from pages.user_text import text  # noqa: F401  (re-exported: ui.text(...))


def leave_legacy_navigation() -> None:
    """Make sure pages run inside app.py's navigation, even on a fresh server's first link.

    With a pages/ folder beside app.py, Streamlit starts in its legacy multipage mode
    and stays there until app.py calls st.navigation: a shared link opened first on a
    fresh server would run its page file alone, with file names in the sidebar. When a
    page file runs that way (app.py is not running), switch the legacy mode off and
    reload the same URL, which then goes through app.py. Called on import below, so
    every page that imports this module is covered.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not PagesManager.uses_pages_directory or not st.runtime.exists():
        return
    app_py = str(Path(__file__).resolve().parent.parent / "app.py")
    if any(frame.filename == app_py for frame in inspect.stack(context=0)):
        return  # app.py is running: its st.navigation call leaves the legacy mode itself
    PagesManager.uses_pages_directory = False
    st.html("<script>window.location.reload()</script>", unsafe_allow_javascript=True)
    st.stop()


leave_legacy_navigation()

PRESENTER_KEY = "presenter"


# ---- presenter mode -------------------------------------------------------


def presenter() -> bool:
    """True in presenter mode: larger type, advanced controls hidden."""
    return bool(st.session_state.get(PRESENTER_KEY, False))


def advanced() -> bool:
    """Whether to show advanced controls (hidden in presenter mode)."""
    return not presenter()


def style(fig):
    """Apply the shared colour-blind-safe style (bigger in presenter mode) to a figure."""
    return theme.style(fig, large=presenter())


def plotly(fig, **kw):
    """Render a plotly figure with the shared style at full width."""
    return st.plotly_chart(style(fig), width="stretch", **kw)


# ---- lessons ---------------------------------------------------------------


def lesson(title: str, body: str, formulas: Sequence[str] = (), try_this: Sequence[str] = ()):
    """The short explanation a page opens with: text, formulas, and prompts to predict first."""
    with st.expander(title, icon=":material/school:", expanded=True):
        st.markdown(body)
        for formula in formulas:
            st.latex(formula)
        for prompt in try_this:
            st.info(f"**Try this:** {prompt}", icon=":material/science:")


# ---- shared data and models (loaded once per process) ------------------------


@st.cache_resource(show_spinner=False)
def _mnist_cached():
    from core.data import load_mnist

    return load_mnist()


def mnist():
    """All of MNIST as tensors, shared read-only by every session of this process.

    Downloads missing files first with a visible progress bar; offline, shows
    what to do and stops this page (the rest of the app keeps working).
    """
    from core.data import DataUnavailable, download_mnist, missing_mnist_files

    if missing_mnist_files():
        bar = st.progress(0.0, text="MNIST is not on this machine yet: downloading...")
        try:
            download_mnist(progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
        except DataUnavailable as err:
            bar.empty()
            st.error(str(err), icon=":material/cloud_off:")
            st.stop()
        bar.empty()
    with st.spinner("Loading MNIST into memory (once per server)..."):
        return _mnist_cached()


@st.cache_resource(show_spinner="Loading the shipped model...")
def pretrained(name: str):
    """The shipped model `name` with its metadata (`core.models.SavedModel`), shared read-only."""
    from core.models import load_pretrained_saved
    from core.runtime import configure_torch

    configure_torch()
    return load_pretrained_saved(name)


USER_MODELS = "user_models"


def user_models() -> dict:
    """This session's trained models: {display name: core.models.SavedModel}. Never shared."""
    return st.session_state.setdefault(USER_MODELS, {})
