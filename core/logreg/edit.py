"""Points of the logistic lab added, dragged or erased by hand.

The browser sends [[x1, x2, class], ...]; nothing of it is trusted: anything that is not two
finite numbers and a known class is dropped, positions outside the view are clamped onto
its edge, and at most `MAX_EDITED_POINTS` are kept. The edited points replace the training
points; the test points stay as they were (the page says so).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np
import torch

from core.logreg.data import Dataset
from core.untrusted import browser_points

MAX_EDITED_POINTS = 500  # a class's clicks: enough to draw any shape, quick to train live


class EditError(ValueError):
    """Edited points no model can learn from; the message says what to add."""


@dataclass(frozen=True)
class ClassPoints:
    """Cleaned points and what had to change: codes "truncated", "dropped", "clamped"."""

    x: np.ndarray  # (N, 2) float32
    y: np.ndarray  # (N,) int64
    codes: tuple[str, ...]

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.x.tobytes() + self.y.tobytes()).hexdigest()[:12]


def clean_class_points(raw, bounds, n_classes: int, limit: int = MAX_EDITED_POINTS) -> ClassPoints:
    """What the browser sent -> finite points of known classes inside `bounds`."""

    def known_class(row) -> int:
        k = row[2]
        if float(k) != int(k) or not 0 <= int(k) < n_classes:
            raise ValueError("not one of the classes")
        return int(k)

    kept, codes = browser_points(raw, bounds[0], bounds[1], limit, label=known_class)
    xs, ys = [(x, y) for x, y, _ in kept], [k for _, _, k in kept]
    return ClassPoints(
        np.array(xs, dtype=np.float32).reshape(-1, 2),
        np.array(ys, dtype=np.int64),
        codes,
    )


def edited(base: Dataset, points: ClassPoints) -> Dataset:
    """`base` with its training points replaced by `points`; refuses what cannot be learned."""
    present = np.unique(points.y)
    if len(points.y) < 2 or present.size < 2:
        raise EditError(
            f"{len(points.y)} training point{'s' if len(points.y) != 1 else ''} of "
            f"{present.size} class{'es' if present.size != 1 else ''}: a classifier needs points "
            "of at least two classes. Pick a class in the toolbar and click to add some."
        )
    return replace(
        base,
        x_train=torch.from_numpy(points.x.copy()),
        y_train=torch.from_numpy(points.y.copy()),
        title=f"{base.title} (edited: {len(points.y)} points)",
        spec=None,
    )
