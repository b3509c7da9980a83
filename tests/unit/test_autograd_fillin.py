"""core.autograd.fillin: what a step asks for, reading typed numbers, grading, the hint."""

from __future__ import annotations

import math

import pytest
import torch

from core.autograd import fillin as F
from core.autograd import graph as G
from core.autograd import scenarios as P


def traced(leaves: str, program: str, how: str = "none"):
    comp = P.expression_scenario(leaves, program).build()
    target, gradient = G.with_reduction(comp, how)
    return target, G.trace_backward(target, gradient)


@pytest.fixture(scope="module")
def chapter():
    ex = P.EXAMPLES[P.DEFAULT_EXAMPLE]
    return traced(ex.leaves, ex.program)


def test_each_question_asks_for_what_autograd_sent(chapter):
    comp, trace = chapter
    for step in trace.steps:
        q = F.question(comp, trace, step.index)
        assert q.kind == step.kind
        sent = [g for t, g in zip(step.targets, step.grad_inputs, strict=False) if t is not None]
        if step.kind == "AccumulateGrad":
            sent = [step.grad_output]
        assert len(q.blanks) == len(sent)
        for blank, g in zip(q.blanks, sent, strict=True):
            assert blank.shape == tuple(g.shape)
            assert blank.expected == pytest.approx(g.reshape(-1).tolist())


def test_the_chapter_steps_by_hand(chapter):
    comp, trace = chapter
    first = F.question(comp, trace, 1)  # out = z.mean(): 1/6 to every element of z
    assert (first.kind, first.blanks[0].target) == ("MeanBackward0", "z = y * y * 3")
    assert first.blanks[0].expected == pytest.approx([1 / 6] * 6)
    twice = F.question(comp, trace, 3)  # y * y: both inputs are y, each gets upstream * y
    assert [b.target for b in twice.blanks] == ["y = x + 2", "y = x + 2"]
    assert twice.blanks[1].expected == pytest.approx([1.5, 2, 2.5, 3, 3.5, 4])
    leaf = F.question(comp, trace, 5)
    assert (leaf.kind, leaf.blanks[0].target) == ("AccumulateGrad", "x.grad")
    assert leaf.blanks[0].expected == pytest.approx(trace.grads["x"].reshape(-1).tolist())


def test_a_big_gradient_is_asked_for_its_first_values():
    comp, trace = traced("W = torch.randn(5, 6, seed=1, requires_grad=True)", "out = (W * W).sum()")
    blanks = F.question(comp, trace, 2).blanks  # W * W: each input gets upstream 1 x W
    assert len(blanks) == 2
    blank = blanks[0]
    assert blank.shape == (5, 6) and blank.partial
    assert len(blank.expected) == F.MAX_ASKED
    assert blank.expected == pytest.approx(comp.tensors["W"].reshape(-1)[:12].tolist())
    assert blank.index_of(7) == (1, 1)


@pytest.mark.parametrize(
    "typed, values",
    [
        ("3", (3.0,)),
        ("-2.5e-1", (-0.25,)),
        (".5", (0.5,)),
        ("1, 2; 3, 4", (1.0, 2.0, 3.0, 4.0)),
        ("[[1,2],[3,4]]", (1.0, 2.0, 3.0, 4.0)),
        ("1 2\n3\t4", (1.0, 2.0, 3.0, 4.0)),
        ("(1, 2)", (1.0, 2.0)),
        ("2/3, -1 / 4", (2 / 3, -0.25)),
        ("+7", (7.0,)),
    ],
)
def test_typed_numbers_are_read(typed, values):
    parsed = F.parse_values(typed)
    assert parsed.problem is None
    assert parsed.values == pytest.approx(values)


@pytest.mark.parametrize(
    "typed, verdict, culprit",
    [
        ("", F.Verdict.EMPTY, ""),
        ("  [ ] ,; ", F.Verdict.EMPTY, ""),
        ("abc", F.Verdict.NOT_A_NUMBER, "abc"),
        ("1, two", F.Verdict.NOT_A_NUMBER, "two"),
        ("__import__('os')", F.Verdict.NOT_A_NUMBER, "__import__"),
        ("1+1", F.Verdict.NOT_A_NUMBER, "1+1"),  # no arithmetic is evaluated but a fraction
        ("1..2", F.Verdict.NOT_A_NUMBER, "1..2"),
        ("2/3/4", F.Verdict.NOT_A_NUMBER, "2/3/4"),
        ("nan", F.Verdict.NOT_FINITE, "nan"),
        ("NaN", F.Verdict.NOT_FINITE, "NaN"),
        ("-inf", F.Verdict.NOT_FINITE, "-inf"),
        ("1e400", F.Verdict.NOT_FINITE, "1e400"),
        ("1/0", F.Verdict.NOT_FINITE, "1/0"),
        ("1" * 400, F.Verdict.NOT_FINITE, "1" * 400),
        ("1," * 3000, F.Verdict.TOO_LONG, ""),
    ],
)
def test_unreadable_text_is_named(typed, verdict, culprit):
    parsed = F.parse_values(typed)
    assert parsed.problem is verdict and parsed.values == ()
    assert parsed.culprit == culprit[:40]


def blank(*expected: float, shape=None) -> F.Blank:
    return F.Blank(1, "y", shape if shape is not None else (len(expected),), tuple(expected))


def test_grading_accepts_within_tolerance_and_refuses_the_rest():
    b = blank(0.1666667, 2.0, -300.0)
    assert F.grade(b, "1/6, 2, -300").right
    assert F.grade(b, "0.167, 2.001, -301").right  # relative 1e-2, absolute 1e-3
    wrong = F.grade(b, "0.2, 2, -300")
    assert wrong.verdict is F.Verdict.WRONG and wrong.wrong_positions == (0,)
    assert wrong.counts_as_try
    assert F.grade(b, "0.1667, 2, 300").wrong_positions == (2,)  # the sign matters
    assert F.grade(blank(0.0), "0.0009").right and not F.grade(blank(0.0), "0.002").right


def test_grading_codes_for_bad_answers():
    b = blank(1.0, 2.0, 3.0, 4.0, shape=(2, 2))
    count = F.grade(b, "1, 2, 3")
    assert (count.verdict, count.expected_count, count.typed_count) == (F.Verdict.COUNT, 4, 3)
    assert not count.counts_as_try
    for typed, verdict in (("", "empty"), ("x", "not_a_number"), ("1e999 2 3 4", "not_finite")):
        grade = F.grade(b, typed)
        assert grade.verdict.value == verdict and not grade.right and not grade.counts_as_try


def test_close_is_torch_isclose():
    for typed, true in ((1.0, 1.011), (1.0, 1.0105), (0.0, 1e-3), (-5.0, -5.06), (100.0, 101.0)):
        expected = torch.isclose(
            torch.tensor(typed, dtype=torch.float64),
            torch.tensor(true, dtype=torch.float64),
            rtol=F.RTOL,
            atol=F.ATOL,
        ).item()
        assert F.close(typed, true) == expected


def test_hint_gives_upstream_and_local_derivative(chapter):
    comp, trace = chapter
    mean = F.hint(comp, trace, 1)
    assert (mean.rule, mean.upstream, mean.upstream_shape) == ("scalar", "1", ())
    assert mean.local[0].startswith("[[0.1667")
    mul = F.hint(comp, trace, 3)  # y * y: local derivative of each input is the other, y
    assert mul.rule == "elementwise"
    assert mul.local == ("[[3, 4, 5],\n [6, 7, 8]]",) * 2
    assert mul.upstream == G.format_tensor(trace.steps[2].grad_output)
    assert r"\frac{\partial(ab)}{\partial a}=b" in mul.formula
    # upstream x local is the answer, element by element
    up = trace.steps[2].grad_output
    local = G.local_derivatives(trace.steps[2])[0]
    assert F.question(comp, trace, 3).blanks[0].expected == pytest.approx(
        (up * local).reshape(-1).tolist()
    )
    assert F.hint(comp, trace, 5).rule == "accumulate"


def test_hint_for_a_matrix_product_is_the_formula():
    comp, trace = traced(
        "A = torch.randn(2, 3, seed=0, requires_grad=True)\nB = torch.randn(3, 2, seed=1)",
        "out = (A @ B).sum()",
    )
    index = next(s.index for s in trace.steps if s.kind == "MmBackward0")
    h = F.hint(comp, trace, index)
    assert h.rule == "formula" and h.local == (None,)
    assert "B^{\\top}" in h.formula
    expected = F.question(comp, trace, index).blanks[0].expected
    assert expected == pytest.approx((torch.ones(2, 2) @ comp.tensors["B"].T).reshape(-1).tolist())


def test_grading_the_true_trace_values_always_passes(chapter):
    comp, trace = chapter
    for step in trace.steps:
        for b in F.question(comp, trace, step.index).blanks:
            typed = ", ".join(f"{v:.4g}" for v in b.expected)
            assert F.grade(b, typed).right, (step.kind, typed)
            off = ", ".join(f"{v + 1 + abs(v):.4g}" for v in b.expected)
            assert not F.grade(b, off).right
            assert math.isfinite(sum(b.expected))
