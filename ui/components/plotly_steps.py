"""Step buttons for a plotly replay figure: first, one back, one on, last (see plotly_steps.js).

They move the figure's slider in the browser: stepping sends nothing to the server."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
_COMPONENT = st.components.v2.component(
    "explorer_plotly_steps", js=(HERE / "plotly_steps.js").read_text(encoding="utf-8")
)
LABELS = {"first": "|◀", "prev": "◀ 1", "next": "1 ▶", "last": "▶|"}
ARIA = {"first": "First step", "prev": "Previous frame", "next": "Next frame", "last": "Last step"}


def plotly_steps(key: str, target: str, big: bool = False) -> None:
    """Step buttons for the plotly figure inside the element at CSS `target`."""
    _COMPONENT(key=key, data={"target": target, "labels": LABELS, "aria": ARIA, "big": big})
