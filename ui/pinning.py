"""What both labs' "pin a run and compare" share: the two buttons, and the words for a
pinned run that cannot be drawn (trained on other data)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ui import clicks


def pin_buttons(pinned_key: str, pin: Callable[[], tuple], can_pin: bool, keeps: str) -> None:
    """Pin (`pin()` -> (PinnedRun, legend name), kept at `pinned_key`) and Unpin."""
    left, right = st.columns(2)
    left.button(
        "Pin this run to compare",
        icon=":material/push_pin:",
        key=f"{pinned_key}_pin",
        on_click=clicks.once(lambda: st.session_state.update({pinned_key: pin()})),
        disabled=not can_pin,
        help=f"Keeps this run's {keeps} on the charts; change settings (or Reset) and train "
        "another beside it.",
        width="stretch",
    )
    right.button(
        "Unpin",
        icon=":material/close:",
        key=f"{pinned_key}_unpin",
        on_click=clicks.once(lambda: st.session_state.pop(pinned_key, None)),
        disabled=pinned_key not in st.session_state,
        width="stretch",
    )


def other_data_note(name: str) -> None:
    st.info(
        f"The run you pinned ({name.removeprefix('pinned: ')}) was trained on other data, so "
        "it is not drawn: go back to that data to compare, or unpin it.",
        icon=":material/push_pin:",
    )
