"""Graphs, the traced backward pass, the gradient check, the lessons and the code panel."""

from __future__ import annotations

import heapq
import json
import subprocess
import sys
import textwrap

import graphviz
import pytest
import torch

from core.autograd import graph as G
from core.autograd import lessons
from core.autograd import scenarios as P
from core.autograd.code import scenario_code
from core.autograd.gradcheck import gradient_check

CHAPTER = P.EXAMPLES[P.DEFAULT_EXAMPLE]
BRANCHING = (
    "a = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)\n"
    "b = torch.randn(3, seed=4, requires_grad=True)",
    "p = a * b\nq = sin(a) + exp(b / 4)\nr = p * q\ns = tanh(p) - r\nout = (s * s).sum()",
)


def chapter():
    sc = P.expression_scenario(CHAPTER.leaves, CHAPTER.program)
    comp = sc.build()
    return sc, comp, G.trace_backward(comp)


def test_chapter_example_values_and_gradients_by_hand():
    _, comp, trace = chapter()
    x = [[1, 2, 3], [4, 5, 6]]
    y = [[v + 2 for v in row] for row in x]
    z = [[3 * v * v for v in row] for row in y]
    assert comp.tensors["y"].tolist() == y
    assert comp.tensors["z"].tolist() == z
    assert comp.output.item() == pytest.approx(sum(map(sum, z)) / 6) == pytest.approx(99.5)
    # out = (1/6) sum 3 (x + 2)^2  =>  d out/dx = x + 2
    assert trace.grads["x"].tolist() == y
    steps = {G.node_title(comp, s.node): s for s in trace.steps}
    assert torch.allclose(steps["z = y * y * 3"].grad_output, torch.full((2, 3), 1 / 6))  # dout/dz
    assert torch.allclose(steps["y * y"].grad_output, torch.full((2, 3), 0.5))  # 3/6
    assert steps["y = x + 2"].grad_output.tolist() == y  # 0.5 * 2y = y
    assert [s.kind for s in trace.steps] == [
        "MeanBackward0",
        "MulBackward0",
        "MulBackward0",
        "AddBackward0",
        "AccumulateGrad",
    ]


def _engine_order(sc, names):
    """The order autograd's engine computes each named tensor's gradient, seen by tensor hooks.

    A hook on a tensor fires when its gradient is ready, right before the node that made it
    runs (for a leaf: before AccumulateGrad), so this is autograd's own execution order.
    """
    comp = sc.build()
    order = []
    for name in names:
        t = comp.tensors[name]
        t.register_hook(lambda g, name=name: order.append(name))
    comp.output.backward()
    return order


def _traced_order(sc, names):
    comp = sc.build()
    trace = G.trace_backward(comp)
    by_node = {}
    for name in names:
        t = comp.tensors[name]
        by_node[t.grad_fn if t.grad_fn is not None else None] = name
    order = []
    for s in trace.steps:
        if s.kind == "AccumulateGrad":
            name = comp.name_of(s.node.variable)
            if name in names:
                order.append(name)
        elif s.node in by_node:
            order.append(by_node[s.node])
    return order


@pytest.mark.parametrize(
    "leaves, program",
    [
        (CHAPTER.leaves, CHAPTER.program),
        BRANCHING,
        (
            P.EXAMPLES["Matrix product, softmax, cross-entropy"].leaves,
            "logits = X @ W + b\nh = logits.T\nloss = cross_entropy(h.T, t)",
        ),
    ],
)
def test_step_through_order_is_autograds_own(leaves, program):
    sc = P.expression_scenario(leaves, program)
    comp = sc.build()
    names = [n for n, t in comp.tensors.items() if t.requires_grad]
    assert _traced_order(sc, names) == _engine_order(sc, names)


def test_step_order_matches_the_engines_priority_rule():
    """Independent model of the CPU engine: run the ready node with the highest sequence
    number first (AccumulateGrad has the largest), a node being ready once every consumer ran."""
    sc = P.expression_scenario(*BRANCHING)
    comp = sc.build()
    nodes = G.graph_nodes(comp.output)
    waiting = {n: 0 for n in nodes}
    for n in nodes:
        for m, _ in n.next_functions:
            if m is not None:
                waiting[m] += 1
    ready = [(-comp.output.grad_fn._sequence_nr(), 0, comp.output.grad_fn)]
    expected, tie = [], 1
    while ready:
        _, _, node = heapq.heappop(ready)
        expected.append(node)
        for m, _ in node.next_functions:
            if m is not None:
                waiting[m] -= 1
                if waiting[m] == 0:
                    heapq.heappush(ready, (-m._sequence_nr(), tie, m))
                    tie += 1
    assert [s.node for s in G.trace_backward(comp).steps] == expected


def test_each_step_is_upstream_times_local_and_gradients_add_up():
    sc = P.expression_scenario(*BRANCHING)
    comp = sc.build()
    trace = G.trace_backward(comp)
    received: dict[object, torch.Tensor] = {}
    for step in trace.steps:
        if step.node in received:  # what arrives at a node is the sum of what was sent to it
            assert torch.allclose(step.grad_output, received[step.node])
        local = G.local_derivatives(step)
        if local is not None:
            for g, loc in zip(step.grad_inputs, local, strict=False):
                if g is not None and loc is not None:
                    assert torch.allclose(g, step.grad_output * loc)  # the chain rule
        for target, g in zip(step.targets, step.grad_inputs, strict=False):
            if target is not None and g is not None:
                received[target] = received.get(target, 0) + g
    fresh = sc.build()  # and the leaves got what torch.autograd.grad says
    grads = torch.autograd.grad(fresh.output, list(fresh.params().values()))
    for (name, _), g in zip(fresh.params().items(), grads, strict=True):
        assert torch.allclose(trace.grads[name], g)


def test_explain_step_shows_the_product():
    _, comp, trace = chapter()
    view = G.explain_step(comp, trace, 3)  # MulBackward0 of y * y
    assert view.title == "Step 3 of 5: `MulBackward0` for `y * y`"
    assert r"\frac{\partial(ab)}{\partial a}=b" in view.formula
    assert "upstream  dout/d(y * y)" in view.numbers
    assert "[[3, 4, 5],\n     [6, 7, 8]]" in view.numbers  # local: the other factor, y
    assert "[[1.5, 2, 2.5],\n     [3, 3.5, 4]]" in view.numbers  # product 0.5 * y
    last = G.explain_step(comp, trace, 5)
    assert "added into x.grad" in last.numbers
    assert "input 2: a constant" in G.explain_step(comp, trace, 2).numbers  # the 3 in y*y*3


def test_draw_annotates_and_highlights():
    _, comp, trace = chapter()
    forward_only = G.draw(comp, trace, step=0).source
    assert "x (2, 3)" in forward_only and "value" in forward_only
    assert ">grad<" not in forward_only and G.CURRENT_FILL not in forward_only
    at_three = G.draw(comp, trace, step=3).source
    assert at_three.count(G.CURRENT_FILL) == 1  # one node runs now
    assert at_three.count(">grad<") == 4  # output + the three nodes done so far
    assert "2 inputs, sum:" in at_three  # y * y sends two gradients along one drawn edge
    assert at_three.startswith("strict digraph")
    done = G.draw(comp, trace).source
    assert G.CURRENT_FILL not in done and done.count(">grad<") == 6
    plain = G.draw(comp, trace, annotate=False).source
    assert "value" not in plain
    saved = G.draw(comp, trace, show_saved=True, show_attrs=True).source
    assert G.SAVED_FILL in saved and "self_sym_numel" in saved
    bigger = G.draw(comp, trace, font_size=15).source
    assert 'POINT-SIZE="15"' in bigger


def test_draw_never_renders(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no Graphviz binary: the browser lays the graph out")

    monkeypatch.setattr(graphviz.Digraph, "render", refuse)
    monkeypatch.setattr(graphviz.Digraph, "pipe", refuse)
    _, comp, trace = chapter()
    assert isinstance(G.draw(comp, trace, step=2).source, str)


def test_format_tensor():
    assert G.format_tensor(torch.tensor(2.5)) == "2.5"
    assert (
        G.format_tensor(torch.tensor([[1.0, -0.0], [1 / 3, 2e-7]])) == "[[1, 0],\n [0.3333, 2e-07]]"
    )
    big = G.format_tensor(torch.arange(100.0).reshape(10, 10))
    assert big == "(10, 10), mean 49.5\nstd 29, min 0, max 99"
    assert G.format_tensor(torch.arange(8.0)) == "[0, 1, 2, 3, 4, 5,\n 6, 7]"
    assert G.format_tensor(torch.tensor([1, 2])) == "[1, 2]"


def test_non_scalar_output_needs_a_choice():
    sc = P.expression_scenario("x = torch.tensor([1., 2., 3.], requires_grad=True)", "y = x ** 2")
    comp = sc.build()
    problem = G.backward_problem(comp)
    assert "grad can be implicitly created only for scalar outputs" in problem
    assert ".sum()" in problem and "gradient=" in problem
    grads = {}
    for how in ("sum", "mean", "ones"):
        target, gradient = G.with_reduction(sc.build(), how)
        assert G.backward_problem(target, gradient) is None
        grads[how] = G.trace_backward(target, gradient).grads["x"]
    assert grads["sum"].tolist() == [2, 4, 6] == grads["ones"].tolist()
    assert torch.allclose(grads["mean"], torch.tensor([2, 4, 6]) / 3)
    untracked = P.expression_scenario("x = torch.tensor([1., 2.])", "out = x.sum()").build()
    assert "does not require grad" in G.backward_problem(untracked)


def test_value_rows_follow_the_step():
    _, comp, trace = chapter()
    rows = {r["name"]: r for r in G.value_rows(comp, trace, step=2)}
    key = "dout/d(this tensor)"
    assert rows["z"][key].startswith("[[0.1667")
    assert rows["x"][key] == "(backward has not reached it yet)"
    rows = {r["name"]: r for r in G.value_rows(comp, trace)}
    assert rows["x"][key] == "[[3, 4, 5], [6, 7, 8]]" and rows["x"]["role"] == "leaf"
    assert rows["out"][key] == "1"


# ---- gradient check -----------------------------------------------------------------------


@pytest.mark.parametrize("label", list(P.EXAMPLES))
def test_gradient_check_agrees_on_the_examples(label):
    ex = P.EXAMPLES[label]
    sc = P.expression_scenario(ex.leaves, ex.program)
    check = gradient_check(
        lambda t: G.with_reduction(sc.forward(t), "sum")[0].output, sc.make_inputs(), budget_s=None
    )
    if "detach" in label:  # autograd ignores the detached path on purpose; finite differences don't
        assert not check.passed and check.max_error == pytest.approx(3.0, rel=1e-4)
    else:
        assert check.passed and check.max_error < 1e-6
        assert check.checked == check.total > 0


@pytest.mark.parametrize("name", list(P.MODELS))
def test_gradient_check_agrees_on_the_model_losses(name):
    preset = P.MODELS[name]
    sc = preset.make(preset.default_n, 0)
    check = gradient_check(
        lambda t: sc.forward(t).output, sc.make_inputs(), max_per_tensor=16, budget_s=None
    )
    assert check.passed and check.max_error < 1e-6
    assert check.checked <= 32 and check.total >= 2


def test_gradient_check_catches_a_wrong_gradient():
    class WrongSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x  # should be 2x

    x = torch.tensor([1.0, -2.0], requires_grad=True)
    check = gradient_check(lambda t: WrongSquare.apply(t["x"]).sum(), {"x": x})
    assert not check.passed
    assert check.max_error == pytest.approx(2.0, rel=1e-5)  # |3x - 2x| at x = -2
    assert check.worst.index == (1,) and check.rows()[0]["ok"] is False
    with pytest.raises(ValueError):
        gradient_check(lambda t: t["x"] * 2, {"x": x})


def test_gradient_check_keeps_to_its_time_budget():
    x = torch.randn(50, requires_grad=True)
    w = torch.randn(50, requires_grad=True)
    check = gradient_check(lambda t: (t["x"] * t["w"]).sum(), {"x": x, "w": w}, budget_s=0.0)
    assert check.out_of_time and check.checked == 2 and check.total == 100  # one per tensor
    assert check.passed


# ---- presets and lessons ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, kinds",
    [
        (
            "Linear regression: nn.Linear + MSELoss",
            {"MseLossBackward0", "AddmmBackward0", "TBackward0"},
        ),
        (
            "Logistic regression: nn.Linear + sigmoid + BCELoss",
            {"BinaryCrossEntropyBackward0", "SigmoidBackward0"},
        ),
        (
            "MNIST: 784 -> 10 softmax classifier + CrossEntropyLoss",
            {"NllLossBackward0", "LogSoftmaxBackward0"},
        ),
    ],
)
def test_model_presets_build_their_loss_graphs(name, kinds):
    preset = P.MODELS[name]
    sc = preset.make(preset.default_n, 0)
    comp = sc.build()
    assert set(comp.params()) == {"model.weight", "model.bias"}
    assert kinds <= {G.kind(n) for n in G.graph_nodes(comp.output)}
    dot = G.draw(comp, G.trace_backward(comp)).source
    assert "model.weight" in dot and "model.bias" in dot
    if "MNIST" in name:
        assert comp.tensors["model.weight"].shape == (10, 784)
        assert comp.output.item() == pytest.approx(2.3, abs=0.6)  # about ln 10 at the start


def test_lessons_on_the_chapter_example():
    sc = P.expression_scenario(CHAPTER.leaves, CHAPTER.program)
    acc = lessons.accumulation(sc)
    row = acc.rows[0]
    assert row["after 1st backward"] == "[[3, 4, 5], [6, 7, 8]]"
    assert row["after 2nd (not zeroed)"] == "[[6, 8, 10], [12, 14, 16]]"
    assert row["after .grad.zero_() + 3rd"] == "[[3, 4, 5], [6, 7, 8]]"
    assert "backward through the graph a second time" in acc.text
    ng = lessons.no_grad(sc)
    assert [r["graph nodes recorded"] for r in ng.rows] == [5, 0]
    assert ng.rows[1]["out.grad_fn"] == "None" and "does not require grad" in ng.text
    det = lessons.detach(sc)
    assert det.rows[0]["shares memory with x"] is True and det.rows[0]["requires_grad"] is False
    assert det.rows[1]["d/dx"] == "[[2, 4, 6], [8, 10, 12]]"
    assert det.rows[2]["d/dx"] == "[[1, 2, 3], [4, 5, 6]]"
    sca = lessons.scalar(sc)  # out is a scalar: the lesson uses y, the first non-scalar
    assert "grad can be implicitly created only for scalar outputs" in sca.text
    assert sca.rows[0]["y.sum().backward()"] == "[[1, 1, 1], [1, 1, 1]]"


def test_lessons_without_any_tracked_leaf():
    sc = P.expression_scenario("x = torch.tensor([1., 2.])", "out = (x * x).sum()")
    for lesson in (
        lessons.accumulation(sc),
        lessons.scalar(sc),
        lessons.detach(sc),
        lessons.no_grad(sc),
    ):
        assert lesson.text


# ---- the code panel runs in real PyTorch --------------------------------------------------


def _case(i: int, sc, comp, how: str) -> str:
    names = list(comp.params())
    grads = ", ".join(f"'{n}': {n}.grad.tolist()" for n in names)
    body = scenario_code(sc, comp, how) + (
        f"import json\nprint('@@{i}', json.dumps({{'out': {sc.output_name}.detach().sum().item(), "
        f"'grads': {{{grads}}}}}))\n"
    )
    return f"def case_{i}():\n" + textwrap.indent(body, "    ") + f"\n\ncase_{i}()\n"


@pytest.mark.slow
def test_code_panel_runs_and_prints_the_same_numbers(tmp_path):
    cases = []
    for leaves, program, how in [
        (CHAPTER.leaves, CHAPTER.program, "none"),
        (*BRANCHING, "none"),
        (
            P.EXAMPLES["Matrix product, softmax, cross-entropy"].leaves,
            "logits = X @ W + b\nloss = cross_entropy(logits, t)",
            "none",
        ),
        ("x = torch.tensor([1., 2., 3.], requires_grad=True)", "y = softmax(x, dim=0) * x", "ones"),
        ("x = torch.tensor([1., 2., 3.], requires_grad=True)", "y = x ** 2", "mean"),
    ]:
        sc = P.expression_scenario(leaves, program)
        cases.append((sc, how))
    for name in (
        "Linear regression: nn.Linear + MSELoss",
        "Logistic regression: nn.Linear + sigmoid + BCELoss",
    ):
        cases.append((P.MODELS[name].make(5, 3), "none"))
    expected, script = [], []
    for i, (sc, how) in enumerate(cases):
        comp = sc.build()
        target, gradient = G.with_reduction(comp, how)
        trace = G.trace_backward(target, gradient)
        expected.append((comp.output.detach().sum().item(), trace.grads))
        script.append(_case(i, sc, comp, how))
    path = tmp_path / "panel.py"
    path.write_text("\n".join(script))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    printed = {}
    for line in out.stdout.splitlines():
        if line.startswith("@@"):
            tag, payload = line.split(" ", 1)
            printed[int(tag[2:])] = json.loads(payload)
    assert len(printed) == len(cases)
    for i, (value, grads) in enumerate(expected):
        assert printed[i]["out"] == pytest.approx(value, rel=1e-5)
        for name, g in grads.items():
            assert torch.allclose(torch.tensor(printed[i]["grads"][name]), g, atol=1e-6), (i, name)
