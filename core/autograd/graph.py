"""Computational graphs: torchviz's drawing with values and gradients on it, and a traced backward.

* `Computation` is a forward pass to explain: the output tensor, the named tensors (leaves,
  parameters, inputs, intermediates) and, per autograd node (`grad_fn`), what the student
  wrote and the value it produced.
* `trace_backward` runs `backward()` with a pre-hook and a hook on every node of the graph
  (found by walking `grad_fn.next_functions`), so it records the order in which autograd's
  engine really runs them, the gradient arriving at each (upstream) and the gradients each
  sends on to its inputs (upstream times local derivative: the chain rule).
* `draw` calls torchviz's `make_dot` (leaves and parameters named through `params`, its
  saved-tensor and attribute options), then writes each node's value and gradient into its
  label and highlights the node of the current backward step. It returns a
  `graphviz.Digraph`: DOT source that `st.graphviz_chart` lays out in the browser. Nothing
  here calls `.render()` (no Graphviz binary is needed on the server).
* `explain_step` is the chain-rule product of one backward step, in words, LaTeX and numbers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import graphviz
import torch
from torchviz import make_dot
from torchviz.dot import get_fn_name

from core import theme
from core.autograd.evaluate import ProgramResult

# Fills: light tints of the Okabe-Ito colours in core.theme, so black text stays readable.
LEAF_FILL = "#CFE8F7"  # sky blue: leaves/parameters that require grad (torchviz's lightblue)
OUTPUT_FILL = "#C8EBDD"  # bluish green: the output (torchviz's darkolivegreen1)
BASE_FILL = "#9DD6BE"  # darker green: a view's base tensor (torchviz's darkolivegreen3)
SAVED_FILL = "#FBE3B3"  # orange: tensors saved for backward (torchviz's orange)
OP_FILL = "#EEEEEE"  # grey: backward functions
CURRENT_FILL = "#FAF3B0"  # yellow: the node running in the current backward step
GRAD_COLOR = theme.PALETTE[5]  # vermillion: gradients and the backward pass
DONE_COLOR = theme.PALETTE[2]  # bluish green: nodes whose backward has run
VALUE_COLOR = "#222222"
_RECOLOR = {
    "fillcolor=lightblue": f'fillcolor="{LEAF_FILL}"',
    "fillcolor=orange": f'fillcolor="{SAVED_FILL}"',
    "fillcolor=darkolivegreen1": f'fillcolor="{OUTPUT_FILL}"',
    "fillcolor=darkolivegreen3": f'fillcolor="{BASE_FILL}"',
}


LEGEND = (
    "Blue: leaves that require grad. Grey: backward functions (`grad_fn`). Green: the "
    "output. Orange: tensors saved for backward. Yellow with a red border: the node "
    "running now; red arrows carry the gradient it sends. Green borders: nodes done."
)


@dataclass
class OpInfo:
    """What made one autograd node: the text written for it, its value, the name it was given."""

    text: str
    value: torch.Tensor | None = None
    name: str | None = None


@dataclass
class Computation:
    """A forward pass to explain. `tensors` keeps display order; `roles` says what each name is."""

    output: torch.Tensor
    output_name: str
    tensors: dict[str, torch.Tensor]
    roles: dict[str, str]
    ops: dict[object, OpInfo] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    detached: bool = False  # something was .detach()ed: autograd ignores that path on purpose

    def name_of(self, tensor) -> str | None:
        """The name of this very tensor object (identity, not equality), if it has one."""
        for name, t in self.tensors.items():
            if t is tensor:
                return name
        return None

    def params(self) -> dict[str, torch.Tensor]:
        """Named leaf tensors that require grad.

        These are what torchviz's `params` names and what `.grad` fills.
        """
        return {n: t for n, t in self.tensors.items() if t.is_leaf and t.requires_grad}


def from_evaluation(ev: ProgramResult, leaf_names) -> Computation:
    """A Computation from an evaluated program: leaves first, then every assigned name."""
    leaf_names = list(leaf_names)
    tensors = {n: ev.values[n] for n in leaf_names}
    roles = {n: "leaf" for n in leaf_names}
    for name, value in ev.values.items():
        if name not in tensors and isinstance(value, torch.Tensor):
            tensors[name] = value
            roles[name] = "output" if name == ev.output_name else "intermediate"
    ops = {}
    for rec in ev.records:
        fn = getattr(rec.output, "grad_fn", None)
        if fn is not None and fn not in ops:
            ops[fn] = OpInfo(rec.text, rec.output, rec.name)
    detached = any(rec.op == "detach" for rec in ev.records)
    return Computation(ev.output, ev.output_name, tensors, roles, ops, list(ev.warnings), detached)


# ---- backward on a non-scalar output -------------------------------------------------------

REDUCTIONS = {
    "none": "out.backward()  (fails: out is not a scalar)",
    "sum": "out.sum().backward()",
    "mean": "out.mean().backward()",
    "ones": "out.backward(gradient=torch.ones_like(out))",
}


def with_reduction(comp: Computation, how: str) -> tuple[Computation, torch.Tensor | None]:
    """(computation to call backward on, `gradient=` argument) for a way of handling a non-scalar.

    "sum"/"mean" add that node to the graph; "ones" passes `gradient=torch.ones_like(out)`
    (the same gradients as "sum"); "none" leaves it as it is. A scalar output is returned as is.
    """
    out = comp.output
    if out.dim() == 0 or how == "none":
        return comp, None
    if how == "ones":
        return comp, torch.ones_like(out)
    reduced = out.sum() if how == "sum" else out.mean()
    ops = dict(comp.ops)
    name = f"{comp.output_name}.{how}()"
    if reduced.grad_fn is not None:
        ops[reduced.grad_fn] = OpInfo(name, reduced, name)
    tensors = {**comp.tensors, name: reduced}
    roles = {**comp.roles, name: "output"}
    return Computation(reduced, name, tensors, roles, ops, comp.warnings, comp.detached), None


def backward_problem(comp: Computation, gradient: torch.Tensor | None = None) -> str | None:
    """Why `backward()` cannot run on this output (PyTorch's own words included), or None."""
    out = comp.output
    if not out.requires_grad:
        return (
            f"`{comp.output_name}` does not require grad, so it has no graph to go back "
            "through: no leaf with `requires_grad=True` reaches it (or everything on the way "
            "was `.detach()`ed or made under `torch.no_grad()`)."
        )
    if out.dim() != 0 and gradient is None:
        try:
            torch.autograd.backward(out)  # refuses before running anything: we want its words
        except RuntimeError as err:
            said = str(err).splitlines()[0]
        else:  # pragma: no cover - PyTorch always refuses a non-scalar without `gradient=`
            said = "grad can be implicitly created only for scalar outputs"
        return (
            f"`{comp.output_name}` has shape {tuple(out.shape)}, not a single number, and "
            f"PyTorch says: *{said}*. `backward()` computes d(scalar)/d(every leaf); for a "
            f"tensor of {out.numel()} numbers it would need a vector saying how to weigh "
            "them. Reduce it with `.sum()` or `.mean()`, or pass that vector as "
            "`gradient=`."
        )
    return None


# ---- the traced backward pass --------------------------------------------------------------


def graph_nodes(output: torch.Tensor) -> list[object]:
    """Every autograd node reachable from `output.grad_fn` through `next_functions` (DFS order)."""
    root = output.grad_fn
    if root is None:
        return []
    seen, order, stack = set(), [], [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(fn for fn, _ in reversed(node.next_functions) if fn is not None)
    return order


def kind(node) -> str:
    """The node's class name, e.g. 'MulBackward0' or 'AccumulateGrad'."""
    return type(node).__name__


@dataclass
class BackwardStep:
    """One node run by autograd's engine: the gradient arriving and those it sends to its inputs."""

    index: int  # 1-based position in the order the engine ran the nodes
    node: object
    grad_output: torch.Tensor | None  # d(output)/d(this node's result): the upstream gradient
    grad_inputs: list[torch.Tensor | None]  # what it sends along each of node.next_functions
    targets: list[object | None]  # the nodes those gradients go to (None: needs no gradient)

    @property
    def kind(self) -> str:
        return kind(self.node)


@dataclass
class BackwardTrace:
    """A whole backward pass as autograd ran it, and each named leaf's `.grad` afterwards."""

    steps: list[BackwardStep]
    seed: torch.Tensor  # the gradient backward started from (1 for a scalar)
    grads: dict[str, torch.Tensor | None]

    def step_of(self, node) -> BackwardStep | None:
        for s in self.steps:
            if s.node is node:
                return s
        return None


def _copy(t):
    return None if t is None else t.detach().clone()


def trace_backward(comp: Computation, gradient: torch.Tensor | None = None) -> BackwardTrace:
    """Run `backward()` on comp.output, recording every node autograd runs, in its order.

    Hooks (`register_prehook`, `register_hook`) go on each node found by walking
    `next_functions`; the engine calls them as it runs the node, so the recorded order is
    the engine's own. The graph is kept (`retain_graph=True`) so values saved for backward
    stay readable for the drawing and the step explanations. Hooks are removed afterwards.
    """
    nodes = graph_nodes(comp.output)
    steps: list[BackwardStep] = []
    running: dict[object, BackwardStep] = {}
    handles = []

    def before(node):
        def hook(grad_outputs):
            step = BackwardStep(
                len(steps) + 1,
                node,
                _copy(grad_outputs[0]) if grad_outputs else None,
                [],
                [fn for fn, _ in node.next_functions],
            )
            steps.append(step)
            running[node] = step

        return hook

    def after(node):
        def hook(grad_inputs, grad_outputs):
            running[node].grad_inputs = [_copy(g) for g in grad_inputs]

        return hook

    for node in nodes:
        handles.append(node.register_prehook(before(node)))
        handles.append(node.register_hook(after(node)))
    seed = gradient if gradient is not None else torch.ones_like(comp.output)
    try:
        torch.autograd.backward(comp.output, gradient, retain_graph=True)
    finally:
        for h in handles:
            h.remove()
    grads = {n: _copy(t.grad) for n, t in comp.params().items()}
    return BackwardTrace(steps, seed.detach().clone(), grads)


# ---- showing tensors -----------------------------------------------------------------------


def _num(v: float) -> str:
    text = f"{v:.4g}"
    return "0" if text in ("-0", "0") else text


def format_tensor(t, max_elements: int = 12) -> str:
    """Small tensors in full (rows on separate lines), larger ones as shape and statistics."""
    if t is None:
        return "None"
    if not isinstance(t, torch.Tensor):
        return _num(float(t))
    t = t.detach()
    if t.numel() <= max_elements:
        if t.dim() == 0:
            return _num(float(t))
        values = t.double().tolist() if t.is_floating_point() else t.tolist()
        return _nested(values, t.dim())
    f = t.double()
    short = lambda v: f"{v:.3g}"  # noqa: E731
    return (
        f"{tuple(t.shape)}, mean {short(float(f.mean()))}\n"
        f"std {short(float(f.std()))}, min {short(float(f.min()))}, "
        f"max {short(float(f.max()))}"
    )


ROW_WIDTH = 6  # numbers per line, so a long vector does not make a node (or a cell) too wide


def _nested(values, dims: int, indent: int = 0) -> str:
    if dims == 1:
        texts = [_num(v) if isinstance(v, float) else str(v) for v in values]
        lines = [", ".join(texts[i : i + ROW_WIDTH]) for i in range(0, len(texts), ROW_WIDTH)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    inner = [_nested(v, dims - 1, indent + 1) for v in values]
    return "[" + (",\n" + " " * (indent + 1)).join(inner) + "]"


def flat(t, max_elements: int = 12) -> str:
    """`format_tensor` on one line, for table cells."""
    return " ".join(format_tensor(t, max_elements).split())


def value_rows(
    comp: Computation,
    trace: BackwardTrace | None = None,
    step: int | None = None,
    max_elements: int = 12,
) -> list[dict]:
    """One row per named tensor: what it is, its value, and d(output)/d(it) once backward got there.

    `step` as in `draw`: gradients appear only for nodes whose backward step has run.
    """
    steps = trace.steps if trace else []
    done = len(steps) if step is None else max(0, min(step, len(steps)))
    ran = steps[:done]
    out = comp.output_name
    rows = []
    for name, t in comp.tensors.items():
        grad = "no gradient (requires_grad=False)"
        if trace is not None and t.requires_grad:
            if t.is_leaf:
                hit = [s for s in ran if kind(s.node) == "AccumulateGrad" and s.node.variable is t]
            else:
                hit = [s for s in ran if s.node is t.grad_fn]
            reached = any(
                s.node is t.grad_fn or (kind(s.node) == "AccumulateGrad" and s.node.variable is t)
                for s in steps
            )
            if hit:
                grad = flat(trace.grads[name] if t.is_leaf else hit[0].grad_output, max_elements)
            elif reached:
                grad = "(backward has not reached it yet)"
            else:
                grad = f"none: not on a path from {out}"
        elif trace is None and t.requires_grad:
            grad = "(no backward yet)"
        rows.append(
            {
                "name": name,
                "role": comp.roles.get(name, ""),
                "shape": str(tuple(t.shape)),
                "requires_grad": bool(t.requires_grad),
                "value": flat(t, max_elements),
                f"d{out}/d(this tensor)": grad,
            }
        )
    return rows


# ---- drawing -------------------------------------------------------------------------------


def _value_of(comp: Computation, node) -> torch.Tensor | None:
    info = comp.ops.get(node)
    if info is not None and info.value is not None:
        return info.value
    saved = getattr(node, "_saved_result", None)  # exp, sigmoid, tanh, softmax... keep their output
    return saved if isinstance(saved, torch.Tensor) else None


def node_title(comp: Computation, node) -> str:
    """A short human name for a node: what the student wrote, else the node's class."""
    if kind(node) == "AccumulateGrad":
        name = comp.name_of(node.variable)
        return f"{name}.grad" if name else "a leaf's .grad"
    info = comp.ops.get(node)
    if info is None:
        return kind(node)
    if info.name and info.name != info.text:
        return f"{info.name} = {info.text}"
    return info.text


def node_symbol(comp: Computation, node) -> str:
    """What a node's result is called in d(out)/d(...): its name, else the text that made it."""
    if kind(node) == "AccumulateGrad":
        return comp.name_of(node.variable) or "leaf"
    info = comp.ops.get(node)
    if info is None:
        return f"({kind(node)})"
    return info.name or f"({info.text})"


def _lines(text: str) -> str:
    """Text as left-aligned HTML-label lines; leading spaces kept (Graphviz drops plain ones)."""
    out = []
    for line in text.splitlines():
        body = line.lstrip(" ")
        out.append("&#160;" * (len(line) - len(body)) + html.escape(body) + '<BR ALIGN="LEFT"/>')
    return "".join(out)


def _label(
    title: str, subtitle: str | None, value: str | None, grad: str | None, size: int = 11
) -> str:
    """An HTML-like Graphviz label: bold title, grey subtitle, then value and grad rows."""
    rows = [f'<TR><TD COLSPAN="2" ALIGN="LEFT"><B>{html.escape(title)}</B></TD></TR>']
    if subtitle:
        rows.append(
            f'<TR><TD COLSPAN="2" ALIGN="LEFT" BALIGN="LEFT"><FONT COLOR="#444444" '
            f'POINT-SIZE="{size - 1}">{_lines(subtitle)}</FONT></TD></TR>'
        )
    for caption, text, color in (("value", value, VALUE_COLOR), ("grad", grad, GRAD_COLOR)):
        if text is not None:
            rows.append(
                f'<TR><TD ALIGN="LEFT" VALIGN="TOP"><FONT COLOR="{color}" '
                f'POINT-SIZE="{size}">{caption}</FONT></TD><TD ALIGN="LEFT" '
                f'BALIGN="LEFT"><FONT COLOR="{color}" POINT-SIZE="{size}">'
                f"{_lines(text)}</FONT></TD></TR>"
            )
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
        + "".join(rows)
        + "</TABLE>>"
    )


def draw(
    comp: Computation,
    trace: BackwardTrace | None = None,
    *,
    step: int | None = None,
    show_saved: bool = False,
    show_attrs: bool = False,
    annotate: bool = True,
    max_elements: int = 8,
    font_size: int = 11,
) -> graphviz.Digraph:
    """torchviz's graph of comp.output, annotated, with backward step `step` highlighted.

    `step` counts steps done (0: before backward; None: all of them). With `annotate`, nodes
    show their forward value and, once their backward step has run, the gradient of the
    output with respect to their result. Leaves show their value and `.grad`.
    """
    dot = make_dot(comp.output, params=comp.params(), show_attrs=show_attrs, show_saved=show_saved)
    dot.body[:] = [_recolor(line) for line in dot.body]
    dot.strict = True  # re-stated edges below update the drawn edge instead of adding one
    dot.node_attr.update(
        fillcolor=OP_FILL, fontname="monospace", fontsize=str(font_size), margin="0.08"
    )
    dot.graph_attr.update(bgcolor="white", nodesep="0.25", ranksep="0.35", pad="0.1")
    dot.graph_attr.pop("size", None)  # let the page scale it; torchviz's 12 inches is a guess
    steps = trace.steps if trace else []
    done = len(steps) if step is None else max(0, min(step, len(steps)))
    ran = {s.node: s for s in steps[:done]}
    current = steps[done - 1] if done and step is not None else None
    fmt = lambda t: format_tensor(t, max_elements)  # noqa: E731
    for node in graph_nodes(comp.output):
        s = ran.get(node)
        grad = fmt(s.grad_output) if (annotate and s is not None) else None
        attrs = get_fn_name(node, show_attrs, 40).split("\n", 1)
        extra = attrs[1] if len(attrs) > 1 else None
        style = _style(node is (current.node if current else None), s is not None)
        if kind(node) == "AccumulateGrad":
            var = node.variable
            name = comp.name_of(var) or ""
            dot.node(
                str(id(var)),
                _label(
                    f"{name} {tuple(var.shape)}".strip(),
                    "leaf",
                    fmt(var) if annotate else None,
                    grad,
                    font_size,
                ),
                fillcolor=LEAF_FILL,
            )
            dot.node(
                str(id(node)),
                _label("AccumulateGrad", f"{name}.grad += grad", None, None, font_size),
                **style,
            )
            continue
        info = comp.ops.get(node)
        subtitle = node_title(comp, node) if info else None
        if extra:
            subtitle = f"{subtitle}\n{extra}" if subtitle else extra
        value = _value_of(comp, node)
        dot.node(
            str(id(node)),
            _label(
                kind(node),
                subtitle,
                fmt(value) if (annotate and value is not None) else None,
                grad,
                font_size,
            ),
            **style,
        )
    out = comp.output
    seed = fmt(trace.seed) if (annotate and trace is not None and done) else None
    dot.node(
        str(id(out)),
        _label(
            f"{comp.output_name} {tuple(out.shape)}",
            "output",
            fmt(out) if annotate else None,
            seed,
            font_size,
        ),
        fillcolor=OUTPUT_FILL,
    )
    if current is not None:
        _highlight_edges(dot, current, fmt, font_size)
    return dot


def _recolor(line: str) -> str:
    for old, new in _RECOLOR.items():
        line = line.replace(old, new)
    return line


def _style(is_current: bool, has_run: bool) -> dict[str, str]:
    if is_current:
        return dict(fillcolor=CURRENT_FILL, color=GRAD_COLOR, penwidth="3.5")
    if has_run:
        return dict(color=DONE_COLOR, penwidth="2")
    return {}


def _highlight_edges(dot: graphviz.Digraph, step: BackwardStep, fmt, font_size: int) -> None:
    """Colour the edges the current step sends gradients along, arrows pointing backward."""
    if kind(step.node) == "AccumulateGrad":
        var = step.node.variable
        dot.edge(str(id(var)), str(id(step.node)), color=GRAD_COLOR, penwidth="3", dir="back")
        return
    sent: dict[object, list[torch.Tensor]] = {}
    for target, g in zip(step.targets, step.grad_inputs, strict=False):
        if target is not None and g is not None:
            sent.setdefault(target, []).append(g)
    for target, grads in sent.items():
        # One drawn edge per pair of nodes: several inputs fed by the same node (y * y) send
        # their gradients along it together, and autograd adds them up.
        text = (
            fmt(grads[0])
            if len(grads) == 1
            else f"{len(grads)} inputs, sum:\n" + fmt(torch.stack(grads).sum(0))
        )
        label = (
            f'<<TABLE BORDER="0" CELLPADDING="2" BGCOLOR="white"><TR><TD BALIGN="LEFT">'
            f'<FONT COLOR="{GRAD_COLOR}" POINT-SIZE="{font_size - 1}">{_lines(text)}'
            "</FONT></TD></TR></TABLE>>"
        )
        dot.edge(
            str(id(target)),
            str(id(step.node)),
            color=GRAD_COLOR,
            penwidth="3",
            dir="back",
            label=label,
        )


# ---- the chain rule, one step at a time ----------------------------------------------------

_REDUCE = r"\text{the gradient is copied back to every element}"
LOCAL_DERIVATIVES = {
    "AddBackward0": r"\frac{\partial(a+b)}{\partial a}=1,\quad\frac{\partial(a+b)}{\partial b}=1",
    "AddBackward1": r"\frac{\partial(a+c)}{\partial a}=1",
    "SubBackward0": r"\frac{\partial(a-b)}{\partial a}=1,\quad\frac{\partial(a-b)}{\partial b}=-1",
    "SubBackward1": r"\frac{\partial(a-c)}{\partial a}=1",
    "RsubBackward1": r"\frac{\partial(c-a)}{\partial a}=-1",
    "MulBackward0": r"\frac{\partial(ab)}{\partial a}=b,\quad\frac{\partial(ab)}{\partial b}=a",
    "MulBackward1": r"\frac{\partial(ca)}{\partial a}=c",
    "DivBackward0": r"\frac{\partial(a/b)}{\partial a}=\frac{1}{b},\quad"
    r"\frac{\partial(a/b)}{\partial b}=-\frac{a}{b^{2}}",
    "DivBackward1": r"\frac{\partial(a/c)}{\partial a}=\frac{1}{c}",
    "NegBackward0": r"\frac{\partial(-a)}{\partial a}=-1",
    "PowBackward0": r"\frac{\partial a^{n}}{\partial a}=n\,a^{n-1}",
    "PowBackward1": r"\frac{\partial a^{b}}{\partial a}=b\,a^{b-1},\quad"
    r"\frac{\partial a^{b}}{\partial b}=a^{b}\ln a",
    "PowBackward2": r"\frac{\partial c^{b}}{\partial b}=c^{b}\ln c",
    "ExpBackward0": r"\frac{\partial e^{a}}{\partial a}=e^{a}",
    "LogBackward0": r"\frac{\partial\ln a}{\partial a}=\frac{1}{a}",
    "SinBackward0": r"\frac{\partial\sin a}{\partial a}=\cos a",
    "CosBackward0": r"\frac{\partial\cos a}{\partial a}=-\sin a",
    "TanhBackward0": r"\frac{\partial\tanh a}{\partial a}=1-\tanh^{2}a",
    "SigmoidBackward0": r"\frac{\partial\sigma(a)}{\partial a}=\sigma(a)\,(1-\sigma(a))",
    "ReluBackward0": r"\frac{\partial\,\mathrm{relu}(a)}{\partial a}=1\text{ if }a>0\text{ else }0",
    "SqrtBackward0": r"\frac{\partial\sqrt{a}}{\partial a}=\frac{1}{2\sqrt{a}}",
    "AbsBackward0": r"\frac{\partial|a|}{\partial a}=\mathrm{sign}(a)",
    "MeanBackward0": r"\frac{\partial}{\partial a_i}\frac{1}{N}\sum_j a_j=\frac{1}{N}",
    "MeanBackward1": r"\frac{\partial}{\partial a_i}\frac{1}{N}\sum_j a_j=\frac{1}{N}"
    r"\ \text{(over the reduced dimensions)}",
    "SumBackward0": r"\frac{\partial}{\partial a_i}\sum_j a_j=1\quad" + _REDUCE,
    "SumBackward1": r"\frac{\partial}{\partial a_i}\sum_j a_j=1\quad" + _REDUCE,
    "MaxBackward1": r"\frac{\partial\max_j a_j}{\partial a_i}=1\text{ for the largest, else }0",
    "MinBackward1": r"\frac{\partial\min_j a_j}{\partial a_i}=1\text{ for the smallest, else }0",
    "MaxBackward0": r"\frac{\partial\max_j a_j}{\partial a_i}=1\text{ for the largest, else }0",
    "MinBackward0": r"\frac{\partial\min_j a_j}{\partial a_i}=1\text{ for the smallest, else }0",
    "MmBackward0": r"C=AB:\quad\frac{\partial L}{\partial A}=G\,B^{\top},\quad"
    r"\frac{\partial L}{\partial B}=A^{\top}G",
    "MvBackward0": r"c=Ab:\quad\frac{\partial L}{\partial A}=g\,b^{\top},\quad"
    r"\frac{\partial L}{\partial b}=A^{\top}g",
    "DotBackward0": r"\frac{\partial(a\cdot b)}{\partial a}=b,\quad\frac{\partial(a\cdot b)}"
    r"{\partial b}=a",
    "BmmBackward0": r"C_k=A_kB_k:\quad\frac{\partial L}{\partial A_k}=G_kB_k^{\top},\quad"
    r"\frac{\partial L}{\partial B_k}=A_k^{\top}G_k",
    "AddmmBackward0": r"Z=b+XW^{\top}:\quad\frac{\partial L}{\partial b}=\sum_{\text{rows}}G,"
    r"\quad\frac{\partial L}{\partial X}=G\,W,\quad\frac{\partial L}"
    r"{\partial W^{\top}}=X^{\top}G",
    "SoftmaxBackward0": r"s=\mathrm{softmax}(a):\quad\frac{\partial L}{\partial a}="
    r"s\odot\Big(g-\sum_j g_j s_j\Big)",
    "LogSoftmaxBackward0": r"\frac{\partial L}{\partial a}=g-\mathrm{softmax}(a)\sum_j g_j",
    "MseLossBackward0": r"\frac{\partial}{\partial a}\frac{1}{N}\sum(a-y)^{2}=\frac{2\,(a-y)}{N}",
    "BinaryCrossEntropyBackward0": r"\frac{\partial\,\mathrm{BCE}(p,y)}{\partial p}="
    r"\frac{p-y}{p\,(1-p)\,N}",
    "NllLossBackward0": r"\frac{\partial}{\partial a_{i,c}}\Big(-\frac{1}{N}\sum_i a_{i,y_i}\Big)"
    r"=-\frac{1}{N}\text{ if }c=y_i\text{ else }0",
    "AccumulateGrad": r"x.\mathrm{grad}\;\mathrel{+}=\;\frac{\partial L}{\partial x}",
}
for _k in ("TBackward0", "TransposeBackward0", "PermuteBackward0"):
    LOCAL_DERIVATIVES[_k] = r"\text{the gradient is transposed back}"
for _k in (
    "ViewBackward0",
    "ReshapeAliasBackward0",
    "UnsafeViewBackward0",
    "UnsqueezeBackward0",
    "SqueezeBackward0",
    "SqueezeBackward1",
    "SqueezeBackward4",
):
    LOCAL_DERIVATIVES[_k] = r"\text{the gradient is reshaped back to the input's shape}"
for _k in ("SelectBackward0", "SliceBackward0", "IndexBackward0", "AsStridedBackward0"):
    LOCAL_DERIVATIVES[_k] = r"\text{the gradient goes back to the picked elements; the rest get }0"
LOCAL_DERIVATIVES["ExpandBackward0"] = (
    r"\text{the gradient is summed over the broadcast dimensions}"
)

# Nodes that act element by element: calling them on ones gives the local derivative itself.
ELEMENTWISE = {
    "AddBackward0",
    "AddBackward1",
    "SubBackward0",
    "SubBackward1",
    "RsubBackward1",
    "MulBackward0",
    "MulBackward1",
    "DivBackward0",
    "DivBackward1",
    "NegBackward0",
    "PowBackward0",
    "PowBackward1",
    "PowBackward2",
    "ExpBackward0",
    "LogBackward0",
    "SinBackward0",
    "CosBackward0",
    "TanhBackward0",
    "SigmoidBackward0",
    "ReluBackward0",
    "SqrtBackward0",
    "AbsBackward0",
}


@dataclass
class StepView:
    """One backward step explained: a title, the local derivative (LaTeX), the numbers."""

    title: str
    formula: str
    numbers: str


def local_derivatives(step: BackwardStep) -> list[torch.Tensor | None] | None:
    """d(result)/d(each input) as numbers, for element-wise nodes and scalar results; else None.

    Calling a backward node on a gradient of ones returns a vector-Jacobian product. When the
    Jacobian is diagonal (element-wise nodes) or a single row (a scalar result such as a sum,
    a mean or a loss), that product *is* the local derivative. For element-wise nodes shapes
    must match, since a broadcast input receives sums instead.
    """
    g = step.grad_output
    scalar = g is not None and g.dim() == 0
    if g is None or not (scalar or step.kind in ELEMENTWISE) or step.kind == "AccumulateGrad":
        return None
    try:
        with torch.no_grad():
            out = step.node(torch.ones_like(g))
    except RuntimeError:
        return None
    out = list(out) if isinstance(out, tuple) else [out]
    return [
        o if isinstance(o, torch.Tensor) and (scalar or o.shape == g.shape) else None for o in out
    ]


def explain_step(
    comp: Computation, trace: BackwardTrace, index: int, max_elements: int = 12
) -> StepView:
    """The chain-rule product that backward step `index` (1-based) computes, for a person."""
    step = trace.steps[index - 1]
    fmt = lambda t: format_tensor(t, max_elements)  # noqa: E731
    n = len(trace.steps)
    what = node_title(comp, step.node)
    title = f"Step {index} of {n}: `{step.kind}`" + (f" for `{what}`" if what != step.kind else "")
    formula = LOCAL_DERIVATIVES.get(
        step.kind, r"\text{PyTorch's backward formula for }" + r"\texttt{" + step.kind + "}"
    )
    out = comp.output_name
    lines = [f"upstream  d{out}/d{node_symbol(comp, step.node)} =", _indent(fmt(step.grad_output))]
    if step.kind == "AccumulateGrad":
        name = comp.name_of(step.node.variable) or "the leaf"
        lines += [
            "",
            f"added into {name}.grad (it was empty before this backward):",
            _indent(fmt(step.grad_output)),
        ]
        return StepView(title, formula, "\n".join(lines))
    local = local_derivatives(step)
    for i, (target, g) in enumerate(zip(step.targets, step.grad_inputs, strict=False)):
        lines.append("")
        if target is None:
            lines.append(
                f"input {i + 1}: a constant or a tensor without requires_grad: no gradient needed"
            )
            continue
        lines.append(f"input {i + 1} -> {node_title(comp, target)} ({kind(target)})")
        if local is not None and i < len(local) and local[i] is not None:
            lines += [
                "  local    d(result)/d(input) =",
                _indent(fmt(local[i]), 4),
                "  product  upstream x local =",
                _indent(fmt(g), 4),
            ]
        else:
            lines += [
                "  sends    upstream combined with the local derivative =",
                _indent(fmt(g), 4),
            ]
    return StepView(title, formula, "\n".join(lines))


def _indent(text: str, spaces: int = 2) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())


def step_order_names(trace: BackwardTrace, comp: Computation) -> list[str]:
    """'MeanBackward0 (z.mean())', ... in the order autograd ran them: the step-through's list."""
    return [
        f"{s.kind} ({node_title(comp, s.node)})" if node_title(comp, s.node) != s.kind else s.kind
        for s in trace.steps
    ]
