"""The network diagram, in TensorFlow Playground's manner (data in, a light `go.Figure` out).

Columns from left to right: the input features, each hidden layer, the output. Every unit
is a small picture of what it outputs over the data's plane (`core.logreg.network`): signed
units in the app's signed colours (orange positive, blue negative, white zero), the output
as the decision surface in the class colours with the training points on it. Links carry
each weight: orange for a positive one, blue for a negative one, wider for a larger size.
Hovering a link (or a unit) shows its weight (or bias); invisible markers along each link
carry that text, and the unit's `ParamRef` as customdata for a click to pick it.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from core import theme
from core.logreg.data import Dataset
from core.logreg.model import FEATURE_LABELS, PlaygroundNet, feature_names
from core.logreg.network import MAP_SIZE, NetworkMaps, ParamRef, network_maps, plane_grid
from core.untrusted import plot_text

NEGATIVE, POSITIVE = theme.DIVERGING[0][1], theme.DIVERGING[-1][1]
TILE = 1.1  # a unit's picture, in axis units (one row of the diagram is ROW_GAP tall)
OUTPUT_TILE = 3.0  # the two-class output: the decision surface, large enough for the points
ROW_GAP = 1.45
COLUMN_GAP = 3.2
WIDTH_LEVELS = 7  # link widths are binned: one trace per sign and width, not one per link
MAX_LINK_WIDTH = 8.0
HOVER_FRACTIONS = (0.3, 0.62)  # where along a link its hover markers sit (at 0.5 links cross)
BOUNDED = ("tanh", "sigmoid")  # activations whose values lie in [-1, 1]: drawn on that scale
PX_PER_UNIT = 62  # screen pixels per axis unit the height is planned for
PLANNED_WIDTH = 940  # px: the page's content width in a 1400 px window


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], np.float32)


def signed_pixels(v: np.ndarray) -> np.ndarray:
    """Values scaled to [-1, 1] (G, G) -> uint8 (G, G, 3): blue below zero, orange above,
    white at zero (the app's signed colours). Row 0 of the map becomes the bottom row."""
    strength = np.clip(np.abs(np.nan_to_num(v)), 0, 1)[..., None]
    colour = np.where(v[..., None] >= 0, _rgb(POSITIVE), _rgb(NEGATIVE))
    pixels = 255 * (1 - strength) + colour * strength
    return pixels[::-1].round().astype(np.uint8)


def _tinted(p: np.ndarray, hex_colour: str) -> np.ndarray:
    """Probabilities (G, G) -> white at 0, `hex_colour` at 1 (uint8 (G, G, 3), flipped)."""
    strength = np.clip(np.nan_to_num(p), 0, 1)[..., None]
    pixels = 255 * (1 - strength) + _rgb(hex_colour) * strength
    return pixels[::-1].round().astype(np.uint8)


def decision_pixels(p: np.ndarray) -> np.ndarray:
    """p(class 1) (G, G) -> class 0's colour at p = 0, white at 0.5, class 1's at 1."""
    towards = np.where(p[..., None] >= 0.5, _rgb(theme.class_color(1)), _rgb(theme.class_color(0)))
    strength = 0.85 * np.clip(np.abs(2 * np.nan_to_num(p, nan=0.5) - 1), 0, 1)[..., None]
    pixels = 255 * (1 - strength) + towards * strength
    return pixels[::-1].round().astype(np.uint8)


def png_uri(pixels: np.ndarray) -> str:
    """uint8 (h, w, 3) -> a PNG data URI (a 24 x 24 unit map is a few hundred bytes)."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _scaled(maps: np.ndarray, bounded: bool) -> np.ndarray:
    """A layer's maps (n, G, G) on [-1, 1]: bounded activations as they are, others by the
    layer's largest |value| (so the layer's units compare with one another)."""
    if bounded:
        return maps
    top = float(np.abs(maps).max()) if maps.size else 0.0
    return maps / (top if top > 1e-12 else 1.0)


def _column_ys(n: int) -> np.ndarray:
    """Centres of n units, top to bottom, around y = 0."""
    return ((n - 1) / 2 - np.arange(n)) * ROW_GAP


class _Layout:
    """Where every unit sits: column c's x, each unit's y and its picture's side."""

    def __init__(self, model: PlaygroundNet):
        n_inputs = len(feature_names(model.features))
        self.counts = [n_inputs] + [layer.out_features for layer in model.linears]
        self.xs = [c * COLUMN_GAP for c in range(len(self.counts))]
        self.ys = [_column_ys(n) for n in self.counts]
        self.big_output = model.binary  # one output unit: the decision surface, drawn large
        self.sides = [TILE] * (len(self.counts) - 1) + [OUTPUT_TILE if model.binary else TILE]

    def half(self, column: int) -> float:
        return self.sides[column] / 2

    @property
    def y_extent(self) -> float:
        """Half the diagram's height (units and the output), without the headers."""
        rows = max(self.counts) * ROW_GAP
        return max(rows, OUTPUT_TILE) / 2


def _image(uri: str, x: float, y: float, side: float) -> dict:
    return dict(
        source=uri,
        xref="x",
        yref="y",
        x=x - side / 2,
        y=y + side / 2,
        sizex=side,
        sizey=side,
        sizing="stretch",
        layer="below",
    )


def _frame(x: float, y: float, side: float, colour: str = "#999999", width: float = 1) -> dict:
    h = side / 2
    return dict(
        type="rect",
        x0=x - h,
        x1=x + h,
        y0=y - h,
        y1=y + h,
        line=dict(color=colour, width=width),
        layer="above",
    )


def unit_name(column: int, unit: int, n_columns: int, model: PlaygroundNet, data: Dataset) -> str:
    """Words for a unit: its feature, 'layer 2, unit 3', or the output (class)."""
    if column == 0:
        return FEATURE_LABELS[feature_names(model.features)[unit]]
    if column == n_columns - 1:
        if model.binary:
            return "output"
        return f"output {plot_text(data.class_names[unit])}"
    return f"layer {column}, unit {unit + 1}"


def _pictures(model: PlaygroundNet, data: Dataset, maps: NetworkMaps, at: _Layout) -> list[dict]:
    """Every unit's picture, as layout images."""
    columns = [np.stack([_scaled(m, False) for m in maps.features])]  # each feature its own scale
    columns += [_scaled(h, model.activation in BOUNDED) for h in maps.hidden]
    images = []
    for c, values in enumerate(columns):
        for j, v in enumerate(values):
            images.append(_image(png_uri(signed_pixels(v)), at.xs[c], at.ys[c][j], TILE))
    out = len(at.counts) - 1
    for k, p in enumerate(maps.output):
        pixels = decision_pixels(p) if model.binary else _tinted(p, theme.class_color(k))
        images.append(_image(png_uri(pixels), at.xs[out], at.ys[out][k], at.sides[out]))
    return images


def _link_ends(at: _Layout, ref: ParamRef) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1): from the right edge of the source unit to the left edge of the unit."""
    c = ref.layer
    x0 = at.xs[c] + at.half(c)
    x1 = at.xs[c + 1] - at.half(c + 1)
    return x0, float(at.ys[c][ref.source]), x1, float(at.ys[c + 1][ref.unit])


def _link_shapes(model: PlaygroundNet, at: _Layout) -> list[dict]:
    """The links as layout path shapes, one per (sign, width level), width relative to the
    largest |w|. Shapes, not line traces: `theme.style` gives every scatter line one width
    in presenter mode, and here the width is the weight's size."""
    weights = [layer.weight.detach().numpy() for layer in model.linears]
    top = max(float(np.abs(w).max()) for w in weights)
    top = top if top > 1e-12 else 1.0
    paths: dict[tuple[bool, int], list[str]] = {}
    for c, w in enumerate(weights):
        for unit, source in np.ndindex(*w.shape):
            value = float(w[unit, source])
            level = int(round(abs(value) / top * (WIDTH_LEVELS - 1)))
            x0, y0, x1, y1 = _link_ends(at, ParamRef(c, unit, source))
            paths.setdefault((value >= 0, level), []).append(
                f"M{x0:.3f},{y0:.3f}L{x1:.3f},{y1:.3f}"
            )
    shapes = []
    for (positive, level), segments in sorted(paths.items()):
        share = level / (WIDTH_LEVELS - 1)
        r, g, b = _rgb(POSITIVE if positive else NEGATIVE)
        shapes.append(
            dict(
                type="path",
                xref="x",
                yref="y",
                path="".join(segments),
                line=dict(
                    color=f"rgba({r:.0f},{g:.0f},{b:.0f},{0.35 + 0.65 * share:.2f})",
                    width=0.6 + (MAX_LINK_WIDTH - 0.6) * share,
                ),
                layer="below",
            )
        )
    return shapes


def _hover_markers(model: PlaygroundNet, data: Dataset, at: _Layout) -> list[dict]:
    """Invisible markers along every link and on every unit: hover text and a ParamRef."""
    n = len(at.counts)
    xs, ys, texts, refs = [], [], [], []
    for c, layer in enumerate(model.linears):
        w = layer.weight.detach().numpy()
        for unit, source in np.ndindex(*w.shape):
            ref = ParamRef(c, unit, source)
            x0, y0, x1, y1 = _link_ends(at, ref)
            text = (
                f"{unit_name(c, source, n, model, data)} → {unit_name(c + 1, unit, n, model, data)}"
                f"<br>weight = {w[unit, source]:.3f}"
            )
            for t in HOVER_FRACTIONS:
                xs.append(x0 + t * (x1 - x0))
                ys.append(y0 + t * (y1 - y0))
                texts.append(text)
                refs.append([c, unit, source])
    links = dict(  # positions as float32 and refs as int8: typed arrays, a third of JSON's size
        type="scatter",
        x=np.asarray(xs, np.float32),
        y=np.asarray(ys, np.float32),
        mode="markers",
        # Small: plotly hovers the marker nearest the pointer, but counts a pointer inside
        # several markers' discs as a tie; 20 px of hover distance still finds a tiny one.
        marker=dict(size=3, color="rgba(0,0,0,0)"),
        text=texts,
        customdata=np.asarray(refs, np.int8),
        hovertemplate="%{text}<extra></extra>",
        name="links",
        showlegend=False,
    )
    ux, uy, utexts, urefs = [], [], [], []
    for c, layer in enumerate(model.linears, start=1):
        bias = layer.bias.detach().numpy()
        for unit in range(layer.out_features):
            ux.append(at.xs[c])
            uy.append(float(at.ys[c][unit]))
            utexts.append(f"{unit_name(c, unit, n, model, data)}<br>bias = {bias[unit]:.3f}")
            urefs.append([c - 1, unit, -1])  # source -1: the bias
    units = dict(
        type="scatter",
        x=ux,
        y=uy,
        mode="markers",
        marker=dict(size=8, color="rgba(0,0,0,0)", symbol="square"),
        text=utexts,
        customdata=np.asarray(urefs, np.int8),
        hovertemplate="%{text}<extra></extra>",
        name="units",
        showlegend=False,
    )
    return [links, units]


def _output_points(data: Dataset, at: _Layout) -> list[dict]:
    """The training points drawn on the large output picture (two classes)."""
    (x_lo, x_hi), (y_lo, y_hi) = data.bounds()
    out = len(at.counts) - 1
    side = at.sides[out]
    cx, cy = at.xs[out], float(at.ys[out][0])
    x = data.x_train.numpy()
    y = data.y_train.numpy()
    px = cx - side / 2 + (x[:, 0] - x_lo) / (x_hi - x_lo) * side
    py = cy - side / 2 + (x[:, 1] - y_lo) / (y_hi - y_lo) * side
    traces = []
    for c in range(data.n_classes):
        mask = y == c
        traces.append(
            dict(
                type="scatter",
                x=px[mask],
                y=py[mask],
                mode="markers",
                marker=dict(
                    size=4, color=theme.class_color(c), line=dict(color="white", width=0.5)
                ),
                hoverinfo="skip",
                showlegend=False,
            )
        )
    return traces


def _highlight(at: _Layout, ref: ParamRef | None) -> tuple[list[dict], list[dict]]:
    """The picked weight (a dark dotted line over its link) or bias (a dark frame)."""
    if ref is None:
        return [], []
    dark = theme.REFERENCE_COLOR
    if ref.is_bias:
        c = ref.layer + 1
        return [], [_frame(at.xs[c], float(at.ys[c][ref.unit]), at.sides[c] + 0.12, dark, 3)]
    x0, y0, x1, y1 = _link_ends(at, ref)
    line = dict(
        type="scatter",
        x=[x0, x1],
        y=[y0, y1],
        mode="lines",
        line=dict(color=dark, width=2.5, dash="dot"),
        hoverinfo="skip",
        showlegend=False,
    )
    return [line], []


def _headers(model: PlaygroundNet, data: Dataset, at: _Layout) -> list[dict]:
    """Column titles above, and the input features' names at their left."""
    top = at.y_extent + 0.25
    titles = ["Inputs"] + [f"Layer {i}" for i in range(1, len(at.counts) - 1)]
    titles.append("Output: p(" + plot_text(data.class_names[1]) + ")" if model.binary else "Output")
    notes = [
        dict(
            x=x,
            y=top,
            xref="x",
            yref="y",
            text=f"<b>{title}</b>",
            showarrow=False,
            yanchor="bottom",
        )
        for x, title in zip(at.xs, titles, strict=True)
    ]
    for j, name in enumerate(feature_names(model.features)):
        notes.append(
            dict(
                x=at.xs[0] - at.half(0) - 0.1,
                y=float(at.ys[0][j]),
                xref="x",
                yref="y",
                text=FEATURE_LABELS[name],
                showarrow=False,
                xanchor="right",
            )
        )
    if not model.binary:
        out = len(at.counts) - 1
        for k, label in enumerate(data.class_names):
            notes.append(
                dict(
                    x=at.xs[out] + at.half(out) + 0.1,
                    y=float(at.ys[out][k]),
                    xref="x",
                    yref="y",
                    text=f"p({plot_text(label)})",
                    showarrow=False,
                    xanchor="left",
                )
            )
    return notes


def network_figure(
    model: PlaygroundNet,
    data: Dataset,
    *,
    selected: ParamRef | None = None,
    maps: NetworkMaps | None = None,
    map_size: int = MAP_SIZE,
) -> go.Figure:
    """The network as the Playground draws it: every unit's picture over the plane, every
    weight a link (colour: sign, width: size), hover text on links and units.

    `selected` is outlined (the weight or bias the student is editing).
    """
    maps = maps or network_maps(model, plane_grid(data.bounds(), map_size))
    at = _Layout(model)
    marks, marked_frames = _highlight(at, selected)
    traces = marks
    if model.binary:
        traces += _output_points(data, at)
    traces += _hover_markers(model, data, at)
    frames = [
        _frame(at.xs[c], float(y), at.sides[c]) for c in range(len(at.counts)) for y in at.ys[c]
    ]
    x_range = [at.xs[0] - at.half(0) - 1.1, at.xs[-1] + at.half(len(at.counts) - 1) + 1.0]
    y_range = [-at.y_extent - 0.25, at.y_extent + 0.8]  # room above for the column titles
    x_span, y_span = x_range[1] - x_range[0], y_range[1] - y_range[0]
    px = min(PX_PER_UNIT, PLANNED_WIDTH / x_span)
    axis = dict(visible=False, fixedrange=True, constrain="domain")
    layout = dict(
        height=int(px * y_span) + 60,
        images=_pictures(model, data, maps, at),
        shapes=_link_shapes(model, at) + frames + marked_frames,
        annotations=_headers(model, data, at),
        showlegend=False,
        hovermode="closest",
        hoverlabel=dict(font=dict(size=16)),
        dragmode=False,
        xaxis=dict(range=x_range, **axis),
        yaxis=dict(range=y_range, scaleanchor="x", scaleratio=1, **axis),
    )
    return theme.figure(traces, layout)
