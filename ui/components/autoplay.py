"""Start a plotly figure's animation from the page, once per `nonce` (see autoplay.js)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
_COMPONENT = st.components.v2.component(
    "explorer_autoplay", js=(HERE / "autoplay.js").read_text(encoding="utf-8")
)


def autoplay(key: str, target: str, label: str, nonce: str) -> None:
    """Press the Play button labelled `label` of the plotly figure at CSS `target`."""
    _COMPONENT(key=key, data={"target": target, "label": label, "nonce": nonce})
