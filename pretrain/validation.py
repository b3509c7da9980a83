"""A validation set for design choices that is neither MNIST nor the evaluation sets:
typeset digits.

The handwriting sets (pretrain.handwriting) are for evaluation only, and MNIST test
is too close to MNIST train to show how a model copes with other writing
styles. Digits typeset in every installed TrueType font (serif ones with a
flag and a foot, slanted ones, bold ones), slightly rotated and drawn large
on a 280x280 canvas, give an independent check: this is what chose the
augmentation (e.g. no elastic wobble, which made ones unreadable). The fonts
differ from machine to machine, so the figure is comparable only on one machine.

Typeset digits are easy for a CNN (99.9%), so a second set asks the harder
question a canvas poses: MNIST *test* digits redrawn along their centre lines
with a uniform pen of the widths the page's pen slider gives (pretrain.pen),
painted onto a 280x280 canvas and put through the page's pipeline. A third
asks about writers unlike any in MNIST: MNIST test distorted beyond every
range the training uses (`OVER_DISTORTED`).

Two more imitate, on MNIST *test* digits, the recording formats that the
evaluation sets' documentation describes (never their data): `sparse_pen_digits`
keeps 8 points along each digit's joined centre line and draws them with the
page's pen, as a tablet that samples sparsely records a digit; `box_filled_digits`
stretches each digit to fill a square and binarises it at 16x16 or 32x32, as
scanned-and-normalised bitmaps come. Last, `CANVAS_STROKES` are digits drawn
with the mouse on the page (the browser test's own): a model that misreads
one of them is not shipped, whatever else it scores (`misread_strokes`).

MNIST digits keep no stroke order, so the sparse and square sets above show
the recording formats on MNIST's writers only. `tablet_digits` and
`tablet_box_digits` vary the canvas drawings as many writers would
(pretrain.strokes.vary), in their own stroke orders, then record them as a
sparse joined trajectory (pen-up jumps drawn) or as a square 16x16 bitmap.
Training's stroke templates (pretrain.strokes.PEN_TEMPLATES) are other
drawings, so these sets ask whether a model reads writing it never saw.
"""

from __future__ import annotations

import glob
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFont

from core.digits.pipeline import CANVAS_SIZE, DEFAULT_STROKE, preprocess, probabilities
from core.mnist.data import MNIST_MEAN, MNIST_STD
from pretrain.augment import AugmentConfig, augment_batch
from pretrain.handwriting import ink_on_paper, paint_bitmap, paint_trajectory
from pretrain.pen import centre_lines, pen_redraw
from pretrain.strokes import (
    in_pen_box,
    joined_points,
    on_canvas,
    paint_strokes,
    stroke_mask,
    vary,
)
from pretrain.trajectory import trajectory

FONT_GLOBS = (
    "/usr/share/fonts/truetype/*/*.ttf",
    "/usr/share/fonts/TTF/*.ttf",
    "/Library/Fonts/*.ttf",
)
ANGLES = (0, 8, -8)
PEN_WIDTHS = (0.8, 1.2, 1.8)  # pixels in the 28x28 field: thin pens, where MNIST models read worst
OVER_DISTORTED = AugmentConfig(
    max_rotation_deg=25,
    max_shear=0.45,
    aspect=(0.6, 1.6),
    elastic_px=1.5,
    elastic_cells=4,
    pen_prob=0.5,
    pen_width=(0.6, 5.0),
    thicken_prob=0.3,
    thin_prob=0.3,
)


@dataclass(frozen=True)
class ValidationDigits:
    """One validation set: model inputs (N, 1, 28, 28), normalised as the page normalises a drawing,
    their labels (N,), and how many fonts made it (typeset digits only; 0 for the others)."""

    x: torch.Tensor
    labels: np.ndarray
    fonts: int


def font_paths() -> list[str]:
    return sorted({p for pattern in FONT_GLOBS for p in glob.glob(pattern)})


def typeset_canvas(
    digit: int, font: ImageFont.FreeTypeFont, angle: float, side: int = CANVAS_SIZE
) -> np.ndarray:
    """One digit, black on white, about 200 pixels tall and rotated by `angle`, as RGBA."""
    big = side + 120
    im = Image.new("L", (big, big), 0)
    ImageDraw.Draw(im).text((big // 2, big // 2), str(digit), fill=255, font=font, anchor="mm")
    im = im.rotate(angle, resample=Image.Resampling.BILINEAR).crop((60, 60, 60 + side, 60 + side))
    return ink_on_paper(np.asarray(im, np.float32) / 255)


def typeset_digits(paths: list[str] | None = None, angles=ANGLES) -> ValidationDigits:
    """Every digit in every font at each angle, through `core.digits.pipeline.preprocess`."""
    paths = font_paths() if paths is None else paths
    xs, labels = [], []
    for path in paths:
        try:
            font = ImageFont.truetype(path, 200)
        except OSError:  # not a font PIL can read: skip it
            continue
        for digit in range(10):
            for angle in angles:
                xs.append(preprocess(typeset_canvas(digit, font, angle)).tensor)
                labels.append(digit)
    x = torch.cat(xs) if xs else torch.zeros(0, 1, 28, 28)
    return ValidationDigits(x, np.array(labels, np.int64), len(paths))


def pen_drawn_digits(
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    n: int = 2000,
    widths: tuple[float, ...] = PEN_WIDTHS,
    seed: int = 0,
) -> ValidationDigits:
    """`n` seeded MNIST test digits, each redrawn with every pen width, through the page's pipeline.

    test_images: (N, 28, 28) uint8, test_labels (N,). The redrawn 28x28 digit is
    scaled up bilinearly onto the canvas, as if drawn there, then preprocessed.
    """
    idx = _sample(test_labels, n, seed)
    pixels = test_images[idx].float().div(255).unsqueeze(1)  # (n, 1, 28, 28)
    xs, labels = [], []
    for width in widths:
        drawn = pen_redraw(pixels, torch.full((len(idx),), width))  # (n, 1, 28, 28)
        canvas = F.interpolate(
            drawn, size=(CANVAS_SIZE, CANVAS_SIZE), mode="bilinear", align_corners=False
        )
        for ink, label in zip(
            canvas[:, 0].clamp(0, 1).numpy(), test_labels[idx].tolist(), strict=True
        ):
            xs.append(preprocess(ink_on_paper(ink)).tensor)
            labels.append(label)
    return ValidationDigits(torch.cat(xs), np.array(labels, np.int64), 0)


def over_distorted_digits(
    test_images: torch.Tensor, test_labels: torch.Tensor, seed: int = 123
) -> ValidationDigits:
    """All MNIST test digits with one seeded draw of `OVER_DISTORTED`.

    Normalised like the training data.
    """
    pixels = test_images.float().div(255).unsqueeze(1)  # (N, 1, 28, 28)
    x = augment_batch(pixels, OVER_DISTORTED, torch.Generator().manual_seed(seed))
    return ValidationDigits((x - MNIST_MEAN) / MNIST_STD, test_labels.numpy().astype(np.int64), 0)


def sparse_pen_digits(
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    n: int = 2000,
    n_points: int = 8,
    seed: int = 0,
) -> ValidationDigits:
    """`n` seeded MNIST test digits as `n_points`-point pen trajectories drawn on the canvas.

    Each digit's centre line becomes one joined trajectory (pretrain.trajectory),
    scaled so its larger side spans 0..100, and is drawn with the page's default
    pen (pretrain.handwriting.paint_trajectory), then preprocessed like a drawing.
    """
    idx = _sample(test_labels, n, seed)
    lines = centre_lines(test_images[idx].float().div(255).unsqueeze(1))  # (n, 1, 56, 56)
    xs, labels = [], []
    for line, label in zip(lines[:, 0].numpy(), test_labels[idx].tolist(), strict=True):
        pts = trajectory(line, n_points)  # (n_points, 2) x, y with y down
        if len(pts) == 0:
            continue
        xs.append(
            preprocess(paint_trajectory(in_pen_box(pts))).tensor
        )  # y up, as pen tablets record it
        labels.append(label)
    return ValidationDigits(torch.cat(xs), np.array(labels, np.int64), 0)


def box_filled_digits(
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    n: int = 2000,
    sides: tuple[int, ...] = (16, 32),
    seed: int = 0,
) -> ValidationDigits:
    """`n` seeded MNIST test digits stretched to fill a square.

    Binarised at each of `sides`, painted.

    The ink's bounding box is scaled (aspect ratio not kept) to side x side,
    thresholded at half ink and painted blockily onto the canvas
    (pretrain.handwriting.paint_bitmap), then preprocessed like a drawing.
    """
    idx = _sample(test_labels, n, seed)
    xs, labels = [], []
    for side in sides:
        for img, label in zip(test_images[idx].numpy(), test_labels[idx].tolist(), strict=True):
            xs.append(preprocess(box_filled(img, side)).tensor)
            labels.append(label)
    return ValidationDigits(torch.cat(xs), np.array(labels, np.int64), 0)


def box_filled(ink: np.ndarray, side: int) -> np.ndarray:
    """Ink (H, W) uint8, 255 = full, stretched from its bounding box to side x side.

    Then binarised and painted (RGBA).
    """
    rows, cols = np.nonzero(ink > 25)
    crop = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    small = np.asarray(Image.fromarray(crop).resize((side, side), Image.Resampling.BILINEAR))
    return paint_bitmap(small >= 128)


def _sample(labels: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    return torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))[:n]


# Digits as drawn with the mouse on the page, in canvas fractions (0..1), one list
# of points per stroke: the browser test draws the first three. The others are
# common ways of writing the rest (an open 4, a crossed 7, a 5 with its bar last).
CANVAS_STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "1": [[(0.45, 0.18), (0.55, 0.12), (0.55, 0.88)]],
    "0": [
        [
            (
                0.5 + 0.26 * math.sin(t / 24 * 2 * math.pi),
                0.5 - 0.37 * math.cos(t / 24 * 2 * math.pi),
            )
            for t in range(25)
        ]
    ],
    "7": [[(0.25, 0.16), (0.75, 0.16), (0.42, 0.88)]],
    "plain 1": [[(0.5, 0.12), (0.48, 0.88)]],
    "2": [
        [
            (0.28, 0.3),
            (0.38, 0.16),
            (0.55, 0.12),
            (0.7, 0.22),
            (0.7, 0.38),
            (0.28, 0.86),
            (0.76, 0.86),
        ]
    ],
    "3": [
        [
            (0.3, 0.18),
            (0.5, 0.12),
            (0.68, 0.2),
            (0.66, 0.38),
            (0.45, 0.48),
            (0.68, 0.58),
            (0.7, 0.76),
            (0.52, 0.88),
            (0.3, 0.82),
        ]
    ],
    "open 4": [[(0.55, 0.12), (0.25, 0.6), (0.75, 0.6)], [(0.62, 0.35), (0.62, 0.88)]],
    "5": [
        [
            (0.35, 0.15),
            (0.32, 0.45),
            (0.55, 0.42),
            (0.7, 0.55),
            (0.68, 0.76),
            (0.5, 0.87),
            (0.3, 0.8),
        ],
        [(0.35, 0.15), (0.7, 0.15)],
    ],
    "6": [
        [
            (0.62, 0.12),
            (0.4, 0.35),
            (0.3, 0.6),
            (0.35, 0.82),
            (0.52, 0.88),
            (0.68, 0.75),
            (0.65, 0.58),
            (0.48, 0.52),
            (0.32, 0.62),
        ]
    ],
    "crossed 7": [[(0.25, 0.16), (0.75, 0.16), (0.42, 0.88)], [(0.36, 0.52), (0.68, 0.52)]],
    "8": [
        [
            (0.62, 0.2),
            (0.5, 0.12),
            (0.36, 0.2),
            (0.38, 0.36),
            (0.62, 0.6),
            (0.64, 0.8),
            (0.5, 0.88),
            (0.36, 0.8),
            (0.38, 0.6),
            (0.62, 0.36),
            (0.64, 0.2),
        ]
    ],
    "9": [
        [
            (0.66, 0.25),
            (0.55, 0.14),
            (0.38, 0.18),
            (0.34, 0.36),
            (0.46, 0.46),
            (0.62, 0.4),
            (0.66, 0.25),
            (0.64, 0.88),
        ]
    ],
}
CANVAS_PENS = (10, 20, 30)  # pen widths (canvas pixels) the gate draws them with


def misread_strokes(model: torch.nn.Module, strokes=CANVAS_STROKES, pens=CANVAS_PENS) -> list[str]:
    """The canvas drawings `model` misreads, as "name at pen width -> read as" strings.

    Empty: none. A drawing's name ends with its digit ("crossed 7")."""
    wrong = []
    for digit, digit_strokes in strokes.items():
        for pen in pens:
            read = int(
                probabilities(model, preprocess(paint_strokes(digit_strokes, pen)).tensor).argmax()
            )
            if str(read) != digit[-1]:
                wrong.append(f"{digit} at pen {pen} -> {read}")
    return wrong


def accuracy(model: torch.nn.Module, data: ValidationDigits) -> float | None:
    """Share of a validation set `model` reads correctly; None for an empty set (no font found)."""
    if len(data.labels) == 0:
        return None
    return float((probabilities(model, data.x).argmax(1) == data.labels).mean())


def _varied_drawings(per_drawing: int, seed: int, drawings) -> list[tuple[list[np.ndarray], int]]:
    """Each drawing varied `per_drawing` times (pretrain.strokes.vary), with its digit."""
    rng = np.random.default_rng(seed)
    return [
        (vary(strokes, rng), int(name[-1]))
        for name, strokes in drawings.items()
        for _ in range(per_drawing)
    ]


def tablet_digits(
    per_drawing: int = 100, n_points: int = 8, seed: int = 0, drawings=CANVAS_STROKES
) -> ValidationDigits:
    """The canvas gate's drawings as many writers would write them.

    Recorded as a sparse tablet does.

    Each drawing (`CANVAS_STROKES`: multi-stroke ones included, in their writing
    order) is varied `per_drawing` times, joined into one `n_points`-point
    trajectory with its pen-up jumps drawn (pretrain.strokes.joined_points),
    drawn with the page's default pen and preprocessed. Training never sees
    these drawings (pretrain.strokes.PEN_TEMPLATES are others).
    """
    varied = _varied_drawings(per_drawing, seed, drawings)
    xs = [
        preprocess(paint_trajectory(joined_points(strokes, n_points))).tensor
        for strokes, _ in varied
    ]
    return ValidationDigits(torch.cat(xs), np.array([d for _, d in varied], np.int64), 0)


def tablet_box_digits(
    per_drawing: int = 100, side: int = 16, seed: int = 1, drawings=CANVAS_STROKES
) -> ValidationDigits:
    """The canvas gate's drawings, varied as in `tablet_digits`, painted with the page's pen.

    Then stretched into a square `side` x `side` bitmap (`box_filled`) as
    scanned-and-normalised digits come."""
    varied = _varied_drawings(per_drawing, seed, drawings)
    xs = []
    for strokes, _ in varied:
        xs.append(
            preprocess(box_filled(stroke_mask(on_canvas(strokes), DEFAULT_STROKE), side)).tensor
        )
    return ValidationDigits(torch.cat(xs), np.array([d for _, d in varied], np.int64), 0)
