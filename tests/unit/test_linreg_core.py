"""The linear regression lab's trainers: convergence to least squares, agreement, divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core import linreg
from core.linreg import HandConfig, TorchConfig
from core.linreg.data import Dataset, SyntheticConfig, synthetic
from core.runtime import configure_torch
from ui import explain

# Thread count from EXPLORER_TORCH_THREADS (1 in tests, see conftest): on a shared 2-core
# machine a second intra-op thread makes 50k-row reductions many times slower, not faster.
configure_torch()


def noiseless(preset: str = "line", n: int = 60) -> Dataset:
    return synthetic(
        SyntheticConfig(preset=preset, slope=2.0, intercept=1.0, noise=0.0, n=n, seed=3)
    )


def polynomial_data(coeffs=(1.0, -2.0, 0.5), n: int = 50) -> Dataset:
    """Noiseless y = c0 + c1 x + c2 x^2 + ... on x in [0, 3]."""
    x = torch.linspace(0, 3, n, dtype=torch.float64)
    y = sum(c * x**k for k, c in enumerate(coeffs))
    return Dataset(x, y, x[:0], y[:0], key="poly")


def run_to_end(gen) -> list[linreg.StepState]:
    return list(gen)


def params(states) -> np.ndarray:
    return np.array([(*s.weights, s.bias) for s in states])


# ---- convergence to the closed form ----------------------------------------------


def test_closed_form_recovers_the_true_line():
    p = linreg.make_problem(noiseless(), 1, standardise=True)
    w, b = linreg.closed_form(p)
    c0, c1 = linreg.raw_coefficients(p, w, b)
    # the features are float32 (what the trainers see), so "exact" means to float32 precision
    assert c1 == pytest.approx(2.0, abs=1e-6) and c0 == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    "optimizer,lr,epochs", [("sgd", 0.5, 200), ("momentum", 0.1, 300), ("adam", 0.2, 600)]
)
def test_both_trainers_reach_least_squares_on_noiseless_data(optimizer, lr, epochs):
    p = linreg.make_problem(noiseless(), 1, standardise=True)
    exact = np.append(*linreg.closed_form(p))
    hand = run_to_end(linreg.train_by_hand(p, HandConfig(lr=0.5, epochs=200)))[-1]
    torch_ = run_to_end(
        linreg.train_pytorch(p, TorchConfig(lr=lr, epochs=epochs, optimizer=optimizer))
    )[-1]
    assert hand.diverged is None and torch_.diverged is None
    # float32 training: a few units in the 6th significant digit of parameters near 10
    np.testing.assert_allclose((*hand.weights, hand.bias), exact, atol=2e-5)
    np.testing.assert_allclose((*torch_.weights, torch_.bias), exact, atol=2e-5)
    assert hand.train_loss < 1e-9


def test_unstandardised_data_converges_below_the_stable_learning_rate():
    p = linreg.make_problem(noiseless(), 1, standardise=False)
    lr = 0.9 * linreg.max_stable_lr(p)
    last = run_to_end(linreg.train_by_hand(p, HandConfig(lr=lr, epochs=2000)))[-1]
    assert last.diverged is None
    np.testing.assert_allclose((*last.weights, last.bias), (2.0, 1.0), atol=1e-4)


def test_mini_batch_sgd_on_noiseless_data_also_reaches_the_exact_line():
    p = linreg.make_problem(noiseless(), 1, standardise=True)
    last = run_to_end(linreg.train_pytorch(p, TorchConfig(lr=0.1, epochs=100, batch_size=8)))[-1]
    np.testing.assert_allclose(
        (*last.weights, last.bias), np.append(*linreg.closed_form(p)), atol=2e-5
    )


def test_polynomial_degree_two_recovers_the_curve():
    p = linreg.make_problem(polynomial_data(), 2, standardise=True)
    w, b = linreg.closed_form(p)
    np.testing.assert_allclose(linreg.raw_coefficients(p, w, b), (1.0, -2.0, 0.5), atol=1e-5)
    last = run_to_end(linreg.train_by_hand(p, HandConfig(lr=0.3, epochs=3000)))[-1]
    np.testing.assert_allclose(
        linreg.raw_coefficients(p, last.weights, last.bias), (1.0, -2.0, 0.5), atol=5e-4
    )


# ---- the two trainers agree step by step ------------------------------------------


@pytest.mark.parametrize(
    "degree,batch_size,standardise", [(1, None, True), (1, 16, False), (3, 8, True)]
)
def test_by_hand_and_pytorch_sgd_follow_the_same_trajectory(degree, batch_size, standardise):
    data = synthetic(SyntheticConfig(preset="curve", n=120, seed=5))
    p = linreg.make_problem(data, degree, standardise)
    lr = 0.05 if standardise else 0.01
    kw = dict(lr=lr, epochs=25, batch_size=batch_size, seed=11, init_w=-1.0, init_b=2.0)
    hand = run_to_end(linreg.train_by_hand(p, HandConfig(**kw)))
    pt = run_to_end(linreg.train_pytorch(p, TorchConfig(**kw, optimizer="sgd")))
    assert len(hand) == len(pt) == kw["epochs"] * HandConfig(**kw).batches_per_epoch(p.n) + 1
    assert [s.step for s in hand] == list(range(len(hand)))
    # same start, same batches, same updates: equal up to float32 rounding at every step
    np.testing.assert_allclose(params(hand), params(pt), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        [s.batch_loss for s in hand[1:]], [s.batch_loss for s in pt[1:]], rtol=1e-5
    )
    assert not np.allclose(params(hand)[0], params(hand)[-1])  # they did move


def test_adam_takes_a_different_path():
    p = linreg.make_problem(noiseless(), 1, standardise=True)
    hand = params(run_to_end(linreg.train_by_hand(p, HandConfig(lr=0.05, epochs=20))))
    adam = params(
        run_to_end(linreg.train_pytorch(p, TorchConfig(lr=0.05, epochs=20, optimizer="adam")))
    )
    assert np.abs(hand - adam).max() > 0.1


def test_by_hand_step_is_lr_times_the_analytic_gradient():
    """micrograd-style check: autograd's gradient of the MSE equals the formula 2/N sum(err * x)."""
    p = linreg.make_problem(synthetic(SyntheticConfig(n=40, seed=2)), 1, standardise=False)
    lr, w0, b0 = 1e-3, 0.5, -0.25
    first, second = list(linreg.train_by_hand(p, HandConfig(lr=lr, epochs=1, init_w=w0, init_b=b0)))
    x, y = p.X_train[:, 0].double(), p.y_train.double()
    err = w0 * x + b0 - y
    grad_w, grad_b = (2 * err * x).mean().item(), (2 * err).mean().item()
    assert second.weights[0] == pytest.approx(w0 - lr * grad_w, rel=1e-5)
    assert second.bias == pytest.approx(b0 - lr * grad_b, rel=1e-5)
    assert first.train_loss == pytest.approx((err**2).mean().item(), rel=1e-5)


def test_mini_batches_cover_every_row_once_per_epoch():
    batches = linreg.batch_indices(10, 4, seed=0)
    epoch = [next(batches) for _ in range(3)]
    assert sorted(torch.cat(epoch).tolist()) == list(range(10))
    assert [len(b) for b in epoch] == [4, 4, 2]
    assert next(linreg.batch_indices(10, None, 0)) == slice(None)


# ---- divergence ---------------------------------------------------------------------


def test_a_huge_learning_rate_is_detected_and_stops_training():
    p = linreg.make_problem(synthetic(SyntheticConfig()), 1, standardise=False)
    for states in (
        linreg.train_by_hand(p, HandConfig(lr=1.0, epochs=500)),
        linreg.train_pytorch(p, TorchConfig(lr=1.0, epochs=500)),
    ):
        states = list(states)
        assert states[-1].diverged in ("exploding", "nan", "inf")
        assert len(states) < 20  # stopped right away, not after 500 epochs
        assert all(s.diverged is None for s in states[:-1])


def test_nan_and_inf_are_named():
    p = linreg.make_problem(synthetic(SyntheticConfig()), 1, standardise=False)
    rec = linreg.train._Recorder(p, HandConfig())
    rec.start = 1.0
    assert rec._diverged(math.nan, (1.0, 2.0)) == "nan"
    assert rec._diverged(math.inf, (1.0, 2.0)) == "inf"
    assert rec._diverged(1.0, (math.inf, 2.0)) == "inf"


def test_slowly_rising_loss_is_detected_as_rising():
    """Just above the stability limit the loss grows slowly: the rising rule catches it."""
    p = linreg.make_problem(synthetic(SyntheticConfig()), 1, standardise=True)
    lr = 1.05 * linreg.max_stable_lr(p)
    states = list(linreg.train_by_hand(p, HandConfig(lr=lr, epochs=2000)))
    assert states[-1].diverged == "rising"
    losses = [s.train_loss for s in states[-linreg.RISING_STEPS :]]
    assert all(b > a for a, b in zip(losses, losses[1:], strict=False))


def test_the_stability_limit_is_sharp():
    p = linreg.make_problem(synthetic(SyntheticConfig(seed=4)), 1, standardise=False)
    limit = linreg.max_stable_lr(p)
    below = list(linreg.train_by_hand(p, HandConfig(lr=0.97 * limit, epochs=1500)))[-1]
    above = list(linreg.train_by_hand(p, HandConfig(lr=1.03 * limit, epochs=1500)))[-1]
    assert below.diverged is None and above.diverged is not None


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_sensible_settings_never_raise_a_false_alarm(optimizer):
    p = linreg.make_problem(
        synthetic(SyntheticConfig(preset="curve", noise=2.0)), 5, standardise=True
    )
    for bs in (None, 8):
        states = list(
            linreg.train_pytorch(
                p, TorchConfig(lr=0.01, epochs=60, batch_size=bs, optimizer=optimizer)
            )
        )
        assert states[-1].diverged is None


def test_divergence_explanation_says_what_happened_and_what_to_try():
    p = linreg.make_problem(synthetic(SyntheticConfig()), 1, standardise=False)
    text = explain.linreg_divergence(linreg.diagnose("exploding", 4, p, 1.0, "sgd"))
    assert "step 4" in text and f"{linreg.max_stable_lr(p):.3g}" in text
    assert "standardise" in text and "Lower the learning rate" in text and "Adam" in text
    adam = explain.linreg_divergence(
        linreg.diagnose("rising", 30, linreg.make_problem(p.data, 3, True), 2.0, "adam")
    )
    assert "Adam moves each parameter" in adam and "standardise" not in adam


def test_suggested_learning_rates_are_round_and_below():
    assert linreg.divergence._nice_below(0.029) == 0.02
    assert linreg.divergence._nice_below(0.5) == 0.5
    assert linreg.divergence._nice_below(7e-4) == 5e-4
    assert linreg.divergence._nice_below(float("nan")) == 1e-3


# ---- fit quality, landscape ---------------------------------------------------------------


def test_r_squared():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert linreg.r_squared(y, y) == 1.0
    assert linreg.r_squared(y, np.full(4, y.mean())) == 0.0
    assert math.isnan(linreg.r_squared(np.ones(3), np.ones(3)))


def test_raw_coefficients_undo_standardisation():
    p = linreg.make_problem(synthetic(SyntheticConfig(preset="curve")), 3, standardise=True)
    w, b = (0.3, -1.2, 0.7), 4.0
    c = linreg.raw_coefficients(p, w, b)
    x = torch.tensor([0.5, 3.0, 9.0], dtype=torch.float64)
    np.testing.assert_allclose(
        linreg.predict(p, w, b, x), sum(ck * x.numpy() ** k for k, ck in enumerate(c))
    )


@pytest.mark.parametrize("degree", [1, 3])
def test_vectorised_landscape_equals_direct_evaluation(degree):
    p = linreg.make_problem(
        synthetic(SyntheticConfig(preset="curve", n=80)), degree, standardise=True
    )
    w_star, b_star = linreg.closed_form(p)
    ws, bs = np.array([-2.0, 0.3, 4.0]), np.array([-1.0, 5.0])
    grid = linreg.loss_landscape(p, ws, bs, w_star[1:])
    X, y = p.X_train.double(), p.y_train.double()
    for i, b in enumerate(bs):
        for j, w in enumerate(ws):
            theta = torch.tensor([w, *w_star[1:]], dtype=torch.float64)
            assert grid[i, j] == pytest.approx(((X @ theta + b - y) ** 2).mean().item(), rel=1e-9)
    land = linreg.landscape_around(p, (0.0, 0.0))
    i, j = np.unravel_index(land.loss.argmin(), land.loss.shape)
    assert land.loss.min() >= land.minimum - 1e-9
    assert (
        abs(land.w[j] - w_star[0]) <= land.w[1] - land.w[0]
    )  # grid minimum next to the closed form
    assert abs(land.b[i] - b_star) <= land.b[1] - land.b[0]
    assert land.is_slice == (degree > 1)


def test_standardisation_makes_the_valley_round():
    data = synthetic(SyntheticConfig())

    def condition(std):
        A = linreg.design_matrix(linreg.make_problem(data, 1, std))
        ev = torch.linalg.eigvalsh(A.T @ A)
        return (ev[-1] / ev[0]).item()

    assert condition(True) < 1.01 < 50 < condition(False)


# ---- the run both trainers share ------------------------------------------------------------


def test_lab_run_advances_both_trainers_and_stops_at_the_epochs():
    p = linreg.make_problem(synthetic(SyntheticConfig()), 1, True)
    run = linreg.LabRun(p, HandConfig(lr=0.1, epochs=30), TorchConfig(lr=0.1, epochs=30))
    assert run.step == 0 and run.hand.steps == run.torch.steps == 0
    assert run.advance(10) == 10 and run.step == 10
    assert run.advance(100) == 20 and run.stopped and run.step == 30
    run.set_epochs(40)  # more epochs continue the same run
    assert not run.stopped and run.advance(100) == 10 and run.step == 40
    np.testing.assert_allclose(run.hand.param_matrix(), run.torch.param_matrix(), atol=1e-5)
    assert run.distance_to_closed_form(run.torch)[-1] < run.distance_to_closed_form(run.torch)[0]
    s = linreg.summary(run)
    assert s["step"] == 40 and s["r2_train"] > 0.9 and s["distance"] < 0.1


def test_lab_run_keeps_going_with_one_trainer_after_the_other_diverges():
    p = linreg.make_problem(synthetic(SyntheticConfig()), 1, True)
    run = linreg.LabRun(
        p, HandConfig(lr=2.5, epochs=100), TorchConfig(lr=2.5, epochs=100, optimizer="adam")
    )
    run.advance(100)
    assert run.hand.diverged and not run.torch.diverged and run.torch.steps == 100
    messages = linreg.divergences(run)
    assert len(messages) == 1 and messages[0][0] == ("By hand",)


def test_lab_run_respects_a_time_budget_and_the_step_cap():
    p = linreg.make_problem(synthetic(SyntheticConfig(n=1000)), 1, True)
    run = linreg.LabRun(
        p, HandConfig(epochs=1000, batch_size=4), TorchConfig(epochs=1000, batch_size=4)
    )
    assert run.target_steps == linreg.MAX_STEPS  # 250 steps x 1000 epochs, capped
    assert run.advance(10_000, budget_s=0.0) == 1


def test_trace_readers_get_copies_so_training_can_go_on():
    """A view into the trace's buffers would make the next step fail with BufferError."""
    p = linreg.make_problem(synthetic(SyntheticConfig()), 1, True)
    run = linreg.LabRun(p, HandConfig(epochs=50), TorchConfig(epochs=50))
    run.advance(5)
    held = [run.hand.param_matrix(), run.hand.series("train_loss"), run.torch.series("test_loss")]
    assert run.advance(5) == 5 and run.step == 10
    assert held[0].shape == (6, 2) and held[1].shape == (6,)
