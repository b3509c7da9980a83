"""The playground's 2D data sets: generators, split, and every way a CSV upload can be wrong."""

from __future__ import annotations

import numpy as np
import pytest

from core.csvio import CsvError
from core.logreg.data import (
    GENERATORS,
    MAX_POINTS,
    DataSpec,
    dataset_from_csv,
    generate_arrays,
    make_dataset,
    stratified_split,
)


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_generators_are_seeded_balanced_and_in_view(kind):
    spec = DataSpec(kind=kind, n_points=301, noise=0.2, n_classes=4, seed=7)
    x, y, train, test = generate_arrays(spec)
    assert x.shape == (301, 2) and y.shape == (301,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == spec.classes and counts.max() - counts.min() <= 1
    assert np.abs(x).max() < 6  # roughly [-3, 3]^2 plus noise
    again = generate_arrays(spec)
    assert np.array_equal(x, again[0]) and np.array_equal(test, again[3])
    other = generate_arrays(DataSpec(kind=kind, n_points=301, noise=0.2, n_classes=4, seed=8))
    assert not np.array_equal(x, other[0])


def test_xor_labels_follow_the_quadrants_without_noise():
    x, y, _, _ = generate_arrays(DataSpec(kind="xor", n_points=400, noise=0.0))
    assert np.array_equal(y, (x[:, 0] * x[:, 1] > 0).astype(np.int64))


def test_overlap_moves_the_blobs_together():
    def centre_gap(overlap):
        x, y, _, _ = generate_arrays(DataSpec(kind="blobs", n_points=1000, overlap=overlap))
        return np.linalg.norm(x[y == 0].mean(0) - x[y == 1].mean(0))

    assert centre_gap(0.0) > 3.5 and centre_gap(1.0) < 0.3


def test_stratified_split_keeps_every_class_in_training():
    rng = np.random.default_rng(0)
    y = np.array([0] * 50 + [1] * 30 + [2])  # class 2 has a single point
    train, test = stratified_split(y, 0.3, rng)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(y)
    assert set(y[train]) == {0, 1, 2}
    assert abs(len(test) - 0.3 * 80) <= 2


def test_dataset_tensors_and_view():
    d = make_dataset(DataSpec(kind="moons", n_points=200, test_fraction=0.25))
    assert d.x_train.dtype.is_floating_point and tuple(d.x_train.shape) == (150, 2)
    assert len(d.y_test) == 50 and d.class_names == ("0", "1")
    (x_lo, x_hi), (y_lo, y_hi) = d.bounds()
    assert abs((x_hi - x_lo) - (y_hi - y_lo)) < 1e-6  # square view
    pts = d.x_all.numpy()
    assert (pts[:, 0] > x_lo).all() and (pts[:, 1] < y_hi).all()


@pytest.mark.parametrize(
    "bad",
    [
        dict(kind="nope"),
        dict(n_points=MAX_POINTS + 1),
        dict(n_points=3),
        dict(noise=1.5),
        dict(overlap=-0.1),
        dict(n_classes=7),
        dict(test_fraction=0.9),
    ],
)
def test_spec_refuses_out_of_range_settings(bad):
    with pytest.raises(ValueError):
        DataSpec(**bad)


# ---- CSV uploads -------------------------------------------------------------------------


def csv_bytes(rows, header="x1,x2,label"):
    lines = ([header] if header else []) + [",".join(str(c) for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def grid_rows(n=40, labels=(0, 1)):
    rng = np.random.default_rng(1)
    return [
        (round(rng.normal(), 4), round(rng.normal(), 4), labels[i % len(labels)]) for i in range(n)
    ]


def test_csv_with_header_is_read_and_split():
    d = dataset_from_csv(csv_bytes(grid_rows(40)), test_fraction=0.25, seed=3, name="pts.csv")
    assert len(d.y_train) + len(d.y_test) == 40 and len(d.y_test) == 10
    assert d.class_names == ("0", "1") and d.spec is None and "pts.csv" in d.title


def test_csv_columns_are_found_by_name_in_any_order():
    rows = [(lab, x2, x1) for x1, x2, lab in grid_rows(30)]
    d = dataset_from_csv(csv_bytes(rows, header="Label,X2,X1"))
    first = d.x_all.numpy()
    assert np.allclose(np.sort(first[:, 0]), np.sort([r[2] for r in rows]), atol=1e-4)


def test_csv_without_header_uses_three_columns_in_order():
    d = dataset_from_csv(csv_bytes(grid_rows(30), header=None))
    assert d.n_classes == 2 and d.notes == ()


def test_csv_other_names_are_used_with_a_note():
    d = dataset_from_csv(csv_bytes(grid_rows(30), header="a,b,cls"))
    assert any("'a'" in n and "'cls'" in n for n in d.notes)


def test_csv_labels_keep_their_own_names():
    d = dataset_from_csv(csv_bytes(grid_rows(30, labels=(-1, 1, 7))))
    assert d.class_names == ("-1", "1", "7") and d.n_classes == 3
    assert set(d.y_train.tolist()) == {0, 1, 2}


def test_csv_semicolons_work():
    d = dataset_from_csv(csv_bytes(grid_rows(30)).replace(b",", b";"))
    assert d.n_classes == 2


def test_csv_large_coordinates_are_standardised_and_said_so():
    rows = [(x1 * 1e5, x2 * 1e5, lab) for x1, x2, lab in grid_rows(40)]
    d = dataset_from_csv(csv_bytes(rows))
    assert np.abs(d.x_all.numpy()).max() < 5
    assert any("standardised" in n for n in d.notes)


def test_csv_huge_coordinates_do_not_overflow():
    rows = [(x1 * 1e300, x2, lab) for x1, x2, lab in grid_rows(40)]
    d = dataset_from_csv(csv_bytes(rows))
    assert np.isfinite(d.x_all.numpy()).all()


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (csv_bytes([]), "no data rows"),
        (
            csv_bytes([(1, 2, 0)] * 5 + [(1, "nan", 1)] * 5),
            "missing or infinite value in data row 6",
        ),
        (csv_bytes([(1, 2, 0)] * 5 + [(1, 2, "inf")] * 5), "label"),
        (csv_bytes(grid_rows(20, labels=(0, 0.5))), "whole numbers"),
        (csv_bytes(grid_rows(20, labels=(3,))), "at least two classes"),
        (csv_bytes(grid_rows(20, labels=("cat", "dog"))), "'label' has cells that are not numbers"),
        (csv_bytes([(1, "", 0)] + grid_rows(20)[1:]), "'x2' has cells that are not numbers"),
        (csv_bytes(grid_rows(MAX_POINTS + 1)), f"at most {MAX_POINTS:,}"),
        (csv_bytes(grid_rows(5)), "at least 10"),
        (csv_bytes(grid_rows(40, labels=tuple(range(11)))), "at most 10"),
        (csv_bytes([(1, 2)] * 20, header="x1,x2"), "needs three"),
        (csv_bytes([(1, 2, 3, 4)] * 20, header="a,b,c,d"), "name the ones to use"),
        (csv_bytes([(1, 2, 0)] * 10 + [(1, 2, 0, 9)]), "Row 12 has 4 cells"),
    ],
)
def test_bad_csv_gets_a_clear_message(data, words):
    with pytest.raises(CsvError) as err:
        dataset_from_csv(data)
    assert words in str(err.value)
