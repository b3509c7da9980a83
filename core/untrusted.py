"""Encoders for text that came from a user (a CSV header, a file name, a URL parameter).

Such text is data, never code or markup. Every place that writes it into something that is
interpreted uses one of these:

- `py_string` into Python source: a string literal (`repr`), whatever the text holds;
- `py_comment` into a Python comment: one line, every character that could end the line,
  reorder what an editor shows (bidirectional controls) or declare an encoding escaped;
- `plot_text` into a plotly title, axis or legend label: plotly reads a little HTML there
  (`<a href>`, `<b>`, `<br>`, entities), so `<`, `>` and `&` are escaped (plotly turns the
  entities back into the characters, after it has looked for tags) and the text is shown
  exactly as written;
- `file_stem` into a download's file name: letters, digits, `-` and `_` only.

`browser_points` does the same for points a page's editor sends: numbers, not trusted.

The Markdown of the pages is escaped by the page helpers (`ui.text`).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable

MAX_COMMENT_CHARS = 200
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


def py_string(text: str) -> str:
    """A Python string literal that evaluates to `text` (quotes, newlines, NUL all escaped)."""
    return repr(str(text))


def py_comment(text: str, limit: int = MAX_COMMENT_CHARS) -> str:
    """`text` made safe to follow `# ` on one line of Python source.

    Printable characters stay as they are (accents, CJK); anything else, every line
    break Python or an editor knows included, becomes a visible `\\uXXXX` escape. The
    word "coding" is broken up so that no comment can act as an encoding declaration.
    """
    text = str(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    out = "".join(c if c.isprintable() and c != "\\" else _escape(c) for c in text)
    return re.sub(r"(?i)coding", "cod-ing", out)


def _escape(c: str) -> str:
    if c == "\\":
        return "\\\\"
    code = ord(c)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def plot_text(text: str) -> str:
    """`text` for a plotly label: shown as written, never read as HTML or a link."""
    return html.escape(str(text), quote=False)


def file_stem(text: str, default: str = "file", limit: int = 60) -> str:
    """A safe file-name stem from `text` (no path, no dots, no spaces)."""
    stem = _UNSAFE_FILE_CHARS.sub("-", str(text)).strip("-")[:limit]
    return stem or default


REFUSED_ROW = (TypeError, ValueError, IndexError, KeyError, OverflowError)


def browser_points(
    raw,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    limit: int,
    label: Callable | None = None,
) -> tuple[list[tuple], tuple[str, ...]]:
    """Points a browser sent as [[x, y], ...] -> ([(x, y, label), ...], codes).

    Nothing of it is trusted: at most `limit` rows are read (code "truncated"); a row that
    is not two finite numbers (exactly two without `label`), or whose `label(row)` raises,
    is dropped ("dropped"); a position outside the ranges is clamped onto their edge
    ("clamped"). `label` reads a row's extra value (a class), None without it.
    """
    codes: list[str] = []
    rows = raw if isinstance(raw, list | tuple) else []
    if len(rows) > limit:
        rows, codes = rows[:limit], ["truncated"]
    kept = []
    for row in rows:
        try:
            if label is None and len(row) != 2:
                raise ValueError("a point is two numbers")
            x, y = float(row[0]), float(row[1])
            extra = label(row) if label is not None else None
            ok = math.isfinite(x) and math.isfinite(y)
        except REFUSED_ROW:
            ok = False
        if not ok:
            codes.append("dropped")
            continue
        cx, cy = min(max(x, x_range[0]), x_range[1]), min(max(y, y_range[0]), y_range[1])
        if (cx, cy) != (x, y):
            codes.append("clamped")
        kept.append((cx, cy, extra))
    return kept, tuple(dict.fromkeys(codes))
