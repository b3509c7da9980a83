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
from plotly.subplots import make_subplots

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


def _image_layout(fig: go.Figure, height: int, title: str) -> go.Figure:
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(title=title, height=height, plot_bgcolor="white")
    return fig


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
    fig = go.Figure(
        [
            go.Bar(
                x=digits,
                y=list(map(int, counts)),
                name=f"{split} set",
                marker_color=color,
                hovertemplate=f"digit %{{x}}: %{{y:,}} {split} images<extra></extra>",
            )
            for split, counts, color in splits
        ]
    )
    fig.update_layout(
        title="Images per digit",
        barmode="group",
        xaxis_title="digit",
        yaxis_title="images",
        legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
    )
    return fig


def example_grid(images, per_class: int) -> go.Figure:
    """Rows of examples per digit: `images` uint8 (10 * per_class, 28, 28), digit-major order."""
    tiles = _np(images).astype(np.uint8)  # grey levels as they are: 1 byte a pixel to send
    gap = 2
    z = mosaic(tiles, per_class, gap)
    fig = go.Figure(
        go.Heatmap(z=z, colorscale=INK, zmin=0, zmax=255, showscale=False, hoverinfo="skip")
    )
    for d in range(10):
        fig.add_annotation(
            x=-3,
            y=d * 30 + 13.5,
            text=f"<b>{d}</b>",
            showarrow=False,
            xanchor="right",
            font=dict(size=16),
        )
    _image_layout(fig, 40 * 10 + 60, f"{per_class} random examples of each digit")
    fig.update_xaxes(range=[-12, z.shape[1]])
    return fig


# ---- training -------------------------------------------------------------------


def training_curves(history: Sequence, train_size: int) -> go.Figure:
    """Loss and accuracy against epochs from `core.mnist.train.Progress` reports."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Training loss (cross-entropy)", "Accuracy"),
        horizontal_spacing=0.1,
    )
    x = [p.examples / train_size for p in history]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[p.loss for p in history],
            mode="lines",
            name="training loss",
            line=dict(color=theme.TRAIN_COLOR),
        ),
        1,
        1,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[p.accuracy for p in history],
            mode="lines",
            name="training accuracy (recent batches)",
            line=dict(color=theme.TRAIN_COLOR),
        ),
        1,
        2,
    )
    ends = [p for p in history if p.test_accuracy is not None]
    fig.add_trace(
        go.Scatter(
            x=[p.examples / train_size for p in ends],
            y=[p.test_accuracy for p in ends],
            mode="lines+markers",
            name="test accuracy (end of epoch)",
            line=dict(color=theme.TEST_COLOR, dash="dot"),
            marker=dict(size=10),
        ),
        1,
        2,
    )
    fig.update_xaxes(title_text="epochs", rangemode="tozero")
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(height=340, legend=dict(orientation="h", y=-0.25), hovermode="x unified")
    return fig


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
    fig = go.Figure(
        go.Heatmap(
            z=np.log10(1 + c),
            x=list(range(10)),
            y=list(range(10)),
            text=c,
            texttemplate="%{text}",
            colorscale=theme.SEQUENTIAL,
            showscale=False,
            hoverinfo="skip",
            xgap=1,
            ygap=1,
        )
    )
    true, pred = np.divmod(np.arange(100), 10)
    fig.add_trace(
        go.Scatter(
            x=pred,
            y=true,
            mode="markers",
            marker=dict(symbol="square", size=28, color="rgba(0,0,0,0.01)"),
            selected=dict(
                marker=dict(color="rgba(213,94,0,0.45)")
            ),  # plotly marks the clicked cell
            unselected=dict(marker=dict(opacity=0.01)),
            customdata=np.stack([true, pred, c.flatten(), share.flatten() * 100], 1),
            showlegend=False,
            hovertemplate="true %{customdata[0]}, predicted %{customdata[1]}:<br>"
            "%{customdata[2]} images "
            "(%{customdata[3]:.1f}% of the %{customdata[0]}s)<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="predicted digit", dtick=1, range=[-0.5, 9.5], fixedrange=True)
    fig.update_yaxes(title_text="true digit", dtick=1, range=[9.5, -0.5], fixedrange=True)
    fig.update_layout(
        title=f"Confusion matrix on {int(c.sum()):,} test images (click a cell)",
        height=560,
        clickmode="event+select",
        dragmode=False,
    )
    return fig


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
    fig = go.Figure(
        go.Bar(
            y=[str(d) for d in range(10)],
            x=a,
            orientation="h",
            marker_color=[theme.class_color(d) for d in range(10)],
            text=[f"{v:.1%}" for v in a],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="digit %{y}: %{x:.2%} correct<extra></extra>",
        )
    )
    low = float(np.nanmin(a)) if np.isfinite(a).any() else 0.0
    fig.update_layout(
        title="Accuracy per digit",
        height=420,
        xaxis=dict(tickformat=".0%", range=[max(0.0, low - 0.1), 1.08]),
        yaxis=dict(title="true digit", autorange="reversed", type="category"),
    )
    return fig


def _signed_mosaic(
    tiles: np.ndarray, cols: int, gap: int, title: str, width_px: int, labels: Sequence[str]
) -> go.Figure:
    scale = np.abs(tiles).reshape(len(tiles), -1).max(1).clip(min=1e-12)[:, None, None]
    z = mosaic(
        tiles / scale, cols, gap
    )  # each tile scaled to [-1, 1]: its own pattern, not its size
    fig = go.Figure(
        go.Heatmap(
            z=z,
            colorscale=theme.DIVERGING,
            zmid=0,
            zmin=-1,
            zmax=1,
            colorbar=dict(title="weight /<br>largest", len=0.8, thickness=14),
            hovertemplate="%{z:.2f}<extra></extra>",
        )
    )
    h, w = tiles.shape[1:]
    for i, text in enumerate(labels):
        x, y = _tile_centre(i, cols, h, w, gap)
        fig.add_annotation(
            x=x, y=y - h / 2 - 0.5, text=text, showarrow=False, yanchor="bottom", font=dict(size=15)
        )
    units_wide, units_high = cols * (w + gap), -(-len(tiles) // cols) * (h + gap)
    return _image_layout(fig, int(90 + units_high * (width_px - 110) / units_wide), title)


def weight_templates(templates, width_px: int = 620) -> go.Figure:
    """The softmax model's ten weight vectors (10, 28, 28): what each digit's score looks for."""
    t = _np(templates).astype(np.float32)
    fig = _signed_mosaic(
        t,
        5,
        10,
        "Weight templates, one 28x28 image per digit",
        width_px,
        [f"<b>{d}</b>" for d in range(10)],
    )
    fig.update_yaxes(range=[2 * 38 - 10 + 0.5, -10])
    return fig


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


def predictions(
    images,
    labels,
    top_probs,
    top_classes,
    cols: int = 8,
    title: str = "Sample test predictions (top 3)",
    width_px: int = 1000,
) -> go.Figure:
    """Test images with their top-3 predicted digits: uint8 (n, 28, 28), labels (n,), (n, 3) each.

    Captions are blue when the top guess is right and orange when it is wrong.
    `width_px` is the expected rendered width, used to pick a height that fits.
    """
    imgs = _np(images).astype(np.uint8)  # grey levels: 1 byte a pixel to send
    labels, probs, classes = _np(labels), _np(top_probs), _np(top_classes)
    n = len(imgs)
    cols = max(1, min(cols, n))
    gap_x, gap_y = 16, 34  # room for the three caption lines under each tile
    rows = max(1, -(-n // cols))
    z = np.zeros((rows * (28 + gap_y), cols * (28 + gap_x)), dtype=np.uint8)  # 0: paper
    fig = go.Figure()
    for i in range(n):
        r, c = divmod(i, cols)
        y0, x0 = r * (28 + gap_y), c * (28 + gap_x)
        z[y0 : y0 + 28, x0 : x0 + 28] = imgs[i]
        ok = int(classes[i, 0]) == int(labels[i])
        (p1, p2, p3), (k1, k2, k3) = probs[i], classes[i]
        text = (
            f"true {int(labels[i])}<br><b>{int(k1)}: {p1:.0%}</b><br>"
            f"{int(k2)}: {p2:.0%} · {int(k3)}: {p3:.0%}"
        )
        fig.add_annotation(
            x=x0 + 13.5,
            y=y0 + 29,
            text=text,
            showarrow=False,
            yanchor="top",
            font=dict(size=12, color=CORRECT_COLOR if ok else WRONG_COLOR),
        )
    fig.add_trace(
        go.Heatmap(z=z, colorscale=INK, zmin=0, zmax=255, showscale=False, hoverinfo="skip")
    )
    px_per_unit = width_px / z.shape[1]
    return _image_layout(fig, int(70 + z.shape[0] * px_per_unit), title)
