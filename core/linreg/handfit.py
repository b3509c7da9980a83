"""Fit it yourself: a line y = w x + b placed by hand, its loss and the gradient autograd finds.

The page lets a student move a line over the data before any training; the squares of the
residuals are drawn, and the loss and its gradient are computed here the way the by-hand
trainer computes them (mean squared error, `backward()`), in the data's own units. Gradient
descent can then continue from the student's line (`start_from_line`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core.linreg.data import Dataset
from core.linreg.problem import Problem, from_raw_coefficients, r_squared

MAX_ABS_PARAMETER = 1e6  # a line steeper than this is off any plot the page draws


@dataclass(frozen=True)
class HandLine:
    """A hand-placed line on the training data: its loss, gradient and R^2."""

    w: float
    b: float
    loss: float  # mean squared error
    grad_w: float  # dL/dw
    grad_b: float  # dL/db
    r2: float


def hand_line(data: Dataset, w: float, b: float) -> HandLine:
    """Loss and gradient of y = w x + b on `data`'s training points (float64, autograd)."""
    if not (math.isfinite(w) and math.isfinite(b)):
        raise ValueError("w and b must be finite numbers")
    x, y = data.x_train.double(), data.y_train.double()  # (N,), (N,)
    wt = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    loss = ((wt * x + bt - y) ** 2).mean()
    loss.backward()  # the same call the by-hand trainer makes
    pred = (w * x + b).numpy()
    return HandLine(
        float(w), float(b), loss.item(), wt.grad.item(), bt.grad.item(), r_squared(y.numpy(), pred)
    )


def parse_line(raw) -> tuple[float, float] | None:
    """What the browser sent as the hand-placed line ({"w": .., "b": ..}), or None if unusable."""
    if not isinstance(raw, dict):
        return None
    try:
        w, b = float(raw["w"]), float(raw["b"])
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) and abs(v) <= MAX_ABS_PARAMETER for v in (w, b)):
        return None
    return w, b


def start_from_line(problem: Problem, w: float, b: float) -> tuple[float, ...]:
    """The hand-placed line as a run's start (w1..wd, b) on `problem`'s features.

    Degree 1 only: a straight line is a polynomial of degree 1; higher terms start at 0.
    """
    coefficients = np.zeros(problem.d + 1)
    coefficients[0], coefficients[1] = b, w
    weights, bias = from_raw_coefficients(problem, coefficients)
    return (*weights, bias)
