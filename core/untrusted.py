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

The Markdown of the pages is escaped by the page helpers (`ui.text`).
"""

from __future__ import annotations

import html
import re

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
