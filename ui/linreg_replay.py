"""The linear regression lab's replay: the recorded run played and scrubbed in the browser.

Built only while its expander is open, and once per run state: the figure (every frame of
the run, a few hundred kB) is kept in the session until the run takes another step or
another run is pinned (or unpinned), so reopening or any other click does not rebuild it.
A pinned run is drawn still beside the replayed one, where it shares the axes.
"""

from __future__ import annotations

import streamlit as st

from core.linreg import LabRun, figures
from core.linreg.compare import comparison
from core.linreg.replay import build_replay
from ui.components.autoplay import autoplay
from ui.components.plotly_steps import plotly_steps
from ui.linreg_run import PINNED
from ui.playback import take_autoplay
from ui.presenter_mode import presenter, style
from ui.replays import replay_box

KEY, CACHE = "lin_replay", "lin_replay_figure"


def _pinned(run: LabRun) -> figures.Pinned | None:
    """The pinned run as `replay_figure` takes it (the page above already says how it
    compares: no message here)."""
    held = st.session_state.get(PINNED)
    if held is None:
        return None
    pinned, name = held
    return figures.Pinned(pinned, name, comparison(pinned, run))


def _figure(run: LabRun, pinned: figures.Pinned | None):
    """The styled replay figure and its frame count, rebuilt only when the run moved on or
    the pinned run changed."""
    pin = None if pinned is None else (pinned.name, pinned.comparison)
    state = (run.step, presenter(), pin)
    held = None if pinned is None else pinned.run
    cached = st.session_state.get(CACHE)
    if cached is None or cached[0] is not run or cached[1] is not held or cached[2] != state:
        replay = build_replay(run)  # the runs themselves are kept: an id could be reused
        fig = style(figures.replay_figure(run, replay, pinned))
        cached = (run, held, state, fig, len(replay.steps))
        st.session_state[CACHE] = cached
    return cached[3], cached[4]


def replay_section(run: LabRun) -> None:
    box = replay_box("Replay the run in your browser: play it, or drag to any step", KEY, run.step)
    if box is None:
        return
    with box:
        pinned = _pinned(run)
        fig, frames = _figure(run, pinned)
        drawn = pinned is not None and pinned.comparison != "other data"
        st.caption(
            f"{frames} frames of the run's {run.step:,} steps, sent once: playing, the step "
            "buttons and dragging the slider happen in your browser, without the server. The "
            "fit, the path on the landscape and the loss follow the slider."
            + (" Dotted purple, still: the pinned run as it ended." if drawn else "")
        )
        st.plotly_chart(fig, width="stretch", key="lin_replay_chart", config={"scrollZoom": False})
        plotly_steps("lin_replay_steps", ".st-key-lin_replay_chart", big=presenter())
        pressed = take_autoplay("lin")
        if pressed is not None:  # Play was pressed: play the whole run at once
            autoplay("lin_replay_autoplay", ".st-key-lin_replay_chart", "Play", str(pressed[1]))
