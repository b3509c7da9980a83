"""Plotly figures for the logistic-regression playground (data in, `go.Figure` out).

Colours come from `core.theme`: class k is `theme.class_color(k)` everywhere,
its region on the heat map a lighter tint of the same colour, and each class
also has its own marker shape so the plot reads without colour vision.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from core import theme
from core.logreg import (
    PlaygroundNet,
    Surface,
    boundary_line,
    linear_boundary,
    logits,
    probability_surface,
)
from core.logreg.data import Dataset
from core.untrusted import plot_text

SYMBOLS = (
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "cross",
    "x",
    "star",
    "pentagon",
    "hexagon",
    "triangle-down",
)
REGION_STRENGTH = 0.55  # how far a fully confident region goes from white to its class colour
BOUNDARY_NAME = "decision boundary"


def _rgb(hex_color: str) -> np.ndarray:
    h = hex_color.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def tint(hex_color: str, strength: float) -> str:
    """`hex_color` mixed with white: strength 0 is white, 1 the colour itself."""
    rgb = 255 + (_rgb(hex_color) - 255) * strength
    return "rgb({:.0f},{:.0f},{:.0f})".format(*rgb)


def _binary_scale() -> list:
    """p = 0 -> class 0's tint, 0.5 -> white, 1 -> class 1's tint."""
    c0, c1 = theme.class_color(0), theme.class_color(1)
    return [
        [0.0, tint(c0, REGION_STRENGTH)],
        [0.25, tint(c0, REGION_STRENGTH / 2)],
        [0.5, "rgb(255,255,255)"],
        [0.75, tint(c1, REGION_STRENGTH / 2)],
        [1.0, tint(c1, REGION_STRENGTH)],
    ]


def _class_scale(k: int) -> list:
    """Class c owns z in [c, c + 1) (scaled to [c/k, (c+1)/k)): lighter to stronger tint."""
    scale = []
    for c in range(k):
        color = theme.class_color(c)
        scale.append([c / k, tint(color, 0.08)])
        scale.append([(c + 1) / k - 1e-6, tint(color, REGION_STRENGTH)])
    scale[-1][0] = 1.0
    return scale


def region_codes(probs: np.ndarray, discretise: bool) -> np.ndarray:
    """(K, R, R) softmax -> (R, R) heat-map values: class index + confidence in [0, 0.98].

    floor(value) is the argmax class; the fraction grows from 0 at a tie among
    all K classes to 0.98 at certainty (fixed at 0.75 when discretised).
    """
    k = probs.shape[0]
    winner = probs.argmax(axis=0)  # (R, R)
    if discretise:
        return winner + 0.75
    confidence = (probs.max(axis=0) - 1.0 / k) / (1.0 - 1.0 / k)  # 0 at a K-way tie, 1 sure
    return winner + 0.98 * np.clip(confidence, 0.0, 1.0)


def _points(x: np.ndarray, y: np.ndarray, names, test: bool) -> list[dict]:
    """One marker trace per class: filled for training points, hollow for test points."""
    traces = []
    split = "test" if test else "train"
    for c, name in enumerate(names):
        mask = y == c
        if not mask.any():
            continue
        color = theme.class_color(c)
        traces.append(
            dict(
                type="scatter",
                x=x[mask, 0],
                y=x[mask, 1],
                mode="markers",
                name=f"class {name} ({split})",
                legendgroup=f"class{c}",
                marker=dict(
                    color=color,
                    symbol=SYMBOLS[c % len(SYMBOLS)] + ("-open" if test else ""),
                    size=9 if test else 8,
                    line=dict(color=color if test else "white", width=2 if test else 1),
                ),
                hovertemplate=f"class {name} ({split})<br>"
                "x1=%{x:.2f}, x2=%{y:.2f}<extra></extra>",
            )
        )
    return traces


def _normal_arrow(w1: float, w2: float, b: float, bounds) -> list[dict]:
    """w drawn from the boundary point nearest the view's centre: it points towards class 1."""
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    centre = np.array([(x_lo + x_hi) / 2, (y_lo + y_hi) / 2])
    w = np.array([w1, w2])
    norm2 = float(w @ w)
    if norm2 < 1e-18:
        return []
    foot = centre - (w @ centre + b) / norm2 * w  # projection of the centre onto the line
    if not (x_lo <= foot[0] <= x_hi and y_lo <= foot[1] <= y_hi):
        return []
    tip = foot + 0.2 * (x_hi - x_lo) * w / np.sqrt(norm2)
    return [
        dict(
            x=tip[0],
            y=tip[1],
            ax=foot[0],
            ay=foot[1],
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=3,
            arrowsize=1.2,
            arrowwidth=3,
            arrowcolor=theme.REFERENCE_COLOR,
            text="",
        ),
        dict(
            x=tip[0],
            y=tip[1],
            text=f"<b>w</b> = ({w1:.2f}, {w2:.2f})",
            showarrow=False,
            xanchor="left" if w1 >= 0 else "right",
            yanchor="bottom" if w2 >= 0 else "top",
            bgcolor="rgba(255,255,255,0.8)",
            font=dict(color=theme.REFERENCE_COLOR),
        ),
    ]


def _binary_layers(
    model: PlaygroundNet, s: Surface, data: Dataset, bounds, discretise: bool, show_normal: bool
) -> tuple[list[dict], list[dict]]:
    """Heat map of p(class 1) and the p = 0.5 boundary (exact line, or a contour)."""
    probs = s.probs.astype(np.float32)
    positive = data.class_names[1]
    heat = dict(
        type="heatmap",
        x=s.xs,
        y=s.ys,
        colorscale=_binary_scale(),
        name="p(class 1)",
        colorbar=dict(
            title=dict(text=f"p({positive})", side="right"),
            thickness=14,
            len=0.8,
            tickvals=[0, 0.25, 0.5, 0.75, 1],
        ),
    )
    if (
        discretise
    ):  # two flat colours: the predicted class as one byte a cell, shown at p = 0.1 / 0.9
        heat.update(
            z=(probs > 0.5).astype(np.uint8),
            zmin=-0.125,
            zmax=1.125,
            zsmooth=False,
            showscale=False,
            hovertemplate="x1=%{x:.2f}, x2=%{y:.2f}<br>predicted class %{z}"
            + (
                ""
                if data.class_names == ("0", "1")
                else f" (0 = {data.class_names[0]}, 1 = {positive})"
            )
            + "<extra></extra>",
        )
    else:
        heat.update(
            z=probs,
            zmin=0,
            zmax=1,
            zsmooth="best",
            hovertemplate="x1=%{x:.2f}, "
            "x2=%{y:.2f}<br>p(class " + positive + ")=%{z:.3f}<extra></extra>",
        )
    traces = [heat]
    annotations: list[dict] = []
    line = linear_boundary(model)
    if line is not None:
        pts = boundary_line(*line, *bounds)
        if pts is not None:
            traces.append(
                dict(
                    type="scatter",
                    x=pts[0],
                    y=pts[1],
                    mode="lines",
                    name=BOUNDARY_NAME,
                    line=dict(color=theme.REFERENCE_COLOR, width=3),
                    hoverinfo="skip",
                )
            )
        if show_normal:
            annotations = _normal_arrow(*line, bounds)
    elif 0 < s.probs.min() < 0.5 < s.probs.max():
        traces.append(
            dict(
                type="contour",
                x=s.xs,
                y=s.ys,
                z=probs,
                name=BOUNDARY_NAME,
                showscale=False,
                showlegend=True,
                contours=dict(start=0.5, end=0.5, size=1, coloring="none"),
                line=dict(color=theme.REFERENCE_COLOR, width=3),
                hoverinfo="skip",
            )
        )
    return traces, annotations


def _class_regions(s: Surface, data: Dataset, discretise: bool) -> dict:
    """Each point of the plane in the tint of its most probable class, paler where unsure."""
    k = s.probs.shape[0]
    winner = s.probs.argmax(axis=0)  # (R, R)
    trace = dict(
        type="heatmap",
        x=s.xs,
        y=s.ys,
        z=region_codes(s.probs, discretise).astype(np.float32),
        zmin=0,
        zmax=k,
        colorscale=_class_scale(k),
        showscale=False,
        zsmooth=False,
        name="regions",
        customdata=winner.astype(np.uint8),  # 1 byte a cell: this figure is resent on every tick
        hovertemplate="x1=%{x:.2f}, x2=%{y:.2f}<br>most likely: class %{customdata}<extra></extra>",
    )
    if data.class_names != tuple(str(c) for c in range(k)):  # an upload's own labels: name them
        trace["text"] = np.array(data.class_names, dtype=object)[winner]
        trace["hovertemplate"] = trace["hovertemplate"].replace("%{customdata}", "%{text}")
    return trace


SMOOTH_RESOLUTION = 64  # a smoothly interpolated heat map needs few cells (and few bytes per tick)
SHARP_RESOLUTION = 100  # flat regions are drawn cell by cell: finer, or the edges show steps


def surface_figure(
    model: PlaygroundNet,
    data: Dataset,
    *,
    resolution: int | None = None,
    discretise: bool = False,
    show_test: bool = True,
    show_normal: bool = True,
    surface: Surface | None = None,
) -> go.Figure:
    """The probability surface as a heat map with the data on top.

    Two classes: p(class 1) from class 0's tint through white (p = 0.5) to class
    1's, the boundary p = 0.5 as a line (the exact line for the plain linear
    model, with its weight vector as the normal), a contour otherwise.
    K classes: each point of the plane in the colour of its most probable
    class, paler where the model is unsure.
    Built as plain dicts in one validation pass: it is redrawn on every tick.
    """
    bounds = data.bounds()
    if resolution is None:
        smooth = model.binary and not discretise
        resolution = SMOOTH_RESOLUTION if smooth else SHARP_RESOLUTION
    s = surface or probability_surface(model, bounds, resolution)
    annotations: list[dict] = []
    if model.binary:
        traces, annotations = _binary_layers(model, s, data, bounds, discretise, show_normal)
    else:
        traces = [_class_regions(s, data, discretise)]
    traces += _points(data.x_train.numpy(), data.y_train.numpy(), data.class_names, test=False)
    if show_test and len(data.y_test):
        traces += _points(data.x_test.numpy(), data.y_test.numpy(), data.class_names, test=True)
    axis = dict(constrain="domain", showgrid=False, zeroline=False)
    layout = dict(
        height=600,
        title=dict(text=plot_text(data.title)),
        annotations=annotations,
        legend=dict(orientation="h", y=-0.12, x=0),
        xaxis=dict(range=list(bounds[0]), title=dict(text="x1"), **axis),
        yaxis=dict(
            range=list(bounds[1]), title=dict(text="x2"), scaleanchor="x", scaleratio=1, **axis
        ),
    )
    return go.Figure(data=traces, layout=layout)


def _thin(values: list[float], max_points: int) -> np.ndarray:
    """Indices of at most `max_points` evenly spread entries, always keeping the last."""
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def loss_ticks(values: np.ndarray) -> list[float] | None:
    """Log-axis ticks 1-2-5 per decade when the losses span a decade or more (plotly's own log
    ticks print bare digits between the powers of ten); None lets plotly label a narrow range."""
    finite = values[np.isfinite(values) & (values > 0)]
    if not finite.size or finite.max() / finite.min() < 10:
        return None
    return [m * 10.0**e for e in range(2, -7, -1) for m in (5, 2, 1)]


PINNED_COLOR = theme.PALETTE[3]  # reddish purple: a pinned run, as in the linear lab


def _pinned_traces(pinned, name: str, max_points: int) -> list[dict]:
    """A pinned run's training loss and accuracy, dotted purple (`core.logreg.compare`)."""
    h = pinned.history
    idx = _thin(list(h["step"]), max_points)
    return [
        dict(
            type="scatter",
            x=h["step"][idx],
            y=h[f"train_{metric}"][idx],
            mode="lines",
            name=name,
            legendgroup="pinned",
            showlegend=axis == "",
            xaxis="x" + axis,
            yaxis="y" + axis,
            line=dict(color=PINNED_COLOR, dash="dot", width=3),
        )
        for axis, metric in (("", "loss"), ("2", "acc"))
    ]


def curves_figure(
    history: dict[str, list[float]], max_points: int = 400, pinned=None, pinned_name: str = ""
) -> go.Figure:
    """Train and test loss (log scale) and accuracy against the step, side by side; a pinned
    run's training curves dotted beside them when given."""
    idx = _thin(history["step"], max_points)
    steps = np.asarray(history["step"])[idx]
    traces = []
    for axis, metric in (("", "loss"), ("2", "acc")):
        for split, color, dash in (
            ("train", theme.TRAIN_COLOR, "solid"),
            ("test", theme.TEST_COLOR, "dash"),
        ):
            values = np.asarray(history[f"{split}_{metric}"], dtype=float)[idx]
            if not np.isfinite(values).any():
                continue
            traces.append(
                dict(
                    type="scatter",
                    x=steps,
                    y=values,
                    mode="lines",
                    name=split,
                    legendgroup=split,
                    showlegend=axis == "",
                    xaxis="x" + axis,
                    yaxis="y" + axis,
                    line=dict(color=color, dash=dash, width=2.5),
                )
            )
    if pinned is not None:
        traces += _pinned_traces(pinned, pinned_name, max_points)
    step_axis = dict(title=dict(text="step"))
    losses = np.asarray(history["train_loss"] + history["test_loss"], dtype=float)
    if pinned is not None:
        losses = np.concatenate([losses, pinned.history["train_loss"]])
    ticks = loss_ticks(losses)
    layout = dict(
        height=360,
        legend=dict(orientation="h", y=-0.3, x=0.5, xanchor="center", yanchor="top"),
        xaxis=dict(domain=[0, 0.45], **step_axis),
        xaxis2=dict(domain=[0.55, 1], anchor="y2", **step_axis),
        yaxis=dict(
            type="log",
            tickvals=ticks,
            ticktext=None if ticks is None else [f"{t:g}" for t in ticks],
        ),
        yaxis2=dict(anchor="x2", range=[0, 1.02], tickformat=".0%"),
        annotations=[
            theme.panel_title("Loss (cross-entropy, log scale)", 0.225, 1.0),
            theme.panel_title("Accuracy", 0.775, 1.0),
        ],
    )
    return go.Figure(data=traces, layout=layout)


def confusion_figure(counts: np.ndarray, class_names: tuple[str, ...], title: str) -> go.Figure:
    """Counts as a heat map: row = true class, column = predicted class."""
    labels = list(class_names)
    trace = dict(
        type="heatmap",
        z=counts,
        x=labels,
        y=labels,
        colorscale=theme.SEQUENTIAL,
        showscale=False,
        texttemplate="%{z}",
        textfont=dict(size=16),
        hovertemplate="true class %{y}, predicted %{x}: %{z}<extra></extra>",
    )
    layout = dict(
        height=330,
        title=dict(text=title),
        xaxis=dict(title=dict(text="predicted class"), side="bottom", type="category"),
        yaxis=dict(title=dict(text="true class"), autorange="reversed", type="category"),
    )
    return go.Figure(data=[trace], layout=layout)


def sigmoid(z):
    """1 / (1 + e^-z), for numbers and arrays."""
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_figure(
    z: float, model: PlaygroundNet | None = None, data: Dataset | None = None
) -> go.Figure:
    """sigma(z) = 1 / (1 + e^-z) with the chosen logit marked; for a two-class `model`, also
    the training points at their own logits (clipped to the plotted range), coloured by class."""
    grid = np.linspace(-8, 8, 321)
    traces = [
        dict(
            type="scatter",
            x=grid,
            y=sigmoid(grid),
            mode="lines",
            name="σ(z)",
            line=dict(color=theme.REFERENCE_COLOR, width=3),
            hoverinfo="skip",
        )
    ]
    if model is not None and data is not None and model.binary:
        z_points = logits(model, data.x_train)  # (N,)
        labels = data.y_train.numpy()
        for c in (0, 1):
            zc = np.clip(z_points[labels == c], -8, 8)
            traces.append(
                dict(
                    type="scatter",
                    x=zc,
                    y=sigmoid(zc),
                    mode="markers",
                    name=f"class {data.class_names[c]} points",
                    marker=dict(
                        color=theme.class_color(c), symbol=SYMBOLS[c], size=7, opacity=0.55
                    ),
                    hovertemplate="z=%{x:.2f}, p=%{y:.2f}<extra></extra>",
                )
            )
    traces.append(
        dict(
            type="scatter",
            x=[z],
            y=[sigmoid(z)],
            mode="markers+text",
            name="your z",
            marker=dict(color=theme.FIT_COLOR, size=14, line=dict(color="white", width=2)),
            text=[f"σ({z:g}) = {sigmoid(z):.3f}"],
            textposition="middle right",
            hoverinfo="skip",
        )
    )
    guide = dict(color=theme.PALETTE[8], dash="dot")
    layout = dict(
        height=320,
        title=dict(text="Sigmoid: logit to probability"),
        showlegend=False,
        xaxis=dict(title=dict(text="logit z = w·φ(x) + b"), range=[-8.3, 8.3]),
        yaxis=dict(title=dict(text="p = σ(z)"), range=[-0.05, 1.05]),
        shapes=[
            dict(type="line", xref="paper", x0=0, x1=1, y0=0.5, y1=0.5, line=guide),
            dict(type="line", yref="paper", y0=0, y1=1, x0=0, x1=0, line=guide),
        ],
    )
    return go.Figure(data=traces, layout=layout)


def bce_figure(p: float) -> go.Figure:
    """Binary cross-entropy against the predicted p(class 1): -log p if the truth is 1,
    -log(1 - p) if it is 0; the chosen p marked on both."""
    grid = np.linspace(0.001, 0.999, 400)
    fig = go.Figure()
    for c, loss, label in (
        (1, -np.log(grid), "true class 1: -log p"),
        (0, -np.log(1 - grid), "true class 0: -log(1 - p)"),
    ):
        fig.add_trace(
            go.Scatter(
                x=grid,
                y=loss,
                mode="lines",
                name=label,
                line=dict(color=theme.class_color(c), width=3),
            )
        )
    p = float(np.clip(p, 0.001, 0.999))
    fig.add_trace(
        go.Scatter(
            x=[p, p],
            y=[-np.log(p), -np.log(1 - p)],
            mode="markers+text",
            marker=dict(color=theme.FIT_COLOR, size=12, line=dict(color="white", width=2)),
            text=[f"{-np.log(p):.2f}", f"{-np.log(1 - p):.2f}"],
            textposition="top center",
            showlegend=False,
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(title="predicted p(class 1)", range=[0, 1])
    fig.update_yaxes(title="loss", range=[0, 7])
    fig.update_layout(
        height=320,
        title="Binary cross-entropy against p",
        legend=dict(
            x=0.5, y=0.97, xanchor="center", yanchor="top", bgcolor="rgba(255,255,255,0.85)"
        ),
    )
    return fig
