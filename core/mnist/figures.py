"""Plotly figures for the MNIST lab. Each builder takes tensors/arrays and returns a `go.Figure`.

Images are drawn as one mosaic heatmap (tiles separated by gaps) rather than
dozens of subplots: one trace keeps a projector-sized page fast to draw.
Digits are dark ink on white, as they were written; signed quantities
(weights, filters) use the shared blue-white-orange diverging scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from core import theme

INK = [[0.0, "#FFFFFF"], [1.0, "#111111"]]  # 0 = paper, 1 = ink
CORRECT_COLOR = theme.PALETTE[0]  # blue
WRONG_COLOR = theme.PALETTE[5]  # vermillion


def _np(a) -> np.ndarray:
    return a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)


def mosaic(tiles: np.ndarray, cols: int, gap: int = 1, fill=np.nan) -> np.ndarray:
    """Tiles (n, h, w) -> one (rows*(h+gap)-gap, cols*(w+gap)-gap) array, `fill` in the gaps.

    Float tiles give float32 with NaN gaps (transparent); uint8 tiles stay uint8 (gaps 0,
    paper): a quarter of the bytes a browser downloads for a figure of images.
    """
    n, h, w = tiles.shape
    rows = max(1, -(-n // cols))
    dtype = np.uint8 if tiles.dtype == np.uint8 else np.float32
    fill = 0 if dtype == np.uint8 else fill
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), fill, dtype=dtype)
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tiles[i]
    return out


def _scale(scale: list) -> list:
    return [list(stop) for stop in scale]  # a copy: a figure never shares the module's lists


def _image_layout(height: int, title: str, xaxis=(), yaxis=(), **layout) -> dict:
    """The layout of a figure of images: hidden square-pixel axes, y downwards, white paper."""
    return dict(
        xaxis=dict(dict(visible=False, constrain="domain"), **dict(xaxis)),
        yaxis=dict(
            dict(visible=False, autorange="reversed", scaleanchor="x", constrain="domain"),
            **dict(yaxis),
        ),
        title=dict(text=title),
        height=height,
        plot_bgcolor="white",
        **layout,
    )


def _tile_centre(i: int, cols: int, h: int, w: int, gap: int) -> tuple[float, float]:
    r, c = divmod(i, cols)
    return c * (w + gap) + (w - 1) / 2, r * (h + gap) + (h - 1) / 2


# ---- the data set ---------------------------------------------------------------


def class_counts(train_counts: Sequence[int], test_counts: Sequence[int]) -> go.Figure:
    """Grouped bars: how many images of each digit in the training and test sets."""
    digits = [str(d) for d in range(10)]
    splits = (
        ("training", train_counts, theme.TRAIN_COLOR),
        ("test", test_counts, theme.TEST_COLOR),
    )
    bars = [
        dict(
            type="bar",
            x=digits,
            y=list(map(int, counts)),
            name=f"{split} set",
            marker=dict(color=color),
            hovertemplate=f"digit %{{x}}: %{{y:,}} {split} images<extra></extra>",
        )
        for split, counts, color in splits
    ]
    return theme.figure(
        bars,
        dict(
            title=dict(text="Images per digit"),
            barmode="group",
            xaxis=dict(title=dict(text="digit")),
            yaxis=dict(title=dict(text="images")),
            legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
        ),
    )


def example_grid(images, per_class: int, indices=None, width_px: int = 560) -> go.Figure:
    """Rows of examples per digit: `images` uint8 (10 * per_class, 28, 28), digit-major order.

    With `indices` (one per image: its position in its data set) each tile can be clicked
    (see `picked_image`).
    """
    tiles = _np(images).astype(np.uint8)  # grey levels as they are: 1 byte a pixel to send
    gap = 2
    z = mosaic(tiles, per_class, gap)
    heat = dict(
        type="heatmap",
        z=z,
        colorscale=_scale(INK),
        zmin=0,
        zmax=255,
        showscale=False,
        hoverinfo="skip",
    )
    labels = [
        dict(
            x=-3,
            y=d * 30 + 13.5,
            text=f"<b>{d}</b>",
            showarrow=False,
            xanchor="right",
            font=dict(size=16),
        )
        for d in range(10)
    ]
    clickable = indices is not None
    layout = _image_layout(
        40 * 10 + 60,
        f"{per_class} random examples of each digit" + (" (click one)" if clickable else ""),
        xaxis=dict(range=[-12, z.shape[1]]),
        yaxis=_fixed_range(z.shape[0]) if clickable else (),
        annotations=labels,
    )
    traces = [heat]
    if clickable:
        centres = [_tile_centre(i, per_class, 28, 28, gap) for i in range(len(tiles))]
        tile_px = 28 * width_px / (z.shape[1] + 12)
        traces.append(_click_points(centres, _np(indices), tile_px))
        layout |= dict(clickmode="event+select", dragmode=False)
    return theme.figure(traces, layout)


def _fixed_range(rows: int) -> dict:
    """A y axis fixed to an image's rows (downwards): the squares of `_click_points` would
    otherwise pad the autorange, and the pictures would no longer fill the plot."""
    return dict(range=[rows - 0.5, -0.5], autorange=False)


def _click_points(centres, indices: np.ndarray, tile_px: float) -> dict:
    """Invisible squares over image tiles (plotly heatmaps cannot be clicked): a click selects
    one, and its `point_index` is the tile's place in `indices`."""
    return dict(
        type="scatter",
        x=[c[0] for c in centres],
        y=[c[1] for c in centres],
        mode="markers",
        marker=dict(symbol="square", size=max(8, round(0.9 * tile_px)), color="rgba(0,0,0,0.01)"),
        selected=dict(marker=dict(color="rgba(213,94,0,0.35)")),  # plotly marks the clicked one
        unselected=dict(marker=dict(opacity=0.01)),
        customdata=indices.astype(np.int64),
        showlegend=False,
        hovertemplate="test image #%{customdata}: click to look inside<extra></extra>",
    )


def picked_image(points: Sequence[dict], indices: Sequence[int]) -> int | None:
    """The image (an entry of `indices`) under the first clicked point of a clickable grid."""
    for point in points or ():
        try:
            at = int(point.get("point_index", point.get("point_number")))
        except (TypeError, ValueError, AttributeError):
            continue
        if point.get("curve_number", 1) == 1 and 0 <= at < len(indices):
            return int(indices[at])
    return None


# ---- training -------------------------------------------------------------------


def _subplot_title(text: str, x: float) -> dict:
    """A panel title as `make_subplots(subplot_titles=...)` writes it."""
    return dict(
        font=dict(size=16),
        showarrow=False,
        text=text,
        x=x,
        xanchor="center",
        xref="paper",
        y=1.0,
        yanchor="bottom",
        yref="paper",
    )


def training_curves(history: Sequence, train_size: int) -> go.Figure:
    """Loss and accuracy against epochs from `core.mnist.train.Progress` reports.

    Two panels side by side, laid out as `make_subplots(rows=1, cols=2,
    horizontal_spacing=0.1)` would (axes x/y on the left, x2/y2 on the right).
    """
    x = [p.examples / train_size for p in history]
    ends = [p for p in history if p.test_accuracy is not None]
    traces = [
        dict(
            type="scatter",
            x=x,
            y=[p.loss for p in history],
            mode="lines",
            name="training loss",
            line=dict(color=theme.TRAIN_COLOR),
            xaxis="x",
            yaxis="y",
        ),
        dict(
            type="scatter",
            x=x,
            y=[p.accuracy for p in history],
            mode="lines",
            name="training accuracy (recent batches)",
            line=dict(color=theme.TRAIN_COLOR),
            xaxis="x2",
            yaxis="y2",
        ),
        dict(
            type="scatter",
            x=[p.examples / train_size for p in ends],
            y=[p.test_accuracy for p in ends],
            mode="lines+markers",
            name="test accuracy (end of epoch)",
            line=dict(color=theme.TEST_COLOR, dash="dot"),
            marker=dict(size=10),
            xaxis="x2",
            yaxis="y2",
        ),
    ]
    epochs = dict(title=dict(text="epochs"), rangemode="tozero")
    layout = dict(
        xaxis=dict(anchor="y", domain=[0.0, 0.45], **epochs),
        yaxis=dict(anchor="x", domain=[0.0, 1.0], rangemode="tozero"),
        xaxis2=dict(anchor="y2", domain=[0.55, 1.0], **epochs),
        yaxis2=dict(anchor="x2", domain=[0.0, 1.0], tickformat=".0%"),
        annotations=[
            _subplot_title("Training loss (cross-entropy)", 0.225),
            _subplot_title("Accuracy", 0.775),
        ],
        height=340,
        legend=dict(orientation="h", y=-0.25),
        hovermode="x unified",
    )
    return theme.figure(traces, layout)


# ---- results --------------------------------------------------------------------


def confusion_figure(confusion) -> go.Figure:
    """Counts per (true, predicted) digit; click a cell to select it (see `selected_cell`).

    Colour is log-scaled so the few mistakes stay visible beside the large
    diagonal. An invisible scatter point sits on each cell because plotly
    heatmaps cannot be selected by clicking.
    """
    c = _np(confusion).astype(np.int64)
    row_totals = np.maximum(c.sum(1, keepdims=True), 1)
    share = c / row_totals
    heat = dict(
        type="heatmap",
        z=np.log10(1 + c),
        x=list(range(10)),
        y=list(range(10)),
        text=c,
        texttemplate="%{text}",
        colorscale=_scale(theme.SEQUENTIAL_SCALE),
        showscale=False,
        hoverinfo="skip",
        xgap=1,
        ygap=1,
    )
    true, pred = np.divmod(np.arange(100), 10)
    points = dict(
        type="scatter",
        x=pred,
        y=true,
        mode="markers",
        marker=dict(symbol="square", size=28, color="rgba(0,0,0,0.01)"),
        selected=dict(marker=dict(color="rgba(213,94,0,0.45)")),  # plotly marks the clicked cell
        unselected=dict(marker=dict(opacity=0.01)),
        customdata=np.stack([true, pred, c.flatten(), share.flatten() * 100], 1),
        showlegend=False,
        hovertemplate="true %{customdata[0]}, predicted %{customdata[1]}:<br>"
        "%{customdata[2]} images "
        "(%{customdata[3]:.1f}% of the %{customdata[0]}s)<extra></extra>",
    )
    axis = dict(dtick=1, fixedrange=True)
    layout = dict(
        xaxis=dict(title=dict(text="predicted digit"), range=[-0.5, 9.5], **axis),
        yaxis=dict(title=dict(text="true digit"), range=[9.5, -0.5], **axis),
        title=dict(text=f"Confusion matrix on {int(c.sum()):,} test images (click a cell)"),
        height=560,
        clickmode="event+select",
        dragmode=False,
    )
    return theme.figure([heat, points], layout)


def selected_cell(points: Sequence[dict]) -> tuple[int, int] | None:
    """The (true, predicted) cell of the first selected confusion-matrix point, if any."""
    for point in points or ():
        try:
            idx = int(point.get("point_index", point.get("point_number")))
        except (TypeError, ValueError):
            continue
        if point.get("curve_number", 1) == 1 and 0 <= idx < 100:
            return divmod(idx, 10)
    return None


def per_class_accuracy(acc) -> go.Figure:
    """Horizontal bars: the fraction of each digit's test images classified correctly."""
    a = _np(acc).astype(float)
    bars = dict(
        type="bar",
        y=[str(d) for d in range(10)],
        x=a,
        orientation="h",
        marker=dict(color=[theme.class_color(d) for d in range(10)]),
        text=[f"{v:.1%}" for v in a],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="digit %{y}: %{x:.2%} correct<extra></extra>",
    )
    low = float(np.nanmin(a)) if np.isfinite(a).any() else 0.0
    layout = dict(
        title=dict(text="Accuracy per digit"),
        height=420,
        xaxis=dict(tickformat=".0%", range=[max(0.0, low - 0.1), 1.08]),
        yaxis=dict(title=dict(text="true digit"), autorange="reversed", type="category"),
    )
    return theme.figure([bars], layout)


def _signed_mosaic(
    tiles: np.ndarray,
    cols: int,
    gap: int,
    title: str,
    width_px: int,
    labels: Sequence[str],
    yaxis=(),
) -> go.Figure:
    scale = np.abs(tiles).reshape(len(tiles), -1).max(1).clip(min=1e-12)[:, None, None]
    z = mosaic(
        tiles / scale, cols, gap
    )  # each tile scaled to [-1, 1]: its own pattern, not its size
    heat = dict(
        type="heatmap",
        z=z,
        colorscale=_scale(theme.DIVERGING),
        zmid=0,
        zmin=-1,
        zmax=1,
        colorbar=dict(title=dict(text="weight /<br>largest"), len=0.8, thickness=14),
        hovertemplate="%{z:.2f}<extra></extra>",
    )
    h, w = tiles.shape[1:]
    notes = []
    for i, text in enumerate(labels):
        x, y = _tile_centre(i, cols, h, w, gap)
        notes.append(
            dict(
                x=x,
                y=y - h / 2 - 0.5,
                text=text,
                showarrow=False,
                yanchor="bottom",
                font=dict(size=15),
            )
        )
    units_wide, units_high = cols * (w + gap), -(-len(tiles) // cols) * (h + gap)
    height = int(90 + units_high * (width_px - 110) / units_wide)
    layout = _image_layout(height, title, yaxis=yaxis)
    if notes:
        layout["annotations"] = notes
    return theme.figure([heat], layout)


def weight_templates(templates, width_px: int = 620) -> go.Figure:
    """The softmax model's ten weight vectors (10, 28, 28): what each digit's score looks for."""
    t = _np(templates).astype(np.float32)
    return _signed_mosaic(
        t,
        5,
        10,
        "Weight templates, one 28x28 image per digit",
        width_px,
        [f"<b>{d}</b>" for d in range(10)],
        yaxis=dict(range=[2 * 38 - 10 + 0.5, -10]),
    )


def conv_filters(filters, width_px: int = 620) -> go.Figure:
    """The CNN's first-layer kernels (C, k, k), each scaled to its own largest weight."""
    f = _np(filters).astype(np.float32)
    cols = min(8, len(f))
    return _signed_mosaic(
        f,
        cols,
        1,
        f"The CNN's {len(f)} first-layer filters ({f.shape[1]}x{f.shape[2]})",
        width_px,
        [],
    )


def _captioned_grid(
    imgs: np.ndarray,
    captions: Sequence[tuple[str, str]],
    cols: int,
    title: str,
    width_px: int,
    lines: int = 3,
    font_size: int = 12,
    indices=None,
) -> go.Figure:
    """Images (n, 28, 28) uint8 in a grid, each with a (text, colour) caption under it."""
    n = len(imgs)
    cols = max(1, min(cols, n))
    gap_x, gap_y = 16, 4 + 10 * lines  # room for the caption lines under each tile
    rows = max(1, -(-n // cols))
    z = np.zeros((rows * (28 + gap_y), cols * (28 + gap_x)), dtype=np.uint8)  # 0: paper
    notes, centres = [], []
    for i, (text, colour) in enumerate(captions):
        r, c = divmod(i, cols)
        y0, x0 = r * (28 + gap_y), c * (28 + gap_x)
        z[y0 : y0 + 28, x0 : x0 + 28] = imgs[i]
        centres.append((x0 + 13.5, y0 + 13.5))
        notes.append(
            dict(
                x=x0 + 13.5,
                y=y0 + 29,
                text=text,
                showarrow=False,
                yanchor="top",
                font=dict(size=font_size, color=colour),
            )
        )
    heat = dict(
        type="heatmap",
        z=z,
        colorscale=_scale(INK),
        zmin=0,
        zmax=255,
        showscale=False,
        hoverinfo="skip",
    )
    px_per_unit = width_px / z.shape[1]
    clickable = indices is not None and n > 0
    fixed = dict(xaxis=dict(range=[-0.5, z.shape[1] - 0.5]), yaxis=_fixed_range(z.shape[0]))
    layout = _image_layout(
        int(70 + z.shape[0] * px_per_unit), title, **(fixed if clickable else {})
    )
    if notes:
        layout["annotations"] = notes
    traces = [heat]
    if clickable:
        traces.append(_click_points(centres, _np(indices), 28 * px_per_unit))
        layout |= dict(clickmode="event+select", dragmode=False)
    return theme.figure(traces, layout)


def predictions(
    images,
    labels,
    top_probs,
    top_classes,
    cols: int = 8,
    title: str = "Sample test predictions (top 3)",
    width_px: int = 1000,
    indices=None,
) -> go.Figure:
    """Test images with their top-3 predicted digits: uint8 (n, 28, 28), labels (n,), (n, 3) each.

    Captions are blue when the top guess is right and orange when it is wrong.
    `width_px` is the expected rendered width, used to pick a height that fits. With
    `indices` (each image's test-set position) each image can be clicked (`picked_image`).
    """
    imgs = _np(images).astype(np.uint8)  # grey levels: 1 byte a pixel to send
    labels, probs, classes = _np(labels), _np(top_probs), _np(top_classes)
    captions = []
    for i in range(len(imgs)):
        ok = int(classes[i, 0]) == int(labels[i])
        (p1, p2, p3), (k1, k2, k3) = probs[i], classes[i]
        text = (
            f"true {int(labels[i])}<br><b>{int(k1)}: {p1:.0%}</b><br>"
            f"{int(k2)}: {p2:.0%} · {int(k3)}: {p3:.0%}"
        )
        captions.append((text, CORRECT_COLOR if ok else WRONG_COLOR))
    return _captioned_grid(imgs, captions, cols, title, width_px, indices=indices)


# ---- what one unit responds to ------------------------------------------------------


def unit_weights_figure(values, kind: str, title: str, width_px: int = 460) -> go.Figure:
    """One unit's incoming weights (`core.digits.units.Weights`): maps as pictures, a strip as bars.

    `values` is (28, 28) or (C, h, w) for maps ("pixels", "filters", "maps"), all on one
    colour scale (the largest |weight| of the unit), so their sizes compare; (n,) for a
    "vector", drawn as bars over the previous layer's units.
    """
    v = _np(values).astype(np.float32)
    if kind == "vector":
        return _weight_bars(v, title)
    tiles = v[None] if v.ndim == 2 else v
    cols = min(8, len(tiles))
    gap = 1
    z = mosaic(tiles, cols, gap)
    top = float(np.abs(v).max()) or 1.0
    heat = dict(
        type="heatmap",
        z=z,
        colorscale=_scale(theme.DIVERGING),
        zmid=0,
        zmin=-top,
        zmax=top,
        colorbar=dict(title=dict(text="weight"), len=0.8, thickness=14),
        hovertemplate="weight %{z:.3f}<extra></extra>",
    )
    h, w = tiles.shape[1:]
    units_wide, units_high = cols * (w + gap), -(-len(tiles) // cols) * (h + gap)
    height = int(90 + units_high * (width_px - 110) / units_wide)
    return theme.figure([heat], _image_layout(min(height, 900), title))


def _weight_bars(v: np.ndarray, title: str) -> go.Figure:
    colours = [theme.DIVERGING[-1][1] if w >= 0 else theme.DIVERGING[0][1] for w in v]
    bars = dict(
        type="bar",
        x=np.arange(len(v)),
        y=v,
        marker=dict(color=colours, line=dict(width=0)),
        hovertemplate="from unit %{x}: weight %{y:.3f}<extra></extra>",
    )
    layout = dict(
        title=dict(text=title),
        height=300,
        showlegend=False,
        bargap=0.1,
        xaxis=dict(title=dict(text="unit of the layer before")),
        yaxis=dict(title=dict(text="weight")),
    )
    return theme.figure([bars], layout)


def strongest_figure(
    images,
    labels,
    values,
    indices,
    title: str,
    cols: int = 8,
    width_px: int = 940,
    large: bool = False,
) -> go.Figure:
    """The images a unit responds to most, best first: uint8 (k, 28, 28), each captioned with
    its test-set number, its true digit and the unit's value for it."""
    imgs = _np(images).astype(np.uint8)
    labels, values, indices = _np(labels), _np(values), _np(indices)
    captions = [
        (f"#{int(i)}: a {int(y)}<br><b>{float(a):.3f}</b>", theme.PALETTE[7])
        for i, y, a in zip(indices, labels, values, strict=True)
    ]
    return _captioned_grid(
        imgs, captions, cols, title, width_px, lines=2, font_size=18 if large else 13
    )
