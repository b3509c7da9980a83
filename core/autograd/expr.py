"""A safe expression language over named tensors: what a student types on the autograd page.

Two small languages, both parsed with `ast` and walked by this module; Python never runs them
(no `eval`, no `exec`, no `getattr` with a name the user wrote).

**Leaves**, one tensor per line, written the way PyTorch writes it::

    x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], dtype=torch.float, requires_grad=True)
    w = torch.randn(3, 2, seed=0, requires_grad=True)
    t = torch.randint(0, 4, (2,), seed=1)

Constructors: `tensor`, `randn`, `rand`, `randint`, `zeros`, `ones` (the `torch.` prefix is
optional); keywords `requires_grad`, `dtype` (float/float32/float64/double/long/int64) and
`seed=`, this page's shorthand for `torch.manual_seed(seed)` on the line before.

**Program**, assignments over those names, one per line; the last line is the output::

    y = x + 2
    z = y * y * 3
    out = z.mean()

Allowed: the operators `+ - * / ** @`, unary minus, parentheses; the functions in `OPS`
(written `exp(x)`, `torch.exp(x)`, `F.softmax(x, dim=1)` where PyTorch has them) and their
method forms (`x.exp()`, `x.sum(dim=0)`, `x.detach()`); `x.T`; indexing with constant integers
and slices. Nothing else: no other attribute, no name beyond the leaves and earlier
assignments, text in quotes only as a loss's `reduction`.

Limits keep one request cheap on a shared server: `MAX_SOURCE_CHARS`, `MAX_AST_NODES`,
`MAX_OPERATIONS`, `MAX_DEPTH`, `MAX_ELEMENTS` per tensor (checked *before* an operation runs),
`MAX_EXPONENT` for constant exponents, `MAX_CONSTANT` for numbers.

Every refusal -- syntax, unknown name, forbidden attribute, shape mismatch, a limit, a NaN or
infinite result -- is one exception type, `ExpressionError`, carrying the line, the column and
the reason.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

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

    def __init__(self, reason: str, line: int | None = None, column: int | None = None, *,
                 where: str = "expression", source_line: str | None = None):
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


# ---- the whitelist ----------------------------------------------------------------------
# Every operation runs through an adapter below: a plain function whose parameter names say
# what each argument must be (see KINDS), so argument checking is one table, not 30 ifs.


def _exp(x): return torch.exp(x)
def _log(x): return torch.log(x)
def _sin(x): return torch.sin(x)
def _cos(x): return torch.cos(x)
def _tanh(x): return torch.tanh(x)
def _sigmoid(x): return torch.sigmoid(x)
def _relu(x): return torch.relu(x)
def _sqrt(x): return torch.sqrt(x)
def _abs(x): return torch.abs(x)
def _square(x): return torch.square(x)
def _pow(x, exponent): return torch.pow(x, exponent)
def _sum(x, dim=None, keepdim=False):
    # torch.sum(x) and torch.sum(x, dim) are different graph nodes (SumBackward0/1): call the
    # same overload the code panel shows.
    return torch.sum(x) if _whole(dim, keepdim) else torch.sum(x, dim, keepdim=keepdim)


def _mean(x, dim=None, keepdim=False):
    return torch.mean(x) if _whole(dim, keepdim) else torch.mean(x, dim, keepdim=keepdim)


def _whole(dim, keepdim) -> bool:
    if dim is None and keepdim:
        raise ValueError("keepdim=True needs a dim, e.g. dim=(0, 1)")
    return dim is None


def _max(x, dim=None, keepdim=False):
    # torch.max(x, dim) returns (values, indices); only the values carry gradients.
    return torch.max(x) if _whole(dim, keepdim) else torch.max(x, dim, keepdim).values


def _min(x, dim=None, keepdim=False):
    return torch.min(x) if _whole(dim, keepdim) else torch.min(x, dim, keepdim).values


def _matmul(a, b): return torch.matmul(a, b)
def _softmax(x, dim): return F.softmax(x, dim=dim)
def _log_softmax(x, dim): return F.log_softmax(x, dim=dim)
def _transpose(x, dim0, dim1): return torch.transpose(x, dim0, dim1)


def _reshape(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], tuple):
        shape = shape[0]
    return torch.reshape(x, shape)


def _unsqueeze(x, dim0): return torch.unsqueeze(x, dim0)
def _squeeze(x, dim0): return torch.squeeze(x, dim0)
def _detach(x): return x.detach()


def _T(x):
    if x.ndim != 2:  # PyTorch deprecates .T on anything but matrices
        raise ValueError(f".T needs a matrix (2 dimensions), this tensor has {x.ndim}; "
                         "use transpose(x, dim0, dim1)")
    return x.T


def _mse_loss(input, target, reduction="mean"):
    return F.mse_loss(input, target, reduction=reduction)


def _binary_cross_entropy(input, target, reduction="mean"):
    return F.binary_cross_entropy(input, target, reduction=reduction)


def _cross_entropy(input, target, reduction="mean"):
    return F.cross_entropy(input, target, reduction=reduction)


def _linear(input, weight, bias=None): return F.linear(input, weight, bias)
def _index(x, key): return x[key]


@dataclass(frozen=True)
class Op:
    """One whitelisted operation: how a student may write it, what runs, how the code panel writes it."""

    name: str
    impl: Callable[..., object]
    code: str = ""  # the function's spelling in code ("torch.exp"); "" when only a method/operator
    method: bool = True  # may be written x.name(...)
    function: bool = True  # may be written name(...)
    symbol: str = ""  # for operators: "+", "@", ...

    @property
    def signature(self) -> inspect.Signature:
        return _SIGNATURES[self.name]


def _op(name, impl, code, method=True, function=True):
    return Op(name, impl, code, method, function)


OPS: dict[str, Op] = {op.name: op for op in [
    _op("exp", _exp, "torch.exp"), _op("log", _log, "torch.log"),
    _op("sin", _sin, "torch.sin"), _op("cos", _cos, "torch.cos"),
    _op("tanh", _tanh, "torch.tanh"), _op("sigmoid", _sigmoid, "torch.sigmoid"),
    _op("relu", _relu, "torch.relu"), _op("sqrt", _sqrt, "torch.sqrt"),
    _op("abs", _abs, "torch.abs"), _op("square", _square, "torch.square"),
    _op("pow", _pow, "torch.pow"),
    _op("sum", _sum, "torch.sum"), _op("mean", _mean, "torch.mean"),
    _op("max", _max, "torch.max"), _op("min", _min, "torch.min"),
    _op("matmul", _matmul, "torch.matmul"),
    _op("softmax", _softmax, "F.softmax"), _op("log_softmax", _log_softmax, "F.log_softmax"),
    _op("transpose", _transpose, "torch.transpose"), _op("reshape", _reshape, "torch.reshape"),
    _op("unsqueeze", _unsqueeze, "torch.unsqueeze"), _op("squeeze", _squeeze, "torch.squeeze"),
    _op("detach", _detach, "", function=False),
    _op("mse_loss", _mse_loss, "F.mse_loss", method=False),
    _op("binary_cross_entropy", _binary_cross_entropy, "F.binary_cross_entropy", method=False),
    _op("cross_entropy", _cross_entropy, "F.cross_entropy", method=False),
    _op("linear", _linear, "F.linear", method=False),
]}
# Operators and syntax that are operations too (they make graph nodes), not callable by name.
OPERATORS: dict[type, Op] = {
    ast.Add: Op("add", operator.add, symbol="+", method=False, function=False),
    ast.Sub: Op("sub", operator.sub, symbol="-", method=False, function=False),
    ast.Mult: Op("mul", operator.mul, symbol="*", method=False, function=False),
    ast.Div: Op("div", operator.truediv, symbol="/", method=False, function=False),
    ast.Pow: Op("pow", operator.pow, symbol="**", method=False, function=False),
    ast.MatMult: Op("matmul", operator.matmul, symbol="@", method=False, function=False),
}
NEG = Op("neg", operator.neg, symbol="-", method=False, function=False)
TRANSPOSE_T = Op("T", _T, method=False, function=False)
INDEX = Op("index", _index, method=False, function=False)

_SIGNATURES: dict[str, inspect.Signature] = {
    op.name: inspect.signature(op.impl) for op in [*OPS.values(), TRANSPOSE_T, INDEX]
}

# What each adapter parameter accepts. Literal kinds must be written as constants.
KINDS = {
    "x": "tensor", "input": "tensor", "target": "tensor", "weight": "tensor",
    "a": "tensor", "b": "tensor", "bias": "tensor",
    "exponent": "exponent",
    "dim": "dims", "dim0": "int", "dim1": "int", "keepdim": "bool",
    "reduction": "reduction", "shape": "shape", "key": "index",
}
LITERAL_KINDS = {"dims", "int", "bool", "reduction", "shape"}
REDUCTIONS = ("mean", "sum", "none")
# `torch.NAME` / `F.NAME` spellings that exist in PyTorch, so copied code runs there too.
NAMESPACES = {"torch": torch, "F": F, "torch.nn.functional": F, "nn.functional": F}
# Spelling checks are table lookups made once here, never getattr/hasattr on a user's name.
SPELLINGS = {(prefix, name) for prefix, module in NAMESPACES.items() for name in OPS
             if hasattr(module, name)}
RESERVED = {"torch", "F", "nn", "True", "False", "None"}

# Friendly names for refused syntax.
_SYNTAX_NAMES = {
    ast.Lambda: "lambda functions", ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions", ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions", ast.Compare: "comparisons",
    ast.BoolOp: "and/or", ast.IfExp: "if/else expressions", ast.Dict: "dicts",
    ast.Set: "sets", ast.JoinedStr: "f-strings", ast.Starred: "* unpacking",
    ast.NamedExpr: ":= assignments", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Slice: "slices outside [ ]",
    ast.Import: "imports", ast.ImportFrom: "imports", ast.FunctionDef: "function definitions",
    ast.ClassDef: "classes", ast.For: "loops", ast.While: "loops", ast.If: "if statements",
    ast.With: "with blocks", ast.Try: "try blocks", ast.Delete: "del", ast.Global: "global",
    ast.Raise: "raise", ast.Assert: "assert", ast.Return: "return", ast.Pass: "pass",
    ast.AugAssign: "in-place updates like += (write y2 = y + 1 instead)",
    ast.AnnAssign: "annotated assignments",
}


# ---- positions ----------------------------------------------------------------------------


def _lines(source: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", source)


class _Source:
    """The text being parsed, for turning AST positions into line/column and excerpts."""

    def __init__(self, text: str, where: str):
        self.text = text
        self.where = where
        self.lines = _lines(text)

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
        return ExpressionError(reason, line, self.column(line, offset), where=self.where,
                               source_line=self.line_text(line))

    def segment(self, node: ast.AST, limit: int = 40) -> str:
        text = ast.get_source_segment(self.text, node) or ast.unparse(node)
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse(text: str, where: str) -> tuple[ast.Module, _Source]:
    """`ast.parse` behind the size limits, every failure as an ExpressionError."""
    if not isinstance(text, str):
        raise ExpressionError("the input must be text", where=where)
    if len(text) > MAX_SOURCE_CHARS:
        raise ExpressionError(f"too long ({len(text)} characters; the limit is {MAX_SOURCE_CHARS})",
                              where=where)
    source = _Source(text, where)
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as err:
        line = err.lineno if isinstance(err.lineno, int) and err.lineno >= 1 else None
        column = err.offset if isinstance(err.offset, int) and err.offset >= 1 else None
        raise ExpressionError(f"syntax error: {err.msg}", line, column, where=where,
                              source_line=source.line_text(line)) from None
    except (ValueError, RecursionError, MemoryError) as err:
        raise ExpressionError(f"cannot be parsed: {type(err).__name__}", where=where) from None
    count = 0
    for _ in ast.walk(tree):
        count += 1
        if count > MAX_AST_NODES:
            raise ExpressionError(f"too complex (more than {MAX_AST_NODES} syntax elements)",
                                  where=where)
    return tree, source


def _refuse_syntax(source: _Source, node: ast.AST) -> ExpressionError:
    what = _SYNTAX_NAMES.get(type(node), f"this syntax ({type(node).__name__})")
    return source.error(f"{what} are not allowed here", node)


def _number(source: _Source, node: ast.AST) -> int | float:
    """A numeric literal, optionally negated: `3`, `-0.5`. Anything else is refused."""
    sign = 1
    inner = node
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        inner = node.operand
    if not isinstance(inner, ast.Constant) or isinstance(inner.value, bool) \
            or not isinstance(inner.value, (int, float)):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, complex):
            raise source.error("complex numbers are not supported", node)
        raise source.error("expected a number here", node)
    value = inner.value
    if isinstance(value, float) and not math.isfinite(value) or abs(value) > MAX_CONSTANT:
        raise source.error(f"number too large (the limit is {MAX_CONSTANT:g})", node)
    return sign * value


def _int(source: _Source, node: ast.AST, what: str) -> int:
    value = _number(source, node)
    if not isinstance(value, int):
        raise source.error(f"{what} must be a whole number, not {value!r}", node)
    return value


# ---- leaves -------------------------------------------------------------------------------

CONSTRUCTORS = ("tensor", "randn", "rand", "randint", "zeros", "ones")
DTYPES = {"float": torch.float32, "float32": torch.float32, "float64": torch.float64,
          "double": torch.float64, "long": torch.int64, "int64": torch.int64}


@dataclass(frozen=True)
class LeafSpec:
    """One input tensor: its name, how it is made, and whether autograd tracks it.

    `init` is a constructor name; `values` the nested numbers of `torch.tensor(...)`;
    `shape` the size for the others; `seed` makes random ones reproducible; `low`/`high` bound
    `randint`; `dtype` is the spelling after `torch.` (None: PyTorch's default).
    """

    name: str
    init: str = "tensor"
    shape: tuple[int, ...] = ()
    values: object = None
    seed: int = 0
    low: int = 0
    high: int = 2
    dtype: str | None = None
    requires_grad: bool = False

    def make(self) -> torch.Tensor:
        """Create the tensor, as PyTorch would from `code()`; refusals as ExpressionError."""
        dtype = DTYPES[self.dtype] if self.dtype else None
        try:
            if self.init == "tensor":
                t = torch.tensor(self.values, dtype=dtype)
            elif self.init == "randint":
                t = torch.randint(self.low, self.high, self.shape, dtype=dtype or torch.int64,
                                  generator=torch.Generator().manual_seed(self.seed))
            elif self.init in ("randn", "rand"):
                fn = torch.randn if self.init == "randn" else torch.rand
                t = fn(self.shape, dtype=dtype, generator=torch.Generator().manual_seed(self.seed))
            else:
                t = (torch.zeros if self.init == "zeros" else torch.ones)(self.shape, dtype=dtype)
        except (ValueError, TypeError, RuntimeError) as err:
            raise ExpressionError(f"{self.name}: {_first_line(err)}", where="leaves") from None
        _check_size(t.shape, f"{self.name}", where="leaves")
        if t.numel() == 0:
            raise ExpressionError(f"{self.name} is empty; give it at least one number",
                                  where="leaves")
        if self.requires_grad:
            if not (t.is_floating_point()):
                raise ExpressionError(
                    f"{self.name}: only floating-point tensors can require gradients "
                    f"(this one is {t.dtype}); write 1.0 rather than 1, or add dtype=torch.float",
                    where="leaves")
            t.requires_grad_(True)
        return t

    def code(self) -> list[str]:
        """PyTorch lines creating this tensor (a manual_seed line first for random ones)."""
        kw = []
        if self.dtype:
            kw.append(f"dtype=torch.{self.dtype}")
        if self.requires_grad:
            kw.append("requires_grad=True")
        if self.init == "tensor":
            args = [_literal(self.values)]
        elif self.init == "randint":
            args = [str(self.low), str(self.high), str(tuple(self.shape))]
        else:
            args = [str(d) for d in self.shape]
        call = f"{self.name} = torch.{self.init}({', '.join(args + kw)})"
        if self.init in ("randn", "rand", "randint"):
            return [f"torch.manual_seed({self.seed})", call]
        return [call]


def _literal(values) -> str:
    if isinstance(values, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in values) + "]"
    return repr(values)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _check_size(shape, what: str, where: str = "expression", source=None, node=None):
    numel = math.prod(shape)
    if len(shape) > MAX_DIMS:
        reason = f"{what} would have {len(shape)} dimensions; the limit is {MAX_DIMS}"
    elif numel > MAX_ELEMENTS:
        reason = (f"{what} would have {numel:,} elements (shape {tuple(shape)}); "
                  f"the limit is {MAX_ELEMENTS:,}")
    else:
        return
    if source is not None:
        raise source.error(reason, node)
    raise ExpressionError(reason, where=where)


def _dotted(node: ast.AST) -> str | None:
    """'torch.nn.functional.softmax' for a chain of names, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _check_name(source: _Source, node: ast.AST, name: str, taken: set[str], what: str) -> None:
    if name.startswith("_"):
        raise source.error(f"names starting with _ are not allowed ({name!r})", node)
    if len(name) > MAX_NAME_CHARS:
        raise source.error(f"name too long (at most {MAX_NAME_CHARS} characters)", node)
    if name in RESERVED or name in OPS or name in CONSTRUCTORS:
        raise source.error(f"{name!r} is a built-in name; choose another name for the {what}", node)
    if name in taken:
        raise source.error(f"{name!r} is already a leaf; give this {what} a new name", node)


def parse_leaves(text: str) -> list[LeafSpec]:
    """Parse the leaves box (one `name = torch.ctor(...)` per line) into specs; refusals raise."""
    tree, source = _parse(text, "leaves")
    specs: list[LeafSpec] = []
    names: set[str] = set()
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 \
                or not isinstance(stmt.targets[0], ast.Name):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                raise source.error("no imports needed: torch and F are already there", stmt)
            raise source.error("each line must be `name = torch.tensor(...)` (or randn, rand, "
                               "randint, zeros, ones)", stmt)
        target = stmt.targets[0]
        _check_name(source, target, target.id, names, "leaf")
        specs.append(_leaf(source, target.id, stmt.value))
        names.add(target.id)
        if len(specs) > MAX_LEAVES:
            raise source.error(f"too many leaves (at most {MAX_LEAVES})", stmt)
    if not specs:
        raise ExpressionError("define at least one leaf, e.g. x = torch.tensor([1.0, 2.0], "
                              "requires_grad=True)", where="leaves")
    return specs


def _leaf(source: _Source, name: str, call: ast.AST) -> LeafSpec:
    if not isinstance(call, ast.Call):
        raise source.error(f"{name} must be made by a constructor: " + ", ".join(CONSTRUCTORS), call)
    dotted = _dotted(call.func) or ""
    ctor = dotted.removeprefix("torch.")
    if ctor not in CONSTRUCTORS:
        raise source.error(f"{dotted or 'this'} is not a constructor here; use one of "
                           + ", ".join(f"torch.{c}" for c in CONSTRUCTORS), call.func)
    kw = {}
    for k in call.keywords:
        allowed = {"requires_grad", "dtype"} | ({"seed"} if ctor.startswith("rand") else set())
        if k.arg not in allowed:
            raise source.error(f"{ctor}() takes only the keywords {', '.join(sorted(allowed))}", k)
        kw[k.arg] = k.value
    spec = dict(name=name, init=ctor)
    if "requires_grad" in kw:
        node = kw["requires_grad"]
        if not (isinstance(node, ast.Constant) and isinstance(node.value, bool)):
            raise source.error("requires_grad must be True or False", node)
        spec["requires_grad"] = node.value
    if "dtype" in kw:
        d = (_dotted(kw["dtype"]) or "").removeprefix("torch.")
        if d not in DTYPES:
            raise source.error("dtype must be one of " + ", ".join(f"torch.{k}" for k in DTYPES),
                               kw["dtype"])
        spec["dtype"] = d
    if "seed" in kw:
        spec["seed"] = _int(source, kw["seed"], "the seed")
        if not 0 <= spec["seed"] <= MAX_SEED:
            raise source.error(f"the seed must be between 0 and {MAX_SEED}", kw["seed"])
    args = list(call.args)
    if ctor == "tensor":
        if len(args) != 1:
            raise source.error("tensor() takes one nested list of numbers", call)
        spec["values"] = _nested_numbers(source, args[0], depth=0, count=[0])
    else:
        if ctor == "randint":
            if len(args) != 3:
                raise source.error("randint(low, high, shape) takes three arguments, e.g. "
                                   "randint(0, 10, (4,))", call)
            spec["low"] = _int(source, args[0], "low")
            spec["high"] = _int(source, args[1], "high")
            if spec["high"] <= spec["low"]:
                raise source.error("randint needs high > low", args[1])
            args = args[2:]
        spec["shape"] = _shape(source, args, call)
        _check_size(spec["shape"], name, source=source, node=call)
    return LeafSpec(**spec)


def _nested_numbers(source: _Source, node: ast.AST, depth: int, count: list[int]):
    if isinstance(node, (ast.List, ast.Tuple)):
        if depth >= MAX_DIMS:
            raise source.error(f"too many nested brackets (at most {MAX_DIMS} dimensions)", node)
        return [_nested_numbers(source, e, depth + 1, count) for e in node.elts]
    count[0] += 1
    if count[0] > MAX_ELEMENTS:
        raise source.error(f"too many numbers (the limit is {MAX_ELEMENTS:,})", node)
    return _number(source, node)


def _shape(source: _Source, args: list[ast.AST], call: ast.AST) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)):
        args = args[0].elts
    if not args:
        raise source.error("give a shape, e.g. randn(2, 3)", call)
    if len(args) > MAX_DIMS:
        raise source.error(f"at most {MAX_DIMS} dimensions", call)
    shape = tuple(_int(source, a, "a dimension") for a in args)
    for a, d in zip(args, shape, strict=True):
        if not 1 <= d <= MAX_ELEMENTS:
            raise source.error(f"each dimension must be between 1 and {MAX_ELEMENTS:,}", a)
    return shape


def make_leaves(specs: list[LeafSpec]) -> dict[str, torch.Tensor]:
    """{name: fresh tensor} for the specs, in order."""
    return {s.name: s.make() for s in specs}


def leaves_code(specs: list[LeafSpec]) -> list[str]:
    """PyTorch lines creating all the leaves."""
    return [line for s in specs for line in s.code()]


# ---- program ------------------------------------------------------------------------------


@dataclass
class OpRecord:
    """One whitelisted operation as it ran: what the student wrote and the tensor it made."""

    op: str
    text: str
    line: int
    column: int
    output: object
    name: str | None = None  # the program name this result was assigned to, if any


@dataclass
class Evaluation:
    """A program's forward pass: every name's value, the output, and each operation in order."""

    values: dict[str, object]
    output: torch.Tensor
    output_name: str
    records: list[OpRecord]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Site:
    source: _Source
    node: ast.AST
    text: str

    def error(self, reason: str) -> ExpressionError:
        return self.source.error(reason, self.node)


class _Env:
    def __init__(self, values: dict[str, object]):
        self.values = values
        self.records: list[OpRecord] = []
        self.warnings: list[str] = []


Thunk = Callable[[_Env], object]


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"the number {value!r}"


def _check_argument(site: _Site, op: Op, param: str, value) -> None:
    kind = KINDS[param]
    if kind == "tensor" and not isinstance(value, torch.Tensor):
        raise site.error(f"{op.name}() needs a tensor for {param}, got {_describe(value)}")
    if kind == "exponent" and not isinstance(value, torch.Tensor):
        if abs(value) > MAX_EXPONENT:
            raise site.error(f"exponent {_fmt(value)} is too large (at most {MAX_EXPONENT} in size)")


def _check_result(site: _Site, op: Op, out) -> None:
    if not isinstance(out, torch.Tensor):  # every adapter returns a tensor; keep the promise
        raise site.error(f"{op.name} did not produce a tensor")
    _check_size(out.shape, f"the result of {site.text}", source=site.source, node=site.node)
    if out.is_floating_point():
        finite = torch.isfinite(out)
        if not bool(finite.all()):
            nan = int(torch.isnan(out).sum())
            inf = out.numel() - int(finite.sum()) - nan
            counts = " and ".join(f"{n} {what}" for n, what in ((nan, "NaN"), (inf, "infinite"))
                                  if n)
            hint = _NONFINITE_HINTS.get(op.name, "overflow or an undefined operation")
            raise site.error(f"{site.text} produced {counts} values ({hint})")


_NONFINITE_HINTS = {
    "log": "log of zero or a negative number", "sqrt": "square root of a negative number",
    "div": "division by zero", "exp": "exp overflows above about 88",
    "pow": "overflow, or a negative base with a fractional exponent",
    "log_softmax": "overflow", "cross_entropy": "overflow",
}


def _broadcast(shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    """NumPy-style broadcast of shapes; None if they do not broadcast (the op will say why)."""
    out = []
    for i in range(1, max(map(len, shapes), default=0) + 1):
        sizes = {s[-i] for s in shapes if len(s) >= i} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(reversed(out))


def _matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """torch.matmul's result shape (1-D, 2-D and batched); None where it will refuse."""
    if not a or not b:
        return None
    a2 = a if len(a) > 1 else (1, *a)
    b2 = b if len(b) > 1 else (*b, 1)
    batch = _broadcast([a2[:-2], b2[:-2]])
    if batch is None:
        return None
    return (*batch, *(a2[-2:-1] if len(a) > 1 else ()), *(b2[-1:] if len(b) > 1 else ()))


def _result_shape(op: Op, tensors: list[torch.Tensor]) -> tuple[int, ...] | None:
    """The largest shape `op` can produce from these tensors, worked out before running it.

    Only operations on two or more tensors can grow beyond their inputs: by broadcasting,
    or as a matrix product. (Plain shape arithmetic: torch's meta device and
    torch.broadcast_shapes cost seconds of imports on first use.)
    """
    shapes = [tuple(t.shape) for t in tensors]
    if op.name == "matmul":
        return _matmul_shape(shapes[0], shapes[1])
    if op.name == "linear":
        return (*shapes[0][:-1], shapes[1][0]) if shapes[0] and len(shapes[1]) == 2 else None
    return _broadcast(shapes)


def _dispatch(op: Op, args: list, kwargs: dict, params: list[tuple[str, object]], site: _Site, env: _Env):
    """Run one whitelisted operation: check arguments and sizes, call it, check and record its result.

    This is the only place the evaluator calls into PyTorch on the student's behalf.
    """
    for param, value in params:
        _check_argument(site, op, param, value)
    tensors = [v for v in (*args, *kwargs.values()) if isinstance(v, torch.Tensor)]
    if len(tensors) >= 2:
        # Broadcasting or a matrix product can make something huge: size it first. Shapes
        # that do not fit together are left to PyTorch, which refuses them before allocating.
        shape = _result_shape(op, tensors)
        if shape is not None:
            _check_size(shape, f"the result of {site.text}", source=site.source, node=site.node)
    if op.name in ("mse_loss", "binary_cross_entropy") and args[0].shape != args[1].shape:
        env.warnings.append(
            f"{site.text}: input shape {tuple(args[0].shape)} and target shape "
            f"{tuple(args[1].shape)} differ, so PyTorch broadcasts them; that is almost never "
            "what you want")
    try:
        out = op.impl(*args, **kwargs)
    except Exception as err:  # any torch refusal of these arguments is the student's to fix
        raise site.error(f"{site.text}: {_torch_reason(err, tensors)}") from None
    _check_result(site, op, out)
    env.records.append(OpRecord(op.name, site.text, site.node.lineno,
                                site.source.column(site.node.lineno, site.node.col_offset), out))
    return out


def _torch_reason(err: Exception, tensors: list[torch.Tensor]) -> str:
    shapes = " and ".join(str(tuple(t.shape)) for t in tensors)
    what = f"shape{'s' if len(tensors) > 1 else ''} {shapes}" if tensors else "these arguments"
    return f"PyTorch refused {what}: {_first_line(err)}"


def _fmt(value) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def _numbers(site: _Site, exponent_site: _Site, symbol: str, a, b):
    """Arithmetic between two plain numbers, inside the same limits as tensors."""
    if symbol == "@":
        raise site.error("@ needs tensors on both sides")
    if symbol == "**" and abs(b) > MAX_EXPONENT:
        raise exponent_site.error(f"exponent {_fmt(b)} is too large (at most {MAX_EXPONENT} "
                                  "in size)")
    try:
        out = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
               "**": operator.pow}[symbol](float(a), float(b))
    except ZeroDivisionError:
        raise site.error("division by zero") from None
    except OverflowError:
        raise site.error("number too large") from None
    if isinstance(out, complex) or not math.isfinite(out) or abs(out) > MAX_CONSTANT:
        raise site.error(f"{site.text} is not a real number within ±{MAX_CONSTANT:g}")
    return out


class _Compiler:
    """Checks a program's syntax tree against the whitelist and turns it into closures.

    Each `expr` returns (thunk, code): the thunk computes the value from an `_Env`; the code is
    an AST of the canonical PyTorch spelling, for the code panel.
    """

    def __init__(self, source: _Source, names: set[str]):
        self.source = source
        self.names = set(names)
        self.operations = 0

    def site(self, node: ast.AST) -> _Site:
        return _Site(self.source, node, self.source.segment(node))

    def count(self, node: ast.AST) -> None:
        self.operations += 1
        if self.operations > MAX_OPERATIONS:
            raise self.source.error(f"too many operations (the limit is {MAX_OPERATIONS})", node)

    def expr(self, node: ast.AST, depth: int = 0) -> tuple[Thunk, ast.expr]:
        if depth > MAX_DEPTH:
            raise self.source.error(f"nested too deeply (more than {MAX_DEPTH} levels); "
                                    "split it into several lines with names", node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                raise self.source.error("text in quotes is only allowed as reduction='mean', "
                                        "'sum' or 'none'", node)
            if isinstance(node.value, bool) or node.value is None or node.value is Ellipsis:
                raise self.source.error(f"{node.value!r} is only allowed as a keyword value, "
                                        "e.g. keepdim=True", node)
            value = _number(self.source, node)
            return (lambda env: value), ast.Constant(value)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Attribute):
            if node.attr != "T":
                raise self.attribute_error(node)
            return self.apply(TRANSPOSE_T, node, [node.value], [], depth, method=True)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, depth)
        if isinstance(node, (ast.Tuple, ast.List)):
            raise self.source.error("lists and tuples are only allowed as shapes or dims, e.g. "
                                    "reshape(x, (3, 2)) or sum(x, dim=(0, 1))", node)
        raise _refuse_syntax(self.source, node)

    def name(self, node: ast.Name) -> tuple[Thunk, ast.expr]:
        name = node.id
        if name not in self.names:
            if name.startswith("__"):
                raise self.source.error(f"names with double underscores are not allowed ({name})",
                                        node)
            if name in OPS or name in NAMESPACES or name == "nn":
                raise self.source.error(f"{name} is a function: call it, e.g. {name}(x)"
                                        if name in OPS else f"{name} alone is not a value", node)
            hint = difflib.get_close_matches(name, sorted(self.names), n=1)
            known = ", ".join(sorted(self.names)) or "none yet"
            raise self.source.error(f"unknown name {name!r}"
                                    + (f"; did you mean {hint[0]!r}?" if hint else "")
                                    + f" (names you can use: {known})", node)
        return (lambda env: env.values[name]), ast.Name(name)

    def attribute_error(self, node: ast.Attribute) -> ExpressionError:
        if node.attr.startswith("_"):
            return self.source.error(f"attribute .{node.attr} is not allowed (names starting "
                                     "with _ are never allowed)", node)
        methods = ", ".join(sorted(n for n, o in OPS.items() if o.method))
        return self.source.error(f"attribute .{node.attr} is not allowed; allowed are .T and "
                                 f"the methods {methods}", node)

    def unary(self, node: ast.UnaryOp, depth: int):
        if isinstance(node.op, ast.UAdd):
            return self.expr(node.operand, depth + 1)
        if not isinstance(node.op, ast.USub):
            raise self.source.error("only unary minus is allowed here (not `not` or `~`)", node)
        self.count(node)
        inner, code = self.expr(node.operand, depth + 1)
        site = self.site(node)

        def run(env):
            value = inner(env)
            if not isinstance(value, torch.Tensor):
                return -value
            return _dispatch(NEG, [value], {}, [], site, env)

        return run, ast.UnaryOp(ast.USub(), code)

    def binary(self, node: ast.BinOp, depth: int):
        op = OPERATORS.get(type(node.op))
        if op is None:
            symbol = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>",
                      ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}.get(type(node.op), "?")
            raise self.source.error(f"operator {symbol} is not supported (use + - * / ** @)", node)
        self.count(node)
        if op.symbol == "**" and isinstance(node.right, (ast.Constant, ast.UnaryOp)):
            try:
                exponent = _number(self.source, node.right)
            except ExpressionError:
                exponent = None
            if exponent is not None and abs(exponent) > MAX_EXPONENT:
                raise self.source.error(f"exponent {_fmt(exponent)} is too large (at most "
                                        f"{MAX_EXPONENT} in size)", node.right)
        left, lcode = self.expr(node.left, depth + 1)
        right, rcode = self.expr(node.right, depth + 1)
        site = self.site(node)
        exponent_site = self.site(node.right)

        def run(env):
            a, b = left(env), right(env)
            if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):
                return _numbers(site, exponent_site, op.symbol, a, b)
            if op.symbol == "**" and not isinstance(b, torch.Tensor) and abs(b) > MAX_EXPONENT:
                raise exponent_site.error(f"exponent {_fmt(b)} is too large (at most {MAX_EXPONENT} "
                                          "in size)")
            return _dispatch(op, [a, b], {}, [], site, env)

        return run, ast.BinOp(lcode, type(node.op)(), rcode)

    def call(self, node: ast.Call, depth: int):
        func = node.func
        if isinstance(func, ast.Name):
            op = OPS.get(func.id)
            if op is None or not op.function:
                raise self.unknown_function(func.id, func)
            return self.apply(op, node, node.args, node.keywords, depth)
        if isinstance(func, ast.Attribute):
            dotted = _dotted(func)
            prefix = dotted.rsplit(".", 1)[0] if dotted else None
            if prefix in NAMESPACES and prefix not in self.names:
                op = OPS.get(func.attr)
                if op is None or not op.function:
                    raise self.unknown_function(dotted, func)
                if (prefix, func.attr) not in SPELLINGS:
                    raise self.source.error(f"PyTorch has no {dotted}; write {op.code} or just "
                                            f"{op.name}", func)
                return self.apply(op, node, node.args, node.keywords, depth)
            op = OPS.get(func.attr)
            if op is None or not op.method:
                if op is not None:
                    raise self.source.error(f".{func.attr}() is not a tensor method; write "
                                            f"{op.code}(...)", func)
                raise self.attribute_error(func)
            return self.apply(op, node, [func.value, *node.args], node.keywords, depth, method=True)
        raise self.source.error("only named functions can be called, e.g. exp(x)", func)

    def unknown_function(self, name: str, node: ast.AST) -> ExpressionError:
        if name.startswith("__") or "._" in name or name.startswith("_"):
            return self.source.error(f"{name} is not allowed (names starting with _ are never "
                                     "allowed)", node)
        short = name.rsplit(".", 1)[-1]
        if short in CONSTRUCTORS:
            return self.source.error(f"{name}() makes a leaf: define it in the leaves box", node)
        functions = sorted(n for n, o in OPS.items() if o.function)
        hint = difflib.get_close_matches(short, functions, n=1)
        return self.source.error(f"{name}() is not an allowed function"
                                 + (f"; did you mean {hint[0]}?" if hint else "")
                                 + " (allowed: " + ", ".join(functions) + ")", node)

    def literal(self, node: ast.AST, kind: str, param: str, op: Op):
        """A literal-only argument (dims, keepdim, reduction, shape) as a Python value."""
        src = self.source
        if kind == "bool":
            if not (isinstance(node, ast.Constant) and isinstance(node.value, bool)):
                raise src.error(f"{param} must be True or False", node)
            return node.value
        if kind == "reduction":
            if not (isinstance(node, ast.Constant) and node.value in REDUCTIONS):
                raise src.error("reduction must be 'mean', 'sum' or 'none'", node)
            return node.value
        if kind == "int":
            return _int(src, node, param)
        if kind == "dims":
            if isinstance(node, (ast.Tuple, ast.List)):
                if not 1 <= len(node.elts) <= MAX_DIMS:
                    raise src.error(f"dim takes 1 to {MAX_DIMS} dimensions", node)
                return tuple(_int(src, e, "dim") for e in node.elts)
            return _int(src, node, "dim")
        if kind == "shape":
            value = tuple(_int(src, e, "a dimension") for e in node.elts) \
                if isinstance(node, (ast.Tuple, ast.List)) else _int(src, node, "a dimension")
            dims = value if isinstance(value, tuple) else (value,)
            if any(not (d == -1 or 1 <= d <= MAX_ELEMENTS) for d in dims):
                raise src.error(f"dimensions must be -1 or between 1 and {MAX_ELEMENTS:,}", node)
            return value
        raise src.error(f"unexpected argument for {op.name}", node)

    def apply(self, op: Op, node: ast.AST, args: list[ast.AST], keywords: list[ast.keyword],
              depth: int, method: bool = False):
        """Compile a call of `op` (function or method form) with the given argument nodes."""
        self.count(node)
        sig = op.signature
        for k in keywords:
            if k.arg is None:
                raise self.source.error("** unpacking is not allowed", k.value)
        for a in args:
            if isinstance(a, ast.Starred):
                raise self.source.error("* unpacking is not allowed", a)
        try:
            bound = sig.bind(*range(len(args)), **{k.arg: k.arg for k in keywords})
        except TypeError as err:
            shown = op.name + ("() method" if method else "()")
            raise self.source.error(f"{shown}: {err} (it takes {_signature_text(op, method)})",
                                    node) from None
        slot_param: dict[object, str] = {}
        for param, slot in bound.arguments.items():
            for s in slot if sig.parameters[param].kind is inspect.Parameter.VAR_POSITIONAL \
                    else (slot,):
                slot_param[s] = param
        pos: list[tuple[str, Thunk | None, object, ast.expr]] = []
        for i, a in enumerate(args):
            pos.append(self.argument(slot_param[i], a, op, depth))
        kws = [(k.arg, *self.argument(k.arg, k.value, op, depth)[1:]) for k in keywords]
        site = self.site(node)
        runtime = [(p, t) for p, t, _, _ in pos if t is not None] + \
                  [(k, t) for k, t, _, _ in kws if t is not None]

        def run(env):
            values = {}
            pos_values = []
            for param, thunk, literal, _ in pos:
                v = literal if thunk is None else thunk(env)
                values.setdefault(param, v)
                pos_values.append(v)
            kw_values = {}
            for name, thunk, literal, _ in kws:
                kw_values[name] = literal if thunk is None else thunk(env)
            params = [(p, values.get(p, kw_values.get(p))) for p, _ in runtime]
            return _dispatch(op, pos_values, kw_values, params, site, env)

        return run, self.code(op, pos, kws, method)

    def argument(self, param: str, node: ast.AST, op: Op, depth: int):
        kind = KINDS[param]
        if kind in LITERAL_KINDS:
            value = self.literal(node, kind, param, op)
            return param, None, value, ast.Constant(value) if not isinstance(value, tuple) \
                else ast.Tuple([ast.Constant(v) for v in value], ast.Load())
        if kind == "exponent" and isinstance(node, (ast.Constant, ast.UnaryOp)):
            try:
                value = _number(self.source, node)
            except ExpressionError:
                value = None
            if value is not None and abs(value) > MAX_EXPONENT:
                raise self.source.error(f"exponent {_fmt(value)} is too large (at most {MAX_EXPONENT} "
                                        "in size)", node)
        thunk, code = self.expr(node, depth + 1)
        return param, thunk, None, code

    def code(self, op: Op, pos, kws, method: bool) -> ast.expr:
        """The canonical PyTorch spelling of a call, as an AST (tensors positional, options by name)."""
        args: list[ast.expr] = []
        keywords: list[ast.keyword] = []
        for param, _, _, code in pos:
            if KINDS[param] in ("dims", "bool", "reduction"):
                keywords.append(ast.keyword(param, code))
            else:
                args.append(code)
        keywords += [ast.keyword(name, code) for name, _, _, code in kws]
        if op is TRANSPOSE_T:
            return ast.Attribute(args[0], "T", ast.Load())
        if op.name == "reshape" and not method:  # torch.reshape wants the shape as one tuple
            dims = [e for a in args[1:] for e in (a.elts if isinstance(a, ast.Tuple) else [a])]
            args = [args[0], ast.Tuple(dims, ast.Load())]
        if method or not op.code:
            func = ast.Attribute(args[0], op.name, ast.Load())
            call = ast.Call(func, args[1:], keywords)
        else:
            func = ast.parse(op.code, mode="eval").body
            call = ast.Call(func, args, keywords)
        has_dim = any(p == "dim" for p, *_ in pos) or any(k.arg == "dim" for k in keywords)
        if op.name in ("max", "min") and has_dim:
            return ast.Attribute(call, "values", ast.Load())
        return call

    def subscript(self, node: ast.Subscript, depth: int):
        key_node = node.slice
        parts = key_node.elts if isinstance(key_node, ast.Tuple) else [key_node]
        if len(parts) > MAX_DIMS:
            raise self.source.error(f"at most {MAX_DIMS} indices", key_node)
        key = tuple(self.index_part(p) for p in parts)
        key = key if isinstance(key_node, ast.Tuple) else key[0]
        self.count(node)
        inner, code = self.expr(node.value, depth + 1)
        site = self.site(node)

        def run(env):
            value = inner(env)
            if not isinstance(value, torch.Tensor):
                raise site.error(f"only tensors can be indexed, not {_describe(value)}")
            return _dispatch(INDEX, [value, key], {}, [("x", value)], site, env)

        return run, ast.Subscript(code, node.slice, ast.Load())

    def index_part(self, node: ast.AST):
        if isinstance(node, ast.Slice):
            bounds = [None if n is None else _int(self.source, n, "a slice bound")
                      for n in (node.lower, node.upper, node.step)]
            if bounds[2] is not None and bounds[2] < 1:
                raise self.source.error("slice steps must be positive", node.step)
            return slice(*bounds)
        return _int(self.source, node, "an index")


def _signature_text(op: Op, method: bool) -> str:
    params = list(op.signature.parameters.values())
    if method:
        params = params[1:]
    shown = ", ".join(("*" if p.kind is inspect.Parameter.VAR_POSITIONAL else "") + p.name
                      + ("" if p.default is inspect.Parameter.empty else f"={p.default!r}")
                      for p in params)
    return f"({shown})"


@dataclass(frozen=True)
class Statement:
    """One line of a program: `target = <expression>`, checked and ready to run."""

    target: str
    text: str
    line: int
    code: str
    run: Thunk


@dataclass(frozen=True)
class Program:
    """A checked program over some leaves; `evaluate` runs it on tensors for those names."""

    source: str
    statements: tuple[Statement, ...]
    leaf_names: tuple[str, ...]

    @property
    def output_name(self) -> str:
        return self.statements[-1].target

    def code(self) -> list[str]:
        """The program in canonical PyTorch, one line per statement."""
        return [f"{s.target} = {s.code}" for s in self.statements]

    def evaluate(self, leaves: dict[str, torch.Tensor]) -> Evaluation:
        """Run the program on `leaves` (name -> tensor); refusals raise ExpressionError."""
        missing = [n for n in self.leaf_names if n not in leaves]
        if missing:
            raise ExpressionError(f"no tensor given for {', '.join(missing)}")
        env = _Env(dict(leaves))
        for stmt in self.statements:
            before = len(env.records)
            value = stmt.run(env)
            if len(env.records) > before and env.records[-1].output is value:
                env.records[-1].name = stmt.target
            env.values[stmt.target] = value
        last = self.statements[-1]
        output = env.values[last.target]
        if not isinstance(output, torch.Tensor):
            raise ExpressionError(f"the result is {_describe(output)}, not a tensor; "
                                  "use at least one leaf", last.line, 1)
        return Evaluation(env.values, output, last.target, env.records, env.warnings)


def parse_program(text: str, leaf_names) -> Program:
    """Check a program (one `name = expression` per line, the last may be a bare expression).

    Refusals raise ExpressionError naming the line, the column and the reason.
    """
    tree, source = _parse(text, "expression")
    if not tree.body:
        raise ExpressionError("write at least one expression, e.g. out = (x * x).sum()")
    leaf_names = tuple(leaf_names)
    compiler = _Compiler(source, set(leaf_names))
    statements = []
    for i, stmt in enumerate(tree.body):
        last = i == len(tree.body) - 1
        if isinstance(stmt, ast.Expr) and last:
            target, value_node = "out", stmt.value
        elif isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                raise source.error("assign to one plain name, e.g. y = x + 2", stmt)
            target, value_node = stmt.targets[0].id, stmt.value
            _check_name(source, stmt.targets[0], target, set(leaf_names), "result")
        elif isinstance(stmt, ast.Expr):
            raise source.error("only the last line may be a bare expression; give this one a "
                               "name, e.g. y = ...", stmt)
        else:
            raise _refuse_syntax(source, stmt)
        thunk, code = compiler.expr(value_node)
        statements.append(Statement(target, source.segment(value_node, 200), stmt.lineno,
                                    ast.unparse(code), thunk))
        compiler.names.add(target)
    return Program(text, tuple(statements), leaf_names)


def evaluate(leaves_text: str, program_text: str) -> tuple[list[LeafSpec], Program, Evaluation]:
    """Parse both boxes, make the leaves and run the program: the whole pipeline in one call."""
    specs = parse_leaves(leaves_text)
    program = parse_program(program_text, [s.name for s in specs])
    return specs, program, program.evaluate(make_leaves(specs))
