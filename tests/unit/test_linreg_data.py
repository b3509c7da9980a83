"""Data of the linear regression lab: presets, and every kind of bad CSV upload."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import csvio
from core.linreg.data import (
    PRESETS,
    LinRegDataError,
    SyntheticConfig,
    dataset_from_csv,
    read_csv_columns,
    synthetic,
)

# ---- synthetic presets ----------------------------------------------------------------


@pytest.mark.parametrize("preset", ["line", "outliers", "curve"])
def test_presets_are_reproducible_and_seeded(preset):
    a = synthetic(SyntheticConfig(preset=preset, seed=1))
    b = synthetic(SyntheticConfig(preset=preset, seed=1))
    c = synthetic(SyntheticConfig(preset=preset, seed=2))
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_train, b.y_train)
    assert not torch.equal(a.x_train, c.x_train)
    assert a.key == b.key != c.key
    assert (
        a.x_train.dtype == torch.float64
        and float(a.x_train.min()) >= 0
        and float(a.x_train.max()) <= 10
    )


def test_noiseless_line_lies_on_the_line():
    d = synthetic(SyntheticConfig(slope=-1.5, intercept=4.0, noise=0.0, n=30))
    torch.testing.assert_close(d.y_train, -1.5 * d.x_train + 4.0)
    assert d.x_train.numel() == 30 and not d.has_test


def test_outliers_sit_far_below_the_line_at_large_x():
    d = synthetic(SyntheticConfig(preset="outliers", noise=0.5, n=80))
    gap = d.y_train - (2.0 * d.x_train + 1.0)
    far = gap < -10
    assert far.sum().item() == 80 // 8
    assert (d.x_train[far] > 6).all()


def test_curve_preset_holds_out_a_test_set():
    d = synthetic(SyntheticConfig(preset="curve", n=100))
    assert d.has_test and d.x_test.numel() == 30 and d.x_train.numel() == 70
    together = torch.cat([d.x_train, d.x_test]).sort().values
    whole = synthetic(SyntheticConfig(preset="line", n=100)).x_train.sort().values
    torch.testing.assert_close(together, whole)  # same x draw, split into two disjoint parts
    # a straight line underfits it: the residual of the best line is far above the noise
    A = torch.stack([d.x_train, torch.ones_like(d.x_train)], 1)
    fit = torch.linalg.lstsq(A, d.y_train.unsqueeze(1)).solution.squeeze(1)
    assert ((A @ fit - d.y_train) ** 2).mean() > 4 * 1.0**2


def test_every_preset_label_maps_to_a_preset():
    assert set(PRESETS.values()) == {"line", "outliers", "curve", "csv"}


# ---- CSV uploads ------------------------------------------------------------------------


def test_a_good_csv_gives_its_two_columns():
    d = dataset_from_csv(b"hours,score,name_len\n1,50,3\n2,60,4\n3,71,5\n", "hours", "score")
    assert d.x_name == "hours" and d.y_name == "score"
    assert d.x_train.tolist() == [1.0, 2.0, 3.0] and d.y_train.tolist() == [50.0, 60.0, 71.0]
    assert d.key.startswith("csv:") and not d.has_test


def test_csv_defaults_to_the_first_two_numeric_columns_and_skips_text_ones():
    d = dataset_from_csv(b"label,a,b\nx,1,2\ny,3,5\nz,4,4\n")
    assert (d.x_name, d.y_name) == ("a", "b")


def test_semicolons_and_headerless_files_work():
    d = dataset_from_csv(b"1;2\n2;4.5\n3;6\n")
    assert (d.x_name, d.y_name) == ("col1", "col2") and d.y_train.tolist() == [2.0, 4.5, 6.0]


BAD_CSVS = {
    "empty": (b"", "empty"),
    "binary (not CSV)": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "not a CSV"),
    "prose (not CSV)": (b"Dear teacher,\nhere is my homework.\nThanks!\n", "is this a CSV file?"),
    "words only": (b"alpha,beta\ngamma,delta\n", "No column holds only numbers"),
    "header only": (b"x,y\n", "no data rows"),
    "non-numeric": (b"x,y\n1,a\n2,b\n3,c\n", "two numeric columns"),
    "one numeric column": (b"x\n1\n2\n3\n", "two numeric columns"),
    "NaN": (b"x,y\n1,2\n2,nan\n3,4\n", "missing or infinite value in data row 2"),
    "inf": (b"x,y\n1,2\ninf,3\n3,4\n", "missing or infinite value in data row 2"),
    "constant x": (b"x,y\n5,1\n5,2\n5,3\n", "same value (5) in every row"),
    "one row": (b"x,y\n1,2\n", "at least 2"),
    "ragged": (b"x,y\n1,2\n3\n", "Row 3 has 1 cells"),
    "huge values": (b"x,y\n1,1e300\n2,3\n", "rescale"),
}


@pytest.mark.parametrize("case", list(BAD_CSVS))
def test_bad_csv_gets_a_clear_message(case):
    data, expected = BAD_CSVS[case]
    with pytest.raises(LinRegDataError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        dataset_from_csv(data)


def test_x_and_y_must_differ_and_exist():
    with pytest.raises(LinRegDataError, match="two different columns"):
        dataset_from_csv(b"a,b\n1,2\n2,3\n", "a", "a")
    with pytest.raises(LinRegDataError, match="no numeric column 'c'"):
        dataset_from_csv(b"a,b\n1,2\n2,3\n", "a", "c")


def test_files_over_the_size_limit_are_refused_before_parsing():
    big = b"x,y\n" + b"1234567.0,7654321.0\n" * (csvio.MAX_BYTES // 20 + 10)
    assert len(big) > csvio.MAX_BYTES
    with pytest.raises(LinRegDataError, match="the limit is 5 MB"):
        read_csv_columns(big)


def test_files_over_the_row_limit_are_refused():
    rows = b"x,y\n" + b"1,2\n" * (csvio.MAX_ROWS + 1)
    assert len(rows) < csvio.MAX_BYTES
    with pytest.raises(LinRegDataError, match="the limit is 100,000"):
        read_csv_columns(rows)


def test_exactly_the_row_limit_is_accepted():
    rows = b"x,y\n" + b"".join(b"%d,%d\n" % (i, 2 * i) for i in range(csvio.MAX_ROWS))
    d = dataset_from_csv(rows)
    assert d.x_train.numel() == csvio.MAX_ROWS and np.isfinite(d.y_train.numpy()).all()
