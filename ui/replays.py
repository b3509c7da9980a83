"""What the labs' replay sections share: an expander built only while open, that says why
there is nothing to replay yet. Play (`ui.playback`) opens it and starts the replay."""

from __future__ import annotations

import streamlit as st


def replay_box(label: str, key: str, step: int):
    """The open expander to fill with the replay, or None (closed, or nothing to show yet)."""
    box = st.expander(label, icon=":material/slow_motion_video:", key=key, on_change="rerun")
    if not box.open:
        return None
    if step < 1:
        box.info(
            "Nothing recorded yet: press Play to train and watch the run here.",
            icon=":material/info:",
        )
        return None
    return box
