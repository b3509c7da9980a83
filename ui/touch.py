"""What the labs' touchable-data sections share: the editor's edits taken in once and kept
per base data set, the section's expander, its messages and its Undo button."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from ui import clicks
from ui.components.points import editor_state
from ui.text import text

MAX_SEQ = 10**9


def touch_box(label: str, key: str, n_points: int, limit: int):
    """The open expander for the editor, or None (closed, or too many points to edit)."""
    box = st.expander(label, icon=":material/touch_app:", key=key, on_change="rerun")
    if not box.open:
        return None
    if n_points > limit:
        box.info(
            f"This data set has {n_points:,} training points; the editor holds at most "
            f"{limit}. Lower the number of points to edit them.",
            icon=":material/info:",
        )
        return None
    return box


def edit_messages(entry: dict, words: dict, error: str | None, edits_key: str, base_key: str):
    """What cleaning the edits changed, why they cannot be used, and Undo once edited."""
    for code in entry.get("codes", ()):
        st.warning(words[code], icon=":material/warning:")
    if error is not None:
        st.error(text(error), icon=":material/error:")
    if entry.get("points") is not None:
        st.button(
            "Undo my edits (back to the generated points)",
            icon=":material/undo:",
            key=f"{edits_key}_undo",
            on_click=clicks.once(undo_edits),
            args=(edits_key, base_key),
        )


def _seq(edit: dict) -> int:
    try:
        return min(max(int(edit.get("seq", 0)), 0), MAX_SEQ)
    except (TypeError, ValueError, OverflowError):
        return 0


def take_edits(key: str, edits_key: str, base_key: str, clean: Callable[[Any], Any]) -> dict:
    """The applied edits of data set `base_key`, after taking in the editor's newest one.

    `edits_key` holds, in the session, base key -> {"seq", "points", "codes"}: the points
    as `clean` made them from what the browser sent (None: no edits, the base's own points).
    An edit is taken in once (its sequence number must be new) and only for its own data.
    Returns that entry ({} when there is none).
    """
    edits = st.session_state.setdefault(edits_key, {})
    edit = editor_state(key).get("edit")
    if isinstance(edit, dict) and edit.get("base") == base_key:
        seq = _seq(edit)
        if seq > edits.get(base_key, {}).get("seq", 0):
            cleaned = clean(edit.get("points"))
            edits[base_key] = {"seq": seq, "points": cleaned, "codes": cleaned.codes}
    return edits.get(base_key, {})


def undo_edits(edits_key: str, base_key: str) -> None:
    """Back to the base data's own points; the sequence number stays, so the old edit is
    not taken in again."""
    entry = st.session_state.get(edits_key, {}).get(base_key)
    if entry is not None:
        entry.update(points=None, codes=())
