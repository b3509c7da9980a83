"""The one reader of user-uploaded CSV files: numeric columns out, every bad file refused clearly.

Both regression labs read uploads through `read_table`. Its limits are checked *while* reading,
line by line, so no upload under the size limit can make the server hold much more than the
numbers it keeps (`MAX_CELLS` float64 values at most):

- size (`MAX_BYTES`), rows (`MAX_ROWS`), columns (`MAX_COLUMNS`), characters in one line
  (`MAX_LINE_CHARS`) and in one cell (`MAX_CELL_CHARS`), numbers kept (`MAX_CELLS`);
- any newline convention (Unix, Windows, old Mac carriage returns only);
- UTF-8, UTF-8 with a byte-order mark, UTF-16 and UTF-32 with a byte-order mark (what spreadsheet
  programs save as "Unicode text"), and Latin-1 for anything else that is not UTF-8;
- comma, semicolon or tab as the delimiter; with semicolons or tabs a decimal comma (``1,5``)
  is read as a decimal point.

Every refusal is a `CsvError` carrying a `code` (for tests and pages) and a message that can
be shown to a student as it is. Column names are the file's own text: show them as text.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 64
MAX_CELLS = 1_000_000  # numbers kept: 8 MB as float64
MAX_CELL_CHARS = 200
MAX_LINE_CHARS = 20_000
MAX_LINES_PER_ROW = 10  # a quoted cell may hold a few newlines
MAX_NAME_CHARS = 60  # longer column names are cut (with an ellipsis)
DELIMITERS = (",", ";", "\t")
SNIFF_LINES = 20

BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class CsvError(ValueError):
    """An upload that cannot be used; the message says why and what to do."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CsvTable:
    """What a CSV file holds: its numeric columns and how it was read."""

    columns: dict[str, np.ndarray]  # column name -> float64 values (N,); numeric columns only
    header: tuple[str, ...]  # every column's name, numeric or not, in file order
    has_header: bool  # False: the names are col1, col2, ...
    rows: int  # data rows (blank lines skipped)
    encoding: str
    delimiter: str


def read_numeric_csv(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> dict[str, np.ndarray]:
    """{column name: float64 array} of the numeric columns of CSV `data` (see `read_table`)."""
    return read_table(data, max_bytes=max_bytes, max_rows=max_rows).columns


def read_table(data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> CsvTable:
    """Parse CSV bytes into numeric columns, checking every limit while reading.

    The first row is a header if any of its cells is not a number (otherwise the columns
    are named col1, col2, ...). A cell that is not a number (an empty one too) makes its
    column non-numeric: it is dropped. NaN/inf cells are kept as they are, for the caller
    to refuse with `finite_columns`. Blank lines are skipped.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CsvError("The upload is not a file.", "not_bytes")
    data = bytes(data)
    if len(data) == 0:
        raise CsvError("The file is empty.", "empty")
    if len(data) > max_bytes:
        raise CsvError(
            f"The file is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB.",
            "too_big",
        )
    encoding = _encoding(data)
    try:
        return _parse(data, encoding, max_rows)
    except UnicodeDecodeError:
        if encoding != "utf-8":
            raise CsvError(
                f"The file says it is {encoding.upper().replace('-SIG', '')} text "
                "(it starts with a byte-order mark), but it is not: save it again "
                "as CSV (UTF-8).",
                "bad_encoding",
            ) from None
        return _parse(data, "latin-1", max_rows)  # not UTF-8: an older spreadsheet export


def _encoding(data: bytes) -> str:
    for bom, name in BOMS:
        if data.startswith(bom):
            return name
    head = data[:4096]
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        half = len(head) // 2
        if half >= 2 and min(even, odd) == 0 and max(even, odd) >= 0.9 * half:
            raise CsvError(
                "This file looks like UTF-16 text without a byte-order mark. Save it "
                "again as CSV (UTF-8) or as Unicode text.",
                "utf16_no_bom",
            )
        raise CsvError(
            "This is not a CSV file (it looks binary). Export your table as CSV first.", "binary"
        )
    return "utf-8"


class _Lines:
    """The file's lines, any newline convention, none longer than `MAX_LINE_CHARS`.

    `row_done()` marks the end of a row: a quoted cell may hold newlines, but one row may
    span at most `MAX_LINES_PER_ROW` lines, so a row of many tiny multi-line cells cannot
    pile up in memory before its width is checked.
    """

    def __init__(self, data: bytes, encoding: str):
        self._text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=None)
        self._in_row = 0

    def row_done(self) -> None:
        self._in_row = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._text.readline(MAX_LINE_CHARS + 1)
        if not line:
            raise StopIteration
        self._in_row += 1
        if self._in_row > MAX_LINES_PER_ROW:
            raise CsvError(
                f"A quoted cell runs over more than {MAX_LINES_PER_ROW} lines: "
                "check the file's quotes.",
                "row_too_long",
            )
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            raise CsvError(
                f"A line of the file is longer than {MAX_LINE_CHARS:,} characters: "
                f"at most {MAX_COLUMNS} columns of short values fit a CSV "
                "this lab can read.",
                "line_too_long",
            )
        if "\x00" in line:
            raise CsvError(
                "This is not a CSV file (it holds binary zero bytes). Export your "
                "table as CSV first.",
                "binary",
            )
        return line


def _rows(lines: _Lines, delimiter: str) -> Iterator[list[str]]:
    """Non-blank rows, each cell stripped, under the column and cell limits."""
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise CsvError(
                f"Line {reader.line_num} cannot be read as CSV ({err}). Check its quotes.", "syntax"
            ) from None
        lines.row_done()
        if len(row) > MAX_COLUMNS:
            raise CsvError(
                f"Line {reader.line_num} has {len(row):,} cells; the limit is "
                f"{MAX_COLUMNS} columns.",
                "too_many_columns",
            )
        cells = [c.strip() for c in row]
        if any(len(c) > MAX_CELL_CHARS for c in cells):
            raise CsvError(
                f"Line {reader.line_num} has a cell longer than {MAX_CELL_CHARS} "
                "characters: is this a CSV file of numbers?",
                "cell_too_long",
            )
        if any(cells):
            yield cells


def _delimiter(data: bytes, encoding: str) -> str:
    """The delimiter that splits the first lines into the most, equally wide, rows."""
    sample = []
    lines = _Lines(data, encoding)
    for line in lines:
        lines.row_done()
        if line.strip():
            sample.append(line)
        if len(sample) >= SNIFF_LINES:
            break

    def score(delimiter: str) -> tuple[int, int]:
        try:
            widths = [len(r) for r in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:
            return (0, 0)
        if not widths or max(widths) < 2:
            return (0, 0)
        return (int(len(set(widths)) == 1), min(max(widths), MAX_COLUMNS + 1))

    best = max(DELIMITERS, key=score)  # ties: the first, the comma
    return best if score(best) > (0, 0) else ","


def _number(cell: str, decimal_comma: bool) -> float | None:
    try:
        return float(cell)
    except ValueError:
        if decimal_comma and _DECIMAL_COMMA.match(cell):
            return float(cell.replace(",", "."))
        return None


def _names(header: list[str]) -> list[str]:
    """Printable, unique, bounded column names (empty ones become colN)."""
    names: list[str] = []
    for i, cell in enumerate(header):
        name = " ".join(_CONTROL.sub(" ", cell).split())
        if len(name) > MAX_NAME_CHARS:
            name = name[: MAX_NAME_CHARS - 1] + "…"
        name = name or f"col{i + 1}"
        base, k = name, 2
        while name in names:
            name, k = f"{base} ({k})", k + 1
        names.append(name)
    return names


def _parse(data: bytes, encoding: str, max_rows: int) -> CsvTable:
    delimiter = _delimiter(data, encoding)
    decimal_comma = delimiter != ","
    rows = _rows(_Lines(data, encoding), delimiter)
    first = next(rows, None)
    if first is None:
        raise CsvError("The file has no rows.", "no_rows")
    first_numbers = [_number(c, decimal_comma) for c in first]
    has_header = any(v is None for v in first_numbers)
    names = _names(first) if has_header else [f"col{i + 1}" for i in range(len(first))]
    width = len(names)
    values: list[array | None] = [array("d") for _ in names]  # None: the column holds text
    line_of_row = 1

    def add(cells: list[str], numbers: list[float | None] | None = None) -> None:
        nonlocal line_of_row
        line_of_row += 1
        if len(cells) != width:
            raise CsvError(
                f"Row {line_of_row} has {len(cells)} cells, but the header has {width}.", "ragged"
            )
        for j, cell in enumerate(cells):
            column = values[j]
            if column is None:
                continue
            v = numbers[j] if numbers is not None else _number(cell, decimal_comma)
            if v is None:
                values[j] = None
            else:
                column.append(v)

    n = 0
    if not has_header:
        line_of_row = 0
        add(first, first_numbers)
        n = 1
    for cells in rows:
        n += 1
        if n > max_rows:
            raise CsvError(
                f"The file has more than {max_rows:,} rows; the limit is {max_rows:,}.",
                "too_many_rows",
            )
        add(cells)
        if n * sum(v is not None for v in values) > MAX_CELLS:
            raise CsvError(
                f"The file holds more than {MAX_CELLS:,} numbers; the limit is "
                f"{MAX_CELLS:,}. Keep only the columns you need.",
                "too_many_cells",
            )
    if n == 0:
        raise CsvError("The file has a header but no data rows.", "no_data_rows")
    columns = {
        name: np.frombuffer(v, dtype=np.float64).copy()
        for name, v in zip(names, values, strict=True)
        if v is not None
    }
    if not columns:
        raise CsvError(
            "No column holds only numbers. Check the delimiter and remove text cells.",
            "no_numeric_column",
        )
    return CsvTable(columns, tuple(names), has_header, n, encoding.replace("-sig", ""), delimiter)


def finite_columns(columns: dict[str, np.ndarray], names: list[str]) -> None:
    """Raise `CsvError` if any chosen column holds NaN or infinity (naming the row)."""
    for name in names:
        bad = np.flatnonzero(~np.isfinite(columns[name]))
        if bad.size:
            raise CsvError(
                f"Column {name!r} has a missing or infinite value in data row {bad[0] + 1}.",
                "not_finite",
            )
