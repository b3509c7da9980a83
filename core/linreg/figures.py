"""Plotly figures of the linear regression lab: data and fits, loss, residuals, landscape.

Builders take plain arrays and return a `go.Figure`; they know nothing of
trainers or pages. Colours come from `core.theme`. Long runs are thinned to
at most `MAX_CURVE_POINTS` points per line and big data sets to
`MAX_SCATTER_POINTS` dots, so a figure stays small enough to redraw several
times a second.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image

from core import linreg, theme
from core.linreg import LabRun, Landscape
from core.linreg.compare import PinnedRun
from core.untrusted import plot_text

MAX_CURVE_POINTS = 1500
MAX_SCATTER_POINTS = 2000
MAX_PATH_POINTS = 500  # per optimizer path on the landscape (drawn twice: halo and line)
HAND_COLOR = theme.PALETTE[2]  # bluish green: the by-hand trainer everywhere
TORCH_COLOR = theme.FIT_COLOR  # vermillion: the PyTorch trainer everywhere
EXACT_COLOR = theme.REFERENCE_COLOR  # black: the closed-form least-squares answer
PINNED_COLOR = theme.PALETTE[3]  # reddish purple: a pinned run, drawn beside the new one


@dataclass(frozen=True)
class Line:
    """One named line to draw: x and y arrays, colour, dash style."""

    name: str
    x: np.ndarray
    y: np.ndarray
    color: str
    dash: str = "solid"
    width: float = 3


def finite(values) -> np.ndarray:
    """float64 copy with inf replaced by NaN (plotly draws NaN as a gap)."""
    v = np.asarray(values, dtype=np.float64).copy()
    v[~np.isfinite(v)] = np.nan
    return v


def thin(n: int, limit: int = MAX_CURVE_POINTS) -> np.ndarray:
    """Indices of at most `limit` evenly spaced points of `n`, always keeping the last."""
    if n <= limit:
        return np.arange(n)
    idx = np.linspace(0, n - 1, limit).round().astype(int)
    return np.unique(idx)


def sample(n: int, limit: int = MAX_SCATTER_POINTS, seed: int = 0) -> np.ndarray:
    """A fixed random subset of at most `limit` of `n` points (all when n <= limit)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def _points(x, y, name: str, color: str, symbol: str = "circle") -> dict:
    x, y = np.asarray(x), np.asarray(y)
    keep = sample(x.size)
    shown = name if keep.size == x.size else f"{name} ({keep.size:,} of {x.size:,} shown)"
    return dict(
        type="scatter",
        x=_small(x[keep]),
        y=_small(finite(y[keep])),
        mode="markers",
        name=shown,
        marker=dict(
            color=color, size=7, opacity=0.75, symbol=symbol, line=dict(width=0.5, color="white")
        ),
    )


def _small(values: np.ndarray) -> np.ndarray:
    """float32 for the browser: half the bytes of float64, and finer than any screen pixel.

    What float32 cannot hold (a diverging fit beyond 3e38) becomes NaN, a gap, like inf.
    """
    with np.errstate(over="ignore"):
        v = np.asarray(values, dtype=np.float32)
    if not np.isfinite(v).all():
        v = np.where(np.isfinite(v), v, np.float32(np.nan))
    return v


def _line(line: Line, limit: int = MAX_CURVE_POINTS, **kw) -> dict:
    keep = thin(np.asarray(line.x).size, limit)
    return dict(
        type="scatter",
        x=_small(np.asarray(line.x)[keep]),
        y=_small(finite(line.y)[keep]),
        mode="lines",
        name=line.name,
        line=dict(color=line.color, dash=line.dash, width=line.width),
        **kw,
    )


# Figures are built in one go (traces and layout as dicts, one validation pass):
# several times cheaper than add_trace/update_layout calls, and every animation tick builds four.
BOTTOM_LEGEND = dict(orientation="h", yanchor="top", y=-0.15, x=0)


def fit_figure(
    x_train,
    y_train,
    x_test,
    y_test,
    lines: list[Line],
    x_name: str = "x",
    y_name: str = "y",
    title: str = "Data and fitted lines",
) -> go.Figure:
    """Scatter of the data (train, and test when given) with fitted lines on top."""
    traces = [_points(x_train, y_train, "training data", theme.TRAIN_COLOR)]
    if np.asarray(x_test).size:
        traces.append(_points(x_test, y_test, "test data", theme.TEST_COLOR, "diamond"))
    traces += [_line(line) for line in lines]
    data_y = np.concatenate(
        [np.asarray(y_train, dtype=np.float64), np.asarray(y_test, dtype=np.float64)]
    )
    lo, hi = float(data_y.min()), float(data_y.max())
    pad = 0.15 * (hi - lo or 1.0)
    # The y range follows the data, not the lines: a diverging fit must not squash the points.
    return go.Figure(
        data=traces,
        layout=dict(
            title=dict(text=title),
            xaxis=dict(title=dict(text=plot_text(x_name))),
            height=440,
            legend=BOTTOM_LEGEND,
            yaxis=dict(title=dict(text=plot_text(y_name)), range=[lo - pad, hi + pad]),
        ),
    )


def loss_figure(
    losses: list[Line], distances: list[Line] = (), log_y: bool = False, x_title: str = "step"
) -> go.Figure:
    """Loss per step (top) and, when given, distance to the closed form (bottom, log scale)."""
    traces = [_line(line) for line in losses]
    traces += [_line(line, xaxis="x2", yaxis="y2", showlegend=False) for line in distances]
    top = [0.46, 1.0] if distances else [0.0, 1.0]
    layout = dict(
        height=440,
        legend=dict(BOTTOM_LEGEND, y=-0.18),
        xaxis=dict(
            anchor="y", showticklabels=not distances, title=dict(text="" if distances else x_title)
        ),
        yaxis=dict(domain=top, type="log" if log_y else "linear"),
        annotations=[theme.panel_title("Mean squared error", 0.5, 1.0)],
    )
    if distances:
        layout.update(
            xaxis2=dict(anchor="y2", matches="x", title=dict(text=x_title)),
            yaxis2=dict(domain=[0.0, 0.32], type="log", dtick=_log_dtick(distances)),
        )
        layout["annotations"].append(
            theme.panel_title("Distance of (w, b) to least squares", 0.5, 0.32)
        )
    return go.Figure(data=traces, layout=layout)


def _log_dtick(lines: list[Line]) -> int | str:
    """Tick spacing for a short log axis: powers of ten over several decades, else 1-2-5."""
    values = np.concatenate([finite(line.y) for line in lines])
    values = values[np.isfinite(values) & (values > 0)]
    return 1 if values.size and values.max() > 20 * values.min() else "D2"


def residual_figure(
    x_train,
    res_train,
    x_test=(),
    res_test=(),
    r2_train: float = np.nan,
    r2_test: float = np.nan,
    x_name: str = "x",
) -> go.Figure:
    """Residuals (y - prediction) against x, with R^2 in the title."""
    traces = [_points(x_train, finite(res_train), "training residuals", theme.TRAIN_COLOR)]
    if np.asarray(x_test).size:
        traces.append(
            _points(x_test, finite(res_test), "test residuals", theme.TEST_COLOR, "diamond")
        )
    title = f"Residuals (R² train {linreg.r2_text(r2_train)}"
    title += f", test {linreg.r2_text(r2_test)})" if np.asarray(x_test).size else ")"
    zero = dict(
        type="line",
        xref="paper",
        x0=0,
        x1=1,
        y0=0,
        y1=0,
        line=dict(color=EXACT_COLOR, width=1.5, dash="dash"),
    )
    return go.Figure(
        data=traces,
        layout=dict(
            title=dict(text=title),
            xaxis=dict(title=dict(text=plot_text(x_name))),
            shapes=[zero],
            height=440,
            yaxis=dict(title=dict(text="y − prediction")),
            legend=BOTTOM_LEGEND,
        ),
    )


def log_excess(land: Landscape) -> np.ndarray:
    """log10 of the loss above its minimum, (Gb, Gw) float32 (half the bytes sent).

    Four decades of colour below the window's highest loss: enough rings to read the
    valley's shape, without spending the whole colour scale on the tiny pit at the minimum.
    """
    excess = land.loss - land.minimum
    floor = max(1e-4 * float(excess.max()), 1e-12)
    return np.log10(np.maximum(excess, 0) + floor).astype(np.float32)


def landscape_figure(
    land: Landscape,
    paths: list[Line],
    optimum: tuple[float, float],
    w_name: str = "w",
    b_name: str = "b",
) -> go.Figure:
    """Contours of the loss over (w, b) with each optimizer's path drawn on top.

    Colour is log10 of the loss above its minimum: the valleys of a quadratic
    loss show as nested ellipses, round when the features are standardised and
    long and thin when they are not.
    """
    z = log_excess(land)
    lo, hi = int(np.floor(z.min())), int(np.ceil(z.max()))
    ticks = list(range(lo, hi + 1, max(1, (hi - lo) // 6)))
    traces = [
        dict(
            type="contour",
            x=land.w,
            y=land.b,
            z=z,
            colorscale=theme.SEQUENTIAL,
            ncontours=20,
            customdata=land.loss.astype(np.float32),
            contours=dict(coloring="heatmap", showlines=True),
            line=dict(width=0.5, color="white"),
            name="loss",
            colorbar=dict(
                title=dict(text="loss above<br>minimum", side="top"),
                tickvals=ticks,
                ticktext=[f"{10.0**t:.0e}" if abs(t) > 2 else f"{10.0**t:g}" for t in ticks],
            ),
            hovertemplate=f"{w_name}=%{{x:.3g}}<br>{b_name}=%{{y:.3g}}<br>loss=%{{customdata:.4g}}<extra></extra>",
        )
    ]
    drawn = [_line(path, MAX_PATH_POINTS) for path in paths]
    # White halos under all paths first keep them visible on dark and light contours alike,
    # without one path's halo hiding the path below it.
    traces += [
        dict(
            d,
            name="",
            showlegend=False,
            hoverinfo="skip",
            line=dict(color="white", width=p.width + 3),
        )
        for d, p in zip(drawn, paths, strict=True)
    ]
    traces += drawn
    traces += [
        dict(
            type="scatter",
            x=d["x"][-1:],
            y=d["y"][-1:],
            mode="markers",
            showlegend=False,
            hovertemplate=f"{p.name} now<extra></extra>",
            marker=dict(color=p.color, size=13, line=dict(color="white", width=2)),
        )
        for d, p in zip(drawn, paths, strict=True)
        if d["x"].size
    ]
    traces.append(
        dict(
            type="scatter",
            x=[optimum[0]],
            y=[optimum[1]],
            mode="markers",
            name="least squares",
            marker=dict(
                symbol="star", size=18, color=EXACT_COLOR, line=dict(color="white", width=1.5)
            ),
        )
    )
    title = "Loss landscape and the optimizers' paths"
    if land.is_slice:
        title += "<br><sup>a slice: higher-degree weights held at their least-squares values</sup>"
    return go.Figure(
        data=traces,
        layout=dict(
            title=dict(text=title),
            height=480,
            legend=BOTTOM_LEGEND,
            xaxis=dict(title=dict(text=w_name), range=[land.w[0], land.w[-1]]),
            # Same scale on both axes, so a round valley looks round.
            yaxis=dict(
                title=dict(text=b_name),
                range=[land.b[0], land.b[-1]],
                scaleanchor="x",
                scaleratio=1,
            ),
        ),
    )


# ---- all figures of a lab run -------------------------------------------------------


@dataclass(frozen=True)
class Pinned:
    """A pinned run to draw beside the current one, its legend name, and how comparable
    it is (`core.linreg.compare.comparison`)."""

    run: PinnedRun
    name: str
    comparison: str


def _pinned_lines(pinned: Pinned | None) -> dict[str, list[Line]]:
    """The pinned run's fit, loss and path, each only where it shares the figure's axes."""
    if pinned is None or pinned.comparison == "other data":
        return {"fit": [], "loss": [], "path": []}
    r, name = pinned.run, pinned.name
    lines = {
        "fit": [Line(name, r.fit_x, r.fit_y, PINNED_COLOR, "dot", 4)],
        "loss": [Line(f"{name}, train", r.steps, r.train_loss, PINNED_COLOR, "dot", 3)],
        "path": [],
    }
    if pinned.comparison == "same":
        lines["path"] = [Line(name, r.path[:, 0], r.path[:, 1], PINNED_COLOR, "dot", 3)]
    return lines


def _segment_marks(run: LabRun) -> list[dict]:
    """A dashed vertical line on the loss chart where the learning rate or optimizer changed."""
    return [
        dict(
            type="line",
            xref="x",
            yref="paper",
            x0=step,
            x1=step,
            y0=0,
            y1=1,
            line=dict(color="#777777", dash="dash", width=1.5),
        )
        for step, _, _ in run.segments[1:]
    ]


def lab_figures(
    run: LabRun, log_y: bool = False, pinned: Pinned | None = None
) -> dict[str, go.Figure]:
    """The page's four figures for `run` as it stands: fit, loss, residuals, landscape.

    By hand is a wide solid green line, PyTorch a dashed red one on top: where the two
    trainers agree (plain SGD) both stay visible, at any line width. A pinned run is drawn
    dotted in purple where it shares the axes; dashed lines on the loss chart mark where
    the learning rate or optimizer changed.
    """
    extra = _pinned_lines(pinned)
    p, data = run.problem, run.problem.data
    w_star, b_star = run.solution
    hand, pt = run.hand.last, run.torch.last
    x_all = torch.cat([data.x_train, data.x_test])
    grid = torch.linspace(float(x_all.min()), float(x_all.max()), 200, dtype=torch.float64)
    gx = grid.numpy()
    fit_lines = [
        Line(
            "least squares (lstsq)",
            gx,
            linreg.predict(p, w_star, b_star, grid),
            EXACT_COLOR,
            "dot",
            3,
        ),
        Line(
            run.hand.name, gx, linreg.predict(p, hand.weights, hand.bias, grid), HAND_COLOR, width=7
        ),
        Line(
            run.torch.name, gx, linreg.predict(p, pt.weights, pt.bias, grid), TORCH_COLOR, "dash", 3
        ),
        *extra["fit"],
    ]
    steps = {t: np.arange(t.steps + 1) for t in (run.hand, run.torch)}
    losses = [
        Line("By hand, train", steps[run.hand], run.hand.series("train_loss"), HAND_COLOR, width=6),
        Line(
            "PyTorch, train",
            steps[run.torch],
            run.torch.series("train_loss"),
            TORCH_COLOR,
            "dash",
            2.5,
        ),
    ]
    if data.has_test:
        losses += [
            Line(
                "By hand, test", steps[run.hand], run.hand.series("test_loss"), HAND_COLOR, "dot", 4
            ),
            Line(
                "PyTorch, test",
                steps[run.torch],
                run.torch.series("test_loss"),
                TORCH_COLOR,
                "dashdot",
                2.5,
            ),
        ]
    losses += extra["loss"]
    styles = ((run.hand, HAND_COLOR, "solid", 6), (run.torch, TORCH_COLOR, "dash", 2.5))
    distances = [
        Line(t.name, steps[t], run.distance_to_closed_form(t), c, d, wd) for t, c, d, wd in styles
    ]
    matrices = {t: t.param_matrix() for t, *_ in styles}  # (T, d + 1): w1..wd, b
    paths = [
        Line(t.name, matrices[t][:, 0], matrices[t][:, -1], c, d, wd) for t, c, d, wd in styles
    ] + extra["path"]
    res_train = data.y_train.numpy() - linreg.predict(p, pt.weights, pt.bias, data.x_train)
    res_test = data.y_test.numpy() - linreg.predict(p, pt.weights, pt.bias, data.x_test)
    w_name = "w" if p.degree == 1 else "w₁ (weight of x)"
    if p.standardise:
        w_name += ", on standardised x"
    x_title = "step" if run.torch_cfg.batches_per_epoch(p.n) == 1 else "step (mini-batch updates)"
    loss = loss_figure(losses, distances, log_y=log_y, x_title=x_title)
    loss.layout.shapes = _segment_marks(run)
    return {
        "fit": fit_figure(
            data.x_train.numpy(),
            data.y_train.numpy(),
            data.x_test.numpy(),
            data.y_test.numpy(),
            fit_lines,
            data.x_name,
            data.y_name,
        ),
        "loss": loss,
        "residuals": residual_figure(
            data.x_train.numpy(),
            res_train,
            data.x_test.numpy(),
            res_test,
            linreg.r_squared(data.y_train.numpy(), data.y_train.numpy() - res_train),
            linreg.r_squared(data.y_test.numpy(), data.y_test.numpy() - res_test),
            data.x_name,
        ),
        "landscape": landscape_figure(
            run.landscape, paths, (float(w_star[0]), b_star), w_name, "b"
        ),
    }


# ---- a run replayed in the browser -----------------------------------------------------

REPLAY_FPS = 60  # the frame rate asked of plotly.js (it draws about 45 a second on this machine)


def _animate(frame_ms: float) -> dict:
    """plotly.js animation options: `frame_ms` a frame, scatter traces moved in place."""
    return dict(
        frame=dict(duration=frame_ms, redraw=False),
        transition=dict(duration=0),
        mode="immediate",
    )


def _replay_buttons() -> dict:
    """Play, slow motion and pause: plotly.js runs them, not the server.

    Frames move scatter traces only (`redraw=False`, plotly.js's fast path): the landscape
    behind them is a picture (`_landscape_image`), because plotly.js drops a contour trace
    from the subplot at the first such frame, and a full redraw per frame drew 16 frames a
    second here instead of about 45.
    """
    play, slow = (dict(_animate(ms / REPLAY_FPS), fromcurrent=True) for ms in (1000, 5000))
    return dict(
        type="buttons",
        direction="left",
        showactive=False,
        x=0,
        xanchor="left",
        y=-0.13,
        yanchor="top",
        pad=dict(t=0, r=10),
        font=dict(size=15),
        buttons=[
            dict(label="▶ Play", method="animate", args=[None, play]),
            dict(label="Slow motion", method="animate", args=[None, slow]),
            dict(label="❚❚ Pause", method="animate", args=[[None], _animate(0)]),
        ],
    )


def _landscape_image(z: np.ndarray, land: Landscape) -> dict:
    """The loss landscape (log scale `z`, rows are b) as a picture under the axes x2/y2."""
    stops = np.array([float(p) for p, _ in theme.SEQUENTIAL_SCALE])
    rgb = np.array([[int(c[k : k + 2], 16) for k in (1, 3, 5)] for _, c in theme.SEQUENTIAL_SCALE])
    t = (z - z.min()) / (float(np.ptp(z)) or 1.0)  # (Gb, Gw) in [0, 1]
    pixels = np.stack([np.interp(t, stops, rgb[:, c]) for c in range(3)], -1)
    picture = Image.fromarray(pixels[::-1].round().astype(np.uint8)).resize(
        (4 * z.shape[1], 4 * z.shape[0]), Image.BILINEAR
    )  # rows flipped: an image's first row is its top, the largest b
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return dict(
        source="data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(),
        xref="x2",
        yref="y2",
        x=float(land.w[0]),
        y=float(land.b[-1]),
        sizex=float(land.w[-1] - land.w[0]),
        sizey=float(land.b[-1] - land.b[0]),
        sizing="stretch",
        layer="below",
    )


def _pinned_replay_traces(pinned: Pinned | None) -> dict[str, list[dict]]:
    """The pinned run in the replay, drawn still (as it ended), dotted purple: its final fit,
    its loss curve (axes x3/y3) and, on the same features only, its path (x2/y2)."""
    lines = _pinned_lines(pinned)
    loss = [dict(_line(ln), showlegend=False, xaxis="x3", yaxis="y3") for ln in lines["loss"]]
    path = [
        dict(_line(ln, MAX_PATH_POINTS), showlegend=False, hoverinfo="skip", xaxis="x2", yaxis="y2")
        for ln in lines["path"]
    ]
    return {"fit": [_line(ln) for ln in lines["fit"]], "path": path, "loss": loss}


def replay_figure(run: LabRun, replay, pinned: Pinned | None = None) -> go.Figure:
    """The fit, the landscape and the loss of a recorded run, as one figure with frames.

    The browser plays the frames (at `REPLAY_FPS`) and the slider scrubs to any of them, with
    no message to the server. Static traces come first; each frame moves the two fitted
    curves, and a marker per trainer on the landscape and on the loss curve (frames name the
    traces they move by index: `moving`). A `pinned` run is drawn still, dotted purple, where
    it shares the axes (`_pinned_lines`): its final fit, its loss and, on the same features,
    its path.
    """
    still = _pinned_replay_traces(pinned)
    p, data = run.problem, run.problem.data
    w_star, b_star = run.solution
    styles = {  # colour, dash, width per trainer
        run.hand.name: (HAND_COLOR, "solid", 7),
        run.torch.name: (TORCH_COLOR, "dash", 3),
    }
    traces = [
        _points(data.x_train.numpy(), data.y_train.numpy(), "training data", theme.TRAIN_COLOR)
    ]
    if data.has_test:
        traces.append(
            _points(
                data.x_test.numpy(), data.y_test.numpy(), "test data", theme.TEST_COLOR, "diamond"
            )
        )
    exact = linreg.predict(p, w_star, b_star, torch.as_tensor(replay.grid))
    traces.append(_line(Line("least squares (lstsq)", replay.grid, exact, EXACT_COLOR, "dot", 3)))
    traces += still["fit"]  # under the moving fits
    first = 0  # the frame shown before Play: the start
    moving: list[int] = []  # indices of the traces the frames move, in frame order
    for t in replay.traces:
        color, dash, width = styles[t.name]
        moving.append(len(traces))
        traces.append(
            dict(
                _line(Line(t.name, replay.grid, t.fit[first], color, dash, width)),
                x=_small(replay.grid),
            )
        )
    land = run.landscape
    background = _landscape_image(log_excess(land), land)
    curves = []
    for trace in (run.hand, run.torch):
        color, dash, width = styles[trace.name]
        path = trace.param_matrix()
        keep = thin(len(path), MAX_PATH_POINTS)
        traces.append(
            dict(
                _line(
                    Line(trace.name, path[keep, 0], path[keep, -1], color, dash, max(2, width - 4))
                ),
                showlegend=False,
                hoverinfo="skip",
                xaxis="x2",
                yaxis="y2",
            )
        )
        curves.append(
            dict(
                _line(
                    Line(
                        trace.name,
                        np.arange(trace.steps + 1),
                        trace.series("train_loss"),
                        color,
                        dash,
                        max(2, width - 4),
                    )
                ),
                showlegend=False,
                xaxis="x3",
                yaxis="y3",
            )
        )
    traces.append(
        dict(
            type="scatter",
            x=[float(w_star[0])],
            y=[b_star],
            mode="markers",
            name="least squares",
            showlegend=False,
            marker=dict(
                symbol="star", size=18, color=EXACT_COLOR, line=dict(color="white", width=1.5)
            ),
            xaxis="x2",
            yaxis="y2",
        )
    )
    traces += still["path"] + curves + still["loss"]

    def markers(t, k: int) -> list[dict]:
        """The trainer's place at frame k: on the landscape, then on the loss curve."""
        w, b = _small(t.params[k, [0, -1]]).tolist()  # NaN (no marker) once beyond float32
        return [
            dict(x=[w], y=[b]),
            dict(x=[int(replay.steps[k])], y=_small(t.train_loss[k : k + 1]).tolist()),
        ]

    for t in replay.traces:
        color, _, _ = styles[t.name]
        for axes, at in zip((("x2", "y2"), ("x3", "y3")), markers(t, first), strict=True):
            moving.append(len(traces))
            traces.append(
                dict(
                    at,
                    type="scatter",
                    mode="markers",
                    showlegend=False,
                    hovertemplate=f"{t.name}<extra></extra>",
                    marker=dict(color=color, size=14, line=dict(color="white", width=2)),
                    xaxis=axes[0],
                    yaxis=axes[1],
                )
            )
    frames = []
    for k, step in enumerate(replay.steps):
        moved = [dict(y=_small(t.fit[k])) for t in replay.traces]
        for t in replay.traces:
            moved += markers(t, k)
        frames.append(dict(name=str(int(step)), data=moved, traces=moving))
    slider = dict(
        active=first,
        x=0,
        len=1.0,
        y=-0.2,
        yanchor="top",
        pad=dict(t=30),
        # Up to 200 steps: their tick labels would overlap, so only the current one is shown.
        font=dict(color="rgba(0,0,0,0)"),
        ticklen=0,
        currentvalue=dict(prefix="step ", font=dict(size=18, color="#333333")),
        transition=dict(duration=0),
        steps=[
            dict(
                method="animate",
                label=f["name"],
                args=[[f["name"]], _animate(0)],
            )
            for f in frames
        ],
    )
    y_all = np.concatenate([data.y_train.numpy(), data.y_test.numpy()]).astype(np.float64)
    lo, hi = float(y_all.min()), float(y_all.max())
    pad = 0.15 * (hi - lo or 1.0)
    losses = np.concatenate(
        [run.hand.series("train_loss"), run.torch.series("train_loss")]
        + [  # the pinned loss where the step axis shows it
            np.asarray(t["y"], dtype=np.float64)[np.asarray(t["x"]) <= max(1, run.step)]
            for t in still["loss"]
        ]
    )
    finite_losses = losses[np.isfinite(losses)]
    top = float(finite_losses.max()) if finite_losses.size else 1.0
    layout = dict(
        height=620,
        xaxis=dict(domain=[0.0, 0.5], title=dict(text=plot_text(data.x_name))),
        yaxis=dict(
            domain=[0.0, 1.0], title=dict(text=plot_text(data.y_name)), range=[lo - pad, hi + pad]
        ),
        xaxis2=dict(
            domain=[0.6, 1.0], anchor="y2", title=dict(text="w"), range=[land.w[0], land.w[-1]]
        ),
        yaxis2=dict(
            domain=[0.5, 1.0], anchor="x2", title=dict(text="b"), range=[land.b[0], land.b[-1]]
        ),
        xaxis3=dict(
            domain=[0.6, 1.0], anchor="y3", title=dict(text="step"), range=[0, max(1, run.step)]
        ),
        yaxis3=dict(
            domain=[0.0, 0.32], anchor="x3", title=dict(text="training loss"), range=[0, 1.05 * top]
        ),
        legend=dict(orientation="h", x=0, y=1.12, yanchor="bottom"),
        margin=dict(b=190),
        images=[background],
        updatemenus=[_replay_buttons()],
        sliders=[slider],
    )
    return theme.figure(traces, layout, frames)
