"""A program: assignments over the leaves, the last one the output; parse and evaluate."""

from __future__ import annotations

import ast
from dataclasses import dataclass

import torch

from core.autograd.compiler import Compiler
from core.autograd.evaluate import Env, ProgramResult, Thunk, describe
from core.autograd.leaves import LeafSpec, check_name, make_leaves, parse_leaves
from core.autograd.source import ExpressionError, parse_source, refuse_syntax


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

    def evaluate(self, leaves: dict[str, torch.Tensor]) -> ProgramResult:
        """Run the program on `leaves` (name -> tensor); refusals raise ExpressionError."""
        missing = [n for n in self.leaf_names if n not in leaves]
        if missing:
            raise ExpressionError(f"no tensor given for {', '.join(missing)}")
        env = Env(dict(leaves))
        for stmt in self.statements:
            before = len(env.records)
            value = stmt.run(env)
            if len(env.records) > before and env.records[-1].output is value:
                env.records[-1].name = stmt.target
            env.values[stmt.target] = value
        last = self.statements[-1]
        output = env.values[last.target]
        if not isinstance(output, torch.Tensor):
            raise ExpressionError(
                f"the result is {describe(output)}, not a tensor; use at least one leaf",
                last.line,
                1,
            )
        return ProgramResult(env.values, output, last.target, env.records, env.warnings)


def parse_program(text: str, leaf_names) -> Program:
    """Check a program (one `name = expression` per line, the last may be a bare expression).

    Refusals raise ExpressionError naming the line, the column and the reason.
    """
    tree, source = parse_source(text, "expression")
    if not tree.body:
        raise ExpressionError("write at least one expression, e.g. out = (x * x).sum()")
    leaf_names = tuple(leaf_names)
    compiler = Compiler(source, set(leaf_names))
    statements = []
    for i, stmt in enumerate(tree.body):
        last = i == len(tree.body) - 1
        if isinstance(stmt, ast.Expr) and last:
            target, value_node = "out", stmt.value
        elif isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                raise source.error("assign to one plain name, e.g. y = x + 2", stmt)
            target, value_node = stmt.targets[0].id, stmt.value
            check_name(source, stmt.targets[0], target, set(leaf_names), "result")
        elif isinstance(stmt, ast.Expr):
            raise source.error(
                "only the last line may be a bare expression; give this one a name, e.g. y = ...",
                stmt,
            )
        else:
            raise refuse_syntax(source, stmt)
        thunk, code = compiler.expr(value_node)
        statements.append(
            Statement(
                target, source.segment(value_node, 200), stmt.lineno, ast.unparse(code), thunk
            )
        )
        compiler.names.add(target)
    return Program(text, tuple(statements), leaf_names)


def evaluate(leaves_text: str, program_text: str) -> tuple[list[LeafSpec], Program, ProgramResult]:
    """Parse both boxes, make the leaves and run the program: the whole pipeline in one call."""
    specs = parse_leaves(leaves_text)
    program = parse_program(program_text, [s.name for s in specs])
    return specs, program, program.evaluate(make_leaves(specs))
