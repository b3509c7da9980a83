"""Autograd page: parse, evaluate, backward and draw a 50-operation expression (< 200 ms).

Run: `uv run python -m benchmarks.autograd [--json PATH] [--repeats N]`.

The expression chains 50 whitelisted operations (matrix products, element-wise functions,
broadcast additions, transposes, a mean) over 8x8 leaves. One page rerun does all of:
parse the leaves and the expression (ast + whitelist checks), make the leaves, evaluate
(with the size and NaN/inf checks), run the traced backward pass (hooks on every node), and
build the annotated torchviz graph's DOT source. The target is on the median of that whole
pipeline; the phases are shown too, with plain PyTorch doing the same forward and backward
as a reference for the safe evaluator's overhead.
"""

from __future__ import annotations

import itertools
import time

import torch

from benchmarks.common import median_seconds, parser, print_table, write_json
from core.autograd import graph as G
from core.autograd.leaves import make_leaves, parse_leaves
from core.autograd.program import parse_program
from core.runtime import configure_torch

TARGET_SECONDS = 0.200
LEAVES = (
    "x = torch.randn(8, 8, seed=0, requires_grad=True)\n"
    "w = torch.randn(8, 8, seed=1, requires_grad=True)\n"
    "b = torch.randn(8, seed=2, requires_grad=True)"
)
# Each template adds exactly one operation to the expression built so far.
TEMPLATES = [
    "({p} @ w)",
    "tanh({p})",
    "({p} + x)",
    "sigmoid({p})",
    "({p} * w)",
    "sin({p})",
    "({p} - b)",
    "cos({p})",
    "({p} / 2)",
    "({p}).T",
]


def fifty_operations() -> str:
    """One line, 49 chained operations and a final .mean(): 50 operations in all."""
    text = "x"
    for template in itertools.islice(itertools.cycle(TEMPLATES), 49):
        text = template.format(p=text)
    return f"out = {text}.mean()"


def pipeline(program: str) -> str:
    """What the page does on a rerun, up to the DOT source handed to st.graphviz_chart."""
    specs = parse_leaves(LEAVES)
    prog = parse_program(program, [s.name for s in specs])
    comp = G.from_evaluation(prog.evaluate(make_leaves(specs)), [s.name for s in specs])
    trace = G.trace_backward(comp)
    return G.draw(comp, trace, step=len(trace.steps) // 2).source


def plain_torch() -> None:
    """The same forward and backward written directly in PyTorch: the reference."""
    x = torch.randn(8, 8, generator=torch.Generator().manual_seed(0), requires_grad=True)
    w = torch.randn(8, 8, generator=torch.Generator().manual_seed(1), requires_grad=True)
    b = torch.randn(8, generator=torch.Generator().manual_seed(2), requires_grad=True)
    ops = [
        lambda p: p @ w,
        torch.tanh,
        lambda p: p + x,
        torch.sigmoid,
        lambda p: p * w,
        torch.sin,
        lambda p: p - b,
        torch.cos,
        lambda p: p / 2,
        lambda p: p.T,
    ]
    h = x
    for op in itertools.islice(itertools.cycle(ops), 49):
        h = op(h)
    h.mean().backward()


def phases(program: str, repeats: int) -> list[dict]:
    specs = parse_leaves(LEAVES)
    names = [s.name for s in specs]
    prog = parse_program(program, names)
    holder = {}

    def evaluate():
        holder["comp"] = G.from_evaluation(prog.evaluate(make_leaves(specs)), names)

    def backward():
        evaluate()
        holder["trace"] = G.trace_backward(holder["comp"])

    backward()
    comp, trace = holder["comp"], holder["trace"]
    rows = [
        ("parse leaves + expression", lambda: parse_program(program, names)),
        ("make leaves + evaluate", evaluate),
        ("evaluate + traced backward", backward),
        ("draw (torchviz + annotations)", lambda: G.draw(comp, trace, step=25).source),
        (
            "explain every backward step",
            lambda: [G.explain_step(comp, trace, i) for i in range(1, len(trace.steps) + 1)],
        ),
        ("plain PyTorch forward + backward", plain_torch),
    ]
    return [{"phase": name, "median ms": 1000 * median_seconds(fn, repeats)} for name, fn in rows]


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    configure_torch()
    program = fifty_operations()
    specs = parse_leaves(LEAVES)
    ev = parse_program(program, [s.name for s in specs]).evaluate(make_leaves(specs))
    operations = len(ev.records)
    assert operations == 50, operations
    start = time.perf_counter()
    pipeline(program)  # first run, cold caches included
    first = time.perf_counter() - start
    total = median_seconds(lambda: pipeline(program), max(args.repeats, 5))
    rows = phases(program, max(args.repeats, 5))
    rows.append({"phase": "WHOLE PIPELINE (target)", "median ms": 1000 * total})
    print(f"expression ({operations} operations, {len(program)} characters):\n  {program[:120]}...")
    print_table(rows, "Autograd page, one rerun (median of repeats)")
    passed = total < TARGET_SECONDS
    print(
        f"\nfirst run {1000 * first:.1f} ms; median {1000 * total:.1f} ms "
        f"(target < {1000 * TARGET_SECONDS:.0f} ms): {'PASS' if passed else 'FAIL'}"
    )
    write_json(
        args.json,
        {
            "operations": operations,
            "median_ms": 1000 * total,
            "first_run_ms": 1000 * first,
            "target_ms": 1000 * TARGET_SECONDS,
            "passed": passed,
            "phases": rows,
            "torch_threads": torch.get_num_threads(),
        },
    )


if __name__ == "__main__":
    main()
