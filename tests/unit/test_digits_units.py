"""core.digits.units: each unit's weights as a picture, and its strongest images found in
batches equal to sorting every image's value by brute force; the lab's trained models read
layer by layer exactly as a forward hook sees them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from core.digits.activations import LINEAR_SCORES, Layer, layer_activations, map_firing
from core.digits.units import (
    Strongest,
    probe_indices,
    strongest_images,
    unit_groups,
    unit_weights,
)
from core.mnist import train as mt
from core.mnist.models import ModelSpec, build_model

N = 300  # images: several batches of BATCH below, so the running top k is merged


@pytest.fixture(scope="module")
def x() -> torch.Tensor:
    return torch.randn(N, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def model(kind: str, **kw) -> nn.Module:
    torch.manual_seed(1)
    return build_model(ModelSpec(kind, **kw)).eval()


def brute_force_cnn(cnn, x) -> dict[str, torch.Tensor]:
    """Every layer's value per image, written out: maps' positive means (N, C), dense units."""
    with torch.no_grad():
        c1 = cnn.conv1(x)
        p1 = cnn.pool(torch.relu(c1))
        c2 = cnn.conv2(p1)
        p2 = cnn.pool(torch.relu(c2))
        f1 = cnn.fc1(p2.flatten(1))
        out = cnn.fc2(torch.relu(f1))
    means = [m.clamp(min=0).mean((2, 3)) for m in (c1, p1, c2, p2)]  # how much each map fires
    names = [g.name for g in unit_groups(cnn)]
    return dict(zip(names, [*means, f1, out], strict=True))


def brute_force_mlp(mlp, x) -> dict[str, torch.Tensor]:
    values, h = [], x.flatten(1)
    with torch.no_grad():
        for layer in mlp.net:
            h = layer(h)
            values.append(h)
    return dict(zip([g.name for g in unit_groups(mlp)], values, strict=True))


def top_by_argsort(values: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(units, k) positions and values: each column sorted, largest first, ties by position."""
    v = values.numpy()
    order = np.argsort(-v, axis=0, kind="stable")[:k]  # (k, units)
    return order.T, np.take_along_axis(v, order, 0).T


@pytest.mark.parametrize("batch", [64, 1000])
def test_the_cnns_strongest_images_are_the_brute_force_top_k(x, batch):
    cnn = model("cnn")
    found = strongest_images(cnn, x, k=8, batch=batch)
    expected = brute_force_cnn(cnn, x)
    assert list(found) == list(expected)
    for name, values in expected.items():
        indices, top = top_by_argsort(values, 8)
        assert found[name].indices.shape == (values.shape[1], 8)
        np.testing.assert_array_equal(found[name].indices, indices, err_msg=name)
        np.testing.assert_allclose(found[name].values, top, rtol=1e-5, atol=1e-6)


def test_the_mlps_strongest_images_and_a_silent_unit_ties_to_the_first_images(x):
    mlp = model("mlp", hidden=(32, 16))
    with torch.no_grad():
        mlp.net[2].bias[5] = -1e4  # unit 5 of the second hidden layer: 0 for every image
    found = strongest_images(mlp, x, k=5, batch=70)
    for name, values in brute_force_mlp(mlp, x).items():
        indices, top = top_by_argsort(values, 5)
        np.testing.assert_array_equal(found[name].indices, indices, err_msg=name)
        np.testing.assert_allclose(found[name].values, top, rtol=1e-5, atol=1e-6)
    silent = found["net.3 (ReLU)"]
    assert (silent.values[5] == 0).all() and silent.indices[5].tolist() == [0, 1, 2, 3, 4]


def test_the_linear_models_classes_rank_images_by_their_score(x):
    linear = model("linear")
    found = strongest_images(linear, x, k=3, batch=100)
    assert list(found) == [LINEAR_SCORES]
    with torch.no_grad():
        indices, top = top_by_argsort(linear(x), 3)
    np.testing.assert_array_equal(found[LINEAR_SCORES].indices, indices)
    np.testing.assert_allclose(found[LINEAR_SCORES].values, top, rtol=1e-5)


def test_fewer_images_than_k_and_values_match_the_drawing_view(x):
    cnn = model("cnn")
    found = strongest_images(cnn, x[:3], k=8)
    assert all(isinstance(s, Strongest) and s.indices.shape[1] == 3 for s in found.values())
    # a unit's value for one image is what the Inside view's layer shows for it
    best = found["conv2 (Conv2d)"]
    layers = {layer.name: layer for layer in layer_activations(cnn, x[best.indices[7, 0]][None])}
    assert layers["conv2 (Conv2d)"].unit_value(7) == pytest.approx(best.values[7, 0], rel=1e-5)


def test_groups_name_the_layers_the_inside_view_shows(x):
    cnn = model("cnn")
    groups = unit_groups(cnn)
    assert [g.name for g in groups] == [layer.name for layer in layer_activations(cnn, x[:1])]
    assert [g.units for g in groups] == [16, 16, 32, 32, 64, 10]
    assert [g.word for g in groups] == ["feature map"] * 4 + ["unit", "class"]
    (linear,) = unit_groups(model("linear"))
    assert (linear.name, linear.units, linear.word, linear.maps) == (
        LINEAR_SCORES,
        10,
        "class",
        False,
    )


def test_the_cnns_weights_are_its_filters_and_its_dense_units_read_maps():
    cnn = model("cnn")
    conv1 = unit_weights(cnn, "conv1 (Conv2d)", 3)
    assert conv1.kind == "filters" and conv1.values.shape == (1, 3, 3) and conv1.source == "conv1"
    np.testing.assert_array_equal(conv1.values, cnn.conv1.weight[3].detach().numpy())
    assert conv1.bias == pytest.approx(float(cnn.conv1.bias.detach()[3]))
    pooled = unit_weights(cnn, "pool (MaxPool2d), 2nd call", 5)  # pooling: conv2's channel 5
    assert pooled.kind == "filters" and pooled.values.shape == (16, 3, 3)
    np.testing.assert_array_equal(pooled.values, cnn.conv2.weight[5].detach().numpy())
    dense = unit_weights(cnn, "fc1 (Linear)", 9)  # reads the 32 pooled 7x7 maps
    assert dense.kind == "maps" and dense.values.shape == (32, 7, 7)
    np.testing.assert_array_equal(dense.values.reshape(-1), cnn.fc1.weight[9].detach().numpy())
    last = unit_weights(cnn, "fc2 (Linear)", 2)
    assert last.kind == "vector" and last.values.shape == (64,)


def test_the_mlps_first_units_weigh_pixels_and_deeper_ones_units():
    mlp = model("mlp", hidden=(32, 16))
    first = unit_weights(mlp, "net.1 (ReLU)", 4)  # a ReLU's unit 4 is net.0's unit 4
    assert first.kind == "pixels" and first.values.shape == (28, 28) and first.source == "net.0"
    np.testing.assert_array_equal(
        first.values, mlp.net[0].weight[4].detach().reshape(28, 28).numpy()
    )
    deeper = unit_weights(mlp, "net.2 (Linear)", 15)
    assert deeper.kind == "vector"
    np.testing.assert_array_equal(deeper.values, mlp.net[2].weight[15].detach().numpy())


def test_the_linear_models_class_weights_are_its_template():
    linear = model("linear")
    w = unit_weights(linear, LINEAR_SCORES, 7)
    assert w.kind == "pixels" and w.values.shape == (28, 28)
    np.testing.assert_array_equal(
        w.values, linear.linear.weight[7].detach().reshape(28, 28).numpy()
    )
    assert w.bias == pytest.approx(float(linear.linear.bias.detach()[7]))


def test_a_missing_layer_or_unit_is_refused_and_a_layer_without_weights_gives_none():
    cnn = model("cnn")
    for group, unit in [("conv9 (Conv2d)", 0), ("conv1 (Conv2d)", 16), ("fc2 (Linear)", -1)]:
        with pytest.raises(ValueError):
            unit_weights(cnn, group, unit)
    with pytest.raises(ValueError):
        unit_weights(model("linear"), LINEAR_SCORES, 10)
    relu_first = nn.Sequential(nn.Flatten(), nn.ReLU(), nn.Linear(784, 8), nn.Linear(8, 10))
    assert unit_weights(relu_first, "1 (ReLU)", 0) is None


def test_the_probe_is_a_fixed_sorted_subset():
    a, b = probe_indices(10_000), probe_indices(10_000)
    assert torch.equal(a, b) and len(a) == 2000 and len(set(a.tolist())) == 2000
    assert (a[1:] > a[:-1]).all() and 0 <= int(a[0]) and int(a[-1]) < 10_000
    assert len(probe_indices(50)) == 50


@pytest.mark.parametrize("kind", ["linear", "mlp", "cnn"])
def test_a_lab_trained_model_reads_layer_by_layer_as_a_forward_hook_sees_it(x, kind):
    """The lab's own models (trained, then `finish_run`: CPU, eval, contiguous weights)."""
    g = torch.Generator().manual_seed(2)
    train_x, train_y = torch.randn(200, 1, 28, 28, generator=g), torch.randint(0, 10, (200,))
    hidden = (24,) if kind == "mlp" else ()
    config = mt.TrainConfig(ModelSpec(kind, hidden=hidden), batch_size=50, epochs=1, train_size=200)
    trainer = mt.Trainer(config, train_x, train_y)
    for _ in trainer.run():
        pass
    run = mt.finish_run(trainer, x[:20], torch.zeros(20, dtype=torch.long))
    image = x[5:6]
    layers = layer_activations(run.model, image)
    if kind == "linear":
        with torch.no_grad():
            logits = run.model(image)[0]
        np.testing.assert_allclose(layers[1].values, logits.numpy(), rtol=1e-4, atol=1e-5)
        return
    seen = []
    hooks = [
        m.register_forward_hook(lambda m, a, out: seen.append(out[0].detach().clone()))
        for m in run.model.modules()
        if isinstance(m, nn.Conv2d | nn.MaxPool2d | nn.Linear | nn.ReLU)
    ]
    with torch.no_grad():
        run.model(image)
    for h in hooks:
        h.remove()
    assert len(layers) == len(seen)
    for layer, out in zip(layers, seen, strict=True):
        np.testing.assert_array_equal(layer.values, out.numpy(), err_msg=layer.name)


def test_a_map_fires_by_the_mean_of_its_positive_part():
    maps = torch.tensor(
        [[[[-3.0, 1.0], [2.0, -1.0]], [[-1.0, -2.0], [-0.5, -4.0]]]]
    )  # (1, 2, 2, 2)
    assert map_firing(maps).tolist() == [[0.75, 0.0]]  # a map all below zero does not fire
    layer = Layer("conv", maps[0].numpy())
    assert (layer.unit_value(0), layer.unit_value(1)) == (0.75, 0.0)
    assert Layer("fc", np.array([-2.0, 3.0])).unit_value(0) == -2.0  # a dense unit: its value
