"""The points editor: a plot whose data points can be dragged, added, erased, or fitted by hand.

Two kinds: regression points (x, y) with the least-squares fit and a line to place by hand,
or points of several classes (x, y, class) over a model's probability map.

The browser does everything that follows the pointer (see `points.js`); the server gets
finished edits through the component's state: "edit" ({base, seq, points}), "line" ({base,
w, b}) and "mode". The page cleans them (`core.linreg.data.clean_points`) and sends the
accepted points back with the sequence number of the edit they include, so the browser
knows when its edits have arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
_COMPONENT = st.components.v2.component(
    "explorer_points",
    js=(HERE / "common.js").read_text(encoding="utf-8")
    + (HERE / "points.js").read_text(encoding="utf-8"),
    css=(HERE / "points.css").read_text(encoding="utf-8"),
)
MODES = ("move", "add", "erase", "fit")


@dataclass(frozen=True)
class EditorData:
    """Everything the editor draws, as JSON-ready values."""

    base: str  # which data set the points belong to: edits for another are ignored
    seq: int  # the last edit the server has applied
    points: list[list[float]]  # editable points [[x, y], ...], or [[x, y, class], ...]
    test: list[list[float]]  # test points, drawn but not editable
    bounds: tuple[float, float, float, float]  # x_lo, x_hi, y_lo, y_hi
    degree: int  # the least-squares fit the browser recomputes while dragging
    model: list[list[float]]  # the trained model's curve [[x, y], ...] (may be empty)
    line: tuple[float, float] | None  # the hand-placed line (w, b) in fit mode
    mode: str
    max_points: int
    x_name: str
    y_name: str
    labels: dict  # the words, from the page
    big: bool = False  # presenter mode: larger text, points and handles
    height: int = 420
    # Class mode (no line, no fit): [[name, colour], ...] picked in the toolbar, and the
    # model's probability map as an image (a data URI) under the points.
    classes: list[list[str]] | None = None
    surface: str | None = None


def points_editor(key: str, data: EditorData) -> dict:
    """Mount the editor; returns its state: {"edit": .., "line": .., "mode": ..} (or Nones)."""
    payload = dict(data.__dict__)
    payload["labels"] = dict(data.labels, modes=[list(m) for m in data.labels["modes"]])
    result = _COMPONENT(
        key=key,
        data=payload,
        default={"edit": None, "line": None, "mode": None},
        on_edit_change=lambda: None,
        on_line_change=lambda: None,
        on_mode_change=lambda: None,
    )
    return {name: result.get(name) for name in ("edit", "line", "mode")}


def editor_state(key: str) -> dict:
    """The editor's last state as the browser set it ({} before it sent anything)."""
    raw = st.session_state.get(key)
    return raw if isinstance(raw, dict) else {}


def editor_mode(key: str, modes: tuple[str, ...] = MODES) -> str:
    mode = editor_state(key).get("mode")
    return mode if mode in modes else "move"
