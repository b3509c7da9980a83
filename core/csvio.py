"""Reading user-uploaded CSV files into numeric columns, refusing bad ones clearly.

Every refusal is a `CsvError` whose message can be shown to a student as is.
"""

from __future__ import annotations

import csv
import io

import numpy as np

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000


class CsvError(ValueError):
    """An upload that cannot be used; the message says why and what to do."""


def read_numeric_csv(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> dict[str, np.ndarray]:
    """Parse CSV bytes into {column name: float64 array}, keeping numeric columns only.

    The first row is a header if any of its cells is not a number (otherwise the
    columns are named col1, col2, ...). Cells that are not numbers make their
    column non-numeric; it is dropped. NaN/inf cells are kept as they are, for
    the caller to refuse with `finite_columns`.
    """
    if len(data) == 0:
        raise CsvError("The file is empty.")
    if len(data) > max_bytes:
        raise CsvError(f"The file is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB.")
    if b"\x00" in data[:4096]:
        raise CsvError("This is not a CSV file (it looks binary). Export your table as CSV first.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
            raise CsvError("The file is not text.") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    if not rows:
        raise CsvError("The file has no rows.")
    if len(rows) > max_rows + 1:
        raise CsvError(f"The file has {len(rows):,} rows; the limit is {max_rows:,}.")

    def is_number(cell: str) -> bool:
        try:
            float(cell)
            return True
        except ValueError:
            return False

    header = rows[0]
    if all(is_number(c) for c in header):
        names = [f"col{i + 1}" for i in range(len(header))]
        body = rows
    else:
        names = [c.strip() or f"col{i + 1}" for i, c in enumerate(header)]
        body = rows[1:]
    if not body:
        raise CsvError("The file has a header but no data rows.")
    width = len(names)
    if any(len(r) != width for r in body):
        bad = next(i for i, r in enumerate(body) if len(r) != width)
        raise CsvError(f"Row {bad + 2} has {len(body[bad])} cells, but the header has {width}.")
    columns: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        cells = [r[j].strip() for r in body]
        if all(is_number(c) for c in cells):
            columns[name] = np.array([float(c) for c in cells], dtype=np.float64)
    if not columns:
        raise CsvError("No column holds only numbers. Check the delimiter and remove text cells.")
    return columns


def finite_columns(columns: dict[str, np.ndarray], names: list[str]) -> None:
    """Raise `CsvError` if any chosen column holds NaN or infinity (naming the row)."""
    for name in names:
        bad = np.flatnonzero(~np.isfinite(columns[name]))
        if bad.size:
            raise CsvError(f"Column {name!r} has a missing or infinite value in data row {bad[0] + 1}.")
