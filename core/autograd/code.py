"""The code panel: runnable PyTorch that does what the autograd page shows.

Pasted into a Python file, the code creates the same leaves (or data and model), runs the same
forward pass, calls `backward()` the way the page does, and prints the same values and
gradients (named intermediates get `retain_grad()`, since PyTorch keeps `.grad` only for
leaves unless asked).
"""

from __future__ import annotations

from core.autograd.graph import Computation
from core.autograd.scenarios import Scenario


def kept_intermediates(comp: Computation) -> list[str]:
    """Named non-leaf tensors on the graph: their gradients are shown, so the code keeps them."""
    return [
        n
        for n, role in comp.roles.items()
        if role == "intermediate"
        and comp.tensors[n].requires_grad
        and not comp.tensors[n].is_leaf
        and "." not in n
    ]


def backward_line(out: str, comp: Computation, reduction: str) -> str:
    """How the page calls backward on the output, as one line of code."""
    t = comp.output
    if not t.requires_grad:
        return (
            f"# {out}.backward() would fail: {out} does not require grad "
            "(no tracked leaf reaches it)"
        )
    if t.dim() == 0:
        return f"{out}.backward()"
    if reduction == "sum":
        return f"{out}.sum().backward()"
    if reduction == "mean":
        return f"{out}.mean().backward()"
    if reduction == "ones":
        return f"{out}.backward(gradient=torch.ones_like({out}))"
    return (
        f"# {out}.backward()  would fail: {out} is not a scalar; use .sum(), .mean() or gradient="
    )


def scenario_code(sc: Scenario, comp: Computation, reduction: str = "none") -> str:
    """The whole program: imports, inputs, forward, backward, prints."""
    out = sc.output_name
    keep = kept_intermediates(comp)
    body = [*sc.setup_code, *sc.forward_code]
    imports = [
        line for line in sc.imports if "functional as F" not in line or any("F." in b for b in body)
    ]
    lines = [*imports, "", *sc.setup_code, "", *sc.forward_code]
    if keep:
        lines.append("# PyTorch keeps .grad only for leaves; ask it to keep these too:")
        lines += [f"{name}.retain_grad()" for name in keep]
    lines += ["", backward_line(out, comp, reduction), "", f"print('{out} =', {out})"]
    lines += [f"print('{name}.grad =', {name}.grad)" for name in comp.params()]
    lines += [f"print('{name}.grad =', {name}.grad)" for name in keep]
    return "\n".join(lines) + "\n"
