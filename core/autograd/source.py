"""The text a student types: the language's limits, source positions, and every refusal.

One exception type, `ExpressionError`, carries the reason, the line and the column of any
refusal (syntax, a name, a limit, a shape, a NaN). `Source` turns AST positions into lines
and columns; `parse_source` is `ast.parse` behind the size limits.
"""

from __future__ import annotations

import ast
import math
import re

MAX_SOURCE_CHARS = 2000
MAX_AST_NODES = 2000
MAX_OPERATIONS = 200
MAX_DEPTH = 100
MAX_ELEMENTS = 10_000
MAX_DIMS = 4
MAX_LEAVES = 8
MAX_EXPONENT = 10
MAX_CONSTANT = 1e12
MAX_NAME_CHARS = 24
MAX_SEED = 2**31 - 1


class ExpressionError(ValueError):
    """Any refusal of a leaves spec or a program: `reason`, and where (`line`, `column`, 1-based).

    `where` names the input ("expression" or "leaves"); `line`/`column` are None when the
    problem is not at one place (e.g. the text is too long). `source_line` is the offending
    line's text, for `pointer()`.
    """

    def __init__(
        self,
        reason: str,
        line: int | None = None,
        column: int | None = None,
        *,
        where: str = "expression",
        source_line: str | None = None,
    ):
        self.reason = reason
        self.line = line
        self.column = column
        self.where = where
        self.source_line = source_line
        super().__init__(self.message())

    def message(self) -> str:
        head = self.where[:1].upper() + self.where[1:]
        if self.line is None:
            return f"{head}: {self.reason}"
        column = f", column {self.column}" if self.column else ""
        return f"{head}, line {self.line}{column}: {self.reason}"

    def __str__(self) -> str:
        return self.message()

    @property
    def position(self) -> tuple[int | None, int | None]:
        """(line, column), 1-based; None where unknown."""
        return self.line, self.column

    def pointer(self) -> str:
        """The offending line with a caret under the column, for a monospace box ('' if unknown)."""
        if self.source_line is None or not self.column:
            return ""
        return self.source_line + "\n" + " " * (self.column - 1) + "^"


# Friendly names for refused syntax.
SYNTAX_NAMES = {
    ast.Lambda: "lambda functions",
    ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions",
    ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else expressions",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.JoinedStr: "f-strings",
    ast.Starred: "* unpacking",
    ast.NamedExpr: ":= assignments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices outside [ ]",
    ast.Import: "imports",
    ast.ImportFrom: "imports",
    ast.FunctionDef: "function definitions",
    ast.ClassDef: "classes",
    ast.For: "loops",
    ast.While: "loops",
    ast.If: "if statements",
    ast.With: "with blocks",
    ast.Try: "try blocks",
    ast.Delete: "del",
    ast.Global: "global",
    ast.Raise: "raise",
    ast.Assert: "assert",
    ast.Return: "return",
    ast.Pass: "pass",
    ast.AugAssign: "in-place updates like += (write y2 = y + 1 instead)",
    ast.AnnAssign: "annotated assignments",
}


# ---- positions ----------------------------------------------------------------------------


def split_lines(source: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", source)


class Source:
    """The text being parsed, for turning AST positions into line/column and excerpts."""

    def __init__(self, text: str, where: str):
        self.text = text
        self.where = where
        self.lines = split_lines(text)

    def line_text(self, line: int | None) -> str | None:
        if line is None or not 1 <= line <= len(self.lines):
            return None
        return self.lines[line - 1]

    def column(self, line: int, col_offset: int) -> int:
        # ast's col_offset counts UTF-8 bytes; people count characters.
        text = self.line_text(line) or ""
        return len(text.encode("utf-8")[:col_offset].decode("utf-8", errors="ignore")) + 1

    def error(self, reason: str, node: ast.AST | None = None) -> ExpressionError:
        if node is None or not hasattr(node, "lineno"):
            return ExpressionError(reason, where=self.where)
        offset = node.col_offset
        if isinstance(node, ast.Attribute) and node.end_lineno == node.lineno:
            offset = node.end_col_offset - len(node.attr.encode("utf-8"))  # point at the name
        line = node.lineno
        return ExpressionError(
            reason,
            line,
            self.column(line, offset),
            where=self.where,
            source_line=self.line_text(line),
        )

    def segment(self, node: ast.AST, limit: int = 40) -> str:
        text = ast.get_source_segment(self.text, node) or ast.unparse(node)
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_source(text: str, where: str) -> tuple[ast.Module, Source]:
    """`ast.parse` behind the size limits, every failure as an ExpressionError."""
    if not isinstance(text, str):
        raise ExpressionError("the input must be text", where=where)
    if len(text) > MAX_SOURCE_CHARS:
        raise ExpressionError(
            f"too long ({len(text)} characters; the limit is {MAX_SOURCE_CHARS})", where=where
        )
    source = Source(text, where)
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as err:
        line = err.lineno if isinstance(err.lineno, int) and err.lineno >= 1 else None
        column = err.offset if isinstance(err.offset, int) and err.offset >= 1 else None
        raise ExpressionError(
            f"syntax error: {err.msg}",
            line,
            column,
            where=where,
            source_line=source.line_text(line),
        ) from None
    except (ValueError, RecursionError, MemoryError) as err:
        raise ExpressionError(f"cannot be parsed: {type(err).__name__}", where=where) from None
    count = 0
    for _ in ast.walk(tree):
        count += 1
        if count > MAX_AST_NODES:
            raise ExpressionError(
                f"too complex (more than {MAX_AST_NODES} syntax elements)", where=where
            )
    return tree, source


def refuse_syntax(source: Source, node: ast.AST) -> ExpressionError:
    what = SYNTAX_NAMES.get(type(node), f"this syntax ({type(node).__name__})")
    return source.error(f"{what} are not allowed here", node)


def read_number(source: Source, node: ast.AST) -> int | float:
    """A numeric literal, optionally negated: `3`, `-0.5`. Anything else is refused."""
    sign = 1
    inner = node
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        inner = node.operand
    if (
        not isinstance(inner, ast.Constant)
        or isinstance(inner.value, bool)
        or not isinstance(inner.value, (int, float))
    ):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, complex):
            raise source.error("complex numbers are not supported", node)
        raise source.error("expected a number here", node)
    value = inner.value
    if isinstance(value, float) and not math.isfinite(value) or abs(value) > MAX_CONSTANT:
        raise source.error(f"number too large (the limit is {MAX_CONSTANT:g})", node)
    return sign * value


def read_int(source: Source, node: ast.AST, what: str) -> int:
    value = read_number(source, node)
    if not isinstance(value, int):
        raise source.error(f"{what} must be a whole number, not {value!r}", node)
    return value


def first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def check_size(shape, what: str, where: str = "expression", source=None, node=None):
    numel = math.prod(shape)
    if len(shape) > MAX_DIMS:
        reason = f"{what} would have {len(shape)} dimensions; the limit is {MAX_DIMS}"
    elif numel > MAX_ELEMENTS:
        reason = (
            f"{what} would have {numel:,} elements (shape {tuple(shape)}); "
            f"the limit is {MAX_ELEMENTS:,}"
        )
    else:
        return
    if source is not None:
        raise source.error(reason, node)
    raise ExpressionError(reason, where=where)
