"""Shared helpers for the draw-a-digit tests: paint MNIST digits and shapes onto canvases."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

CANVAS = 280


def paint(
    ink28: np.ndarray,
    scale: float = 10.0,
    top: int = 0,
    left: int = 0,
    side: int = CANVAS,
    ink=(0, 0, 0, 255),
    paper=(255, 255, 255, 255),
) -> np.ndarray:
    """A 28x28 ink image (uint8 or 0..1) scaled by `scale` and painted at (top, left)
    on an RGBA canvas.
    """
    a = np.asarray(ink28, np.float32)
    a = a / 255.0 if a.max() > 1 else a
    size = max(1, int(round(28 * scale)))
    big = (
        F.interpolate(
            torch.from_numpy(a)[None, None],
            size=(size, size),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )[0, 0]
        .clamp(0, 1)
        .numpy()
    )
    m = np.zeros((side, side), np.float32)
    r1, c1 = min(side, top + size), min(side, left + size)
    m[top:r1, left:c1] = big[: r1 - top, : c1 - left]
    return compose(m, ink, paper)


def compose(mask: np.ndarray, ink=(0, 0, 0, 255), paper=(255, 255, 255, 255)) -> np.ndarray:
    """Ink mask (H, W) in [0, 1] -> RGBA uint8, blending paper and ink colours (alpha too)."""
    m = mask[..., None]
    out = np.array(paper, np.float32) * (1 - m) + np.array(ink, np.float32) * m
    return out.round().astype(np.uint8)


def disc(cy: float, cx: float, r: float, side: int = CANVAS) -> np.ndarray:
    """A filled disc as an ink mask (H, W) in {0, 1}."""
    yy, xx = np.mgrid[:side, :side]
    return ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r).astype(np.float32)
