"""One colour-blind-safe look for every plotly figure in the explorer.

The palette is Okabe & Ito's (2008), distinguishable under the common colour
vision deficiencies; every figure builder takes its colours from here so a
class sees the same colour mean the same thing on every page.
"""

from __future__ import annotations

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

GRID = "#EBF0F8"
TRAIN_COLOR = PALETTE[0]
TEST_COLOR = PALETTE[1]
FIT_COLOR = PALETTE[5]
REFERENCE_COLOR = PALETTE[7]


def class_color(k: int) -> str:
    """The colour of class `k`, the same on every page."""
    return PALETTE[k % len(PALETTE)]


def style(fig, *, large: bool = False):
    """Apply the explorer's layout to `fig` in place and return it.

    `large` is presenter mode: bigger type and thicker lines for a projector.
    """
    base = 20 if large else 14
    # The look of plotly's "plotly_white", set directly: assigning the template itself
    # costs ~20 ms per figure (it is validated anew each time), which a ticking chart pays
    # several times a second for every student.
    fig.update_xaxes(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID)
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID)
    fig.update_layout(
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(PALETTE),
        font=dict(size=base),
        margin=dict(l=10, r=10, t=50 if large else 40, b=10),
        legend=dict(font=dict(size=base - 2)),
    )
    if large:
        fig.update_traces(selector=dict(type="scatter"), line=dict(width=4))
    return fig


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
