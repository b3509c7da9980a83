"""Looking at a trained model: its probability surface on a grid, the linear boundary, logits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.logreg.model import PlaygroundNet
from core.runtime import one_thread


def linear_boundary(model: PlaygroundNet) -> tuple[float, float, float] | None:
    """(w1, w2, b) of a two-class model on plain x1, x2 with no hidden layer, else None."""
    if not model.binary or model.features or model.hidden_layers:
        return None
    w = model.output.weight.detach()[0]  # (2,)
    return float(w[0]), float(w[1]), float(model.output.bias.detach()[0])


def boundary_line(
    w1: float,
    w2: float,
    b: float,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    n: int = 200,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Points (x1, x2) inside the view on w1 x1 + w2 x2 + b = 0, i.e. x2 = -(w1 x1 + b) / w2.

    Walks along the axis the line is closer to (so a steep line is not just a few
    points); with w = 0 there is no line, and a line outside the view gives None.
    """
    if max(abs(w1), abs(w2)) < 1e-12:
        return None
    if abs(w2) >= abs(w1):
        x1 = np.linspace(xlim[0], xlim[1], n)
        x2 = -(w1 * x1 + b) / w2
    else:
        x2 = np.linspace(ylim[0], ylim[1], n)
        x1 = -(w2 * x2 + b) / w1
    inside = (x1 >= xlim[0]) & (x1 <= xlim[1]) & (x2 >= ylim[0]) & (x2 <= ylim[1])
    if inside.sum() < 2:
        return None
    return x1[inside], x2[inside]


@dataclass(frozen=True)
class Surface:
    """The model on a grid: `xs` (R,) along x1, `ys` (R,) along x2, `probs` (R, R) of
    p(class 1) for two classes or (K, R, R) for K; row i is x2 = ys[i]."""

    xs: np.ndarray
    ys: np.ndarray
    probs: np.ndarray


def probability_surface(model: PlaygroundNet, bounds, resolution: int = 200) -> Surface:
    """Evaluate the model on a resolution x resolution grid over `bounds` in one call."""
    with one_thread():
        return _surface(model, bounds, resolution)


def _surface(model: PlaygroundNet, bounds, resolution: int) -> Surface:
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    xs = torch.linspace(x_lo, x_hi, resolution)
    ys = torch.linspace(y_lo, y_hi, resolution)
    g2, g1 = torch.meshgrid(ys, xs, indexing="ij")  # (R, R) each: rows along x2
    points = torch.stack([g1.reshape(-1), g2.reshape(-1)], dim=1)  # (R*R, 2)
    probs = model.probabilities(points)  # (R*R,) or (R*R, K)
    if model.binary:
        grid = probs.reshape(resolution, resolution)
    else:
        grid = probs.T.reshape(-1, resolution, resolution)  # (K, R, R)
    return Surface(xs.numpy(), ys.numpy(), grid.numpy())


def logits(model: PlaygroundNet, x: torch.Tensor) -> np.ndarray:
    """The model's logits for points x (N, 2): (N,) or (N, K)."""
    with torch.inference_mode():
        return model(x).numpy()
