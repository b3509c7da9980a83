"""The logistic lab's replay: the recorded run played and scrubbed in the browser.

Built only while its expander is open, and once per run state: the recording (a byte per
grid cell per frame, a few hundred kB) is kept in the session until the run moves on, so
reopening the section or any other click does not rebuild it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from core import logreg, theme
from core.logreg.replay import build_replay, network_spec
from ui.components.surface_replay import ReplayData, surface_replay
from ui.playback import take_autoplay
from ui.presenter_mode import presenter
from ui.replays import replay_box

KEY, CACHE = "lr_replay", "lr_replay_data"
MAX_CURVE_POINTS = 400
LABELS = {
    "first": "|◀",
    "prev": "◀ 1",
    "play": "▶ Play",
    "pause": "❚❚ Pause",
    "next": "1 ▶",
    "last": "▶|",
    "speed": "Speed",
    "step": "step",
    "loss": "loss",
    "accuracy": "train accuracy",
    "inputs": "inputs",
    "layer": "layer",
    "output": "output",
    "aria": {
        "first": "First frame",
        "prev": "Previous frame",
        "play": "Play",
        "pause": "Pause",
        "next": "Next frame",
        "last": "Last frame",
        "scrub": "Step of the run",
    },
}


def _points(data) -> list[list[float]]:
    rows = []
    for x, y, test in ((data.x_train, data.y_train, 0), (data.x_test, data.y_test, 1)):
        xy = x.numpy().round(5).tolist()
        rows += [[a, b, int(k), test] for (a, b), k in zip(xy, y.tolist(), strict=True)]
    return rows


def _replay_data(run: logreg.Run) -> ReplayData:
    replay = build_replay(run.snapshots, run.model, run.step, run.data)
    history = run.history
    index = {int(s): i for i, s in enumerate(history["step"])}  # step -> history row
    rows = [index[int(s)] for s in replay.steps]
    n = len(history["step"])
    keep = np.unique(np.linspace(0, n - 1, min(n, MAX_CURVE_POINTS)).round().astype(int))
    (x_lo, x_hi), (y_lo, y_hi) = replay.bounds
    return ReplayData(
        key=f"{id(run)}:{run.step}:{len(run.edits)}",
        maps=replay.maps_base64(),
        grid=int(replay.maps.shape[1]),
        steps=[int(s) for s in replay.steps],
        loss=[float(history["train_loss"][r]) for r in rows],
        accuracy=[float(history["train_acc"][r]) for r in rows],
        curve_steps=[int(history["step"][i]) for i in keep],
        curve_loss=[float(history["train_loss"][i]) for i in keep],
        bounds=(x_lo, x_hi, y_lo, y_hi),
        points=_points(run.data),
        colors=[theme.class_color(k) for k in range(run.data.n_classes)],
        labels=LABELS,
        big=presenter(),
        height=560 if presenter() else 460,
        network=network_spec(run.model),
        params=replay.params_base64(),
    )


def _with_autoplay(data: ReplayData) -> ReplayData:
    """The recording, told to play from the step Play started at if Play was just pressed."""
    pressed = take_autoplay("lr")
    if pressed is None:
        return data
    start, press = pressed  # a new press number each time: the same run plays again too
    return replace(data, autoplay=True, start_step=start, press=press)


def _cached(run: logreg.Run) -> ReplayData:
    state = (run.step, len(run.edits), presenter())
    cached = st.session_state.get(CACHE)
    if cached is None or cached[0] is not run or cached[1] != state:
        cached = (run, state, _replay_data(run))  # the run itself is kept: an id can be reused
        st.session_state[CACHE] = cached
    return cached[2]


def replay_section(run: logreg.Run) -> None:
    box = replay_box(
        "Replay the run in your browser: play it, step it, or drag to any step", KEY, run.step
    )
    if box is None:
        return
    with box:
        data = _cached(run)
        st.caption(
            f"{len(data.steps)} frames of the run's {run.step:,} steps, sent once: playing, "
            "the step buttons and the slider work in your browser, without the server. The "
            "shaded regions are the model's prediction at that step (paler: less sure). Below, "
            "the network at that step, run in your browser: every unit's value over the "
            "plane (orange positive, blue negative) and every link (orange positive, blue "
            "negative, wider: larger)."
        )
        surface_replay("lr_replay_player", _with_autoplay(data))
