"""Deep playground networks: their modules, their training, every unit's map over the plane,
weights set by hand, and the diagram that draws them."""

from __future__ import annotations

import base64
import io
import json
import math
import re

import numpy as np
import plotly.io as pio
import pytest
import torch
from PIL import Image
from torch import nn

from core import logreg, theme
from core.logreg.data import DataSpec, make_dataset
from core.logreg.diagram import network_figure
from core.logreg.network import MAP_SIZE


def run_of(spec: DataSpec, steps: int = 0, **config) -> logreg.Run:
    run = logreg.Run(make_dataset(spec), logreg.LogRegConfig(**config))
    run.advance(steps)
    return run


# ---- deep configs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hidden", "activation", "n_classes"),
    [((), "tanh", 2), ((3,), "relu", 2), ((5, 4, 3), "sigmoid", 3), ((8, 8, 8, 8), "linear", 4)],
)
def test_deep_configs_build_linear_then_activation_layers(hidden, activation, n_classes):
    config = logreg.LogRegConfig(features=("x1*x2",), hidden=hidden, activation=activation)
    model = logreg.build_model(n_classes, config)
    modules = list(model.net)
    widths = (3, *hidden, 1 if n_classes == 2 else n_classes)
    assert len(modules) == 2 * len(hidden) + 1
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:], strict=False)):
        assert isinstance(modules[2 * i], nn.Linear)
        assert (modules[2 * i].in_features, modules[2 * i].out_features) == (n_in, n_out)
    for act in modules[1::2]:
        assert isinstance(act, logreg.ACTIVATIONS[activation])
    assert model.linears == modules[::2] and model.hidden_layers == modules[:-1:2]


def test_an_int_hidden_width_is_one_layer_and_old_configs_are_equal():
    assert logreg.LogRegConfig(hidden=6) == logreg.LogRegConfig(hidden=(6,))
    assert logreg.LogRegConfig(hidden=0).hidden == ()
    one = logreg.build_model(2, logreg.LogRegConfig(hidden=6, seed=3))
    same = logreg.build_model(2, logreg.LogRegConfig(hidden=(6,), seed=3))
    assert all(torch.equal(p, q) for p, q in zip(one.parameters(), same.parameters(), strict=True))


@pytest.mark.parametrize("hidden", [(1, 2, 3, 4, 5), (0,), (3, -1), (65,), 999, -2, True, ("a",)])
def test_deep_configs_refuse_bad_layers(hidden):
    with pytest.raises(ValueError):
        logreg.LogRegConfig(hidden=hidden)


def test_two_hidden_layers_solve_xor_without_the_product_feature():
    run = run_of(
        DataSpec("xor", n_points=300, noise=0.0),
        300,
        hidden=(6, 6),
        activation="tanh",
        optimizer="adam",
        lr=0.03,
    )
    assert run.diverged is None
    assert run.latest()["train_acc"] >= 0.95 and run.latest()["test_acc"] >= 0.9


def test_stacked_linear_layers_stay_a_line_on_xor():
    """No activation: four layers are still one linear map, no better than chance on XOR."""
    run = run_of(
        DataSpec("xor", n_points=300, noise=0.0),
        300,
        hidden=(8, 8, 8, 8),
        activation="linear",
        optimizer="adam",
        lr=0.03,
    )
    assert run.latest()["train_acc"] < 0.7


# ---- every unit over the plane --------------------------------------------------------------


def hooked_activations(model: logreg.PlaygroundNet, points: torch.Tensor) -> list[torch.Tensor]:
    """Each hidden layer's output as forward hooks on its activation modules see it."""
    seen: list[torch.Tensor] = []
    hooks = [
        act.register_forward_hook(lambda _m, _i, out: seen.append(out.detach().clone()))
        for act in list(model.net)[1::2]
    ]
    try:
        with torch.no_grad():
            model(points)
    finally:
        for h in hooks:
            h.remove()
    return seen


@pytest.mark.parametrize(
    ("spec", "hidden", "activation"),
    [
        (DataSpec("moons", n_points=80), (5, 3, 4), "tanh"),
        (DataSpec("multiblobs", n_points=90, n_classes=3), (8, 2), "relu"),
        (DataSpec("circles", n_points=60), (4,), "sigmoid"),
    ],
)
def test_unit_maps_equal_the_hidden_activations_on_the_grid(spec, hidden, activation):
    run = run_of(
        spec, 25, features=("x1^2", "sin(x2)"), hidden=hidden, activation=activation, lr=0.3
    )
    grid = logreg.plane_grid(run.data.bounds(), 17)
    maps = logreg.unit_maps(run.model, grid)
    hooked = hooked_activations(run.model, grid.points)
    assert [m.shape for m in maps] == [(n, 17, 17) for n in hidden]
    for m, h in zip(maps, hooked, strict=True):
        assert np.allclose(m, h.T.reshape(-1, 17, 17).numpy(), atol=1e-6)
    # and the map's pixel (i, j) is the unit at the point (xs[j], ys[i])
    i, j = 3, 11
    point = torch.tensor([[grid.xs[j], grid.ys[i]]])
    first = hooked_activations(run.model, point)[0][0]
    assert np.allclose(maps[0][:, i, j], first.numpy(), atol=1e-6)


def test_network_maps_hold_the_features_and_the_output_probabilities():
    run = run_of(DataSpec("xor", n_points=60), 5, features=("x1*x2",), hidden=(3, 3))
    grid = logreg.plane_grid(run.data.bounds(), 9)
    maps = logreg.network_maps(run.model, grid)
    phi = run.model.featurize(grid.points)  # (81, 3)
    assert np.allclose(maps.features, phi.T.reshape(3, 9, 9).numpy())
    probs = run.model.probabilities(grid.points).reshape(1, 9, 9).numpy()
    assert np.allclose(maps.output, probs, atol=1e-6)
    k = run_of(DataSpec("multiblobs", n_points=60, n_classes=4), 3, hidden=(2,))
    out = logreg.network_maps(k.model, grid).output
    assert out.shape == (4, 9, 9) and np.allclose(out.sum(axis=0), 1, atol=1e-5)


# ---- weights by hand ------------------------------------------------------------------------


def test_setting_a_weight_changes_exactly_that_parameter():
    run = run_of(DataSpec("moons", n_points=80), 10, hidden=(4, 3), activation="relu")
    ref = logreg.ParamRef(1, 2, 3)  # layer 1 unit 4 -> layer 2 unit 3
    before = [p.detach().clone() for p in run.model.parameters()]
    old = run.set_parameter(ref, 2.5)
    assert old == pytest.approx(before[2][2, 3].item())
    after = list(run.model.parameters())
    assert after[2][2, 3].item() == 2.5
    for k, (p, q) in enumerate(zip(after, before, strict=True)):
        changed = (p != q).nonzero().tolist()
        assert changed == ([[2, 3]] if k == 2 else [])
    assert run.edits == [logreg.WeightEdit(10, ref, 2.5)]
    bias = logreg.ParamRef(2, 0)  # the output's bias
    run.set_parameter(bias, -1.0)
    assert run.model.output.bias.item() == -1.0
    assert logreg.parameter_value(run.model, bias) == -1.0


def test_an_edit_re_records_the_step_and_training_goes_on_from_it():
    run = run_of(DataSpec("moons", n_points=80), 10, hidden=(4,), optimizer="adam", lr=0.05)
    loss_before = run.latest()["train_loss"]
    run.set_parameter(logreg.ParamRef(0, 1, 0), 9.0)
    assert run.step == 10 and len(run.history["step"]) == 11  # the step's numbers replaced
    edited = run.latest()["train_loss"]
    assert edited != loss_before
    logits = run.model(run.data.x_train).detach()
    expected = nn.functional.binary_cross_entropy_with_logits(logits, run.data.y_train.float())
    assert edited == pytest.approx(expected.item(), rel=1e-6)
    assert run.advance(5) == 5 and run.step == 15  # no stale graph: backward works


def test_a_parameter_the_network_does_not_have_is_refused():
    run = run_of(DataSpec("blobs", n_points=40), 0, hidden=(3,))
    for ref in (
        logreg.ParamRef(2, 0, 0),
        logreg.ParamRef(0, 3, 0),
        logreg.ParamRef(1, 0, 3),
        logreg.ParamRef(-1, 0),
    ):
        with pytest.raises(IndexError):
            run.set_parameter(ref, 1.0)
    assert not run.edits


def test_weight_and_bias_refs_cover_every_parameter_once():
    model = logreg.build_model(3, logreg.LogRegConfig(features=("x1^2",), hidden=(5, 2)))
    weights, biases = logreg.weight_refs(model), logreg.bias_refs(model)
    n_weights = sum(m.weight.numel() for m in model.linears)
    n_biases = sum(m.bias.numel() for m in model.linears)
    assert len(set(weights)) == len(weights) == n_weights == 3 * 5 + 5 * 2 + 2 * 3
    assert len(set(biases)) == len(biases) == n_biases and all(r.is_bias for r in biases)


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.5", 1.5), (" -2 ", -2.0), ("+.25", 0.25), ("3e-2", 0.03), ("\u22124", -4.0),
     ("100", 100.0), ("-0", 0.0), ("1E2", 100.0)],
)  # fmt: skip
def test_weight_parsing_reads_plain_numbers(text, value):
    got = logreg.parse_weight(text)
    assert got == value and math.copysign(1, got) == math.copysign(1, value or 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not_a_number"),
        ("1,5", "not_a_number"),
        ("1_0", "not_a_number"),
        ("0x10", "not_a_number"),
        ("2*3", "not_a_number"),
        ("__import__('os').system('id')", "not_a_number"),
        ("1" * 41, "not_a_number"),
        ("nan", "not_finite"),
        ("NaN", "not_finite"),
        ("inf", "not_finite"),
        ("-Infinity", "not_finite"),
        ("1e300", "out_of_range"),
        ("1e999", "out_of_range"),
        ("100.001", "out_of_range"),
        ("-101", "out_of_range"),
    ],
)
def test_weight_parsing_refuses_text_nan_inf_and_huge_values(text, reason):
    with pytest.raises(logreg.WeightRefused) as err:
        logreg.parse_weight(text)
    assert err.value.reason == reason
    assert isinstance(err.value, ValueError)


# ---- the diagram ----------------------------------------------------------------------------


def image_pixels(uri: str) -> np.ndarray:
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))


def test_the_diagram_draws_every_unit_as_its_map_and_every_weight_as_a_link():
    run = run_of(DataSpec("xor", n_points=80), 20, features=("x1*x2",), hidden=(5, 5, 5), lr=0.3)
    fig = network_figure(run.model, run.data)
    images = fig.layout.images
    assert len(images) == 3 + 15 + 1
    assert all(image_pixels(im.source).shape == (MAP_SIZE, MAP_SIZE, 3) for im in images)
    links = next(t for t in fig.data if t.name == "links")
    weights = [(r, logreg.parameter_value(run.model, r)) for r in logreg.weight_refs(run.model)]
    assert len(links.text) == 2 * len(weights)  # two hover markers a link
    for (_, w), text in zip(weights, links.text[::2], strict=True):
        assert text.endswith(f"weight = {w:.3f}")
    assert [list(c) for c in links.customdata[::2]] == [
        [r.layer, r.unit, r.source] for r, _ in weights
    ]
    assert "layer 1, unit 4 → layer 2, unit 3" in links.text[2 * weights.index(
        next(x for x in weights if x[0] == logreg.ParamRef(1, 2, 3))
    )]  # fmt: skip


def link_styles(fig) -> dict[tuple[float, float, float, float], tuple[str, float]]:
    """Every link drawn: (x0, y0, x1, y1) -> (colour, width), from the path shapes."""
    styles = {}
    for shape in fig.layout.shapes:
        if shape.type == "path":
            for seg in re.findall(r"M([-\d.]+),([-\d.]+)L([-\d.]+),([-\d.]+)", shape.path):
                styles[tuple(map(float, seg))] = (shape.line.color, shape.line.width)
    return styles


def test_link_colour_is_the_sign_and_width_the_size():
    run = run_of(DataSpec("moons", n_points=60), 0, hidden=(2,))
    run.set_parameter(logreg.ParamRef(0, 0, 0), 3.0)  # the largest weight, positive
    run.set_parameter(logreg.ParamRef(0, 1, 1), -1.5)  # half its size, negative
    fig = network_figure(run.model, run.data)
    styles = link_styles(fig)
    assert len(styles) == 2 * 2 + 2 * 1  # every link once
    # x1 (the top input) -> unit 1 (top), and x2 -> unit 2: both ends above / below y = 0
    pos = next(v for (_, y0, _, y1), v in styles.items() if y0 > 0 and y1 > 0)
    neg = next(v for (_, y0, _, y1), v in styles.items() if y0 < 0 and y1 < 0)
    assert pos[0].startswith("rgba(213,94,0")  # orange: theme.DIVERGING's positive
    assert neg[0].startswith("rgba(0,114,178")  # blue: its negative
    assert pos[1] == max(w for _, w in styles.values()) > neg[1]
    # presenter mode's thicker lines leave the weights' widths alone
    assert link_styles(theme.style(fig, large=True)) == styles


def test_a_unit_map_is_the_units_activation_in_the_signed_colours():
    run = run_of(DataSpec("moons", n_points=60), 0, hidden=(1,), activation="tanh")
    with torch.no_grad():
        first = run.model.linears[0]
        first.weight.copy_(torch.tensor([[4.0, 0.0]]))  # h = tanh(4 x1): blue left, orange right
        first.bias.zero_()
    fig = network_figure(run.model, run.data)
    hidden_picture = image_pixels(fig.layout.images[2].source).astype(int)
    left, right = hidden_picture[:, 0], hidden_picture[:, -1]
    assert (left[:, 2] > left[:, 0] + 100).all()  # blue where x1 < 0
    assert (right[:, 0] > right[:, 2] + 100).all()  # orange where x1 > 0
    xs = logreg.plane_grid(run.data.bounds()).xs
    zero = int(np.abs(xs).argmin())  # the column nearest x1 = 0
    expected = np.tanh(4 * xs[zero])  # its colour strength
    assert abs(expected) < 0.5 and hidden_picture[:, zero].min() >= 255 * (1 - abs(expected)) - 2


def test_the_picked_weight_is_outlined_and_the_payload_stays_small():
    run = run_of(
        DataSpec("multiblobs", n_points=200, n_classes=5),
        5,
        features=logreg.EXTRA_FEATURES,
        hidden=(8, 8, 8, 8),
    )
    ref = logreg.ParamRef(2, 7, 7)
    fig = network_figure(run.model, run.data, selected=ref)
    dotted = [t for t in fig.data if t.mode == "lines"]
    assert len(dotted) == 1
    assert len(fig.layout.images) == 7 + 32 + 5
    size = len(pio.to_json(fig))
    assert size < 200_000, size  # the largest network the page allows, every unit drawn
    bias = network_figure(run.model, run.data, selected=logreg.ParamRef(4, 2))
    assert len(bias.layout.shapes) == len(fig.layout.shapes) + 1  # the unit framed
    assert json.loads(pio.to_json(bias))["layout"]["shapes"][-1]["line"]["width"] == 3


def test_the_equation_names_every_hidden_layer():
    model = logreg.build_model(2, logreg.LogRegConfig(hidden=(5, 4), activation="relu"))
    lines = logreg.equation_latex(model)
    assert lines[0] == r"\varphi = [x_1, x_2]"
    assert lines[1].startswith(r"h^{(1)} = \operatorname{relu}(W_1 \varphi + b_1)")
    assert r"\mathbb{R}^{5\times2}" in lines[1]
    assert lines[2].startswith(r"h^{(2)} = \operatorname{relu}(W_2 h^{(1)} + b_2)")
    assert r"\mathbb{R}^{4\times5}" in lines[2]
    assert "h^{(2)}_{4}" in lines[3] and f"{abs(model.output.bias.item()):.2f}" in lines[3]
    plain = logreg.equation_latex(
        logreg.build_model(2, logreg.LogRegConfig(hidden=(3, 3), activation="linear"))
    )
    assert plain[2].startswith(r"h^{(2)} = W_2 h^{(1)} + b_2,")  # no activation to name


def test_a_clicked_marker_names_its_weight_or_bias():
    from ui.logreg_network import _point_ref

    assert _point_ref({"customdata": {"0": 1, "1": 2, "2": 3}}) == logreg.ParamRef(1, 2, 3)
    assert _point_ref({"customdata": [2, 0, -1]}) == logreg.ParamRef(2, 0)  # -1: the bias
    assert _point_ref({"customdata": [1.0, 4.0, 0.0]}) == logreg.ParamRef(1, 4, 0)
    for bad in ({}, {"customdata": "1,2,3"}, {"customdata": [1, 2]}, {"customdata": [1, 2.5, 0]}):
        assert _point_ref(bad) is None
