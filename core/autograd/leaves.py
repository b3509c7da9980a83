"""The leaves box: one tensor per line, written the way PyTorch writes it."""

from __future__ import annotations

import ast
from dataclasses import dataclass

import torch

from core.autograd.ops import OPS, RESERVED
from core.autograd.source import (
    MAX_DIMS,
    MAX_ELEMENTS,
    MAX_LEAVES,
    MAX_NAME_CHARS,
    MAX_SEED,
    ExpressionError,
    Source,
    check_size,
    first_line,
    parse_source,
    read_int,
    read_number,
)

CONSTRUCTORS = ("tensor", "randn", "rand", "randint", "zeros", "ones")
DTYPES = {
    "float": torch.float32,
    "float32": torch.float32,
    "float64": torch.float64,
    "double": torch.float64,
    "long": torch.int64,
    "int64": torch.int64,
}


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
                t = torch.randint(
                    self.low,
                    self.high,
                    self.shape,
                    dtype=dtype or torch.int64,
                    generator=torch.Generator().manual_seed(self.seed),
                )
            elif self.init in ("randn", "rand"):
                fn = torch.randn if self.init == "randn" else torch.rand
                t = fn(self.shape, dtype=dtype, generator=torch.Generator().manual_seed(self.seed))
            else:
                t = (torch.zeros if self.init == "zeros" else torch.ones)(self.shape, dtype=dtype)
        except (ValueError, TypeError, RuntimeError) as err:
            raise ExpressionError(f"{self.name}: {first_line(err)}", where="leaves") from None
        check_size(t.shape, f"{self.name}", where="leaves")
        if t.numel() == 0:
            raise ExpressionError(
                f"{self.name} is empty; give it at least one number", where="leaves"
            )
        if self.requires_grad:
            if not (t.is_floating_point()):
                raise ExpressionError(
                    f"{self.name}: only floating-point tensors can require gradients "
                    f"(this one is {t.dtype}); write 1.0 rather than 1, or add dtype=torch.float",
                    where="leaves",
                )
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
            args = [literal_code(self.values)]
        elif self.init == "randint":
            args = [str(self.low), str(self.high), str(tuple(self.shape))]
        else:
            args = [str(d) for d in self.shape]
        call = f"{self.name} = torch.{self.init}({', '.join(args + kw)})"
        if self.init in ("randn", "rand", "randint"):
            return [f"torch.manual_seed({self.seed})", call]
        return [call]


def literal_code(values) -> str:
    if isinstance(values, (list, tuple)):
        return "[" + ", ".join(literal_code(v) for v in values) + "]"
    return repr(values)


def dotted_name(node: ast.AST) -> str | None:
    """'torch.nn.functional.softmax' for a chain of names, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def check_name(source: Source, node: ast.AST, name: str, taken: set[str], what: str) -> None:
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
    tree, source = parse_source(text, "leaves")
    specs: list[LeafSpec] = []
    names: set[str] = set()
    for stmt in tree.body:
        if (
            not isinstance(stmt, ast.Assign)
            or len(stmt.targets) != 1
            or not isinstance(stmt.targets[0], ast.Name)
        ):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                raise source.error("no imports needed: torch and F are already there", stmt)
            raise source.error(
                "each line must be `name = torch.tensor(...)` (or randn, rand, "
                "randint, zeros, ones)",
                stmt,
            )
        target = stmt.targets[0]
        check_name(source, target, target.id, names, "leaf")
        specs.append(parse_leaf(source, target.id, stmt.value))
        names.add(target.id)
        if len(specs) > MAX_LEAVES:
            raise source.error(f"too many leaves (at most {MAX_LEAVES})", stmt)
    if not specs:
        raise ExpressionError(
            "define at least one leaf, e.g. x = torch.tensor([1.0, 2.0], requires_grad=True)",
            where="leaves",
        )
    return specs


def parse_leaf(source: Source, name: str, call: ast.AST) -> LeafSpec:
    if not isinstance(call, ast.Call):
        raise source.error(
            f"{name} must be made by a constructor: " + ", ".join(CONSTRUCTORS), call
        )
    dotted = dotted_name(call.func) or ""
    ctor = dotted.removeprefix("torch.")
    if ctor not in CONSTRUCTORS:
        raise source.error(
            f"{dotted or 'this'} is not a constructor here; use one of "
            + ", ".join(f"torch.{c}" for c in CONSTRUCTORS),
            call.func,
        )
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
        d = (dotted_name(kw["dtype"]) or "").removeprefix("torch.")
        if d not in DTYPES:
            raise source.error(
                "dtype must be one of " + ", ".join(f"torch.{k}" for k in DTYPES), kw["dtype"]
            )
        spec["dtype"] = d
    if "seed" in kw:
        spec["seed"] = read_int(source, kw["seed"], "the seed")
        if not 0 <= spec["seed"] <= MAX_SEED:
            raise source.error(f"the seed must be between 0 and {MAX_SEED}", kw["seed"])
    args = list(call.args)
    if ctor == "tensor":
        if len(args) != 1:
            raise source.error("tensor() takes one nested list of numbers", call)
        spec["values"] = nested_numbers(source, args[0], depth=0, count=[0])
    else:
        if ctor == "randint":
            if len(args) != 3:
                raise source.error(
                    "randint(low, high, shape) takes three arguments, e.g. randint(0, 10, (4,))",
                    call,
                )
            spec["low"] = read_int(source, args[0], "low")
            spec["high"] = read_int(source, args[1], "high")
            if spec["high"] <= spec["low"]:
                raise source.error("randint needs high > low", args[1])
            args = args[2:]
        spec["shape"] = shape_of(source, args, call)
        check_size(spec["shape"], name, source=source, node=call)
    return LeafSpec(**spec)


def nested_numbers(source: Source, node: ast.AST, depth: int, count: list[int]):
    if isinstance(node, (ast.List, ast.Tuple)):
        if depth >= MAX_DIMS:
            raise source.error(f"too many nested brackets (at most {MAX_DIMS} dimensions)", node)
        return [nested_numbers(source, e, depth + 1, count) for e in node.elts]
    count[0] += 1
    if count[0] > MAX_ELEMENTS:
        raise source.error(f"too many numbers (the limit is {MAX_ELEMENTS:,})", node)
    return read_number(source, node)


def shape_of(source: Source, args: list[ast.AST], call: ast.AST) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)):
        args = args[0].elts
    if not args:
        raise source.error("give a shape, e.g. randn(2, 3)", call)
    if len(args) > MAX_DIMS:
        raise source.error(f"at most {MAX_DIMS} dimensions", call)
    shape = tuple(read_int(source, a, "a dimension") for a in args)
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
