"""A regression problem: features, standardisation, mini-batches, and its exact answers.

The closed-form least-squares solution (`torch.linalg.lstsq`), R^2 and the largest stable
learning rate are computed here. Functions marked "exported verbatim" are copied into the
reproduction script by `core.linreg.export`, so they use nothing but `torch` and their arguments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core.linreg.data import Dataset

MAX_DEGREE = 5


def polynomial_features(x, degree):
    """Columns x, x^2, ..., x^degree of a 1-D float64 tensor: (N,) -> (N, degree)."""
    return torch.stack([x**k for k in range(1, degree + 1)], dim=1)


def standardiser(features):
    """Per-column mean and standard deviation of the training features (std 1 if constant)."""
    mean = features.mean(dim=0)  # (d,)
    std = features.std(dim=0, correction=0)  # (d,)
    return mean, torch.where(std > 0, std, torch.ones_like(std))


def batch_indices(n, batch_size, seed):
    """Rows of each step's batch, forever: all rows (full batch), or shuffled mini-batches.

    A fresh shuffle per epoch from a generator seeded with `seed`, so two
    trainers given the same seed see the same batches in the same order.
    """
    if batch_size is None or batch_size >= n:
        while True:
            yield slice(None)
    g = torch.Generator().manual_seed(seed)
    while True:
        yield from torch.randperm(n, generator=g).split(batch_size)


@dataclass(frozen=True, eq=False)
class Problem:
    """A data set turned into training tensors: polynomial features, maybe standardised.

    Training runs in float32 (PyTorch's default); features are built in float64
    first so that x^5 of large x loses nothing before standardisation.
    """

    data: Dataset
    degree: int
    standardise: bool
    mean: torch.Tensor  # (d,) float64, zeros when not standardising
    std: torch.Tensor  # (d,) float64, ones when not standardising
    X_train: torch.Tensor  # (N, d) float32
    y_train: torch.Tensor  # (N,) float32
    X_test: torch.Tensor  # (M, d) float32
    y_test: torch.Tensor  # (M,) float32

    @property
    def n(self) -> int:
        return self.X_train.shape[0]

    @property
    def d(self) -> int:
        return self.X_train.shape[1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Raw x (N,) -> the model's inputs (N, d), float64."""
        return (polynomial_features(x.double(), self.degree) - self.mean) / self.std


def make_problem(data: Dataset, degree: int = 1, standardise: bool = False) -> Problem:
    """Features of `data` for a polynomial of `degree` (1 = a line), standardised on request."""
    if not 1 <= degree <= MAX_DEGREE:
        raise ValueError(f"degree must be 1..{MAX_DEGREE}")
    F = polynomial_features(data.x_train, degree)  # (N, d) float64
    if standardise:
        mean, std = standardiser(F)
    else:
        mean, std = (
            torch.zeros(degree, dtype=torch.float64),
            torch.ones(degree, dtype=torch.float64),
        )
    X_train = ((F - mean) / std).float()
    X_test = ((polynomial_features(data.x_test, degree) - mean) / std).float()
    return Problem(
        data,
        degree,
        standardise,
        mean,
        std,
        X_train,
        data.y_train.float(),
        X_test.reshape(-1, degree),
        data.y_test.float(),
    )


def design_matrix(problem: Problem) -> torch.Tensor:
    """[features | 1] of the training rows in float64: (N, d + 1)."""
    X = problem.X_train.double()
    return torch.cat([X, torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)


def closed_form(problem: Problem) -> tuple[np.ndarray, float]:
    """Least-squares weights (d,) and bias via `torch.linalg.lstsq` (float64, minimum norm)."""
    A = design_matrix(problem)  # (N, d + 1)
    sol = torch.linalg.lstsq(A, problem.y_train.double().unsqueeze(1), driver="gelsd").solution
    theta = sol.squeeze(1).numpy()  # (d + 1,)
    return theta[:-1], float(theta[-1])


def max_stable_lr(problem: Problem) -> float:
    """Largest learning rate at which full-batch gradient descent on this MSE converges.

    The loss is a quadratic with Hessian H = 2/N A^T A; gradient descent is
    stable for lr < 2 / lambda_max(H) = 1 / lambda_max(A^T A / N).
    """
    A = design_matrix(problem)
    top = torch.linalg.eigvalsh(A.T @ A / A.shape[0])[-1].item()
    return 1.0 / top


def r_squared(y: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot (nan when y is constant or empty)."""
    y, pred = np.asarray(y, dtype=np.float64), np.asarray(pred, dtype=np.float64)
    total = ((y - y.mean()) ** 2).sum() if y.size else 0.0
    if total == 0:
        return math.nan
    return float(1 - ((y - pred) ** 2).sum() / total)


def predict(problem: Problem, weights, bias: float, x: torch.Tensor) -> np.ndarray:
    """The model's prediction (float64 numpy) at raw inputs x (N,)."""
    w = torch.as_tensor(np.asarray(weights, dtype=np.float64))
    return (problem.features(x) @ w + bias).numpy()


def raw_coefficients(problem: Problem, weights, bias: float) -> list[float]:
    """The fit as y = c0 + c1 x + ... + cd x^d in the data's own units (undoing standardisation)."""
    w = np.asarray(weights, dtype=np.float64) / problem.std.numpy()
    return [float(bias - (w * problem.mean.numpy()).sum()), *map(float, w)]


def from_raw_coefficients(problem: Problem, coefficients) -> tuple[tuple[float, ...], float]:
    """The inverse of `raw_coefficients`: y = c0 + c1 x + ... in the data's units -> (w, b).

    How a line placed by hand (or a run's fit carried over to edited data) becomes the
    model's parameters on this problem's (maybe standardised) features.
    """
    c = np.asarray(coefficients, dtype=np.float64)
    if c.size != problem.d + 1:
        raise ValueError(f"{c.size} coefficients for a polynomial of degree {problem.degree}")
    w = c[1:] * problem.std.numpy()
    return tuple(map(float, w)), float(c[0] + (c[1:] * problem.mean.numpy()).sum())
