"""core.linreg.bugs: every mistake shows its real symptom, and the code shown is the code run."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys

import pytest
import torch

from core import linreg
from core.linreg import bugs as B
from core.linreg import data as linreg_data

N = 50


@pytest.fixture(scope="module")
def problem():
    data = linreg_data.synthetic(linreg_data.SyntheticConfig("line", 2.0, 1.0, 1.0, N, 0))
    return linreg.make_problem(data, 1, True)


def run(problem, bug, lr=0.1, steps=20, start=None):
    return B.run(problem, B.BugHuntConfig(lr, steps, bug, start))


def true_gradient(problem, weights, bias):
    """d MSE / d(w, b) at these parameters, by the formula 2/N X^T (Xw + b - y)."""
    X, y = problem.X_train.double(), problem.y_train.double()
    residual = X @ torch.tensor(weights, dtype=torch.float64) + bias - y
    return (2 / len(y) * X.T @ residual).tolist(), (2 / len(y) * residual.sum()).item()


def test_the_right_loop_is_the_page_trainer(problem):
    """No bug: the same parameters, step for step, as `train_by_hand` of the lab."""
    ours = run(problem, None, steps=30)
    lab = list(linreg.train_by_hand(problem, linreg.HandConfig(0.1, 30)))
    assert len(ours) == 30
    for mine, theirs in zip(ours, lab, strict=False):
        assert mine.weights == pytest.approx(theirs.weights, rel=1e-5, abs=1e-6)
        assert mine.bias == pytest.approx(theirs.bias, rel=1e-5, abs=1e-6)
        assert mine.mse == pytest.approx(theirs.train_loss, rel=1e-5)
    assert ours[-1].mse < ours[0].mse / 10
    assert all(s.kept_nodes == 0 and s.error is None for s in ours)
    w, b = true_gradient(problem, ours[3].weights, ours[3].bias)
    assert ours[3].grad_w == pytest.approx(w, rel=1e-4) and ours[3].grad_b == pytest.approx(b)


def test_gradients_never_zeroed_accumulate(problem):
    frozen = run(problem, B.Bug.NO_ZERO_GRAD, lr=0.0, steps=4)  # the same point each step
    first = frozen[0].grad_w[0]
    assert [s.grad_w[0] for s in frozen] == pytest.approx([first, 2 * first, 3 * first, 4 * first])
    assert frozen[1].grad_b == pytest.approx(2 * frozen[0].grad_b)
    moving = run(problem, B.Bug.NO_ZERO_GRAD, steps=6)
    for before, now in zip(moving, moving[1:], strict=False):  # each .grad = the last + a new one
        w, b = true_gradient(problem, now.weights, now.bias)
        assert now.grad_w[0] - before.grad_w[0] == pytest.approx(w[0], rel=1e-3, abs=1e-4)
        assert now.grad_b - before.grad_b == pytest.approx(b, rel=1e-3, abs=1e-4)
    right = run(problem, None, steps=20)
    assert run(problem, B.Bug.NO_ZERO_GRAD, steps=20)[-1].mse > 10 * right[-1].mse


def test_the_update_outside_no_grad_is_refused_by_pytorch(problem):
    steps = run(problem, B.Bug.NO_NO_GRAD)
    assert len(steps) == 1
    (s,) = steps
    assert s.error_type == "RuntimeError"
    assert s.error == "a leaf Variable that requires grad is being used in an in-place operation."
    assert s.grad_w is not None  # backward() had run: the update is what failed
    w = torch.zeros(1, requires_grad=True)  # PyTorch's own words, without the bug hunt
    (w * 2).sum().backward()
    with pytest.raises(RuntimeError) as raised:
        w -= 0.1 * w.grad
    assert str(raised.value) == s.error


def test_backward_on_a_non_scalar_loss_raises(problem):
    (s,) = run(problem, B.Bug.NON_SCALAR)
    assert s.error_type == "RuntimeError"
    assert s.error == "grad can be implicitly created only for scalar outputs"
    assert s.loss_shape == (N,) and math.isnan(s.loss)
    assert s.grad_w is None and s.grad_b is None  # nothing was computed


def test_the_flipped_sign_makes_the_loss_rise(problem):
    up = [s.mse for s in run(problem, B.Bug.SIGN_FLIPPED, steps=15)]
    down = [s.mse for s in run(problem, None, steps=15)]
    assert all(b > a for a, b in zip(up, up[1:], strict=False))
    assert all(b < a for a, b in zip(down, down[1:], strict=False))
    assert up[-1] > 10 * up[0]


def test_a_learning_rate_far_too_large_diverges(problem):
    lr = B.learning_rate(problem, B.BugHuntConfig(0.1, bug=B.Bug.LR_TOO_LARGE))
    assert lr == pytest.approx(B.TOO_LARGE_FACTOR * linreg.max_stable_lr(problem), rel=1e-2)
    steps = run(problem, B.Bug.LR_TOO_LARGE, steps=30)
    assert steps[-1].mse > linreg.EXPLODE_FACTOR * steps[0].mse
    signs = [math.copysign(1, s.grad_b) for s in steps[:6]]
    assert len(set(signs)) == 2  # it jumps over the minimum, back and forth
    just_stable = run(problem, None, lr=0.9 * linreg.max_stable_lr(problem), steps=30)
    assert just_stable[-1].mse < just_stable[0].mse


def test_a_forgotten_detach_keeps_every_graph_alive(problem):
    leaky = run(problem, B.Bug.NO_DETACH, steps=10)
    right = run(problem, None, steps=10)
    kept = [s.kept_nodes for s in leaky]
    growth = {b - a for a, b in zip(kept, kept[1:], strict=False)}
    assert len(growth) == 1 and growth.pop() > 0  # one graph more per step
    assert all(s.kept_nodes == 0 for s in right)
    for a, b in zip(leaky, right, strict=True):  # while the numbers look exactly right
        assert a.weights == b.weights and a.mse == b.mse


def test_a_summed_loss_makes_gradients_n_times_bigger(problem):
    summed = run(problem, B.Bug.SUM_NOT_MEAN, steps=10)
    right = run(problem, None, steps=10)
    assert summed[0].grad_w[0] == pytest.approx(N * right[0].grad_w[0], rel=1e-5)
    assert summed[0].grad_b == pytest.approx(N * right[0].grad_b, rel=1e-5)
    assert summed[0].loss == pytest.approx(N * summed[0].mse, rel=1e-5)
    assert summed[-1].mse > summed[0].mse  # as if the rate were N times larger: diverges


def test_a_diverging_run_stops_once_numbers_are_not_finite(problem):
    steps = run(problem, B.Bug.LR_TOO_LARGE, steps=B.MAX_STEPS)
    assert not steps[-1].finite and all(s.finite for s in steps[:-1])
    assert len(run(problem, None, steps=10_000)) == B.MAX_STEPS


def test_the_start_is_used_and_checked(problem):
    (s,) = run(problem, None, steps=1, start=(1.5, -2.0))
    assert s.weights == (1.5,) and s.bias == -2.0
    with pytest.raises(ValueError, match="start holds 3 values"):
        run(problem, None, start=(1.0, 2.0, 3.0))


def test_the_mystery_is_seeded_and_reaches_every_bug():
    assert B.mystery(7) == B.mystery(7)
    assert {B.mystery(seed) for seed in range(200)} == set(B.Bug)


def test_every_bug_has_its_code_and_symptom():
    right = B.code(None, 0.1, 4.0)
    assert set(B.SYMPTOM) == set(B.Bug)
    for bug in B.Bug:
        wrong_line, right_line = B.mistake(bug, 0.1, 4.0)
        wrong = B.code(bug, 0.1, 4.0)
        assert wrong_line in wrong and right_line not in wrong
        assert right_line in right and wrong != right
        ast.parse(wrong)


def test_the_right_code_is_the_pages_by_hand_code():
    from core.linreg.export import hand_code

    added = {"    losses = []  # the loss curve", "        losses.append(loss.detach())"}
    ours = B.right_trainer().splitlines()
    page = hand_code().splitlines()
    assert [line for line in ours if line not in added][:-1] == page[:-1]


PREAMBLE = """\
import json
import torch
X = torch.tensor({X})
y = torch.tensor({y})
START = {{"by_hand": ({w0}, {b0})}}
def batches(steps):
    return [slice(None)] * steps
"""
EPILOGUE = """
try:
    w, b, losses = train_by_hand({steps})
    print(json.dumps({{"w": w.tolist(), "b": b.item(),
                      "graphs": sum(l.grad_fn is not None for l in losses)}}))
except RuntimeError as err:
    print(json.dumps({{"error": str(err)}}))
"""


def test_the_code_shown_does_what_the_trainer_did(problem, tmp_path):
    """Each trainer as text, run by Python on the same data, ends where `train_with_bug` did."""
    steps = 5
    head = PREAMBLE.format(X=problem.X_train.tolist(), y=problem.y_train.tolist(), w0=[0.0], b0=0.0)
    too_large = B.learning_rate(problem, B.BugHuntConfig(bug=B.Bug.LR_TOO_LARGE))
    procs = {}
    for bug in [None, *B.Bug]:
        path = tmp_path / f"{bug.value if bug else 'right'}.py"
        path.write_text(head + B.code(bug, 0.1, too_large) + EPILOGUE.format(steps=steps))
        procs[bug] = subprocess.Popen(
            [sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    for bug, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        shown = json.loads(out)
        ran = run(problem, bug, steps=steps + 1)
        if ran[-1].error:
            assert shown == {"error": ran[-1].error}, bug
            continue
        after = ran[steps]  # the parameters after `steps` updates
        assert shown["w"] == pytest.approx(after.weights, rel=1e-4, abs=1e-5), bug
        assert shown["b"] == pytest.approx(after.bias, rel=1e-4, abs=1e-5), bug
        assert shown["graphs"] == (steps if bug is B.Bug.NO_DETACH else 0), bug


def test_the_loss_figure_is_valid_plotly(problem):
    """Built without validation (core.theme.figure): plotly's full validation checks it here."""
    import plotly.graph_objects as go

    buggy, right = run(problem, B.Bug.LR_TOO_LARGE, steps=B.MAX_STEPS), run(problem, None)
    fig = B.loss_figure(buggy, right)
    go.Figure(fig.to_dict())  # raises on a misspelt property
    drawn = {t.name: t for t in fig.data}
    assert len(drawn["with the bug"].x) == len(buggy) - 1  # the non-finite last step is left out
    assert len(drawn["right loop"].y) == len(right) and fig.layout.yaxis.type == "log"
    assert B.loss_figure(buggy, right, log_y=False).layout.yaxis.type == "linear"
