"""Pin a run and train another: the pinned run's loss and accuracy drawn beside the new one's.

A `PinnedRun` is a small copy of a run's history (at most `MAX_PINNED_POINTS` steps) with
what it was trained with, and a digest of its training data: a pinned run is drawn only
beside a run on the same data (other settings, another model: that is the comparison).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from core.logreg.data import Dataset
from core.logreg.train import Run

MAX_PINNED_POINTS = 2_000


def data_digest(data: Dataset) -> str:
    """Equal digests: the same training and test points with the same labels."""
    h = hashlib.sha1()
    for t in (data.x_train, data.y_train, data.x_test, data.y_test):
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class PinnedRun:
    data: str  # `data_digest` of what it was trained on
    config: object  # its LogRegConfig (the last one, if its settings changed mid-run)
    history: dict[str, np.ndarray]  # step, train_loss, train_acc, test_loss, test_acc (thinned)


def pin(run: Run) -> PinnedRun:
    n = len(run.history["step"])
    keep = np.unique(np.linspace(0, n - 1, min(n, MAX_PINNED_POINTS)).round().astype(int))
    history = {k: np.asarray(v, dtype=float)[keep] for k, v in run.history.items()}
    return PinnedRun(data_digest(run.data), run.config, history)


def same_data(pinned: PinnedRun, run: Run) -> bool:
    return pinned.data == data_digest(run.data)
