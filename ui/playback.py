"""The player both regression labs share: Play, step buttons, Reset.

Play trains on the server once, in one click (the regression runs take a fraction of a
second, bounded by `PLAY_BUDGET_S`), then opens the lab's replay, which plays what was
recorded in the browser: playing sends nothing to the server and costs it no rerun per
frame. A run that cannot train further is replayed as it is. The step buttons train a
few updates each, for the student who wants to see one step's effect on every figure.

A lab run keeps the step contract (`step`, `stopped`, `advance(n, budget_s)`); its page
keeps the run in the session under `Player.run_key`. Every callback acts once per click
(`ui.clicks.once`) and runs before the page, so every widget below sees the new state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from ui import clicks
from ui.training_slot import lab_chunk

PLAY_BUDGET_S = 1.5  # the most one Play click trains for, so a big data set cannot stall it
AUTOPLAY = "_replay_autoplay_"  # + a lab's prefix: (the step Play started from, press count)
PRESSES = "_replay_presses"


@dataclass(frozen=True)
class Step:
    """One step button: its label, how many updates it takes, its icon (optional)."""

    label: str
    steps: int
    icon: str | None = None


@dataclass(frozen=True)
class Player:
    """One lab's player: widget keys start with `prefix`; the run lives at `run_key`;
    Play opens the replay expander at `replay_key`."""

    prefix: str
    run_key: str
    steps: tuple[Step, ...]
    replay_key: str
    widths: tuple[float, ...]  # columns: play, each step button, reset

    def controls(
        self, run, reset: Callable[[], None], play_steps: int | Callable[[], int], play_help: str
    ) -> None:
        """Draw the transport for `run`. Play trains `play_steps` more (none: it replays the
        run as it stands); a callable draws the widget that chooses them, above the buttons
        (beside them, a narrow column would cut the buttons' words). `reset` makes a fresh run."""
        if callable(play_steps):
            play_steps = play_steps()
        columns = st.columns(list(self.widths), vertical_alignment="bottom")
        trains = play_steps > 0 and not run.stopped
        columns[0].button(
            "Train & play" if trains or run.step == 0 else "Replay",
            key=f"{self.prefix}_play",
            type="primary",
            width="stretch",
            icon=":material/play_arrow:" if trains or run.step == 0 else ":material/replay:",
            help=play_help if trains else "Replay the run in your browser",
            disabled=run.step == 0 and (run.stopped or play_steps == 0),
            on_click=clicks.once(self._play),
            args=(play_steps,),
        )
        for col, step in zip(columns[1:], self.steps, strict=False):
            col.button(
                step.label,
                key=f"{self.prefix}_step" + (str(step.steps) if len(self.steps) > 1 else ""),
                help=f"Train {step.steps} step(s)",
                icon=step.icon,
                width="stretch",
                disabled=run.stopped,
                on_click=clicks.once(self.train),
                args=(step.steps,),
            )
        columns[len(self.steps) + 1].button(
            "Reset",
            key=f"{self.prefix}_reset",
            icon=":material/restart_alt:",
            width="stretch",
            on_click=clicks.once(reset),
        )

    def _play(self, steps: int) -> None:
        run = st.session_state[self.run_key]
        start = run.step
        if steps > 0 and not run.stopped:
            self.train(steps, budget_s=PLAY_BUDGET_S)
        if run.step == start:  # nothing new: replay the whole run
            start = 0
        st.session_state[self.replay_key] = True  # open the replay: it plays from `start`
        presses = st.session_state.get(PRESSES, 0) + 1  # each press plays, the same run too
        st.session_state.update({PRESSES: presses, AUTOPLAY + self.prefix: (start, presses)})

    def train(self, k: int, budget_s: float | None = None) -> None:
        """Up to `k` updates now, through the scheduler (from a callback: it cannot draw)."""
        with lab_chunk(self.prefix, show_wait=False):  # a callback: it waits without words
            st.session_state[self.run_key].advance(k, budget_s=budget_s)


def take_autoplay(prefix: str) -> tuple[int, int] | None:
    """(the step the replay being built now should start playing from, a number that is
    new for each press of Play), once, or None: Play was not just pressed."""
    return st.session_state.pop(AUTOPLAY + prefix, None)
