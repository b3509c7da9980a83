"""A digit as a pen trajectory with few points: what a tablet, or a quick mouse, records.

A pen that samples its position sparsely, or a hand moving the mouse fast over
the canvas, leaves a digit as a handful of points joined by straight lines.
Some recorders also keep no pen-up information, so the jump from one stroke to
the next is drawn like the strokes themselves. This module turns an MNIST
digit's centre line (pretrain.pen.centre_lines) into such a trajectory:

1. walk the centre line into pen paths (`trace_paths`: a line end first, as
   people start a digit, branches afterwards),
2. join the paths in that order into one line (the jumps between them included),
3. keep `n_points` points spaced evenly along its length,
4. draw them as one polyline, which `pretrain.pen.draw_lines` can then ink
   with any pen width.

Per-digit Python (tracing a path is a walk): meant for a one-off pass over a
data set before training, or for building a validation set, never for a
training loop.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw

from pretrain.pen import trace_paths


def trajectory(line: np.ndarray, n_points: int, cut: float | None = None) -> np.ndarray:
    """The centre line (H, W bool) as `n_points` (x, y) points.

    The points are evenly spaced along one joined pen path.

    Returns (n_points, 2) float, in pixel coordinates of `line`; (0, 2) when
    the line is empty. Jumps between paths count towards the length, as a
    recorder without pen-up does. `cut` (a fraction in (0, 1)) splits the
    joined path there and writes its second part first, as a writer who draws
    a digit in another stroke order (a 5's bar last, say) does: the jump back
    to the first part's start becomes part of the line.
    """
    paths = trace_paths(line)
    if not paths:
        return np.zeros((0, 2))
    pts = np.array([(c, r) for path in paths for r, c in path], dtype=np.float64)  # (P, 2) x, y
    if cut is not None and 0 < cut < 1:
        k = int(cut * len(pts))
        pts = np.concatenate([pts[k:], pts[:k]])
    return resample(pts, n_points)


def resample(points: np.ndarray, n_points: int) -> np.ndarray:
    """`n_points` points spaced evenly by arc length along the polyline `points` (P, 2).

    Ends kept.
    """
    step = np.linalg.norm(np.diff(points, axis=0), axis=1)  # (P-1,)
    along = np.concatenate([[0.0], np.cumsum(step)])  # (P,)
    if along[-1] == 0:
        return np.repeat(points[:1], n_points, axis=0)
    at = np.linspace(0.0, along[-1], n_points)
    return np.stack(
        [np.interp(at, along, points[:, 0]), np.interp(at, along, points[:, 1])], axis=1
    )


def draw_polyline(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`points` (K, 2) x, y joined by one-pixel straight lines on an (H, W) bool image."""
    out = Image.new("1", (shape[1], shape[0]), 0)
    xy = [(float(x), float(y)) for x, y in points]
    draw = ImageDraw.Draw(out)
    if len(xy) == 1:
        draw.point(xy, fill=1)
    elif xy:
        draw.line(xy, fill=1, width=1)
    return np.array(out, dtype=bool)


def sparse_line(line: np.ndarray, n_points: int, cut: float | None = None) -> np.ndarray:
    """The centre line (H, W bool) redrawn as its `n_points`-point trajectory, bool.

    See `trajectory`.
    """
    return draw_polyline(trajectory(line, n_points, cut), line.shape)


def sparse_lines(
    lines: torch.Tensor, n_points: torch.Tensor, cuts: torch.Tensor | None = None
) -> torch.Tensor:
    """`sparse_line` for a batch (N, 1, H, W) bool.

    Per image, a point count (N,) int and optionally a cut (N,).

    A cut outside (0, 1) keeps that image's stroke order.
    """
    cuts = torch.zeros(len(lines)) if cuts is None else cuts
    out = [
        torch.from_numpy(sparse_line(one[0].numpy(), int(k), float(c)))[None]
        for one, k, c in zip(lines, n_points, cuts, strict=True)
    ]
    return torch.stack(out) if out else lines.clone()
