"""Pictures for the draw-a-digit page: pipeline steps, saliency, probabilities, model comparison.

Small images are returned as uint8 RGB arrays (cheap to send as PNGs on every
stroke); charts as plotly figures. Colours from `core.theme`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from core import theme
from core.digits.pipeline import CENTRE, Preprocessed

TILE = 168  # display size of each step, in screen pixels (6 per MNIST pixel)
NEGATIVE, POSITIVE = theme.DIVERGING[0][1], theme.DIVERGING[-1][1]


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], np.float32) / 255


def _upscale(rgb: np.ndarray, size: int = TILE) -> np.ndarray:
    """(h, w, 3) float in [0, 1] -> uint8, longer side `size`, sharp pixels (nearest)."""
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    im = Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8))
    return np.asarray(
        im.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.NEAREST)
    )


def ink_tile(ink: np.ndarray, size: int = TILE, square: int | None = None) -> np.ndarray:
    """Ink (h, w) in [0, 1] as MNIST shows it (white on black), upscaled.

    Padded (centred) to a `square` x `square` box if given, or to a square of
    its longer side when `square` is 0, so every tile in a row has one shape.
    """
    if ink.size == 0:
        ink = np.zeros((square or 28, square or 28), np.float32)
    if square == 0:
        square = max(ink.shape)
    if square:
        box = np.zeros((square, square), np.float32)
        top, left = (square - ink.shape[0]) // 2, (square - ink.shape[1]) // 2
        box[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
        ink = box
    return _upscale(np.repeat(ink[..., None], 3, axis=2), size)


def drawing_tile(pre: Preprocessed, size: int = TILE) -> np.ndarray:
    """The drawing's ink with its bounding box outlined (orange)."""
    tile = ink_tile(_downsample(pre.ink, size), size).astype(np.float32) / 255
    if pre.bbox is not None:
        s = size / max(pre.ink.shape)
        t, left, b, r = (int(round(v * s)) for v in pre.bbox)
        b, r = min(b, tile.shape[0] - 1), min(r, tile.shape[1] - 1)
        c = _rgb(theme.PALETTE[1])
        tile[t, left : r + 1] = tile[b, left : r + 1] = c
        tile[t : b + 1, left] = tile[t : b + 1, r] = c
    return (tile * 255).round().astype(np.uint8)


def _downsample(img: np.ndarray, size: int) -> np.ndarray:
    if max(img.shape) <= size:
        return img
    h, w = img.shape
    scale = size / max(h, w)
    im = Image.fromarray(img.astype(np.float32), mode="F")
    return np.asarray(
        im.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)
    )


def centred_tile(pre: Preprocessed, size: int = TILE) -> np.ndarray:
    """The model's input (28x28) with crosshairs through the field's centre.

    The centre is where the ink's mass sits.
    """
    rgb = np.repeat(pre.centred[..., None], 3, axis=2)
    tile = _upscale(rgb, size).astype(np.float32) / 255
    c = int(round((CENTRE + 0.5) * size / 28))  # the middle of pixel 14
    mark = _rgb(theme.PALETTE[1])
    for line in (np.s_[c - 1 : c + 1, :], np.s_[:, c - 1 : c + 1]):
        tile[line] = 0.35 * tile[line] + 0.65 * mark
    return (tile * 255).round().astype(np.uint8)


def signed_tile(values: np.ndarray, base: np.ndarray | None = None, size: int = TILE) -> np.ndarray:
    """A signed map (28, 28) as blue (negative) / white / orange (positive) over the faint input.

    Colour strength is |value| relative to the 99th percentile of |values|
    (one extreme pixel does not wash out the rest).
    """
    v = np.asarray(values, np.float32)
    scale = float(np.percentile(np.abs(v), 99)) or float(np.abs(v).max()) or 1.0
    paper = np.ones(v.shape + (3,), np.float32)
    if base is not None:  # the digit in light grey, so the map can be read against it
        paper = paper - 0.3 * np.asarray(base, np.float32)[..., None]
    return _upscale(_signed_rgb(v / scale, paper), size)


def probability_figure(
    probs: Sequence[float], title: str = "Probability of each digit"
) -> go.Figure:
    """Bar chart of the ten probabilities, the predicted digit highlighted."""
    p = np.asarray(probs, float)
    best = int(p.argmax())
    colours = [theme.PALETTE[0] if k == best else theme.PALETTE[8] for k in range(10)]
    bars = dict(
        type="bar",
        x=[str(k) for k in range(10)],
        y=p,
        marker=dict(color=colours),
        text=[f"{v:.0%}" for v in p],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="digit %{x}: %{y:.1%}<extra></extra>",
    )
    layout = dict(
        title=dict(text=title),
        height=300,
        showlegend=False,
        bargap=0.25,
        xaxis=dict(title=dict(text="digit"), type="category"),
        yaxis=dict(title=dict(text="probability"), range=[0, 1.12], tickformat=".0%"),
    )
    return theme.figure([bars], layout)


def comparison_figure(names: Sequence[str], probs: np.ndarray) -> go.Figure:
    """Heatmap: one row per model, one column per digit, the probability written in each cell."""
    p = np.asarray(probs, float)  # (models, 10)
    text = [[f"{v:.0%}" if v >= 0.005 else "" for v in row] for row in p]
    heat = dict(
        type="heatmap",
        z=p,
        x=[str(k) for k in range(10)],
        y=list(names),
        zmin=0,
        zmax=1,
        colorscale=[list(stop) for stop in theme.SEQUENTIAL_SCALE],
        text=text,
        texttemplate="%{text}",
        colorbar=dict(title=dict(text="p"), tickformat=".0%"),
        hovertemplate="%{y}<br>digit %{x}: %{z:.1%}<extra></extra>",
    )
    layout = dict(
        height=100 + 45 * len(names),
        xaxis=dict(title=dict(text="digit"), type="category", side="top"),
        yaxis=dict(autorange="reversed"),
    )
    return theme.figure([heat], layout)


def _signed_rgb(v: np.ndarray, paper=1.0) -> np.ndarray:
    """Signed values scaled to [-1, 1] -> blue / paper / orange (h, w, 3) floats."""
    strength = np.clip(np.abs(v), 0, 1)[..., None]
    colour = np.where(v[..., None] >= 0, _rgb(POSITIVE), _rgb(NEGATIVE))
    return paper * (1 - strength) + colour * strength


def _activation_canvas(values: np.ndarray, gap: int = 1):
    """`activation_tile`'s picture before upscaling: (rgb (h, w, 3) floats, each unit's
    tile centre (n, 2) as (x, y) in canvas pixels, a tile's side in canvas pixels)."""
    v = np.asarray(values, np.float32)
    v = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
    n = len(v)
    if v.ndim == 1:  # dense units: a grid of squares, 16 to a row
        cols = min(16, len(v))
        rows = -(-len(v) // cols)
        grid = np.zeros(rows * cols, np.float32)
        grid[: len(v)] = v / (float(np.abs(v).max()) or 1.0)
        v = grid.reshape(rows * cols, 1, 1)
    else:
        v = v / np.maximum(np.abs(v).reshape(len(v), -1).max(1), 1e-12)[:, None, None]
    c, h, w = v.shape
    cols = min(c, 16 if v.shape[1] == 1 else 8)
    rows = -(-c // cols)
    canvas = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, 3), 0.75, np.float32)
    centres = np.zeros((n, 2), np.float64)
    for i in range(c):
        r, k = divmod(i, cols)
        canvas[r * (h + gap) : r * (h + gap) + h, k * (w + gap) : k * (w + gap) + w] = _signed_rgb(
            v[i]
        )
        if i < n:
            centres[i] = k * (w + gap) + (w - 1) / 2, r * (h + gap) + (h - 1) / 2
    return canvas, centres, max(h, w)


def _tile_size(canvas: np.ndarray, width: int) -> int:
    return min(width, max(canvas.shape[:2]) * 24)


def activation_tile(values: np.ndarray, width: int = 4 * TILE, gap: int = 1) -> np.ndarray:
    """One layer's output as a picture: (C, H, W) maps side by side in rows, each scaled to
    its own largest |value| (its own pattern, not its size); (units,) as a grid of squares
    scaled to the layer's largest. Grey lines between maps. Returns uint8 (h, w, 3)."""
    canvas, _, _ = _activation_canvas(values, gap)
    return _upscale(canvas, _tile_size(canvas, width))


def _png_uri(rgb: np.ndarray, colors: int | None = None) -> str:
    """A PNG data URI; with `colors`, on a palette of that many (a third of the bytes for a
    layer's maps, in about a millisecond: what a stroke sends with "Inside" open)."""
    import base64
    import io

    buf = io.BytesIO()
    image = Image.fromarray(rgb)
    if colors:
        image = image.quantize(colors, method=Image.Quantize.FASTOCTREE)
    image.save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def layer_figure(
    values: np.ndarray,
    title: str,
    word: str = "unit",
    picked: int | None = None,
    width: int = 4 * TILE,
) -> go.Figure:
    """`activation_tile` as a light plotly figure whose tiles can be clicked: the picture is
    an image trace (one PNG), and over each unit's tile an invisible square (trace 1) whose
    `customdata` is the unit's index (see `picked_unit`); `picked` outlines that unit."""
    canvas, centres, side = _activation_canvas(values)
    size = _tile_size(canvas, width)
    hc, wc = canvas.shape[:2]
    scale = size / max(hc, wc)  # screen pixels per canvas pixel, at the figure's height
    # the canvas at one pixel per value, which the browser enlarges with sharp pixels
    # (zsmooth off): a drawing's every stroke sends each layer's maps, upscaled PNGs made
    # a stroke with "Inside the model" open send 130-235 kB
    tile = (np.clip(canvas, 0, 1) * 255).round().astype(np.uint8)
    image = dict(type="image", source=_png_uri(tile, colors=64), zsmooth=False, hoverinfo="skip")
    n = len(centres)
    squares = dict(
        type="scatter",
        x=centres[:, 0].tolist(),
        y=centres[:, 1].tolist(),
        mode="markers",
        marker=dict(
            symbol="square", size=max(8, round(0.95 * side * scale)), color="rgba(0,0,0,0.01)"
        ),
        selected=dict(marker=dict(color="rgba(0,0,0,0.01)")),
        unselected=dict(marker=dict(opacity=0.01)),
        customdata=list(range(n)),
        showlegend=False,
        hovertemplate=f"{word} %{{customdata}}: click to see what it responds to<extra></extra>",
    )
    shapes = []
    if picked is not None and 0 <= picked < n:
        x, y = centres[picked]
        half = side / 2 + 0.2
        shapes.append(
            dict(
                type="rect",
                x0=x - half,
                x1=x + half,
                y0=y - half,
                y1=y + half,
                line=dict(color="black", width=3),
            )
        )
    layout = dict(
        title=dict(text=title),
        height=int(50 + hc * scale),
        xaxis=dict(visible=False, range=[-0.5, wc - 0.5], constrain="domain"),
        yaxis=dict(
            visible=False,
            range=[hc - 0.5, -0.5],
            autorange=False,
            scaleanchor="x",
            constrain="domain",
        ),
        plot_bgcolor="white",
        showlegend=False,
        clickmode="event+select",
        dragmode=False,
    )
    if shapes:
        layout["shapes"] = shapes
    return theme.figure([image, squares], layout)


def picked_unit(points: Sequence[dict] | None, units: int) -> int | None:
    """The unit under the first clicked point of a `layer_figure` (None if none)."""
    for point in points or ():
        if not isinstance(point, dict) or point.get("curve_number", 1) != 1:
            continue
        try:
            at = int(point.get("point_index", point.get("point_number")))
        except (TypeError, ValueError):
            continue
        if 0 <= at < units:
            return at
    return None
