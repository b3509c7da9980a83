"""What the labs' replay sections share: an expander built only while open, that says why
there is nothing to replay yet (the run is playing, or has not taken a step)."""

from __future__ import annotations

import streamlit as st


def replay_box(label: str, key: str, playing: bool, step: int, how_to_train: str):
    """The open expander to fill with the replay, or None (closed, or nothing to show yet)."""
    box = st.expander(label, icon=":material/slow_motion_video:", key=key, on_change="rerun")
    if not box.open:
        return None
    if playing:
        box.info("Pause the training to replay what it recorded.", icon=":material/pause:")
        return None
    if step < 1:
        box.info(
            f"Train a few steps first ({how_to_train}): the replay shows what the run recorded.",
            icon=":material/info:",
        )
        return None
    return box
