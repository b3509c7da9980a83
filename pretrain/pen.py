"""Redraw an MNIST digit as if a student had drawn its shape with the canvas pen.

MNIST digits were written with many pens and scanned: strokes are soft-edged
and of every width. On the canvas, a student's pen has one width for the whole
digit, set by the "Pen width" slider (4..40 canvas pixels) and by how large
the digit is drawn: after the page scales the digit into its 20-pixel box,
that is anything from under 1 to several pixels. So this module

1. finds each digit's centre line (binarise, then Zhang-Suen thinning, batched),
   (optionally straightened: `straighten` turns it into straight segments
   between points a few pixels apart, as a hand drawing in straight strokes,
   or a pen recording sparse points, leaves it),
2. measures every pixel's distance to that line (a chamfer distance transform),
3. and inks everything within half a pen width of it, with a one-pixel soft
   edge, at twice MNIST's resolution, then averages back down (anti-aliasing).

The result is the same shape drawn with a uniform round pen of any width,
including pens thinner than almost any MNIST writer used. All batched tensor
ops on whole batches: no per-sample Python.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

UPSCALE = 2  # work at 56x56 so thin pens and sub-pixel widths survive
INK_THRESHOLD = 0.5  # MNIST grey level taken as "inside the stroke"
MAX_THINNING_STEPS = 30  # a 28x28 digit at 2x never needs more; the loop stops early anyway


def _neighbours(x: torch.Tensor) -> list[torch.Tensor]:
    """The 8 neighbours P2..P9 of every pixel (clockwise from north), zero outside.

    x: (N, 1, H, W).
    """
    p = F.pad(x, (1, 1, 1, 1))
    h, w = x.shape[-2:]

    def at(dy: int, dx: int) -> torch.Tensor:
        return p[..., 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]

    return [at(-1, 0), at(-1, 1), at(0, 1), at(1, 1), at(1, 0), at(1, -1), at(0, -1), at(-1, -1)]


def skeletonize(ink: torch.Tensor) -> torch.Tensor:
    """One-pixel-wide centre lines of binary shapes (Zhang & Suen, 1984), for a whole batch at once.

    ink: (N, 1, H, W) bool. Returns the same shape, bool. Each pass removes, in
    two sub-steps, the boundary pixels whose removal keeps the shape connected
    and does not shorten a line end.
    """
    x = ink.to(torch.uint8)
    for _ in range(MAX_THINNING_STEPS):
        changed = False
        for step in (0, 1):
            p2, p3, p4, p5, p6, p7, p8, p9 = _neighbours(x)
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            b = sum(ring[:8])  # ink neighbours
            a = sum(
                ((ring[i] == 0) & (ring[i + 1] == 1)).to(torch.uint8) for i in range(8)
            )  # 0->1 transitions
            if step == 0:
                keep_end = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                keep_end = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = (x == 1) & (b >= 2) & (b <= 6) & (a == 1) & keep_end
            if bool(remove.any()):
                x = x.masked_fill(remove, 0)
                changed = True
        if not changed:
            break
    return x.bool()


def distance_to(lines: torch.Tensor, reach: float) -> torch.Tensor:
    """Approximate Euclidean distance (pixels) from every pixel to the nearest `lines` pixel.

    lines: (N, 1, H, W) bool. A chamfer transform: repeated 3x3 min-plus steps
    (1 along an axis, sqrt 2 diagonally), enough of them to cover `reach`
    pixels; farther pixels, and images with no line at all, read as `reach + 1`
    or more. Within a few percent of the true distance, which is far below
    what a pen edge needs.
    """
    far = reach + 1
    d = torch.where(lines, 0.0, far * 4).to(torch.float32)
    steps = math.ceil(reach) + 1
    diag = math.sqrt(2)
    for _ in range(steps):
        p = F.pad(d, (1, 1, 1, 1), value=far * 4)
        h, w = d.shape[-2:]
        best = d
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy == 0 and dx == 0:
                    continue
                cost = diag if dy and dx else 1.0
                best = torch.minimum(best, p[..., 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] + cost)
        d = best
    return d


def centre_lines(pixels: torch.Tensor) -> torch.Tensor:
    """Centre lines of MNIST-like digits at `UPSCALE` times their resolution.

    pixels: (N, 1, 28, 28) ink in [0, 1]. Returns (N, 1, 56, 56) bool.
    """
    big = F.interpolate(pixels, scale_factor=UPSCALE, mode="bilinear", align_corners=False)
    return skeletonize(big > INK_THRESHOLD)


def draw_lines(lines: torch.Tensor, widths: torch.Tensor) -> torch.Tensor:
    """Centre lines drawn with a round pen `widths` (N,) pixels wide, at 1/UPSCALE of their size.

    lines: (N, 1, h, w) bool at UPSCALE times the output resolution. Returns
    (N, 1, h / UPSCALE, w / UPSCALE) ink in [0, 1]: full inside the pen, a
    one-(fine-)pixel linear edge, averaged down for anti-aliasing.
    """
    radius = widths.view(-1, 1, 1, 1) * UPSCALE / 2  # in fine pixels
    d = distance_to(lines, float(radius.max()) + 1)
    fine = (radius + 0.5 - d).clamp(0.0, 1.0)
    return F.avg_pool2d(fine, UPSCALE)


def pen_redraw(pixels: torch.Tensor, widths: torch.Tensor) -> torch.Tensor:
    """MNIST-like digits (N, 1, 28, 28) redrawn along their centre lines.

    Each is drawn with a pen `widths` (N,) pixels wide.

    A digit with no ink above `INK_THRESHOLD` comes back blank.
    """
    return draw_lines(centre_lines(pixels), widths)


def stroke_width(pixels: torch.Tensor) -> torch.Tensor:
    """Each digit's mean stroke width in pixels: ink area over centre-line length.

    (N, 1, 28, 28) -> (N,).
    """
    area = (pixels > INK_THRESHOLD).sum((1, 2, 3)).float()
    length = centre_lines(pixels).sum((1, 2, 3)).float() / UPSCALE
    return area / length.clamp_min(1)


# ---- angular strokes: the centre line as straight segments between sparse points ----------


def trace_paths(line: np.ndarray) -> list[list[tuple[int, int]]]:
    """Walk a one-pixel-wide centre line (H, W bool) into connected pixel paths, as a pen would.

    Starts at a line end when there is one; at a fork, one branch is followed to
    its end and the others start new paths from the fork, so every pixel is on
    exactly one path and paths stay connected to where they branch off.
    """
    todo = {(int(r), int(c)) for r, c in zip(*np.nonzero(line), strict=True)}
    paths: list[list[tuple[int, int]]] = []
    visited: set[tuple[int, int]] = set()

    def unvisited_neighbours(p: tuple[int, int]) -> list[tuple[int, int]]:
        r, c = p
        near = [(r + dr, c + dc) for dr, dc in _STEPS]
        return [q for q in near if q in todo and q not in visited]

    def degree(p: tuple[int, int]) -> int:
        return sum((p[0] + dr, p[1] + dc) in todo for dr, dc in _STEPS)

    starts = sorted(todo, key=lambda p: (degree(p) != 1, p))  # line ends first
    forks: list[tuple[int, int]] = []
    while len(visited) < len(todo):
        start = next((f for f in forks if unvisited_neighbours(f)), None)
        if start is None:
            start = next(p for p in starts if p not in visited)
        path = [start]
        visited.add(start)
        while nxt := unvisited_neighbours(path[-1]):
            if len(nxt) > 1:
                forks.append(path[-1])
            path.append(nxt[0])  # orthogonal steps come first in _STEPS: no corner cutting
            visited.add(nxt[0])
        paths.append(path)
    return paths


_STEPS = ((-1, 0), (0, 1), (1, 0), (0, -1), (-1, 1), (1, 1), (1, -1), (-1, -1))


def straighten(line: np.ndarray, spacing: float) -> np.ndarray:
    """The centre line redrawn as straight segments through points `spacing` pixels apart along it.

    line: (H, W) bool. What a pen recorded at sparse points, or a hand that
    draws in straight strokes, leaves: curves become chords, corners stay.
    Returns (H, W) bool.
    """
    out = Image.new("1", (line.shape[1], line.shape[0]), 0)
    draw = ImageDraw.Draw(out)
    for path in trace_paths(line):
        step = max(1, round(spacing))
        keep = path[::step] + ([path[-1]] if (len(path) - 1) % step else [])
        xy = [(c, r) for r, c in keep]
        if len(xy) == 1:
            draw.point(xy, fill=1)
        else:
            draw.line(xy, fill=1, width=1)
    return np.array(out, dtype=bool)  # a writable copy


def straighten_batch(lines: torch.Tensor, spacings: torch.Tensor) -> torch.Tensor:
    """`straighten` for a batch (N, 1, H, W) bool with one spacing per image (N,). Per-image Python:
    meant for a one-off pass over a data set before training, not for a training loop."""
    out = [
        torch.from_numpy(straighten(one[0].numpy(), float(spacing)))[None]
        for one, spacing in zip(lines, spacings, strict=True)
    ]
    return torch.stack(out) if out else lines.clone()
