"""The player both regression labs share: Play/Pause, step buttons, Reset, speed, the tick.

A lab run keeps the step contract (`step`, `stopped`, `advance(n, budget_s)`); its page keeps
the run in the session under `Player.run_key`. The buttons sit outside the ticking fragment:
a click reruns the whole page, which starts or stops the tick (a click inside a ticking
fragment can be lost), and every callback acts once per click (`ui.clicks.once`) and runs
before the page, so every widget below sees the new state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

import ui
from ui import clicks
from ui.training_slot import lab_chunk

TICK_BUDGET_S = 0.12  # training time per tick, so a big data set cannot stall the page


@dataclass(frozen=True)
class Step:
    """One step button: its label, how many updates it takes, its icon (optional)."""

    label: str
    steps: int
    icon: str | None = None


@dataclass(frozen=True)
class Player:
    """One lab's player: widget keys start with `prefix`; the run lives at `run_key`."""

    prefix: str
    run_key: str
    steps: tuple[Step, ...]
    speed_label: str
    speeds: tuple[int, ...]
    speed_default: int
    widths: tuple[float, ...]  # columns: play, each step button, reset, speed

    @property
    def playing_key(self) -> str:
        return f"{self.prefix}_playing"

    @property
    def playing(self) -> bool:
        return st.session_state.get(self.playing_key, False)

    def stop_playing(self) -> None:
        st.session_state[self.playing_key] = False

    def controls(self, run, reset: Callable[[], None]) -> int:
        """Draw the transport for `run`; returns the chosen speed. `reset` makes a fresh run."""
        playing = self.playing
        columns = st.columns(list(self.widths), vertical_alignment="bottom")
        columns[0].button(
            "Pause" if playing else "Play",
            key=f"{self.prefix}_play",
            type="primary",
            width="stretch",
            icon=":material/pause:" if playing else ":material/play_arrow:",
            disabled=run.stopped and not playing,
            on_click=clicks.once(self._toggle),
        )
        for col, step in zip(columns[1:], self.steps, strict=False):
            col.button(
                step.label,
                key=f"{self.prefix}_step" + (str(step.steps) if len(self.steps) > 1 else ""),
                help=f"Train {step.steps} step(s)",
                icon=step.icon,
                width="stretch",
                disabled=run.stopped,
                on_click=clicks.once(self._step),
                args=(step.steps,),
            )
        columns[len(self.steps) + 1].button(
            "Reset",
            key=f"{self.prefix}_reset",
            icon=":material/restart_alt:",
            width="stretch",
            on_click=clicks.once(lambda: (reset(), self.stop_playing())),
        )
        with columns[len(self.steps) + 2]:
            return ui.select_slider(
                self.speed_label, f"{self.prefix}_speed", list(self.speeds), self.speed_default
            )

    def _toggle(self) -> None:
        st.session_state[self.playing_key] = not self.playing

    def _step(self, k: int) -> None:
        self.train(k)

    def train(self, k: int, budget_s: float | None = None) -> None:
        """Up to `k` updates now, through the scheduler (from a callback: it cannot draw)."""
        with lab_chunk(self.prefix, show_wait=False):  # a callback: it waits without words
            st.session_state[self.run_key].advance(k, budget_s=budget_s)
        self.stop_playing()

    def tick(self, steps: int) -> None:
        """In the fragment, while playing: train a chunk; at the run's end, stop the tick."""
        run = st.session_state[self.run_key]
        if not self.playing:
            return
        with lab_chunk(self.prefix):  # one scheduler for every training on the server
            run.advance(steps, budget_s=TICK_BUDGET_S)
        if run.stopped:
            self.stop_playing()
            st.rerun()  # the whole page, so the Play button and the timer reset

    def show(self, view: Callable, interval_s: float, *args) -> None:
        """Run `view(*args)` as a fragment that reruns every `interval_s` while playing."""
        st.fragment(view, run_every=interval_s if self.playing else None)(*args)
