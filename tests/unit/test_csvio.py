"""core.csvio: numeric columns out of user uploads, every bad file refused with a reason."""

import numpy as np
import pytest

from core.csvio import CsvError, finite_columns, read_numeric_csv


def test_header_and_numeric_columns():
    cols = read_numeric_csv(b"x,y,name\n1,2,a\n3,4.5,b\n")
    assert list(cols) == ["x", "y"]
    assert np.allclose(cols["y"], [2, 4.5])


def test_headerless_and_semicolons():
    cols = read_numeric_csv(b"1;2\n3;4\n5;6\n")
    assert list(cols) == ["col1", "col2"] and cols["col2"].tolist() == [2, 4, 6]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        (b"a,b\n", "no data rows"),
        (b"a,b\nx,y\n", "only numbers"),
        (b"a,b\n1,2\n3\n", "Row 3"),
        (b"x\n" + b"1\n" * 12, "limit"),
    ],
)
def test_bad_files_are_refused_with_a_reason(data, reason):
    with pytest.raises(CsvError, match=reason):
        read_numeric_csv(data, max_rows=10)


def test_size_limit():
    with pytest.raises(CsvError, match="MB"):
        read_numeric_csv(b"1\n" * 100, max_bytes=50)


def test_nan_and_inf_are_named():
    cols = read_numeric_csv(b"x,y\n1,2\nnan,3\n")
    with pytest.raises(CsvError, match="row 2"):
        finite_columns(cols, ["x", "y"])
    finite_columns(cols, ["y"])
