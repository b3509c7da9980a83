"""What the labs' replay sections share: an expander built only while open, that says why
there is nothing to replay yet (the run is playing, or has not taken a step)."""

from __future__ import annotations

import streamlit as st

from ui import clicks

AUTOPLAY = "_replay_autoplay_"  # + a lab's prefix: "train, then replay" was pressed there
TRAIN_BUDGET_S = 1.5  # the most one "train, then replay" click trains for


def replay_box(label: str, key: str, playing: bool, step: int, train=None):
    """The open expander to fill with the replay, or None (closed, or nothing to show yet).

    `train()` draws the section's "train, then replay" button (a run with no step yet
    shows only that)."""
    box = st.expander(label, icon=":material/slow_motion_video:", key=key, on_change="rerun")
    if not box.open:
        return None
    if playing:
        box.info("Pause the training to replay what it recorded.", icon=":material/pause:")
        return None
    if step < 1:
        with box:
            st.info("Nothing recorded yet: train first.", icon=":material/info:")
            if train is not None:
                train()
        return None
    return box


def train_then_replay(player, steps: int, label: str) -> None:
    """A button that trains `steps` more (at most `TRAIN_BUDGET_S`) and then shows the run's
    replay, playing it at once where the player can (the logistic one)."""
    st.button(
        label,
        icon=":material/play_circle:",
        key=f"{player.prefix}_train_replay",
        type="primary",
        on_click=clicks.once(_train),
        args=(player, steps),
    )


def _train(player, steps: int) -> None:
    player.train(steps, budget_s=TRAIN_BUDGET_S)
    st.session_state[AUTOPLAY + player.prefix] = True


def take_autoplay(prefix: str) -> bool:
    """Whether the recording being built now should start playing (once)."""
    return bool(st.session_state.pop(AUTOPLAY + prefix, False))
