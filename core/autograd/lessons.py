"""The chapter's autograd lessons, computed on whatever the student is looking at.

Each function rebuilds the scenario from scratch (fresh leaves, empty `.grad`), does the
experiment for real, and returns a `Lesson`: a short text, the PyTorch code of the
experiment, and a table of what happened. PyTorch's own error messages are quoted by
triggering them, not copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from core.autograd.graph import Computation, format_tensor, graph_nodes, with_reduction
from core.autograd.scenarios import Scenario


@dataclass
class Lesson:
    title: str
    text: str  # markdown
    code: str
    rows: list[dict] = field(default_factory=list)


def _flat(t) -> str:
    return " ".join(format_tensor(t, 8).split())


def _backward_args(comp: Computation, how: str) -> tuple[Computation, torch.Tensor | None]:
    """Backward target for a lesson: a non-scalar output is reduced ('sum' unless chosen)."""
    return with_reduction(comp, "sum" if how == "none" else how)


def _refusal(fn) -> str:
    try:
        fn()
    except RuntimeError as err:
        return str(err).strip().splitlines()[0]
    return ""


def _call(out: str, comp: Computation, how: str) -> str:
    if comp.output.dim() == 0:
        return f"{out}.backward"
    if how == "ones":
        return f"{out}.backward"  # gradient= is added by the caller's text
    return f"{out}.{'mean' if how == 'mean' else 'sum'}().backward"


def _untracked(title: str, comp: Computation, name: str) -> Lesson | None:
    if comp.output.requires_grad:
        return None
    return Lesson(
        title,
        f"`{name}` does not require grad (no leaf with `requires_grad=True` "
        "reaches it), so there is no backward pass to show this with. Set "
        "`requires_grad=True` on a leaf.",
        "",
    )


def accumulation(sc: Scenario, how: str = "sum") -> Lesson:
    """Two backward calls without zeroing double every `.grad`; zeroing starts again."""
    comp = sc.build()
    if (skip := _untracked("Gradients accumulate", comp, sc.output_name)) is not None:
        return skip
    target, gradient = _backward_args(comp, how)
    params = comp.params()
    rows_before = []
    target.output.backward(gradient, retain_graph=True)
    first = {n: p.grad.clone() if p.grad is not None else None for n, p in params.items()}
    target.output.backward(gradient, retain_graph=True)
    second = {n: p.grad.clone() if p.grad is not None else None for n, p in params.items()}
    for p in params.values():
        if p.grad is not None:
            p.grad.zero_()
    target.output.backward(gradient)  # no retain_graph: the graph is freed after this one
    third = {n: p.grad.clone() if p.grad is not None else None for n, p in params.items()}
    again = _refusal(lambda: target.output.backward(gradient))
    for n in params:
        rows_before.append(
            {
                "tensor": n,
                "after 1st backward": _flat(first[n]),
                "after 2nd (not zeroed)": _flat(second[n]),
                "after .grad.zero_() + 3rd": _flat(third[n]),
            }
        )
    call = _call(sc.output_name, comp, how)
    arg = f"gradient=torch.ones_like({sc.output_name}), " if gradient is not None else ""
    name = next(iter(params), "x")
    code = "\n".join(
        [
            f"{call}({arg}retain_graph=True)   # keep the graph for another pass",
            f"print({name}.grad)",
            f"{call}({arg}retain_graph=True)",
            f"print({name}.grad)        # doubled: backward ADDS into .grad",
            f"{name}.grad.zero_()        # what optimizer.zero_grad() does (or set it to None)",
            f"{call}({arg.rstrip(', ')})",
            f"print({name}.grad)        # the single-pass gradient again",
            f"{call}({arg.rstrip(', ')})      # RuntimeError: the graph was freed",
        ]
    )
    text = (
        "`backward()` does not overwrite `.grad`, it **adds** to it, so two calls give "
        "twice the gradient until you zero it. That is why every training loop calls "
        "`optimizer.zero_grad()` (or `x.grad.zero_()`) before `backward()`. Going through "
        "the graph twice also needs `retain_graph=True` the first time; without it PyTorch "
        f"frees the graph and says: *{again}*"
    )
    return Lesson("Gradients accumulate", text, code, rows_before)


def no_grad(sc: Scenario) -> Lesson:
    """The same forward pass under `torch.no_grad()` records no graph at all."""
    inputs = sc.make_inputs()
    tracked = sc.forward(inputs)
    with torch.no_grad():
        untracked = sc.forward(sc.make_inputs())
    out = sc.output_name
    said = _refusal(lambda: untracked.output.sum().backward())
    rows = []
    for label, comp in (("normal", tracked), ("inside torch.no_grad()", untracked)):
        fn = comp.output.grad_fn
        rows.append(
            {
                "forward pass": label,
                f"{out}.requires_grad": comp.output.requires_grad,
                f"{out}.grad_fn": type(fn).__name__ if fn is not None else "None",
                "graph nodes recorded": len(graph_nodes(comp.output)),
                f"{out} (same value)": _flat(comp.output),
            }
        )
    body = ["with torch.no_grad():"] + [f"    {line}" for line in sc.forward_code]
    code = "\n".join(
        [
            *body,
            f"print({out}.requires_grad, {out}.grad_fn)   # False None",
            f"# {out}.sum().backward() would raise: {said}",
        ]
    )
    text = (
        "Inside `with torch.no_grad():` PyTorch computes the same numbers but records no "
        "graph: no `grad_fn`, nothing to go back through, and no memory spent on saved "
        "tensors. Use it for evaluation and for the parameter update in gradient descent "
        "(`w -= lr * w.grad` must not itself be recorded). Calling backward then fails: "
        f"*{said}*"
    )
    return Lesson("torch.no_grad()", text, code, rows)


def detach(sc: Scenario) -> Lesson:
    """`t.detach()` shares t's numbers but leaves the graph: it is a constant to autograd."""
    inputs = sc.make_inputs()
    tracked = [n for n, t in inputs.items() if t.requires_grad]
    if not tracked:
        return Lesson(
            ".detach()",
            "No leaf has `requires_grad=True` here, so there is nothing "
            "to detach. Set `requires_grad=True` on a leaf to try it.",
            "",
        )
    name = tracked[0]
    x = inputs[name]
    d = x.detach()
    both = (x * x).sum()
    (g_both,) = torch.autograd.grad(both, x)
    one = (x * x.detach()).sum()
    (g_one,) = torch.autograd.grad(one, x)
    rows = [
        {
            "expression": f"{name}.detach()",
            "requires_grad": d.requires_grad,
            "grad_fn": "None",
            "shares memory with " + name: d.data_ptr() == x.data_ptr(),
        },
    ]
    grads = [
        {
            "expression": f"({name} * {name}).sum()",
            f"d/d{name}": _flat(g_both),
            "why": f"both factors tracked: 2·{name}",
        },
        {
            "expression": f"({name} * {name}.detach()).sum()",
            f"d/d{name}": _flat(g_one),
            "why": f"the detached factor is a constant: {name}",
        },
    ]
    code = "\n".join(
        [
            f"d = {name}.detach()          # same numbers, same memory, no graph",
            "print(d.requires_grad, d.grad_fn)   # False None",
            f"print(torch.autograd.grad(({name} * {name}).sum(), {name}))           # 2 * {name}",
            f"print(torch.autograd.grad(({name} * {name}.detach()).sum(), {name}))  # {name}",
        ]
    )
    text = (
        f"`{name}.detach()` returns a tensor that **shares** {name}'s numbers but is cut "
        "out of the graph: autograd treats it as a constant. Use it to take a value out "
        "of training (plotting, logging, `.numpy()`), or to stop gradients flowing into "
        "part of a computation. Changing it in place changes the original too."
    )
    return Lesson(".detach()", text, code, rows + grads)


def scalar(sc: Scenario) -> Lesson:
    """Why backward needs a scalar, and what .sum(), .mean() and gradient= each give."""
    comp = sc.build()
    if (skip := _untracked("Why a scalar?", comp, sc.output_name)) is not None:
        return skip
    target_name = sc.output_name
    target = comp.output
    if target.dim() == 0:
        candidates = [
            n
            for n, r in comp.roles.items()
            if r == "intermediate" and comp.tensors[n].dim() > 0 and comp.tensors[n].requires_grad
        ]
        if not candidates:
            return Lesson(
                "Why a scalar?",
                f"`{target_name}` is a single number, so "
                f"`{target_name}.backward()` works as is: it computes "
                f"d{target_name}/d(every leaf). A tensor of many numbers would need "
                "a `.sum()`, a `.mean()` or a `gradient=` vector first.",
                "",
            )
        target_name = candidates[0]
        target = comp.tensors[target_name]
    said = _refusal(lambda: target.backward())
    params = comp.params()
    results = {}
    for how, fn in (
        ("sum", lambda t: t.sum().backward(retain_graph=True)),
        ("mean", lambda t: t.mean().backward(retain_graph=True)),
        ("ones", lambda t: t.backward(torch.ones_like(t), retain_graph=True)),
    ):
        for p in params.values():
            p.grad = None
        fn(target)
        results[how] = {
            n: p.grad.clone() if p.grad is not None else None for n, p in params.items()
        }
    rows = [
        {
            "tensor": n,
            f"{target_name}.sum().backward()": _flat(results["sum"][n]),
            f"{target_name}.mean().backward()": _flat(results["mean"][n]),
            f"{target_name}.backward(gradient=ones)": _flat(results["ones"][n]),
        }
        for n in params
    ]
    t = target_name
    code = "\n".join(
        [
            f"{t}.backward()                              # RuntimeError: {said}",
            f"{t}.sum().backward()                        # d(sum of {t})/d leaves",
            f"{t}.mean().backward()                       # the same divided by {target.numel()}",
            f"{t}.backward(gradient=torch.ones_like({t}))"
            "  # same as .sum(): weights of each element",
        ]
    )
    text = (
        f"`{t}` has shape {tuple(target.shape)}. A gradient is the derivative of **one** "
        f"number with respect to every leaf, so `{t}.backward()` refuses: *{said}*. "
        "Either reduce to one number (`.sum()`, `.mean()`: a loss is always such a "
        "number) or pass `gradient=v`, which computes the gradient of Σ v·"
        f"{t}: with v = ones that is exactly `.sum()`."
    )
    return Lesson("Why a scalar?", text, code, rows)
