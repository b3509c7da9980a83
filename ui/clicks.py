"""Button callbacks that act once per click, even while a fragment is ticking."""

from __future__ import annotations

import streamlit as st

RENDERS, HANDLED = (
    "_clicks_renders",
    "_clicks_handled",
)  # completed page runs; the run a click acted in


def once(action):
    """A button callback that acts once per rendered page, however often its click arrives.

    Streamlit 1.67 can deliver one click twice while a `run_every` fragment is ticking:
    the run the click started is interrupted after its callbacks and restarted with the
    click's trigger still set, so the callback fires again (seen in the server log: Pause
    acted, then the replay turned it back into Play). A click acts only if a full page
    run has completed since the last click acted; `page_complete` is the page's last line.
    Fragment runs must not count: the replay comes after the fragment ran inside the
    interrupted run.
    """

    def callback(*args):
        renders = st.session_state.get(RENDERS, 0)
        if st.session_state.get(HANDLED) != renders:
            st.session_state[HANDLED] = renders
            action(*args)

    return callback


def page_complete() -> None:
    """Call as the page's last line: a full page run is done, so the next click may act."""
    st.session_state[RENDERS] = st.session_state.get(RENDERS, 0) + 1


def check_and_show(key: str, check, show, check_args=(), show_args=(), check_label="Check"):
    """A row of two buttons, `check` (primary) and Show me, each acting once per click; their
    keys are `key` + "_check" and "_show"."""
    with st.container(horizontal=True):
        st.button(
            check_label,
            icon=":material/check:",
            key=f"{key}_check",
            type="primary",
            on_click=once(check),
            args=check_args,
        )
        st.button(
            "Show me",
            icon=":material/visibility:",
            key=f"{key}_show",
            on_click=once(show),
            args=show_args,
        )
