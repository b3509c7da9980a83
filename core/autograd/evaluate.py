"""Running a compiled program: each operation checked before and after it runs.

Shapes are worked out before an operation runs (so a huge result is refused, not
allocated), arguments are checked against the whitelist's kinds, and every result must be
finite; each operation is recorded (`OpRecord`) for the graph and the backward view.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from core.autograd.ops import KINDS, Op
from core.autograd.source import (
    MAX_CONSTANT,
    MAX_EXPONENT,
    ExpressionError,
    Source,
    check_size,
    first_line,
)


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
class ProgramResult:
    """A program's forward pass: every name's value, the output, and each operation in order."""

    values: dict[str, object]
    output: torch.Tensor
    output_name: str
    records: list[OpRecord]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Site:
    source: Source
    node: ast.AST
    text: str

    def error(self, reason: str) -> ExpressionError:
        return self.source.error(reason, self.node)


class Env:
    def __init__(self, values: dict[str, object]):
        self.values = values
        self.records: list[OpRecord] = []
        self.warnings: list[str] = []


Thunk = Callable[[Env], object]


def describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"the number {value!r}"


def check_argument(site: Site, op: Op, param: str, value) -> None:
    kind = KINDS[param]
    if kind == "tensor" and not isinstance(value, torch.Tensor):
        raise site.error(f"{op.name}() needs a tensor for {param}, got {describe(value)}")
    if kind == "exponent" and not isinstance(value, torch.Tensor):
        if abs(value) > MAX_EXPONENT:
            raise site.error(f"exponent {fmt(value)} is too large (at most {MAX_EXPONENT} in size)")


def check_result(site: Site, op: Op, out) -> None:
    if not isinstance(out, torch.Tensor):  # every adapter returns a tensor; keep the promise
        raise site.error(f"{op.name} did not produce a tensor")
    check_size(out.shape, f"the result of {site.text}", source=site.source, node=site.node)
    if out.is_floating_point():
        finite = torch.isfinite(out)
        if not bool(finite.all()):
            nan = int(torch.isnan(out).sum())
            inf = out.numel() - int(finite.sum()) - nan
            counts = " and ".join(
                f"{n} {what}" for n, what in ((nan, "NaN"), (inf, "infinite")) if n
            )
            hint = NONFINITE_HINTS.get(op.name, "overflow or an undefined operation")
            raise site.error(f"{site.text} produced {counts} values ({hint})")


NONFINITE_HINTS = {
    "log": "log of zero or a negative number",
    "sqrt": "square root of a negative number",
    "div": "division by zero",
    "exp": "exp overflows above about 88",
    "pow": "overflow, or a negative base with a fractional exponent",
    "log_softmax": "overflow",
    "cross_entropy": "overflow",
}


def broadcast_shape(shapes: list[tuple[int, ...]]) -> tuple[int, ...] | None:
    """NumPy-style broadcast of shapes; None if they do not broadcast (the op will say why)."""
    out = []
    for i in range(1, max(map(len, shapes), default=0) + 1):
        sizes = {s[-i] for s in shapes if len(s) >= i} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(reversed(out))


def matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """torch.matmul's result shape (1-D, 2-D and batched); None where it will refuse."""
    if not a or not b:
        return None
    a2 = a if len(a) > 1 else (1, *a)
    b2 = b if len(b) > 1 else (*b, 1)
    batch = broadcast_shape([a2[:-2], b2[:-2]])
    if batch is None:
        return None
    return (*batch, *(a2[-2:-1] if len(a) > 1 else ()), *(b2[-1:] if len(b) > 1 else ()))


def result_shape(op: Op, tensors: list[torch.Tensor]) -> tuple[int, ...] | None:
    """The largest shape `op` can produce from these tensors, worked out before running it.

    Only operations on two or more tensors can grow beyond their inputs: by broadcasting,
    or as a matrix product. (Plain shape arithmetic: torch's meta device and
    torch.broadcast_shapes cost seconds of imports on first use.)
    """
    shapes = [tuple(t.shape) for t in tensors]
    if op.name == "matmul":
        return matmul_shape(shapes[0], shapes[1])
    if op.name == "linear":
        return (*shapes[0][:-1], shapes[1][0]) if shapes[0] and len(shapes[1]) == 2 else None
    return broadcast_shape(shapes)


def dispatch(
    op: Op, args: list, kwargs: dict, params: list[tuple[str, object]], site: Site, env: Env
):
    """Run one whitelisted operation: check it, call it, check and record its result.

    Arguments and sizes are checked before the call. This is the only place
    the evaluator calls into PyTorch on the student's behalf.
    """
    for param, value in params:
        check_argument(site, op, param, value)
    tensors = [v for v in (*args, *kwargs.values()) if isinstance(v, torch.Tensor)]
    if len(tensors) >= 2:
        # Broadcasting or a matrix product can make something huge: size it first. Shapes
        # that do not fit together are left to PyTorch, which refuses them before allocating.
        shape = result_shape(op, tensors)
        if shape is not None:
            check_size(shape, f"the result of {site.text}", source=site.source, node=site.node)
    if op.name in ("mse_loss", "binary_cross_entropy") and args[0].shape != args[1].shape:
        env.warnings.append(
            f"{site.text}: input shape {tuple(args[0].shape)} and target shape "
            f"{tuple(args[1].shape)} differ, so PyTorch broadcasts them; that is almost never "
            "what you want"
        )
    try:
        out = op.impl(*args, **kwargs)
    except Exception as err:  # any torch refusal of these arguments is the student's to fix
        raise site.error(f"{site.text}: {torch_reason(err, tensors)}") from None
    check_result(site, op, out)
    env.records.append(
        OpRecord(
            op.name,
            site.text,
            site.node.lineno,
            site.source.column(site.node.lineno, site.node.col_offset),
            out,
        )
    )
    return out


def torch_reason(err: Exception, tensors: list[torch.Tensor]) -> str:
    shapes = " and ".join(str(tuple(t.shape)) for t in tensors)
    what = f"shape{'s' if len(tensors) > 1 else ''} {shapes}" if tensors else "these arguments"
    return f"PyTorch refused {what}: {first_line(err)}"


def fmt(value) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def numbers_of(site: Site, exponent_site: Site, symbol: str, a, b):
    """Arithmetic between two plain numbers, inside the same limits as tensors."""
    if symbol == "@":
        raise site.error("@ needs tensors on both sides")
    if symbol == "**" and abs(b) > MAX_EXPONENT:
        raise exponent_site.error(
            f"exponent {fmt(b)} is too large (at most {MAX_EXPONENT} in size)"
        )
    try:
        out = {
            "+": operator.add,
            "-": operator.sub,
            "*": operator.mul,
            "/": operator.truediv,
            "**": operator.pow,
        }[symbol](float(a), float(b))
    except ZeroDivisionError:
        raise site.error("division by zero") from None
    except OverflowError:
        raise site.error("number too large") from None
    if isinstance(out, complex) or not math.isfinite(out) or abs(out) > MAX_CONSTANT:
        raise site.error(f"{site.text} is not a real number within ±{MAX_CONSTANT:g}")
    return out
