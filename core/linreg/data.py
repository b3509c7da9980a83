"""Data for the linear regression lab: synthetic presets and uploaded CSV columns.

A `Dataset` is one x column and one y column (float64), split into a training
and (for the curved preset) a test part. Synthetic data comes from small,
self-contained torch functions (`make_line`, `make_outliers`, `make_curve`,
`split_train_test`): the reproduction script exports their source verbatim,
so they use nothing but `torch` and their arguments. Every refusal of an
upload is a `LinRegDataError` whose message can be shown to a student as is.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass

import numpy as np
import torch

from core import csvio
from core.untrusted import browser_points

PRESETS = {  # label on the page -> preset id
    "Straight line + noise": "line",
    "Line with outliers": "outliers",
    "Curve (a line underfits)": "curve",
    "Upload a CSV": "csv",
}
SYNTHETIC = ("line", "outliers", "curve")
TEST_FRACTION = 0.3  # share of the curved preset held out as a test set


class LinRegDataError(ValueError):
    """Data that cannot be used for the lab; the message says why and what to do."""


# ---- synthetic data: self-contained, exported verbatim into scripts -----------


def make_line(slope: float, intercept: float, noise: float, n: int, seed: int):
    """n points on y = slope*x + intercept plus Gaussian noise, x uniform in [0, 10]."""
    g = torch.Generator().manual_seed(seed)
    x = 10 * torch.rand(n, generator=g, dtype=torch.float64)  # (n,)
    y = slope * x + intercept + noise * torch.randn(n, generator=g, dtype=torch.float64)  # (n,)
    return x, y


def make_outliers(slope: float, intercept: float, noise: float, n: int, seed: int):
    """A noisy line where one point in eight, all at large x, is pulled far below it."""
    g = torch.Generator().manual_seed(seed)
    x = 10 * torch.rand(n, generator=g, dtype=torch.float64)  # (n,)
    y = slope * x + intercept + noise * torch.randn(n, generator=g, dtype=torch.float64)
    right = torch.nonzero(x > 6).squeeze(1)  # outliers sit at one end, so they tilt the fit
    k = min(max(1, n // 8), right.numel())
    chosen = right[torch.randperm(right.numel(), generator=g)[:k]]
    y[chosen] -= 15 + 10 * torch.rand(k, generator=g, dtype=torch.float64)
    return x, y


def make_curve(slope: float, intercept: float, noise: float, n: int, seed: int):
    """A line plus a sine wave: a straight line underfits it, a polynomial can follow it."""
    g = torch.Generator().manual_seed(seed)
    x = 10 * torch.rand(n, generator=g, dtype=torch.float64)  # (n,)
    wave = 4 * torch.sin(0.7 * x)
    y = slope * x + intercept + wave + noise * torch.randn(n, generator=g, dtype=torch.float64)
    return x, y


def split_train_test(x, y, test_fraction: float, seed: int):
    """Shuffle with `seed` and hold out `test_fraction` of the points as a test set."""
    g = torch.Generator().manual_seed(seed + 1)
    order = torch.randperm(x.numel(), generator=g)
    n_test = int(round(test_fraction * x.numel()))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


GENERATORS = {"line": make_line, "outliers": make_outliers, "curve": make_curve}


# ---- the lab's data set ---------------------------------------------------------


@dataclass(frozen=True)
class SyntheticConfig:
    """Settings of a synthetic preset (the page's sliders)."""

    preset: str = "line"
    slope: float = 2.0
    intercept: float = 1.0
    noise: float = 1.0
    n: int = 100
    seed: int = 0

    @property
    def has_test_set(self) -> bool:
        return self.preset == "curve"


@dataclass(frozen=True, eq=False)
class Dataset:
    """One x and one y column (float64 tensors), split into train and (maybe empty) test parts."""

    x_train: torch.Tensor  # (N,)
    y_train: torch.Tensor  # (N,)
    x_test: torch.Tensor  # (M,), M may be 0
    y_test: torch.Tensor  # (M,)
    x_name: str = "x"
    y_name: str = "y"
    source: str = ""  # how the data was made, for captions and exports
    key: str = ""  # identifies the data: equal keys mean equal data
    config: SyntheticConfig | None = None  # the preset's settings (None for uploads)

    @property
    def has_test(self) -> bool:
        return self.x_test.numel() > 0


def synthetic(cfg: SyntheticConfig) -> Dataset:
    """The preset `cfg.preset` with its settings (curved preset: 30% held out as test set)."""
    if cfg.preset not in GENERATORS:
        raise LinRegDataError(f"Unknown preset {cfg.preset!r}.")
    x, y = GENERATORS[cfg.preset](cfg.slope, cfg.intercept, cfg.noise, cfg.n, cfg.seed)
    if cfg.has_test_set:
        x_tr, y_tr, x_te, y_te = split_train_test(x, y, TEST_FRACTION, cfg.seed)
    else:
        x_tr, y_tr, x_te, y_te = x, y, x[:0], y[:0]
    return Dataset(
        x_tr,
        y_tr,
        x_te,
        y_te,
        source=f"{GENERATORS[cfg.preset].__name__}"
        f"(slope={cfg.slope}, intercept={cfg.intercept}, noise={cfg.noise}, "
        f"n={cfg.n}, seed={cfg.seed})",
        key=repr(cfg),
        config=cfg,
    )


def synthetic_source(cfg: SyntheticConfig) -> str:
    """Python source that rebuilds `synthetic(cfg)`'s tensors.

    It holds the generator, the split (if any) and the call.
    """
    make = GENERATORS[cfg.preset]
    call = (
        f"x, y = {make.__name__}("
        f"{cfg.slope!r}, {cfg.intercept!r}, {cfg.noise!r}, {cfg.n!r}, {cfg.seed!r})"
    )
    parts = [inspect.getsource(make)]
    if cfg.has_test_set:
        parts.append(inspect.getsource(split_train_test))
        call += (
            "\nx_train, y_train, x_test, y_test = "
            f"split_train_test(x, y, {TEST_FRACTION!r}, {cfg.seed!r})"
        )
    else:
        call += "\nx_train, y_train, x_test, y_test = x, y, x[:0], y[:0]"
    return "\n\n".join(parts) + "\n\n" + call + "\n"


# ---- uploaded CSV ------------------------------------------------------------------


def read_csv_columns(data: bytes) -> dict[str, np.ndarray]:
    """The numeric columns of an uploaded CSV; at least two, else a clear `LinRegDataError`.

    Size, row count, emptiness, binary files and ragged rows are refused by
    `core.csvio` (limits: `csvio.MAX_BYTES`, `csvio.MAX_ROWS`).
    """
    try:
        columns = csvio.read_numeric_csv(data)
    except csvio.CsvError as err:
        hint = (
            " Every row of a CSV file needs the same number of values: is this a CSV file?"
            if str(err).startswith("Row ")
            else ""
        )
        raise LinRegDataError(f"{err}{hint}") from None
    if len(columns) < 2:
        only = ", ".join(repr(c) for c in columns)
        raise LinRegDataError(
            f"A line needs two numeric columns (x and y), but only {only} holds numbers only. "
            "Remove text cells (units, 'n/a') from the other column."
        )
    return columns


MAX_ABS_VALUE = 1e12  # beyond this, squared errors overflow float32 training


def dataset_from_columns(
    columns: dict[str, np.ndarray], x_name: str, y_name: str, data: bytes = b""
) -> Dataset:
    """A `Dataset` from two chosen numeric columns, refusing any the lab cannot fit."""
    for name in (x_name, y_name):
        if name not in columns:
            raise LinRegDataError(f"The file has no numeric column {name!r}.")
    if x_name == y_name:
        raise LinRegDataError("Pick two different columns for x and y.")
    try:
        csvio.finite_columns(columns, [x_name, y_name])
    except csvio.CsvError as err:
        raise LinRegDataError(f"{err} Fill in or delete that row.") from None
    x, y = columns[x_name], columns[y_name]
    if x.size < 2:
        raise LinRegDataError(f"The file has {x.size} data row; fitting a line needs at least 2.")
    for name, col in ((x_name, x), (y_name, y)):
        if np.abs(col).max() > MAX_ABS_VALUE:
            raise LinRegDataError(
                f"Column {name!r} has values up to {np.abs(col).max():.3g}; rescale it "
                f"(e.g. to thousands) so values stay below {MAX_ABS_VALUE:.0e}."
            )
    if np.ptp(x) == 0:
        raise LinRegDataError(
            f"Column {x_name!r} has the same value ({x[0]:g}) in every row: no line can tell "
            "its slope from that. Pick an x column that varies."
        )
    digest = hashlib.sha1(data).hexdigest()[:12] if data else ""
    xt, yt = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    return Dataset(
        xt,
        yt,
        xt[:0],
        yt[:0],
        x_name=x_name,
        y_name=y_name,
        source=f"uploaded CSV, columns {x_name!r} -> {y_name!r}",
        key=f"csv:{digest}:{x_name}:{y_name}",
    )


def dataset_from_csv(data: bytes, x_name: str | None = None, y_name: str | None = None) -> Dataset:
    """Parse an upload and take columns x_name, y_name (default: the first two numeric ones)."""
    columns = read_csv_columns(data)
    names = list(columns)
    return dataset_from_columns(columns, x_name or names[0], y_name or names[1], data)


# ---- points moved, added or erased by hand --------------------------------------------

MAX_EDITED_POINTS = 300  # clicks beyond this are refused: the lab stays quick for a class
MIN_POINTS_TO_FIT = 2


@dataclass(frozen=True)
class Bounds:
    """The plot's window (x_lo, x_hi, y_lo, y_hi): edited points are kept inside it."""

    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float


def plot_bounds(data: Dataset, margin: float = 0.15) -> Bounds:
    """A window around all of `data`'s points, `margin` of each span on every side."""
    x = torch.cat([data.x_train, data.x_test]).numpy()
    y = torch.cat([data.y_train, data.y_test]).numpy()
    if x.size == 0:
        return Bounds(0.0, 10.0, -10.0, 30.0)
    x_pad = margin * (float(np.ptp(x)) or 1.0)
    y_pad = margin * (float(np.ptp(y)) or 1.0)
    return Bounds(
        float(x.min()) - x_pad,
        float(x.max()) + x_pad,
        float(y.min()) - y_pad,
        float(y.max()) + y_pad,
    )


@dataclass(frozen=True)
class EditedPoints:
    """Training points after a student's edits, and what had to be changed to accept them.

    `codes`: "truncated" (more than MAX_EDITED_POINTS), "dropped" (a value that is not a finite
    number), "clamped" (a point outside the plot's window, moved onto its edge).
    """

    x: np.ndarray  # (N,) float64
    y: np.ndarray  # (N,)
    codes: tuple[str, ...]


def clean_points(raw, bounds: Bounds, limit: int = MAX_EDITED_POINTS) -> EditedPoints:
    """Whatever the browser sent as [[x, y], ...] -> finite points inside `bounds`.

    The browser is not trusted: anything that is not a pair of finite numbers is dropped,
    positions outside the window are clamped onto it, and at most `limit` points are kept.
    """
    kept, codes = browser_points(raw, (bounds.x_lo, bounds.x_hi), (bounds.y_lo, bounds.y_hi), limit)
    pairs = [(x, y) for x, y, _ in kept]
    xy = np.array(pairs, dtype=np.float64).reshape(-1, 2)
    return EditedPoints(xy[:, 0].copy(), xy[:, 1].copy(), codes)


def edited(base: Dataset, points: EditedPoints) -> Dataset:
    """`base` with its training points replaced by `points` (its test points kept).

    Refuses (LinRegDataError) fewer than two points or points that all share one x.
    """
    if points.x.size < MIN_POINTS_TO_FIT:
        raise LinRegDataError(
            f"{points.x.size} point{'s' if points.x.size != 1 else ''} left: a line needs at "
            f"least {MIN_POINTS_TO_FIT}. Add points by clicking on the plot."
        )
    if np.ptp(points.x) == 0:
        raise LinRegDataError(
            "Every point has the same x: no line can tell its slope from that. Move one sideways."
        )
    digest = hashlib.sha1(np.stack([points.x, points.y]).tobytes()).hexdigest()[:12]
    return Dataset(
        torch.from_numpy(points.x.copy()),
        torch.from_numpy(points.y.copy()),
        base.x_test,
        base.y_test,
        x_name=base.x_name,
        y_name=base.y_name,
        source=f"{base.source}, points edited by hand ({points.x.size} points)",
        key=f"edited:{base.key}:{digest}",
    )
