"""Touching the linear-regression lab: edited points, a line fitted by hand, a run that
continues after its settings change, and a pinned run to compare with."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from core import linreg
from core.linreg import HandConfig, TorchConfig, figures
from core.linreg.compare import comparison, pin
from core.linreg.data import (
    MAX_EDITED_POINTS,
    Bounds,
    LinRegDataError,
    SyntheticConfig,
    clean_points,
    edited,
    plot_bounds,
    synthetic,
)
from core.linreg.handfit import hand_line, parse_line, start_from_line
from core.runtime import configure_torch

configure_torch()
BOX = Bounds(0.0, 10.0, -5.0, 25.0)


def test_clean_points_drops_clamps_and_bounds_what_the_browser_sent():
    raw = [[1, 2], ["a", 3], [None, 1], [float("nan"), 1], [1e400, 2], [20, 30], [2, -100], [3]]
    got = clean_points(raw, BOX)
    assert got.x.tolist() == [1.0, 10.0, 2.0] and got.y.tolist() == [2.0, 25.0, -5.0]
    assert set(got.codes) == {"dropped", "clamped"}
    many = clean_points([[i % 10, i % 7] for i in range(MAX_EDITED_POINTS + 50)], BOX)
    assert many.x.size == MAX_EDITED_POINTS and many.codes == ("truncated",)
    for hostile in (None, "[[1,2]]", {"x": 1}, 42):
        assert clean_points(hostile, BOX).x.size == 0


def test_edited_data_replaces_the_training_points_and_keeps_the_test_set():
    base = synthetic(SyntheticConfig(preset="curve", n=50, seed=1))
    points = clean_points([[1, 5], [2, 7], [3, 6]], plot_bounds(base))  # inside the window
    assert points.codes == ()
    data = edited(base, points)
    assert data.x_train.tolist() == [1.0, 2.0, 3.0] and data.y_train.tolist() == [5.0, 7.0, 6.0]
    assert torch.equal(data.x_test, base.x_test) and data.key != base.key
    moved = edited(base, clean_points([[1, 5], [2, 7], [3, 6.5]], plot_bounds(base)))
    assert moved.key != data.key  # equal keys mean equal data: a moved point is new data
    same = edited(base, clean_points([[1, 5], [2, 7], [3, 6]], plot_bounds(base)))
    assert same.key == data.key


@pytest.mark.parametrize(
    ("points", "words"),
    [([], "0 points"), ([[1, 1]], "1 point left"), ([[2, 1], [2, 5]], "same x")],
)
def test_edited_data_refuses_what_no_line_can_fit(points, words):
    base = synthetic(SyntheticConfig())
    with pytest.raises(LinRegDataError, match=words):
        edited(base, clean_points(points, plot_bounds(base)))


@pytest.mark.parametrize(("degree", "standardise"), [(1, False), (1, True), (3, True)])
def test_raw_coefficients_round_trip(degree, standardise):
    problem = linreg.make_problem(synthetic(SyntheticConfig(n=40, seed=3)), degree, standardise)
    coefficients = [0.5, -1.5, 0.25, 0.125][: degree + 1]
    w, b = linreg.from_raw_coefficients(problem, coefficients)
    assert np.allclose(linreg.raw_coefficients(problem, w, b), coefficients)


def test_hand_line_loss_and_gradient_are_the_mean_squared_error_and_its_derivatives():
    data = synthetic(SyntheticConfig(n=25, seed=7))
    x, y = data.x_train.numpy(), data.y_train.numpy()
    got = hand_line(data, 1.5, -0.5)
    residual = 1.5 * x - 0.5 - y
    assert got.loss == pytest.approx((residual**2).mean())
    assert got.grad_w == pytest.approx(2 * (residual * x).mean())
    assert got.grad_b == pytest.approx(2 * residual.mean())
    assert got.r2 == pytest.approx(linreg.r_squared(y, 1.5 * x - 0.5))
    with pytest.raises(ValueError):
        hand_line(data, math.inf, 0.0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"w": 2, "b": -1.5}, (2.0, -1.5)),
        ({"w": "2", "b": 0}, (2.0, 0.0)),
        ({"w": "two", "b": 0}, None),
        ({"w": float("nan"), "b": 0}, None),
        ({"w": 1e300, "b": 0}, None),
        ({"w": 1}, None),
        ([1, 2], None),
        (None, None),
    ],
)
def test_parse_line_accepts_only_two_finite_moderate_numbers(raw, expected):
    assert parse_line(raw) == expected


@pytest.mark.parametrize("standardise", [False, True])
def test_gradient_descent_starts_exactly_on_the_line_placed_by_hand(standardise):
    data = synthetic(SyntheticConfig(n=30, seed=2))
    problem = linreg.make_problem(data, 1, standardise)
    start = start_from_line(problem, 1.25, 3.0)
    lr = 0.1 if standardise else 0.005  # raw x up to 10: a smaller step is stable
    run = linreg.LabRun(problem, HandConfig(lr, 10, start=start), TorchConfig(lr, 10, start=start))
    first = run.torch.last  # step 0
    fit = linreg.predict(problem, first.weights, first.bias, data.x_train)
    assert np.allclose(fit, 1.25 * data.x_train.numpy() + 3.0, atol=1e-4)
    assert first.train_loss == pytest.approx(hand_line(data, 1.25, 3.0).loss, rel=1e-5)
    run.advance(10)
    assert run.torch.last.train_loss < first.train_loss


def _run(problem, lr, optimizer, batch_size=None, start=None, epochs=100):
    return linreg.LabRun(
        problem,
        HandConfig(lr, epochs, batch_size, start=start),
        TorchConfig(lr, epochs, batch_size, start=start, optimizer=optimizer),
    )


@pytest.mark.parametrize(("batch_size", "optimizer"), [(None, "adam"), (8, "momentum")])
def test_continuing_after_a_change_equals_training_from_the_saved_parameters(batch_size, optimizer):
    problem = linreg.make_problem(synthetic(SyntheticConfig(preset="curve", n=60)), 2, True)
    run = _run(problem, 0.02, "sgd", batch_size)
    run.advance(25)
    saved = {t.name: (*t.last.weights, t.last.bias) for t in (run.hand, run.torch)}
    run.continue_with(
        HandConfig(0.2, 100, batch_size), TorchConfig(0.2, 100, batch_size, optimizer=optimizer)
    )
    run.advance(30)
    assert run.step == 55 and len(run.torch.train_loss) == 56  # the history is kept
    assert run.segments == [(0, 0.02, "sgd"), (25, 0.2, optimizer)]
    fresh_hand = _run(problem, 0.2, optimizer, batch_size, saved["By hand"])
    fresh_torch = _run(problem, 0.2, optimizer, batch_size, saved["PyTorch"])
    fresh_hand.advance(30)
    fresh_torch.advance(30)
    assert run.hand.last.weights == fresh_hand.hand.last.weights
    assert run.hand.last.bias == fresh_hand.hand.last.bias
    assert run.torch.last.weights == fresh_torch.torch.last.weights
    assert run.torch.last.bias == fresh_torch.torch.last.bias
    assert np.array_equal(
        run.torch.series("train_loss")[25:], fresh_torch.torch.series("train_loss")
    )


def test_a_run_whose_parameters_overflowed_cannot_continue_but_an_exploding_one_can():
    problem = linreg.make_problem(synthetic(SyntheticConfig()), 1, False)
    run = _run(problem, 0.1, "sgd")
    run.advance(500)
    assert run.hand.diverged == "exploding" and run.can_continue()
    run.continue_with(HandConfig(0.001, 1000), TorchConfig(0.001, 1000))
    run.advance(300)  # a smaller step brings the blown-up line back
    assert run.torch.last.train_loss < run.torch.series("train_loss")[run.segments[1][0]]
    run.torch.last = replace(run.torch.last, weights=(math.nan,), diverged="nan")
    assert not run.can_continue()  # from NaN no step leads anywhere
    with pytest.raises(ValueError):
        run.continue_with(HandConfig(0.001), TorchConfig(0.001))


def test_pinned_runs_are_drawn_only_where_they_share_the_axes():
    data = synthetic(SyntheticConfig(n=40, seed=4))
    first = _run(linreg.make_problem(data, 1, True), 0.1, "sgd")
    first.advance(40)
    pinned = pin(first)
    assert pinned.steps[-1] == 40 and pinned.train_loss[-1] == first.torch.last.train_loss
    same = _run(linreg.make_problem(data, 1, True), 0.5, "adam")
    raw = _run(linreg.make_problem(data, 1, False), 0.01, "sgd")
    other = _run(linreg.make_problem(synthetic(SyntheticConfig(seed=9)), 1, True), 0.1, "sgd")
    assert [comparison(pinned, r) for r in (same, raw, other)] == [
        "same",
        "same data",
        "other data",
    ]

    def names(run, how):
        figs = figures.lab_figures(run, pinned=figures.Pinned(pinned, "pinned: SGD", how))
        return {k: [t.name for t in f.data] for k, f in figs.items()}

    plain = {k: [t.name for t in f.data] for k, f in figures.lab_figures(same).items()}
    with_pin = names(same, "same")
    assert with_pin["fit"] == plain["fit"] + ["pinned: SGD"]
    assert "pinned: SGD, train" in with_pin["loss"]
    assert len(with_pin["landscape"]) > len(plain["landscape"])
    assert names(raw, "same data")["landscape"] == plain["landscape"]
    assert names(other, "other data") == plain


def test_the_loss_chart_marks_where_the_settings_changed():
    problem = linreg.make_problem(synthetic(SyntheticConfig()), 1, True)
    run = _run(problem, 0.01, "sgd")
    run.advance(20)
    run.continue_with(HandConfig(0.1), TorchConfig(0.1, optimizer="adam"))
    run.advance(5)
    shapes = figures.lab_figures(run)["loss"].layout.shapes
    assert [s.x0 for s in shapes] == [20]
