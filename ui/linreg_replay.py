"""The linear regression lab's replay: the recorded run played and scrubbed in the browser.

Built only while its expander is open, and once per run state: the figure (every frame of
the run, a few hundred kB) is kept in the session until the run takes another step, so
reopening or any other click does not rebuild it.
"""

from __future__ import annotations

import streamlit as st

from core.linreg import LabRun, figures
from core.linreg.replay import build_replay
from ui.presenter_mode import presenter, style

KEY, CACHE = "lin_replay", "lin_replay_figure"


def _figure(run: LabRun):
    """The styled replay figure and its frame count, rebuilt only when the run moved on."""
    state = (run.step, presenter())
    cached = st.session_state.get(CACHE)
    if cached is None or cached[0] is not run or cached[1] != state:
        replay = build_replay(run)  # the run itself is kept: an id could be reused
        cached = (run, state, style(figures.replay_figure(run, replay)), len(replay.steps))
        st.session_state[CACHE] = cached
    return cached[2], cached[3]


def replay_section(run: LabRun, playing: bool) -> None:
    box = st.expander(
        "Replay the run in your browser: play it, or drag to any step",
        icon=":material/slow_motion_video:",
        key=KEY,
        on_change="rerun",
    )
    if not box.open:
        return
    with box:
        if playing:
            st.info("Pause the training to replay what it recorded.", icon=":material/pause:")
            return
        if run.step < 1:
            st.info(
                "Train a few steps first (Play, or +10): the replay shows what the run recorded.",
                icon=":material/info:",
            )
            return
        fig, frames = _figure(run)
        st.caption(
            f"{frames} frames of the run's {run.step:,} steps, sent once: playing and dragging "
            "the slider happen in your browser, without the server. The fit, the path on the "
            "landscape and the loss follow the slider."
        )
        st.plotly_chart(fig, width="stretch", key="lin_replay_chart", config={"scrollZoom": False})
