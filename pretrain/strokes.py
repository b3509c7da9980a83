"""Digits as pen strokes, in the order people write them: templates, writer variation, rendering.

MNIST keeps no pen: its digits are images, and a centre line traced out of one
(pretrain.trajectory) runs in the order the tracer chose, not the writer's.
People write a 4 in two strokes, a 5's bar first or last, a 7 crossed, an 8 in
one stroke; a recorder without pen-up information (a tablet's joined
trajectory) then draws the jumps between strokes as lines, which no MNIST
digit shows. This module holds digits as strokes:

- `PEN_TEMPLATES`: common ways of writing each digit, stroke by stroke, in the
  order they are written; authored by hand from how people write, not taken
  from any data set (the evaluation sets are never looked at);
- `vary`: one writer's version of a drawing (rotation, slant, width, a smooth
  wobble, strokes placed a little off each other);
- `joined_points`: the strokes as one trajectory of n points, pen-up jumps
  included, in a 0..100 box with y up, as a sparsely sampling tablet records;
- `paint_strokes`: strokes drawn on the canvas with a round pen;
- `stroke_digits`: many varied templates painted on the canvas (in full, or as
  a sparse joined trajectory) and put through the page's preprocessing: extra
  training images that carry stroke orders and pen-up jumps.

Per-digit Python with PIL painting (about 1 ms a digit): for building a data
set once, never inside a training loop.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image, ImageDraw

from core.digits.pipeline import CANVAS_SIZE, preprocess
from pretrain.handwriting import ink_on_paper, paint_trajectory
from pretrain.trajectory import resample

Stroke = list[tuple[float, float]]  # (x, y) points in 0..1 of a square box, y down


def _ellipse(
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    start_deg: float,
    turns: float,
    clockwise: bool,
    k: int = 24,
) -> Stroke:
    """A loop as one stroke: `turns` times round an ellipse from `start_deg` (0 = top)."""
    sign = 1 if clockwise else -1
    return [
        (
            cx + rx * math.sin(math.radians(start_deg) + sign * 2 * math.pi * turns * t / k),
            cy - ry * math.cos(math.radians(start_deg) + sign * 2 * math.pi * turns * t / k),
        )
        for t in range(k + 1)
    ]


# Training templates. The canvas gate's drawings (pretrain.validation.CANVAS_STROKES)
# are kept apart from these: they are what a varied-drawing validation set is built from.
PEN_TEMPLATES: dict[int, list[list[Stroke]]] = {  # digit -> drawings -> strokes, in writing order
    0: [
        [
            _ellipse(0.5, 0.5, 0.28, 0.4, 0, 1.08, clockwise=False)
        ],  # from the top, anticlockwise, overlapping
        [_ellipse(0.52, 0.5, 0.24, 0.38, 40, 0.95, clockwise=True)],
    ],  # from the upper right, not closed
    1: [
        [[(0.52, 0.1), (0.46, 0.9)]],
        [[(0.33, 0.3), (0.56, 0.1), (0.55, 0.9)]],  # a long flag
        [[(0.38, 0.25), (0.55, 0.1), (0.55, 0.9)], [(0.35, 0.9), (0.75, 0.9)]],
    ],  # flag, then a foot
    2: [
        [
            [
                (0.25, 0.28),
                (0.35, 0.14),
                (0.5, 0.1),
                (0.66, 0.15),
                (0.72, 0.3),
                (0.65, 0.45),
                (0.25, 0.9),
                (0.78, 0.88),
            ]
        ],
        [
            [
                (0.28, 0.25),
                (0.45, 0.1),
                (0.66, 0.18),
                (0.66, 0.38),
                (0.3, 0.8),
                (0.24, 0.9),
                (0.34, 0.93),
                (0.42, 0.84),
                (0.5, 0.86),
                (0.78, 0.9),
            ]
        ],  # a loop at the bottom
        [
            [
                (0.3, 0.2),
                (0.5, 0.12),
                (0.68, 0.22),
                (0.6, 0.45),
                (0.45, 0.62),
                (0.28, 0.86),
                (0.55, 0.84),
                (0.8, 0.86),
            ]
        ],
    ],
    3: [
        [
            [
                (0.28, 0.15),
                (0.55, 0.1),
                (0.7, 0.22),
                (0.6, 0.42),
                (0.42, 0.48),
                (0.62, 0.52),
                (0.74, 0.7),
                (0.6, 0.88),
                (0.4, 0.9),
                (0.25, 0.8),
            ]
        ],
        [
            [
                (0.28, 0.12),
                (0.72, 0.12),
                (0.45, 0.42),
                (0.65, 0.5),
                (0.74, 0.68),
                (0.62, 0.86),
                (0.42, 0.9),
                (0.25, 0.8),
            ]
        ],
    ],  # a flat top
    4: [
        [[(0.6, 0.1), (0.22, 0.62), (0.8, 0.62)], [(0.6, 0.1), (0.6, 0.92)]],  # closed, stem last
        [
            [(0.3, 0.1), (0.26, 0.55), (0.75, 0.55)],
            [(0.65, 0.1), (0.65, 0.92)],
        ],  # an L, then the stem
        [[(0.3, 0.1), (0.26, 0.55), (0.78, 0.55)], [(0.66, 0.3), (0.64, 0.92)]],
    ],  # a short stem
    5: [
        [
            [
                (0.72, 0.12),
                (0.35, 0.12),
                (0.3, 0.45),
                (0.52, 0.4),
                (0.7, 0.52),
                (0.72, 0.72),
                (0.58, 0.88),
                (0.3, 0.85),
            ]
        ],  # one stroke, bar first
        [
            [(0.35, 0.12), (0.72, 0.12)],
            [
                (0.35, 0.12),
                (0.32, 0.46),
                (0.55, 0.42),
                (0.72, 0.58),
                (0.66, 0.82),
                (0.45, 0.9),
                (0.28, 0.8),
            ],
        ],  # bar, pen up, the rest
        [
            [
                (0.32, 0.1),
                (0.3, 0.48),
                (0.5, 0.4),
                (0.68, 0.48),
                (0.72, 0.7),
                (0.56, 0.88),
                (0.32, 0.86),
            ],
            [(0.34, 0.1), (0.74, 0.08)],
        ],
    ],  # bar last
    6: [
        [
            [
                (0.66, 0.1),
                (0.45, 0.2),
                (0.32, 0.45),
                (0.28, 0.7),
                (0.4, 0.88),
                (0.6, 0.86),
                (0.7, 0.7),
                (0.6, 0.55),
                (0.42, 0.55),
                (0.3, 0.68),
            ]
        ],
        [
            [
                (0.6, 0.1),
                (0.35, 0.55),
                (0.32, 0.75),
                (0.45, 0.9),
                (0.65, 0.82),
                (0.66, 0.62),
                (0.5, 0.55),
                (0.36, 0.62),
            ]
        ],
    ],  # a straight back
    7: [
        [[(0.25, 0.25), (0.25, 0.14), (0.75, 0.14), (0.5, 0.5), (0.4, 0.9)]],  # a hook at the start
        [[(0.22, 0.12), (0.78, 0.12), (0.55, 0.5), (0.5, 0.9)]],
        [[(0.22, 0.14), (0.76, 0.1), (0.52, 0.48), (0.44, 0.9)], [(0.36, 0.46), (0.66, 0.5)]],
    ],  # crossed
    8: [
        [
            [
                (0.5, 0.1),
                (0.32, 0.18),
                (0.34, 0.36),
                (0.5, 0.48),
                (0.68, 0.62),
                (0.68, 0.82),
                (0.5, 0.9),
                (0.32, 0.82),
                (0.32, 0.62),
                (0.5, 0.48),
                (0.66, 0.34),
                (0.66, 0.18),
                (0.5, 0.1),
            ]
        ],  # one stroke
        [
            _ellipse(0.5, 0.3, 0.17, 0.19, 180, 1.0, clockwise=False),
            _ellipse(0.5, 0.7, 0.2, 0.2, 0, 1.0, clockwise=True),
        ],
    ],  # two loops
    9: [
        [
            [
                (0.68, 0.2),
                (0.5, 0.1),
                (0.32, 0.2),
                (0.32, 0.4),
                (0.5, 0.48),
                (0.68, 0.38),
                (0.7, 0.15),
                (0.7, 0.5),
                (0.66, 0.9),
            ]
        ],  # loop, straight stem
        [
            [
                (0.66, 0.22),
                (0.52, 0.1),
                (0.34, 0.18),
                (0.32, 0.38),
                (0.48, 0.46),
                (0.66, 0.36),
                (0.68, 0.2),
                (0.68, 0.6),
                (0.6, 0.82),
                (0.42, 0.9),
                (0.3, 0.82),
            ]
        ],  # a curled tail
        [_ellipse(0.48, 0.3, 0.18, 0.18, 90, 1.0, clockwise=False), [(0.66, 0.2), (0.62, 0.9)]],
    ],  # loop, pen up
}


# ---- one writer's version ---------------------------------------------------


def densify(stroke, step: float = 0.01) -> np.ndarray:
    """A stroke's corner points (P, 2) as points about `step` apart along it.

    The points are that close so that warping bends the stroke.
    """
    pts = np.asarray(stroke, np.float64).reshape(-1, 2)
    length = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()) if len(pts) > 1 else 0.0
    return resample(pts, max(2, math.ceil(length / step) + 1)) if length > 0 else pts


def vary(
    strokes,
    rng: np.random.Generator,
    rotation_deg: float = 12.0,
    slant: float = 0.3,
    aspect: tuple[float, float] = (0.7, 1.3),
    wobble: float = 0.04,
    offset: float = 0.03,
) -> list[np.ndarray]:
    """One writer's version of a drawing: every stroke densified, then warped the same way.

    A smooth wobble (a few low sine waves, amplitude about `wobble` of the box),
    a width change in `aspect`, a slant (x += slant * y) and a rotation up to
    `rotation_deg`; each stroke after the first is also moved by up to `offset`,
    as a pen lifted and put down again lands a little off. Returns (P, 2)
    arrays centred near 0, y down.
    """
    a = math.radians(rng.uniform(-rotation_deg, rotation_deg))
    turn = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    shape = np.array([[rng.uniform(*aspect), rng.uniform(-slant, slant)], [0.0, 1.0]])
    amp = rng.normal(0.0, wobble, (2, 2, 2))  # (output axis, frequency, input axis)
    phase = rng.uniform(0.0, 2 * math.pi, (2, 2, 2))

    def warp(p: np.ndarray) -> np.ndarray:
        freq = np.array([1.0, 2.0])[None, :, None] * math.pi  # (1, 2, 1)
        waves = amp[None] * np.sin(freq * p[:, None, None, :] + phase[None])  # (P, 2, 2, 2)
        return (p - 0.5 + waves.sum(axis=(2, 3))) @ (turn @ shape).T

    out = []
    for i, stroke in enumerate(strokes):
        moved = densify(stroke) + (rng.uniform(-offset, offset, 2) if i else 0.0)
        out.append(warp(moved))
    return out


# ---- recording and painting -------------------------------------------------


def joined_points(strokes, n_points: int) -> np.ndarray:
    """The strokes joined in writing order (pen-up jumps drawn) as `n_points` points.

    In pendigits' format: points spaced evenly along the joined line, scaled so
    the larger side spans 0..100 (aspect kept), y up. Returns (n_points, 2).
    """
    return in_pen_box(
        resample(np.concatenate([np.asarray(s, np.float64) for s in strokes]), n_points)
    )


def in_pen_box(points: np.ndarray) -> np.ndarray:
    """Points (K, 2) x, y (y down) moved and scaled so the larger side spans 0..100.

    Aspect kept, y up.
    """
    pts = points - points.min(0)
    pts = pts * (100 / max(float(pts.max()), 1e-6))
    pts[:, 1] = 100 - pts[:, 1]
    return pts


def on_canvas(
    strokes, height: float = 0.7, centre: tuple[float, float] = (0.5, 0.5)
) -> list[np.ndarray]:
    """Strokes scaled so the drawing's larger side is `height` of the canvas.

    Centred at `centre` (fractions).
    """
    pts = np.concatenate(strokes)
    lo, hi = pts.min(0), pts.max(0)
    scale = height / max(float((hi - lo).max()), 1e-6)
    mid = (lo + hi) / 2
    return [(np.asarray(s) - mid) * scale + np.array(centre) for s in strokes]


def stroke_mask(strokes, pen: int, side: int = CANVAS_SIZE) -> np.ndarray:
    """Strokes in canvas fractions drawn with a round pen `pen` pixels wide.

    Returns (side, side) uint8, 255 = ink.
    """
    mask = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mask)
    r = pen / 2
    for stroke in strokes:
        xy = [(float(fx) * side, float(fy) * side) for fx, fy in stroke]
        draw.line(xy, fill=255, width=pen, joint="curve")
        for x, y in (xy[0], xy[-1]):
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(mask)


def paint_strokes(strokes, pen: int, side: int = CANVAS_SIZE) -> np.ndarray:
    """`stroke_mask` as the page gets a drawing: black ink on white RGBA (side, side, 4) uint8."""
    return ink_on_paper(stroke_mask(strokes, pen, side).astype(np.float32) / 255)


# ---- a training set ---------------------------------------------------------


def stroke_digits(
    n: int,
    seed: int,
    templates=PEN_TEMPLATES,
    sparse_share: float = 0.5,
    sparse_points: tuple[int, int] = (6, 14),
    pens: tuple[int, int] = (8, 34),
) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` varied template digits as the model's input ink.

    Returns the ink (n, 1, 28, 28) float in [0, 1] and the labels (n,) int64.

    Digits and their drawings are picked uniformly. A `sparse_share` of them is
    recorded as a joined trajectory of `sparse_points` points (pen-up jumps
    drawn) and painted with a random pen; the rest are painted stroke by stroke,
    at a random size and place, with a random pen in `pens` (canvas pixels).
    Each canvas then goes through the page's preprocessing (core.digits.pipeline.preprocess).
    """
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for _ in range(n):
        digit = int(rng.integers(10))
        drawings = templates[digit]
        strokes = vary(drawings[int(rng.integers(len(drawings)))], rng)
        pen = int(rng.integers(pens[0], pens[1] + 1))
        if rng.random() < sparse_share:
            k = int(rng.integers(sparse_points[0], sparse_points[1] + 1))
            canvas = paint_trajectory(joined_points(strokes, k), stroke=pen)
        else:
            placed = on_canvas(strokes, rng.uniform(0.4, 0.85), tuple(rng.uniform(0.35, 0.65, 2)))
            canvas = paint_strokes(placed, pen)
        images.append(torch.from_numpy(preprocess(canvas).centred))
        labels.append(digit)
    return torch.stack(images)[:, None].float(), torch.tensor(labels, dtype=torch.int64)
