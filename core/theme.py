"""One colour-blind-safe look for every plotly figure in the explorer.

The palette is Okabe & Ito's (2008), distinguishable under the common colour
vision deficiencies; every figure builder takes its colours from here so a
class sees the same colour mean the same thing on every page.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.colors
import plotly.graph_objects as go

# Okabe-Ito, reordered so the first two (the two-class colours) differ most.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
    "#999999",  # grey
    "#7F3C8D",  # purple (extra, for a tenth class)
)

# Diverging scale for signed quantities (weights, gradients): blue - white - orange.
DIVERGING: list[list[float | str]] = [[0.0, "#0072B2"], [0.5, "#FFFFFF"], [1.0, "#D55E00"]]
# Sequential scale for magnitudes and probabilities (perceptually uniform).
SEQUENTIAL = "Cividis"


def _named_scale(name: str) -> list[list[float | str]]:
    """A named plotly colour scale as the list plotly's validation makes of it."""
    colors = getattr(plotly.colors.sequential, name)
    return [[i / (len(colors) - 1), c] for i, c in enumerate(colors)]


# SEQUENTIAL written out, for figures built without validation (see `figure`).
SEQUENTIAL_SCALE = _named_scale(SEQUENTIAL)

GRID = "#EBF0F8"
TRAIN_COLOR = PALETTE[0]
TEST_COLOR = PALETTE[1]
FIT_COLOR = PALETTE[5]
REFERENCE_COLOR = PALETTE[7]


def class_color(k: int) -> str:
    """The colour of class `k`, the same on every page."""
    return PALETTE[k % len(PALETTE)]


def figure(
    data: Sequence[dict] = (), layout: dict | None = None, frames: Sequence[dict] = ()
) -> go.Figure:
    """A figure from plain trace dicts (each with its "type") and a plain layout dict.

    Built without plotly's per-property validation (`_validate=False`, a keyword of
    plotly's `BaseFigure`): validating every property path of a figure costs 10-60 ms
    of server CPU per figure, paid on every click by every student of a class, where
    building from dicts costs a few. Nothing checks the names, so the unit tests
    (tests/unit/test_light_figures.py) run every builder's output through plotly's full
    validation instead: a misspelt property fails there, not in a student's browser.
    """
    spec = {"data": list(data), "layout": layout or {}}
    if frames:  # an animation the browser plays (see core.linreg.figures.replay_figure)
        spec["frames"] = list(frames)
    return go.Figure(spec, _validate=False)


def _tree_copy(value):
    """Nested dicts and lists copied, every other value shared."""
    if isinstance(value, dict):
        return {k: _tree_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tree_copy(v) for v in value]
    return value


def _merge(into: dict, new: dict) -> dict:
    """`update_layout`'s merge: nested dicts merge, every other value given replaces."""
    for k, v in new.items():
        old = into.get(k)
        if isinstance(v, dict) and isinstance(old, dict):
            _merge(old, v)
        else:
            into[k] = v
    return into


def style(fig: go.Figure, *, large: bool = False) -> go.Figure:
    """The explorer's look applied to `fig`: returns a new figure (use the return value).

    `large` is presenter mode: bigger type and thicker lines for a projector.
    Merged into the figure's dict rather than through `update_layout` / `update_xaxes`
    (which validate each property path, 7-10 ms a figure); the result is the same.
    """
    # The figure's own property dicts (plotly keeps them as `_data` and `_layout`), copied
    # down to the leaves but sharing them (arrays, strings): `to_dict` would deep-copy every
    # array, and the builder's figure must stay as it was.
    d = {"data": _tree_copy(fig._data), "layout": _tree_copy(fig._layout)}
    layout = d["layout"]
    base = 20 if large else 14
    # The look of plotly's "plotly_white", set directly: assigning the template itself
    # costs ~20 ms per figure (it is validated anew each time), which a ticking chart pays
    # several times a second for every student.
    axis = dict(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID)
    for prefix in ("xaxis", "yaxis"):  # every axis, as update_xaxes/update_yaxes did
        for key in [prefix] + [k for k in layout if k.startswith(prefix) and k != prefix]:
            ax = layout.get(key)
            layout[key] = {**ax, **axis} if isinstance(ax, dict) else dict(axis)
    _merge(
        layout,
        dict(
            paper_bgcolor="white",
            plot_bgcolor="white",
            colorway=list(PALETTE),
            font=dict(size=base),
            margin=dict(l=10, r=10, t=50 if large else 40, b=10),
            legend=dict(font=dict(size=base - 2)),
        ),
    )
    data = d.get("data", [])
    if large:
        for trace in data:
            if trace.get("type") == "scatter":
                trace["line"] = {**(trace.get("line") or {}), "width": 4}
    frames = [frame.to_plotly_json() for frame in fig.frames]
    return figure(data, layout, frames)


def panel_title(text: str, x: float, y: float) -> dict:
    """A plotly annotation that titles one panel of a multi-panel figure, centred above it."""
    return dict(
        text=text,
        x=x,
        y=y,
        xref="paper",
        yref="paper",
        xanchor="center",
        yanchor="bottom",
        showarrow=False,
    )
