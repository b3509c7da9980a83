"""The logistic lab's replay: a recorded run's decision surfaces, played in the browser.

Sent once per recording (a few hundred kB: one byte per grid cell per frame); playing,
pausing, the speed, the step buttons and the scrubber then run in the browser
(`surface_replay.js`) without a message to the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
_COMPONENT = st.components.v2.component(
    "explorer_surface_replay",
    js=(HERE / "common.js").read_text(encoding="utf-8")
    + (HERE / "surface_replay.js").read_text(encoding="utf-8"),
    css=(HERE / "surface_replay.css").read_text(encoding="utf-8"),
)


@dataclass(frozen=True)
class ReplayData:
    """Everything the player draws, JSON-ready (see `core.logreg.replay.encode_surfaces`)."""

    key: str  # changes with the recording: the player then starts at its first frame
    maps: str  # base64 of (F, G, G) bytes
    grid: int  # G
    steps: list[int]  # (F,) the step each frame shows
    loss: list[float]  # (F,) training loss at those steps
    accuracy: list[float]  # (F,)
    curve_steps: list[int]  # the whole loss curve, thinned
    curve_loss: list[float]
    bounds: tuple[float, float, float, float]  # x1_lo, x1_hi, x2_lo, x2_hi
    points: list[list[float]]  # [[x1, x2, class, is_test], ...]
    colors: list[str]  # class k's colour
    labels: dict
    big: bool = False
    height: int = 460
    autoplay: bool = False  # play now (once per `press`),
    start_step: int = 0  # from the first frame at or after this step
    press: int = 0
    # The network, run in the browser on each frame's parameters to draw every unit's map
    # and every link (`core.logreg.replay.network_spec`), and those parameters: base64 of
    # (F, P) little-endian float32.
    network: dict | None = None
    params: str = ""


def surface_replay(key: str, data: ReplayData) -> None:
    _COMPONENT(key=key, data=dict(data.__dict__))
