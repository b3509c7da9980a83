"""What every session of this process shares read-only (MNIST, the shipped models), and what
each session keeps for itself (the models it trained)."""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st

LOG = logging.getLogger("explorer.shared")  # shown in the server log (`ui.server`)


@st.cache_resource(show_spinner=False)
def _mnist_cached():
    from core.mnist.data import load_mnist

    t0 = time.perf_counter()
    data = load_mnist()
    # The server log says who paid for it: the warm-up thread, or a visitor's page.
    LOG.info(
        "MNIST loaded in %.1f s on %s", time.perf_counter() - t0, threading.current_thread().name
    )
    return data


def mnist():
    """All of MNIST as tensors, shared read-only by every session of this process.

    Downloads missing files first with a visible progress bar; offline, shows
    what to do and stops this page (the rest of the app keeps working).
    """
    from core.mnist.data import DataUnavailable, download_mnist, missing_mnist_files

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
    """The shipped model `name` with its metadata (a `core.mnist.models.SavedModel`), read-only."""
    from core.mnist.models import load_pretrained_saved
    from core.runtime import configure_torch

    configure_torch()
    return load_pretrained_saved(name)


USER_MODELS = "user_models"


def user_models() -> dict:
    """This session's trained models: {display name: core.mnist.models.SavedModel}. Never shared."""
    return st.session_state.setdefault(USER_MODELS, {})
