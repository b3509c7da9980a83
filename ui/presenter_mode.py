"""Presenter mode: bigger type and figures for a projector, advanced controls hidden."""

from __future__ import annotations

import streamlit as st

from core import theme

PRESENTER_KEY = "presenter"


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
[data-testid="stMain"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: 3.4rem !important;
  line-height: 1.15;
}
[data-testid="stMetricLabel"] p { font-size: 1.4rem !important; }
/* A button's words wrap onto a second line rather than end in "…" in a narrow column (the
   labs' players on a tablet), a little smaller than the text around them. */
[data-testid="stMain"] button [data-testid="stMarkdownContainer"] p {
  font-size: 1.2rem !important;
  white-space: normal !important;
  overflow: visible !important;
  text-overflow: clip !important;
  word-break: normal !important;
  overflow-wrap: normal !important;
  line-height: 1.2;
}
/* On a tablet, the words matter more than a button's icon. */
@media (max-width: 1100px) {
  [data-testid="stMain"] button [data-testid="stIconMaterial"] { display: none; }
  [data-testid="stMain"] button { padding: 0.25rem 0.3rem !important; }
  [data-testid="stMain"] button * { overflow: visible !important; text-overflow: clip !important; }
}
</style>
"""
