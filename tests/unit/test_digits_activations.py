"""core.digits.activations: every layer's output for a drawing, equal to computing it by hand."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from torch import nn

from core.digits import ModelMismatch
from core.digits.activations import layer_activations, traced_outputs
from core.digits.figures import activation_tile
from core.mnist.models import ModelSpec, build_model


@pytest.fixture
def x() -> torch.Tensor:
    return torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def model(kind: str, **kw) -> nn.Module:
    torch.manual_seed(1)
    return build_model(ModelSpec(kind, **kw)).eval()


def test_the_cnns_layers_are_its_convolutions_and_poolings_in_order(x):
    cnn = model("cnn")
    layers = layer_activations(cnn, x)
    names = [layer.name for layer in layers]
    assert names == [
        "conv1 (Conv2d)",
        "pool (MaxPool2d)",
        "conv2 (Conv2d)",
        "pool (MaxPool2d), 2nd call",
        "fc1 (Linear)",
        "fc2 (Linear)",
    ]
    with torch.no_grad():  # the same arithmetic, written out
        c1 = cnn.conv1(x)
        p1 = cnn.pool(torch.relu(c1))
        c2 = cnn.conv2(p1)
        p2 = cnn.pool(torch.relu(c2))
        f1 = cnn.fc1(p2.flatten(1))
        out = cnn(x)
    for layer, expected in zip(layers, (c1, p1, c2, p2, f1, out), strict=True):
        np.testing.assert_allclose(layer.values, expected[0].numpy(), rtol=1e-5, atol=1e-6)
    assert layers[0].is_maps and layers[0].values.shape[1:] == (28, 28)
    assert layers[3].values.shape[1:] == (7, 7) and not layers[4].is_maps


def test_the_mlps_hidden_units_after_each_relu(x):
    mlp = model("mlp", hidden=(32, 16))
    layers = layer_activations(mlp, x)
    assert [layer.name for layer in layers] == [
        "net.0 (Linear)",
        "net.1 (ReLU)",
        "net.2 (Linear)",
        "net.3 (ReLU)",
        "net.4 (Linear)",
    ]
    with torch.no_grad():
        h1 = torch.relu(mlp.net[0](x.flatten(1)))
        h2 = torch.relu(mlp.net[2](h1))
    np.testing.assert_allclose(layers[1].values, h1[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layers[3].values, h2[0].numpy(), rtol=1e-5, atol=1e-6)
    assert (layers[3].values >= 0).all()


def test_the_linear_model_shows_its_ten_w_times_x_maps_which_sum_to_its_scores(x):
    linear = model("linear")
    maps, scores = layer_activations(linear, x)
    assert maps.values.shape == (10, 28, 28)
    with torch.no_grad():
        logits = linear(x)[0].numpy()
    np.testing.assert_allclose(scores.values, logits, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        maps.values.sum((1, 2)) + linear.linear.bias.detach().numpy(), logits, rtol=1e-4, atol=1e-5
    )


def test_one_drawing_at_a_time_and_a_misfit_model_gets_a_message(x):
    with pytest.raises(ValueError):
        layer_activations(model("cnn"), torch.cat([x, x]))
    with pytest.raises(ModelMismatch):
        layer_activations(nn.Sequential(nn.Flatten(), nn.Linear(100, 10)), x)


def test_activation_tiles_are_pictures_of_every_map_and_unit(x):
    for layer in layer_activations(model("cnn"), x):
        tile = activation_tile(layer.values)
        assert tile.dtype == np.uint8 and tile.ndim == 3 and tile.shape[2] == 3
        assert 0 < max(tile.shape[:2]) <= 4 * 168
    blank = activation_tile(np.zeros((4, 5, 5)))  # all zero: white maps, no division by zero
    assert blank.max() == 255
    wild = activation_tile(np.array([np.nan, np.inf, -1.0, 2.0]))
    assert wild.dtype == np.uint8


def test_another_threads_pass_through_a_shared_model_is_not_recorded(x):
    """A shipped model is shared by every session: while one session's hooks are on it,
    another session's forward pass (another server thread) must not land in its layers."""
    cnn = model("cnn")
    other = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(9))
    seen_by_first = []

    def keep(call, output):
        seen_by_first.append(output[0].clone())
        if len(seen_by_first) == 1:  # mid-pass, another student's pass runs to its end
            worker = threading.Thread(target=lambda: layer_activations(cnn, other))
            worker.start()
            worker.join()

    traced_outputs(cnn, x, keep)
    expected = layer_activations(cnn, x)
    assert len(seen_by_first) == len(expected) == 6
    for got, layer in zip(seen_by_first, expected, strict=True):
        np.testing.assert_allclose(got.numpy(), layer.values, rtol=1e-5, atol=1e-6)


def test_a_layer_figure_puts_one_click_square_on_each_unit_and_reads_the_click_back():
    import base64
    import io

    from PIL import Image

    from core.digits.figures import _activation_canvas, layer_figure, picked_unit

    maps = np.random.default_rng(0).normal(size=(10, 12, 12))
    fig = layer_figure(maps, "conv1", "feature map", picked=9)
    image, squares = fig.data
    png = Image.open(io.BytesIO(base64.b64decode(image.source.split(",", 1)[1])))
    canvas = _activation_canvas(maps)[0]  # what activation_tile enlarges
    assert png.size[::-1] == canvas.shape[:2] and image.zsmooth is False  # enlarged sharp
    sent = np.asarray(png.convert("RGB"), dtype=np.float64) / 255
    assert np.abs(sent - canvas).max() < 0.1  # on a palette of 64 colours: close
    # 8 maps to a row of 13 pixels (12 and a gap): map 9 is the second of the second row
    assert list(squares.customdata) == list(range(10))
    assert (squares.x[9], squares.y[9]) == (13 + 5.5, 13 + 5.5)
    assert fig.layout.shapes[0].x0 < 18.5 < fig.layout.shapes[0].x1  # the picked one outlined
    assert picked_unit([{"curve_number": 1, "point_index": 9}], 10) == 9
    assert picked_unit([{"curve_number": 0, "point_index": 2}], 10) is None  # the image itself
    assert picked_unit([{"curve_number": 1, "point_index": 10}], 10) is None
    assert picked_unit(None, 10) is None and picked_unit([{"curve_number": 1}], 10) is None
    units = layer_figure(np.arange(40.0), "fc1")
    assert len(units.data[1].x) == 40 and not units.layout.shapes
