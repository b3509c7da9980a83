"""The whitelist: every operation a student may write, and how each runs and is written.

Every operation runs through an adapter: a plain function whose parameter names say what
each argument must be (see `KINDS`), so argument checking is one table, not 30 ifs.
"""

from __future__ import annotations

import ast
import inspect
import operator
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def _exp(x):
    return torch.exp(x)


def _log(x):
    return torch.log(x)


def _sin(x):
    return torch.sin(x)


def _cos(x):
    return torch.cos(x)


def _tanh(x):
    return torch.tanh(x)


def _sigmoid(x):
    return torch.sigmoid(x)


def _relu(x):
    return torch.relu(x)


def _sqrt(x):
    return torch.sqrt(x)


def _abs(x):
    return torch.abs(x)


def _square(x):
    return torch.square(x)


def _pow(x, exponent):
    return torch.pow(x, exponent)


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


def _matmul(a, b):
    return torch.matmul(a, b)


def _softmax(x, dim):
    return F.softmax(x, dim=dim)


def _log_softmax(x, dim):
    return F.log_softmax(x, dim=dim)


def _transpose(x, dim0, dim1):
    return torch.transpose(x, dim0, dim1)


def _reshape(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], tuple):
        shape = shape[0]
    return torch.reshape(x, shape)


def _unsqueeze(x, dim0):
    return torch.unsqueeze(x, dim0)


def _squeeze(x, dim0):
    return torch.squeeze(x, dim0)


def _detach(x):
    return x.detach()


def _T(x):
    if x.ndim != 2:  # PyTorch deprecates .T on anything but matrices
        raise ValueError(
            f".T needs a matrix (2 dimensions), this tensor has {x.ndim}; "
            "use transpose(x, dim0, dim1)"
        )
    return x.T


def _mse_loss(input, target, reduction="mean"):
    return F.mse_loss(input, target, reduction=reduction)


def _binary_cross_entropy(input, target, reduction="mean"):
    return F.binary_cross_entropy(input, target, reduction=reduction)


def _cross_entropy(input, target, reduction="mean"):
    return F.cross_entropy(input, target, reduction=reduction)


def _linear(input, weight, bias=None):
    return F.linear(input, weight, bias)


def _index(x, key):
    return x[key]


@dataclass(frozen=True)
class Op:
    """One whitelisted operation.

    How a student may write it, what runs, and how the code panel writes it.
    """

    name: str
    impl: Callable[..., object]
    code: str = ""  # the function's spelling in code ("torch.exp"); "" when only a method/operator
    method: bool = True  # may be written x.name(...)
    function: bool = True  # may be written name(...)
    symbol: str = ""  # for operators: "+", "@", ...

    @property
    def signature(self) -> inspect.Signature:
        return SIGNATURES[self.name]


def _op(name, impl, code, method=True, function=True):
    return Op(name, impl, code, method, function)


OPS: dict[str, Op] = {
    op.name: op
    for op in [
        _op("exp", _exp, "torch.exp"),
        _op("log", _log, "torch.log"),
        _op("sin", _sin, "torch.sin"),
        _op("cos", _cos, "torch.cos"),
        _op("tanh", _tanh, "torch.tanh"),
        _op("sigmoid", _sigmoid, "torch.sigmoid"),
        _op("relu", _relu, "torch.relu"),
        _op("sqrt", _sqrt, "torch.sqrt"),
        _op("abs", _abs, "torch.abs"),
        _op("square", _square, "torch.square"),
        _op("pow", _pow, "torch.pow"),
        _op("sum", _sum, "torch.sum"),
        _op("mean", _mean, "torch.mean"),
        _op("max", _max, "torch.max"),
        _op("min", _min, "torch.min"),
        _op("matmul", _matmul, "torch.matmul"),
        _op("softmax", _softmax, "F.softmax"),
        _op("log_softmax", _log_softmax, "F.log_softmax"),
        _op("transpose", _transpose, "torch.transpose"),
        _op("reshape", _reshape, "torch.reshape"),
        _op("unsqueeze", _unsqueeze, "torch.unsqueeze"),
        _op("squeeze", _squeeze, "torch.squeeze"),
        _op("detach", _detach, "", function=False),
        _op("mse_loss", _mse_loss, "F.mse_loss", method=False),
        _op("binary_cross_entropy", _binary_cross_entropy, "F.binary_cross_entropy", method=False),
        _op("cross_entropy", _cross_entropy, "F.cross_entropy", method=False),
        _op("linear", _linear, "F.linear", method=False),
    ]
}
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

SIGNATURES: dict[str, inspect.Signature] = {
    op.name: inspect.signature(op.impl) for op in [*OPS.values(), TRANSPOSE_T, INDEX]
}

# What each adapter parameter accepts. Literal kinds must be written as constants.
KINDS = {
    "x": "tensor",
    "input": "tensor",
    "target": "tensor",
    "weight": "tensor",
    "a": "tensor",
    "b": "tensor",
    "bias": "tensor",
    "exponent": "exponent",
    "dim": "dims",
    "dim0": "int",
    "dim1": "int",
    "keepdim": "bool",
    "reduction": "reduction",
    "shape": "shape",
    "key": "index",
}
LITERAL_KINDS = {"dims", "int", "bool", "reduction", "shape"}
REDUCTIONS = ("mean", "sum", "none")
# `torch.NAME` / `F.NAME` spellings that exist in PyTorch, so copied code runs there too.
NAMESPACES = {"torch": torch, "F": F, "torch.nn.functional": F, "nn.functional": F}
# Spelling checks are table lookups made once here, never getattr/hasattr on a user's name.
SPELLINGS = {
    (prefix, name) for prefix, module in NAMESPACES.items() for name in OPS if hasattr(module, name)
}
RESERVED = {"torch", "F", "nn", "True", "False", "None"}
