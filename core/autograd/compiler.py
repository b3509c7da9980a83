"""The compiler: a program's syntax tree to thunks that compute it, and to its PyTorch code."""

from __future__ import annotations

import ast
import difflib
import inspect

import torch

from core.autograd.evaluate import Site, Thunk, describe, dispatch, fmt, numbers_of
from core.autograd.leaves import CONSTRUCTORS, dotted_name
from core.autograd.ops import (
    INDEX,
    KINDS,
    LITERAL_KINDS,
    NAMESPACES,
    NEG,
    OPERATORS,
    OPS,
    REDUCTIONS,
    SPELLINGS,
    TRANSPOSE_T,
    Op,
)
from core.autograd.source import (
    MAX_DEPTH,
    MAX_DIMS,
    MAX_ELEMENTS,
    MAX_EXPONENT,
    MAX_OPERATIONS,
    ExpressionError,
    Source,
    read_int,
    read_number,
    refuse_syntax,
)


class Compiler:
    """Checks a program's syntax tree against the whitelist and turns it into closures.

    Each `expr` returns (thunk, code): the thunk computes the value from an `Env`; the code is
    an AST of the canonical PyTorch spelling, for the code panel.
    """

    def __init__(self, source: Source, names: set[str]):
        self.source = source
        self.names = set(names)
        self.operations = 0

    def site(self, node: ast.AST) -> Site:
        return Site(self.source, node, self.source.segment(node))

    def count(self, node: ast.AST) -> None:
        self.operations += 1
        if self.operations > MAX_OPERATIONS:
            raise self.source.error(f"too many operations (the limit is {MAX_OPERATIONS})", node)

    def expr(self, node: ast.AST, depth: int = 0) -> tuple[Thunk, ast.expr]:
        if depth > MAX_DEPTH:
            raise self.source.error(
                f"nested too deeply (more than {MAX_DEPTH} levels); "
                "split it into several lines with names",
                node,
            )
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                raise self.source.error(
                    "text in quotes is only allowed as reduction='mean', 'sum' or 'none'", node
                )
            if isinstance(node.value, bool) or node.value is None or node.value is Ellipsis:
                raise self.source.error(
                    f"{node.value!r} is only allowed as a keyword value, e.g. keepdim=True", node
                )
            value = read_number(self.source, node)
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
            raise self.source.error(
                "lists and tuples are only allowed as shapes or dims, e.g. "
                "reshape(x, (3, 2)) or sum(x, dim=(0, 1))",
                node,
            )
        raise refuse_syntax(self.source, node)

    def name(self, node: ast.Name) -> tuple[Thunk, ast.expr]:
        name = node.id
        if name not in self.names:
            if name.startswith("__"):
                raise self.source.error(
                    f"names with double underscores are not allowed ({name})", node
                )
            if name in OPS or name in NAMESPACES or name == "nn":
                raise self.source.error(
                    f"{name} is a function: call it, e.g. {name}(x)"
                    if name in OPS
                    else f"{name} alone is not a value",
                    node,
                )
            hint = difflib.get_close_matches(name, sorted(self.names), n=1)
            known = ", ".join(sorted(self.names)) or "none yet"
            raise self.source.error(
                f"unknown name {name!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
                + f" (names you can use: {known})",
                node,
            )
        return (lambda env: env.values[name]), ast.Name(name)

    def attribute_error(self, node: ast.Attribute) -> ExpressionError:
        if node.attr.startswith("_"):
            return self.source.error(
                f"attribute .{node.attr} is not allowed (names starting with _ are never allowed)",
                node,
            )
        methods = ", ".join(sorted(n for n, o in OPS.items() if o.method))
        return self.source.error(
            f"attribute .{node.attr} is not allowed; allowed are .T and the methods {methods}", node
        )

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
            return dispatch(NEG, [value], {}, [], site, env)

        return run, ast.UnaryOp(ast.USub(), code)

    def binary(self, node: ast.BinOp, depth: int):
        op = OPERATORS.get(type(node.op))
        if op is None:
            symbol = {
                ast.FloorDiv: "//",
                ast.Mod: "%",
                ast.LShift: "<<",
                ast.RShift: ">>",
                ast.BitOr: "|",
                ast.BitAnd: "&",
                ast.BitXor: "^",
            }.get(type(node.op), "?")
            raise self.source.error(f"operator {symbol} is not supported (use + - * / ** @)", node)
        self.count(node)
        if op.symbol == "**" and isinstance(node.right, (ast.Constant, ast.UnaryOp)):
            try:
                exponent = read_number(self.source, node.right)
            except ExpressionError:
                exponent = None
            if exponent is not None and abs(exponent) > MAX_EXPONENT:
                raise self.source.error(
                    f"exponent {fmt(exponent)} is too large (at most {MAX_EXPONENT} in size)",
                    node.right,
                )
        left, lcode = self.expr(node.left, depth + 1)
        right, rcode = self.expr(node.right, depth + 1)
        site = self.site(node)
        exponent_site = self.site(node.right)

        def run(env):
            a, b = left(env), right(env)
            if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):
                return numbers_of(site, exponent_site, op.symbol, a, b)
            if op.symbol == "**" and not isinstance(b, torch.Tensor) and abs(b) > MAX_EXPONENT:
                raise exponent_site.error(
                    f"exponent {fmt(b)} is too large (at most {MAX_EXPONENT} in size)"
                )
            return dispatch(op, [a, b], {}, [], site, env)

        return run, ast.BinOp(lcode, type(node.op)(), rcode)

    def call(self, node: ast.Call, depth: int):
        func = node.func
        if isinstance(func, ast.Name):
            op = OPS.get(func.id)
            if op is None or not op.function:
                raise self.unknown_function(func.id, func)
            return self.apply(op, node, node.args, node.keywords, depth)
        if isinstance(func, ast.Attribute):
            dotted = dotted_name(func)
            prefix = dotted.rsplit(".", 1)[0] if dotted else None
            if prefix in NAMESPACES and prefix not in self.names:
                op = OPS.get(func.attr)
                if op is None or not op.function:
                    raise self.unknown_function(dotted, func)
                if (prefix, func.attr) not in SPELLINGS:
                    raise self.source.error(
                        f"PyTorch has no {dotted}; write {op.code} or just {op.name}", func
                    )
                return self.apply(op, node, node.args, node.keywords, depth)
            op = OPS.get(func.attr)
            if op is None or not op.method:
                if op is not None:
                    raise self.source.error(
                        f".{func.attr}() is not a tensor method; write {op.code}(...)", func
                    )
                raise self.attribute_error(func)
            return self.apply(op, node, [func.value, *node.args], node.keywords, depth, method=True)
        raise self.source.error("only named functions can be called, e.g. exp(x)", func)

    def unknown_function(self, name: str, node: ast.AST) -> ExpressionError:
        if name.startswith("__") or "._" in name or name.startswith("_"):
            return self.source.error(
                f"{name} is not allowed (names starting with _ are never allowed)", node
            )
        short = name.rsplit(".", 1)[-1]
        if short in CONSTRUCTORS:
            return self.source.error(f"{name}() makes a leaf: define it in the leaves box", node)
        functions = sorted(n for n, o in OPS.items() if o.function)
        hint = difflib.get_close_matches(short, functions, n=1)
        return self.source.error(
            f"{name}() is not an allowed function"
            + (f"; did you mean {hint[0]}?" if hint else "")
            + " (allowed: "
            + ", ".join(functions)
            + ")",
            node,
        )

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
            return read_int(src, node, param)
        if kind == "dims":
            if isinstance(node, (ast.Tuple, ast.List)):
                if not 1 <= len(node.elts) <= MAX_DIMS:
                    raise src.error(f"dim takes 1 to {MAX_DIMS} dimensions", node)
                return tuple(read_int(src, e, "dim") for e in node.elts)
            return read_int(src, node, "dim")
        if kind == "shape":
            value = (
                tuple(read_int(src, e, "a dimension") for e in node.elts)
                if isinstance(node, (ast.Tuple, ast.List))
                else read_int(src, node, "a dimension")
            )
            dims = value if isinstance(value, tuple) else (value,)
            if any(not (d == -1 or 1 <= d <= MAX_ELEMENTS) for d in dims):
                raise src.error(f"dimensions must be -1 or between 1 and {MAX_ELEMENTS:,}", node)
            return value
        raise src.error(f"unexpected argument for {op.name}", node)

    def apply(
        self,
        op: Op,
        node: ast.AST,
        args: list[ast.AST],
        keywords: list[ast.keyword],
        depth: int,
        method: bool = False,
    ):
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
            raise self.source.error(
                f"{shown}: {err} (it takes {signature_text(op, method)})", node
            ) from None
        slot_param: dict[object, str] = {}
        for param, slot in bound.arguments.items():
            for s in (
                slot if sig.parameters[param].kind is inspect.Parameter.VAR_POSITIONAL else (slot,)
            ):
                slot_param[s] = param
        pos: list[tuple[str, Thunk | None, object, ast.expr]] = []
        for i, a in enumerate(args):
            pos.append(self.argument(slot_param[i], a, op, depth))
        kws = [(k.arg, *self.argument(k.arg, k.value, op, depth)[1:]) for k in keywords]
        site = self.site(node)
        runtime = [(p, t) for p, t, _, _ in pos if t is not None] + [
            (k, t) for k, t, _, _ in kws if t is not None
        ]

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
            return dispatch(op, pos_values, kw_values, params, site, env)

        return run, self.code(op, pos, kws, method)

    def argument(self, param: str, node: ast.AST, op: Op, depth: int):
        kind = KINDS[param]
        if kind in LITERAL_KINDS:
            value = self.literal(node, kind, param, op)
            return (
                param,
                None,
                value,
                ast.Constant(value)
                if not isinstance(value, tuple)
                else ast.Tuple([ast.Constant(v) for v in value], ast.Load()),
            )
        if kind == "exponent" and isinstance(node, (ast.Constant, ast.UnaryOp)):
            try:
                value = read_number(self.source, node)
            except ExpressionError:
                value = None
            if value is not None and abs(value) > MAX_EXPONENT:
                raise self.source.error(
                    f"exponent {fmt(value)} is too large (at most {MAX_EXPONENT} in size)", node
                )
        thunk, code = self.expr(node, depth + 1)
        return param, thunk, None, code

    def code(self, op: Op, pos, kws, method: bool) -> ast.expr:
        """The canonical PyTorch spelling of a call, as an AST.

        Tensors are passed positionally, options by name.
        """
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
                raise site.error(f"only tensors can be indexed, not {describe(value)}")
            return dispatch(INDEX, [value, key], {}, [("x", value)], site, env)

        return run, ast.Subscript(code, node.slice, ast.Load())

    def index_part(self, node: ast.AST):
        if isinstance(node, ast.Slice):
            bounds = [
                None if n is None else read_int(self.source, n, "a slice bound")
                for n in (node.lower, node.upper, node.step)
            ]
            if bounds[2] is not None and bounds[2] < 1:
                raise self.source.error("slice steps must be positive", node.step)
            return slice(*bounds)
        return read_int(self.source, node, "an index")


def signature_text(op: Op, method: bool) -> str:
    params = list(op.signature.parameters.values())
    if method:
        params = params[1:]
    shown = ", ".join(
        ("*" if p.kind is inspect.Parameter.VAR_POSITIONAL else "")
        + p.name
        + ("" if p.default is inspect.Parameter.empty else f"={p.default!r}")
        for p in params
    )
    return f"({shown})"
