"""A validation set for design choices that is neither MNIST nor the evaluation sets: typeset digits.

The handwriting sets (core.handwriting) are for evaluation only, and MNIST test
is too close to MNIST train to show how a model copes with other writing
styles. Digits typeset in every installed TrueType font (serif ones with a
flag and a foot, slanted ones, bold ones), slightly rotated and drawn large
on a 280x280 canvas, give an independent check: this is what chose the
augmentation (e.g. no elastic wobble, which made ones unreadable). The fonts
differ from machine to machine, so the figure is comparable only on one machine.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from core.digits import CANVAS_SIZE, preprocess, probabilities

FONT_GLOBS = ("/usr/share/fonts/truetype/*/*.ttf", "/usr/share/fonts/TTF/*.ttf", "/Library/Fonts/*.ttf")
ANGLES = (0, 8, -8)


@dataclass(frozen=True)
class TypesetDigits:
    """Model inputs (N, 1, 28, 28) made by the page's pipeline, their labels (N,), and the font count."""

    x: torch.Tensor
    labels: np.ndarray
    fonts: int


def font_paths() -> list[str]:
    return sorted({p for pattern in FONT_GLOBS for p in glob.glob(pattern)})


def typeset_canvas(digit: int, font: ImageFont.FreeTypeFont, angle: float, side: int = CANVAS_SIZE) -> np.ndarray:
    """One digit, black on white, about 200 pixels tall and rotated by `angle`, as RGBA."""
    big = side + 120
    im = Image.new("L", (big, big), 0)
    ImageDraw.Draw(im).text((big // 2, big // 2), str(digit), fill=255, font=font, anchor="mm")
    im = im.rotate(angle, resample=Image.Resampling.BILINEAR).crop((60, 60, 60 + side, 60 + side))
    ink = np.asarray(im, np.float32) / 255
    paper = np.full(ink.shape + (3,), 255, np.float32) * (1 - ink[..., None])
    return np.concatenate([paper, np.full(ink.shape + (1,), 255, np.float32)], axis=2).astype(np.uint8)


def typeset_digits(paths: list[str] | None = None, angles=ANGLES) -> TypesetDigits:
    """Every digit in every font at each angle, through `core.digits.preprocess`."""
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
    return TypesetDigits(x, np.array(labels, np.int64), len(paths))


def accuracy(model: torch.nn.Module, data: TypesetDigits) -> float | None:
    """Share of the typeset digits `model` reads correctly; None when no font was found."""
    if len(data.labels) == 0:
        return None
    return float((probabilities(model, data.x).argmax(1) == data.labels).mean())
