"""The loss landscape over (w, b): the surface a run's path is drawn on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.linreg.problem import Problem, closed_form


def loss_landscape(
    problem: Problem, w_values: np.ndarray, b_values: np.ndarray, other_weights=()
) -> np.ndarray:
    """MSE on the training set over a grid of (w1, b): (len(b_values), len(w_values)).

    Higher weights (degree > 1) are held at `other_weights`, so this is a slice
    through the landscape. Vectorised: the MSE is a quadratic in (w1, b), so
    five averages over the data give the whole grid at once, for any N.
    """
    X, y = problem.X_train.double(), problem.y_train.double()  # (N, d), (N,)
    rest = torch.as_tensor(np.asarray(other_weights, dtype=np.float64)).reshape(-1)
    r = y - X[:, 1:] @ rest if problem.d > 1 else y  # (N,) what w1 * x1 + b must explain
    x1 = X[:, 0]
    m_xx, m_x, m_xr = (x1 * x1).mean(), x1.mean(), (x1 * r).mean()
    m_r, m_rr = r.mean(), (r * r).mean()
    W = torch.as_tensor(w_values, dtype=torch.float64)[None, :]  # (1, Gw)
    B = torch.as_tensor(b_values, dtype=torch.float64)[:, None]  # (Gb, 1)
    L = W * W * m_xx + 2 * W * B * m_x + B * B - 2 * W * m_xr - 2 * B * m_r + m_rr  # (Gb, Gw)
    return L.clamp_min(0).numpy()


@dataclass(frozen=True)
class Landscape:
    """A loss grid over (w1, b) centred on the closed-form solution."""

    w: np.ndarray  # (G,)
    b: np.ndarray  # (G,)
    loss: np.ndarray  # (G, G), rows are b
    minimum: float  # loss at the closed-form solution (in this slice)
    is_slice: bool  # True when degree > 1: other weights held at their closed-form values


def landscape_around(
    problem: Problem, start: tuple[float, float], resolution: int = 51
) -> Landscape:
    """The landscape on a square window holding the closed form and the start, with margin."""
    w_star, b_star = closed_form(problem)
    cw, cb = float(w_star[0]), b_star
    half = 1.3 * max(abs(start[0] - cw), abs(start[1] - cb), 0.5)
    w = np.linspace(cw - half, cw + half, resolution)
    b = np.linspace(cb - half, cb + half, resolution)
    rest = w_star[1:]
    minimum = float(loss_landscape(problem, np.array([cw]), np.array([cb]), rest)[0, 0])
    return Landscape(w, b, loss_landscape(problem, w, b, rest), minimum, problem.d > 1)
