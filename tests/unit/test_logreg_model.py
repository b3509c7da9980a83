"""Logistic/softmax regression on 2D points: the chapter's lessons as tests,
and the drawings' truth.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core import logreg
from core.logreg import figures as lf
from core.logreg.data import DataSpec, make_dataset
from core.metrics import confusion_matrix
from core.runtime import one_thread
from ui import explain


def trained(spec: DataSpec, steps: int, **config) -> logreg.Run:
    run = logreg.Run(make_dataset(spec), logreg.LogRegConfig(**config))
    run.advance(steps)
    return run


# ---- the lessons ---------------------------------------------------------------------------


def test_separable_blobs_reach_full_training_accuracy():
    run = trained(DataSpec("blobs", n_points=300, noise=0.0, overlap=0.0), 300, lr=0.3)
    assert run.latest()["train_acc"] == 1.0
    assert run.latest()["test_acc"] == 1.0
    assert run.diverged is None


def test_xor_needs_the_product_feature():
    spec = DataSpec("xor", n_points=400, noise=0.05)
    line = trained(spec, 400, lr=0.3)
    product = trained(spec, 400, lr=0.3, features=("x1*x2",))
    assert line.latest()["train_acc"] < 0.65  # a line is no better than chance on XOR
    assert product.latest()["train_acc"] >= 0.95 and product.latest()["test_acc"] >= 0.95


def test_a_hidden_layer_also_solves_xor():
    run = trained(
        DataSpec("xor", n_points=300, noise=0.0), 400, hidden=8, optimizer="adam", lr=0.03
    )
    assert run.latest()["train_acc"] >= 0.95


def test_squares_turn_circles_into_a_linear_problem():
    spec = DataSpec("circles", n_points=300, noise=0.0)
    assert trained(spec, 300, lr=0.1).latest()["train_acc"] < 0.7
    assert trained(spec, 300, lr=0.1, features=("x1^2", "x2^2")).latest()["train_acc"] >= 0.97


def test_softmax_regression_separates_four_blobs():
    run = trained(DataSpec("multiblobs", n_points=400, noise=0.0, n_classes=4), 300, lr=0.3)
    assert run.model.output.out_features == 4
    assert run.latest()["train_acc"] == 1.0


def test_l2_penalty_keeps_the_weights_small():
    spec = DataSpec("blobs", n_points=200, noise=0.0)
    free = trained(spec, 300, lr=0.3).model.output.weight.norm()
    held = trained(spec, 300, lr=0.3, l2=0.1).model.output.weight.norm()
    assert held < 0.6 * free


# ---- the trainer -----------------------------------------------------------------------------


def test_binary_gradient_matches_the_hand_formula():
    """micrograd-style: torch's gradient of BCE equals X^T (sigmoid(z) - y) / N."""
    data = make_dataset(DataSpec("moons", n_points=100))
    model = logreg.build_model(2, logreg.LogRegConfig())
    loss = torch.nn.BCEWithLogitsLoss()(model(data.x_train), data.y_train.float())
    loss.backward()
    with torch.no_grad():
        residual = torch.sigmoid(model(data.x_train)) - data.y_train.float()  # (N,)
        by_hand_w = data.x_train.T @ residual / len(residual)  # (2,)
    assert torch.allclose(model.output.weight.grad[0], by_hand_w, atol=1e-6)
    assert torch.allclose(model.output.bias.grad[0], residual.mean(), atol=1e-6)


def test_softmax_gradient_matches_the_hand_formula():
    """Cross-entropy's gradient wrt the logits is softmax(z) - onehot(y), averaged."""
    data = make_dataset(DataSpec("multiblobs", n_points=90, n_classes=3))
    model = logreg.build_model(3, logreg.LogRegConfig())
    torch.nn.CrossEntropyLoss()(model(data.x_train), data.y_train).backward()
    with torch.no_grad():
        delta = torch.softmax(model(data.x_train), 1) - torch.nn.functional.one_hot(data.y_train, 3)
        by_hand = delta.T @ data.x_train / len(delta)  # (3, 2)
    assert torch.allclose(model.output.weight.grad, by_hand, atol=1e-6)


def test_history_records_each_step_and_step_zero():
    run = logreg.Run(make_dataset(DataSpec("blobs", n_points=60)), logreg.LogRegConfig())
    assert run.step == 0 and len(run.history["step"]) == 1
    assert run.advance(7) == 7 and run.step == 7
    assert run.history["step"] == list(range(8))
    losses = run.history["train_loss"]
    assert losses[-1] < losses[0]


def test_metrics_describe_the_current_model():
    run = trained(DataSpec("moons", n_points=120), 25, lr=0.3)
    d = run.data
    acc = (run.model.predict(d.x_train) == d.y_train).float().mean().item()
    with torch.no_grad():
        loss = torch.nn.BCEWithLogitsLoss()(run.model(d.x_train), d.y_train.float()).item()
    assert run.latest()["train_acc"] == pytest.approx(acc)
    assert run.latest()["train_loss"] == pytest.approx(loss, rel=1e-5)


def test_time_budget_cuts_a_chunk_short():
    run = logreg.Run(make_dataset(DataSpec("blobs", n_points=60)), logreg.LogRegConfig())
    assert 1 <= run.advance(10_000, budget_s=0.0) <= 2


def test_no_test_points_give_nan_test_metrics():
    run = trained(DataSpec("blobs", n_points=40, test_fraction=0.0), 3)
    assert math.isnan(run.latest()["test_acc"]) and math.isfinite(run.latest()["train_acc"])


def test_a_bouncing_loss_counts_as_divergence():
    """Logistic loss is Lipschitz, so a huge step bounces instead of reaching NaN."""
    run = logreg.Run(
        make_dataset(DataSpec("xor", n_points=200)),
        logreg.LogRegConfig(features=("x1^2", "x2^2"), lr=10.0),
    )
    run.advance(300)
    assert run.diverged is not None and run.stopped
    text = explain.logreg_divergence(run.diverged, run.config.lr)
    assert "diverged" in text and "learning rate 10" in text
    assert f"for {logreg.DIVERGENCE_PATIENCE} steps" in text
    losses = run.history["train_loss"][-logreg.DIVERGENCE_PATIENCE :]
    assert min(losses) > logreg.DIVERGENCE_FACTOR * 0.5
    step = run.step
    assert run.advance(10) == 0 and run.step == step


def test_an_exploding_loss_stops_training_at_once():
    run = logreg.Run(
        make_dataset(DataSpec("moons", n_points=200)),
        logreg.LogRegConfig(hidden=8, activation="relu", lr=10.0),
    )
    run.advance(300)
    assert run.diverged is not None and run.step < 20
    assert "exploded" in explain.logreg_divergence(run.diverged, run.config.lr)
    assert len(run.history["step"]) == run.step + 1


def test_nan_stops_training_and_restores_the_last_finite_weights(monkeypatch):
    # let the weights run to inf/NaN
    monkeypatch.setattr(logreg.train, "EXPLOSION_FACTOR", math.inf)
    run = logreg.Run(
        make_dataset(DataSpec("moons", n_points=200)),
        logreg.LogRegConfig(hidden=8, activation="relu", lr=100.0),
    )
    run.advance(300)
    assert run.diverged is not None
    assert "NaN" in explain.logreg_divergence(run.diverged, run.config.lr)
    assert all(torch.isfinite(p).all() for p in run.model.parameters())
    assert all(math.isfinite(v) for v in run.history["train_loss"])
    assert len(run.history["step"]) == run.step + 1


def test_modest_learning_rates_do_not_trigger_the_divergence_alarm():
    for kind in ("xor", "moons", "spiral"):
        for features in ((), ("x1^2", "x2^2", "x1*x2")):
            for optimizer in ("sgd", "adam"):
                run = trained(
                    DataSpec(kind, n_points=200),
                    300,
                    lr=0.3,
                    features=features,
                    optimizer=optimizer,
                )
                assert run.diverged is None, (kind, features, optimizer)


def test_step_limit_finishes_the_run(monkeypatch):
    monkeypatch.setattr(logreg.train, "MAX_STEPS", 5)
    run = logreg.Run(make_dataset(DataSpec("blobs", n_points=40)), logreg.LogRegConfig())
    run.advance(50)
    assert run.step == 5 and run.completed and run.stopped


def test_initial_weights_are_reproducible_and_leave_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a = logreg.build_model(2, logreg.LogRegConfig(hidden=4, seed=9))
    b = logreg.build_model(2, logreg.LogRegConfig(hidden=4, seed=9))
    assert torch.rand(1) == expected
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)


def test_one_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    "bad",
    [
        dict(lr=0.0),
        dict(lr=float("nan")),
        dict(l2=-1.0),
        dict(hidden=999),
        dict(activation="gelu"),
        dict(optimizer="lbfgs"),
    ],
)
def test_config_refuses_bad_settings(bad):
    with pytest.raises(ValueError):
        logreg.LogRegConfig(**bad)


def test_features_come_in_catalogue_order():
    x = torch.tensor([[2.0, 3.0]])
    phi = logreg.feature_matrix(x, ("sin(x2)", "x1*x2", "x1^2"))
    assert logreg.feature_names(("sin(x2)", "x1*x2", "x1^2")) == (
        "x1",
        "x2",
        "x1^2",
        "x1*x2",
        "sin(x2)",
    )
    assert torch.allclose(phi, torch.tensor([[2.0, 3.0, 4.0, 6.0, math.sin(3.0)]]))


# ---- what the figures draw ----------------------------------------------------------------------


def test_drawn_boundary_is_the_analytic_line():
    run = trained(DataSpec("blobs", n_points=200, noise=0.3), 40, lr=0.1)
    w1, w2, b = logreg.linear_boundary(run.model)
    assert (w1, w2) == tuple(
        run.model.output.weight[0].tolist()
    ) and b == run.model.output.bias.item()
    fig = lf.surface_figure(run.model, run.data)
    line = next(t for t in fig.data if t.name == lf.BOUNDARY_NAME)
    x1, x2 = np.asarray(line.x), np.asarray(line.y)
    assert len(x1) > 10
    assert np.allclose(x2, -(w1 * x1 + b) / w2, atol=1e-6)
    p = run.model.probabilities(torch.tensor(np.stack([x1, x2], 1), dtype=torch.float32))
    assert torch.allclose(p, torch.full_like(p, 0.5), atol=1e-4)  # p = 0.5 on the line


def test_steep_and_degenerate_lines():
    pts = logreg.boundary_line(5.0, 1e-9, -1.0, (-3, 3), (-3, 3))  # almost vertical: x1 = 0.2
    assert pts is not None and np.allclose(pts[0], 0.2, atol=1e-6) and np.ptp(pts[1]) > 5
    assert logreg.boundary_line(0.0, 0.0, 1.0, (-3, 3), (-3, 3)) is None
    assert logreg.boundary_line(0.0, 1.0, -100.0, (-3, 3), (-3, 3)) is None  # x2 = 100: outside


def test_weight_vector_is_drawn_normal_to_the_boundary():
    run = trained(DataSpec("blobs", n_points=200, noise=0.3), 40, lr=0.1)
    w1, w2, b = logreg.linear_boundary(run.model)
    fig = lf.surface_figure(run.model, run.data, show_normal=True)
    arrow = next(a for a in fig.layout.annotations if a.showarrow)
    direction = np.array([arrow.x - arrow.ax, arrow.y - arrow.ay])
    assert abs(w1 * arrow.ax + w2 * arrow.ay + b) < 1e-6  # the tail sits on the line
    cos = direction @ np.array([w1, w2]) / np.linalg.norm(direction) / math.hypot(w1, w2)
    assert cos == pytest.approx(1.0, abs=1e-9)  # and it points along w, towards class 1
    assert not [
        a
        for a in lf.surface_figure(run.model, run.data, show_normal=False).layout.annotations
        if a.showarrow
    ]


def test_binary_heat_map_is_the_model_probability():
    run = trained(DataSpec("moons", n_points=150), 30, hidden=4)
    fig = lf.surface_figure(run.model, run.data, resolution=40)
    heat = fig.data[0]
    gx, gy = np.meshgrid(heat.x, heat.y)
    pts = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
    expected = run.model.probabilities(pts).numpy().reshape(40, 40)
    assert np.allclose(np.asarray(heat.z), expected, atol=1e-5)
    assert any(t.name == lf.BOUNDARY_NAME and t.type == "contour" for t in fig.data)
    flat = lf.surface_figure(run.model, run.data, resolution=40, discretise=True).data[0]
    assert np.array_equal(np.asarray(flat.z), expected > 0.5)  # the predicted class, cell by cell
    assert (0 - flat.zmin) / (flat.zmax - flat.zmin) == pytest.approx(0.1)  # drawn at p = 0.1 / 0.9


@pytest.mark.parametrize("discretise", [False, True])
def test_softmax_regions_are_the_argmax_of_the_model(discretise):
    run = trained(DataSpec("multiblobs", n_points=200, n_classes=5, noise=0.4), 60, lr=0.3)
    fig = lf.surface_figure(run.model, run.data, resolution=60, discretise=discretise)
    heat = fig.data[0]
    gx, gy = np.meshgrid(heat.x, heat.y)
    pts = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
    argmax = run.model(pts).argmax(1).numpy().reshape(60, 60)
    assert np.array_equal(np.floor(np.asarray(heat.z)).astype(int), argmax)
    assert len(np.unique(argmax)) == 5  # every class owns a region of the view


def test_test_points_can_be_hidden():
    run = trained(DataSpec("blobs", n_points=100), 1)
    names = lambda fig: {t.name for t in fig.data}  # noqa: E731
    assert "class 0 (test)" in names(lf.surface_figure(run.model, run.data))
    assert "class 0 (test)" not in names(lf.surface_figure(run.model, run.data, show_test=False))


def test_surface_shapes():
    run = trained(DataSpec("multiblobs", n_points=60, n_classes=3), 1)
    s = logreg.probability_surface(run.model, run.data.bounds(), 200)
    assert s.probs.shape == (3, 200, 200) and np.allclose(s.probs.sum(0), 1, atol=1e-5)


def test_confusion_matrix_counts_every_point():
    run = trained(DataSpec("moons", n_points=200), 50, lr=0.3)
    cm = confusion_matrix(
        run.data.y_train, run.model.predict(run.data.x_train), run.data.n_classes
    ).numpy()
    assert cm.sum() == len(run.data.y_train)
    assert np.trace(cm) / cm.sum() == pytest.approx(run.latest()["train_acc"])


def test_curves_and_explainers_draw():
    run = trained(DataSpec("moons", n_points=100), 600)
    fig = lf.curves_figure(run.history, max_points=100)
    assert all(len(t.x) <= 101 for t in fig.data) and fig.data[0].x[-1] == 600
    sig = lf.sigmoid_figure(2.0, run.model, run.data)
    assert sig.data[-1].y[0] == pytest.approx(1 / (1 + math.exp(-2.0)))
    dots = np.concatenate([t.x for t in sig.data[1:3]])
    assert np.allclose(
        np.sort(dots), np.sort(np.clip(logreg.logits(run.model, run.data.x_train), -8, 8))
    )
    assert len(lf.sigmoid_figure(0.0).data) == 2  # without a model: the curve and the marker
    bce = lf.bce_figure(0.25)
    assert list(bce.data[-1].y) == pytest.approx([-math.log(0.25), -math.log(0.75)])


def test_loss_axis_ticks_fit_the_range():
    assert lf.loss_ticks(np.array([0.31, 0.69])) is None  # plotly labels a narrow range itself
    wide = lf.loss_ticks(np.array([0.001, 0.7, np.nan]))
    assert 0.3 not in np.round(wide, 6) and {0.001, 0.01, 0.1, 0.5} <= set(np.round(wide, 6))
    assert lf.loss_ticks(np.array([np.nan])) is None


def test_learning_rate_advice_and_metric_texts():
    assert explain.learning_rate_advice(10.0)[0] == "warning"
    assert (
        explain.learning_rate_advice(0.0001)[0] == "info"
        and explain.learning_rate_advice(0.1) is None
    )
    run = trained(DataSpec("blobs", n_points=40, test_fraction=0.0), 3)
    texts = explain.logreg_metrics(run)
    assert (
        texts["Step"] == "3"
        and texts["Test accuracy"] == "-"
        and texts["Train accuracy"].endswith("%")
    )


def test_equation_shows_the_current_weights():
    run = trained(DataSpec("blobs", n_points=100), 20, features=("x1*x2",))
    w = run.model.output.weight[0].tolist()
    z_line = logreg.equation_latex(run.model)[0]
    assert z_line.startswith("z = ") and "x_1 x_2" in z_line
    assert f"{abs(w[2]):.2f}" in z_line and r"\sigma" in logreg.equation_latex(run.model)[-1]
    k_lines = logreg.equation_latex(
        trained(DataSpec("multiblobs", n_points=60, n_classes=4), 1).model, ("a", "b", "c", "d")
    )
    assert len(k_lines) == 5 and r"z_{\text{c}}" in k_lines[2] and "softmax" in k_lines[-1]
    hidden = logreg.equation_latex(trained(DataSpec("xor", n_points=60), 1, hidden=16).model)
    assert r"\mathbb{R}^{16\times2}" in hidden[1] and r"v^\top h" in hidden[2]
    wide = logreg.equation_latex(
        trained(DataSpec("xor", n_points=60), 1, features=logreg.EXTRA_FEATURES).model
    )
    assert (
        wide[0].startswith(r"\begin{aligned} z &=") and wide[0].count(r"\\") == 2
    )  # 8 terms, 3 rows
    assert r"\sin x_2" in wide[0] and "x_1^2" in wide[0]
