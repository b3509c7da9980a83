"""Two-dimensional data sets for the logistic-regression playground.

Each generator is a self-contained numpy function `(n, noise, overlap,
n_classes, rng) -> (x, y)` with `x` float64 shaped (n, 2) and `y` int64 labels
shaped (n,), so the exported script can carry the very same source. Points lie
roughly in [-3, 3]^2: large enough that sin(x1) bends, small enough that x1^2
and x1*x2 stay near 1 to 10 and plain gradient descent copes with them.

`make_dataset(spec)` builds a data set from a `DataSpec` (all settings as plain
values, the page keeps them in the URL); `dataset_from_csv(bytes)` reads an
upload with columns x1, x2, label, refusing bad files with a `CsvError` whose
message a student can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.csvio import CsvError, finite_columns, read_table

MIN_POINTS = 10
MAX_POINTS = 2000  # trains live several times a second on a shared 2-core server
MAX_CLASSES = 10  # the shared palette has ten colours
MAX_TEST_FRACTION = 0.5


# ---- generators (self-contained: their source is copied into exported scripts) ----


def make_blobs(n, noise, overlap, n_classes, rng):
    """Two Gaussian blobs on the diagonal.

    `overlap` 0 keeps them apart, 1 puts them on top of each other.
    """
    counts = [n // 2 + (n % 2), n // 2]
    half_gap = 2.0 * (1.0 - overlap) / np.sqrt(2.0)  # centres (+-g, +-g): 4 apart at overlap 0
    std = 0.3 + 0.9 * noise
    xs, ys = [], []
    for k, count in enumerate(counts):
        centre = np.array([half_gap, half_gap]) * (1 if k else -1)
        xs.append(centre + std * rng.standard_normal((count, 2)))
        ys.append(np.full(count, k))
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64)


def make_multiblobs(n, noise, overlap, n_classes, rng):
    """`n_classes` Gaussian blobs around a circle (radius shrinks with `overlap`)."""
    counts = [n // n_classes + (k < n % n_classes) for k in range(n_classes)]
    radius = 2.2 * (1.0 - overlap)
    std = 0.3 + 0.9 * noise
    xs, ys = [], []
    for k, count in enumerate(counts):
        angle = np.pi / 2 + 2 * np.pi * k / n_classes
        centre = radius * np.array([np.cos(angle), np.sin(angle)])
        xs.append(centre + std * rng.standard_normal((count, 2)))
        ys.append(np.full(count, k))
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64)


def make_moons(n, noise, overlap, n_classes, rng):
    """Two interleaving half circles (scikit-learn's moons, centred and scaled by 2)."""
    counts = [n // 2 + (n % 2), n // 2]
    t0 = rng.uniform(0, np.pi, counts[0])
    t1 = rng.uniform(0, np.pi, counts[1])
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    x = (np.concatenate([upper, lower]) - np.array([0.5, 0.25])) * 2.0
    x = x + 0.6 * noise * rng.standard_normal(x.shape)
    y = np.concatenate([np.zeros(counts[0]), np.ones(counts[1])]).astype(np.int64)
    return x, y


def make_circles(n, noise, overlap, n_classes, rng):
    """A disc of class 0 (radius up to 1.2) inside a ring of class 1 (radius 2 to 2.8)."""
    counts = [n // 2 + (n % 2), n // 2]
    r = np.concatenate([rng.uniform(0.0, 1.2, counts[0]), rng.uniform(2.0, 2.8, counts[1])])
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    x = x + 0.6 * noise * rng.standard_normal(x.shape)
    y = np.concatenate([np.zeros(counts[0]), np.ones(counts[1])]).astype(np.int64)
    return x, y


def make_xor(n, noise, overlap, n_classes, rng):
    """Four quadrants: class 1 where x1 and x2 share a sign, class 0 where they differ."""
    counts = [n // 2 + (n % 2), n // 2]
    xs, ys = [], []
    for k, count in enumerate(counts):
        magnitude = rng.uniform(0.3, 3.0, (count, 2))  # 0.3 keeps a small gap at the axes
        s1 = rng.choice([-1.0, 1.0], count)
        s2 = s1 if k == 1 else -s1
        xs.append(magnitude * np.stack([s1, s2], axis=1))
        ys.append(np.full(count, k))
    x = np.concatenate(xs)
    x = x + 0.6 * noise * rng.standard_normal(x.shape)
    return x, np.concatenate(ys).astype(np.int64)


def make_spiral(n, noise, overlap, n_classes, rng):
    """Two interleaved spiral arms, each turning 1.75 times around the origin."""
    counts = [n // 2 + (n % 2), n // 2]
    xs, ys = [], []
    for k, count in enumerate(counts):
        r = rng.uniform(0.15, 3.0, count)
        angle = 1.75 * 2 * np.pi * r / 3.0 + k * np.pi
        xs.append(np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1))
        ys.append(np.full(count, k))
    x = np.concatenate(xs)
    x = x + 0.6 * noise * rng.standard_normal(x.shape)
    return x, np.concatenate(ys).astype(np.int64)


def stratified_split(y, test_fraction, rng):
    """Indices (train, test), stratified by class.

    About `test_fraction` of every class goes to test, at least one per class to train.
    """
    train, test = [], []
    for k in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == k))
        n_test = min(int(round(test_fraction * len(idx))), len(idx) - 1)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


# ---- the catalogue --------------------------------------------------------------

GENERATORS = {
    "blobs": make_blobs,
    "moons": make_moons,
    "circles": make_circles,
    "xor": make_xor,
    "spiral": make_spiral,
    "multiblobs": make_multiblobs,
}
TITLES = {
    "blobs": "Two blobs",
    "moons": "Moons",
    "circles": "Circles",
    "xor": "XOR",
    "spiral": "Spiral",
    "multiblobs": "Many blobs (3-5 classes)",
    "csv": "Upload a CSV (x1, x2, label)",
}
KINDS = tuple(TITLES)  # the choices a page offers, "csv" last


@dataclass(frozen=True)
class DataSpec:
    """Everything that decides a generated data set: same spec, same points."""

    kind: str = "blobs"
    n_points: int = 200
    noise: float = 0.1  # 0..1, jitter (or blob width)
    overlap: float = 0.0  # 0..1, blobs only
    n_classes: int = 3  # 3..5, multiblobs only
    test_fraction: float = 0.3
    seed: int = 0

    def __post_init__(self):
        if self.kind not in GENERATORS:
            raise ValueError(f"unknown data set {self.kind!r}; choose one of {sorted(GENERATORS)}")
        if not MIN_POINTS <= self.n_points <= MAX_POINTS:
            raise ValueError(f"the number of points must be {MIN_POINTS} to {MAX_POINTS}")
        if not (0.0 <= self.noise <= 1.0 and 0.0 <= self.overlap <= 1.0):
            raise ValueError("noise and overlap must be between 0 and 1")
        if not 3 <= self.n_classes <= 5:
            raise ValueError("the many-blobs data set has 3 to 5 classes")
        if not 0.0 <= self.test_fraction <= MAX_TEST_FRACTION:
            raise ValueError(f"the test fraction must be 0 to {MAX_TEST_FRACTION}")

    @property
    def classes(self) -> int:
        return self.n_classes if self.kind == "multiblobs" else 2


@dataclass(frozen=True)
class Dataset:
    """A 2D classification data set split into train and test tensors.

    `x_*` float32 (N, 2); `y_*` int64 (N,) with classes 0..K-1; `class_names`
    are the labels as the user knows them (a CSV's own labels). `spec` is set
    for generated data (the export regenerates from it), None for uploads.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    class_names: tuple[str, ...]
    title: str
    spec: DataSpec | None = None
    notes: tuple[str, ...] = ()

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def x_all(self) -> torch.Tensor:
        return torch.cat([self.x_train, self.x_test])  # (N, 2)

    def bounds(self, pad: float = 0.12) -> tuple[tuple[float, float], tuple[float, float]]:
        """A square view ((x1 lo, hi), (x2 lo, hi)) around every point, with a margin."""
        x = self.x_all.numpy()
        lo, hi = x.min(axis=0), x.max(axis=0)
        centre = (lo + hi) / 2
        half = max(float((hi - lo).max()) / 2, 1e-3) * (1 + pad)
        return (
            (float(centre[0] - half), float(centre[0] + half)),
            (float(centre[1] - half), float(centre[1] + half)),
        )


def _tensors(x, y, train, test):
    as_x = lambda idx: torch.as_tensor(x[idx], dtype=torch.float32).reshape(-1, 2)  # noqa: E731
    as_y = lambda idx: torch.as_tensor(y[idx], dtype=torch.int64).reshape(-1)  # noqa: E731
    return as_x(train), as_y(train), as_x(test), as_y(test)


def generate_arrays(spec: DataSpec):
    """(x, y, train_idx, test_idx) as numpy arrays.

    The generator, then the split, draw from one seeded stream.
    """
    rng = np.random.default_rng(spec.seed)
    x, y = GENERATORS[spec.kind](spec.n_points, spec.noise, spec.overlap, spec.classes, rng)
    train, test = stratified_split(y, spec.test_fraction, rng)
    return x, y, train, test


def make_dataset(spec: DataSpec) -> Dataset:
    """The data set `spec` describes (deterministic in its seed)."""
    x, y, train, test = generate_arrays(spec)
    names = tuple(str(k) for k in range(spec.classes))
    return Dataset(
        *_tensors(x, y, train, test), class_names=names, title=TITLES[spec.kind], spec=spec
    )


# ---- uploads ----------------------------------------------------------------------

REQUIRED = ("x1", "x2", "label")
RESCALE_ABOVE = 20.0  # coordinates beyond this make x^2 features explode: standardise them


def _pick_columns(columns: dict[str, np.ndarray], header: list[str]) -> tuple[list[str], list[str]]:
    """The names of the (x1, x2, label) columns, and notes on how they were chosen."""
    by_lower = {name.lower(): name for name in columns}
    if all(r in by_lower for r in REQUIRED):
        return [by_lower[r] for r in REQUIRED], []
    for r in REQUIRED:
        if r in header and r not in by_lower:
            raise CsvError(
                f"Column {r!r} has cells that are not numbers (text or an empty cell). "
                "Every row needs numeric x1 and x2 and a whole-number label (0, 1, 2, ...)."
            )
    names = list(columns)
    if len(names) == 3:
        note = (
            []
            if names == ["col1", "col2", "col3"]
            else [
                f"Used the columns {names[0]!r} and {names[1]!r} as x1 and x2, "
                f"and {names[2]!r} as the label."
            ]
        )
        return names, note
    if len(names) < 3:
        raise CsvError(
            f"The file has {len(names)} numeric column(s) ({', '.join(names)}); it needs three: "
            "x1, x2 and an integer label. Text columns are ignored; labels must be numbers."
        )
    raise CsvError(
        f"The file has {len(names)} numeric columns ({', '.join(names[:6])}); name the ones to use "
        "x1, x2 and label in the header row."
    )


def _class_labels(raw: np.ndarray, label_name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map whole-number labels to classes 0..K-1 (sorted).

    Fractions, a single class and too many classes are refused.
    """
    fractional = np.flatnonzero(raw != np.round(raw))
    if fractional.size:
        row = fractional[0]
        raise CsvError(
            f"Labels must be whole numbers (0, 1, 2, ...), but column {label_name!r} has "
            f"{raw[row]:g} in data row {row + 1}."
        )
    values, y = np.unique(raw, return_inverse=True)
    if len(values) < 2:
        raise CsvError(
            f"Every row has the label {values[0]:g}: a classifier needs at least two classes. "
            "Add points of another class."
        )
    if len(values) > MAX_CLASSES:
        raise CsvError(
            f"The labels name {len(values)} classes; this playground draws at most {MAX_CLASSES}."
        )
    return y.astype(np.int64), tuple(f"{v:g}" for v in values)


def _standardised(x: np.ndarray) -> np.ndarray:
    """Columns with mean 0 and standard deviation 1, overflow-safe for huge values."""
    x = x / np.abs(x).max()  # first into [-1, 1]: squaring 1e300 would overflow
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def dataset_from_csv(
    data: bytes, test_fraction: float = 0.3, seed: int = 0, name: str = "upload"
) -> Dataset:
    """A data set from CSV bytes with columns x1, x2, label.

    Raises a `CsvError` saying what is wrong if the file cannot be used.
    """
    table = read_table(data)
    columns = table.columns
    header = [name.lower() for name in table.header] if table.has_header else []
    (c1, c2, cl), notes = _pick_columns(columns, header)
    finite_columns(columns, [c1, c2, cl])
    n = len(columns[c1])
    if n > MAX_POINTS:
        raise CsvError(
            f"The file has {n:,} points; this playground trains live on at most {MAX_POINTS:,}. "
            "Take a random sample of the rows."
        )
    if n < MIN_POINTS:
        raise CsvError(f"The file has {n} point(s); upload at least {MIN_POINTS}.")
    y, class_names = _class_labels(columns[cl], cl)
    x = np.stack([columns[c1], columns[c2]], axis=1)
    largest = float(np.abs(x).max())
    if largest > RESCALE_ABOVE:
        x = _standardised(x)
        notes.append(
            f"Coordinates reach {largest:,.4g}, so x1 and x2 were standardised (mean 0, standard "
            "deviation 1): large inputs saturate the sigmoid. Axes and weights are in these units."
        )
    rng = np.random.default_rng(seed)
    train, test = stratified_split(y, min(max(test_fraction, 0.0), MAX_TEST_FRACTION), rng)
    return Dataset(
        *_tensors(x, y, train, test),
        class_names=class_names,
        title=f"Uploaded: {name}",
        notes=tuple(notes),
    )
