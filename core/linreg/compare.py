"""Pin a run and start another: the pinned run's curves drawn beside the new one's.

A `PinnedRun` is a small copy of what the figures need from a finished (or paused) run: its
PyTorch trainer's loss per step, its path over (w, b) and its fitted curve in the data's
units. Whether it can share the new run's figures depends on what both were trained on:
the same data (loss and fit are comparable), and also the same features (then the paths on
the loss landscape share its axes too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.linreg.problem import predict
from core.linreg.run import LabRun

MAX_PINNED_POINTS = 2_000  # per curve: a pinned run costs a few tens of kB, not megabytes
GRID_POINTS = 200


@dataclass(frozen=True)
class PinnedRun:
    """What the figures draw of a pinned run, and what it was trained on and with."""

    data_key: str
    features: tuple[int, bool]  # (degree, standardised)
    lr: float
    optimizer: str
    batch_size: int | None
    steps: np.ndarray  # (T,) recorded steps (thinned), last one included
    train_loss: np.ndarray  # (T,)
    path: np.ndarray  # (T, 2): w1 and b at those steps
    fit_x: np.ndarray  # (G,)
    fit_y: np.ndarray  # (G,) the fitted curve at the run's last step


def _thin(n: int, limit: int) -> np.ndarray:
    return np.unique(np.round(np.linspace(0, n - 1, min(n, limit))).astype(np.int64))


def pin(run: LabRun) -> PinnedRun:
    """A copy of `run`'s PyTorch trainer as it stands, small enough to keep in a session."""
    p, trace = run.problem, run.torch
    keep = _thin(trace.steps + 1, MAX_PINNED_POINTS)
    params = trace.param_matrix()[keep]  # (T, d + 1)
    x_all = torch.cat([p.data.x_train, p.data.x_test])
    grid = torch.linspace(float(x_all.min()), float(x_all.max()), GRID_POINTS, dtype=torch.float64)
    last = trace.last
    return PinnedRun(
        data_key=p.data.key,
        features=(p.degree, p.standardise),
        lr=run.torch_cfg.lr,
        optimizer=run.torch_cfg.optimizer,
        batch_size=run.torch_cfg.batch_size,
        steps=keep,
        train_loss=trace.series("train_loss")[keep],
        path=params[:, [0, -1]],
        fit_x=grid.numpy(),
        fit_y=predict(p, last.weights, last.bias, grid),
    )


def comparison(pinned: PinnedRun, run: LabRun) -> str:
    """How the pinned run compares with `run`: "same" (every figure), "same data" (fit and
    loss; the landscape's axes differ) or "other data" (nothing comparable is drawn)."""
    if pinned.data_key != run.problem.data.key:
        return "other data"
    if pinned.features != (run.problem.degree, run.problem.standardise):
        return "same data"
    return "same"
