"""Figures built without plotly's validation (`theme.figure`) must still be valid plotly.

`theme.figure` and `theme.style` skip plotly's per-property checks because they cost a
class of thirty 10-60 ms of server CPU per figure per click (issue 18). Nothing then
catches a misspelt property or a wrong value type when the app runs: the browser would
just draw a broken chart. So every builder's output, plain and in both looks (normal
and presenter mode), goes through plotly's full validation here, and the validated
figure must serialise to exactly the JSON the light one sends.
"""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import torch

from core import logreg, theme
from core.digits import figures as digit_figs
from core.logreg.data import DataSpec, make_dataset
from core.logreg.diagram import network_figure
from core.mnist import figures as mnist_figs
from core.mnist.train import Progress


def _history(steps: int = 12, per_epoch: int = 4) -> list[Progress]:
    return [
        Progress(
            1 + (s - 1) // per_epoch,
            steps // per_epoch,
            s,
            steps,
            s * 50,
            2.0 / s,
            0.5 + s / 40,
            1000.0,
            0.1 * s,
            0.01,
            epoch_end=s % per_epoch == 0,
            test_accuracy=0.8 + s / 100 if s % per_epoch == 0 else None,
        )
        for s in range(1, steps + 1)
    ]


def _builders() -> dict[str, go.Figure]:
    """One figure from every light builder, on small synthetic inputs."""
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (10 * 3, 28, 28), dtype=torch.uint8, generator=g)
    probs = torch.softmax(torch.randn(6, 10, generator=g), 1)
    top_probs, top_classes = probs.topk(3, 1)
    return {
        "class_counts": mnist_figs.class_counts(range(100, 110), range(10, 20)),
        "example_grid": mnist_figs.example_grid(images, 3),
        "training_curves": mnist_figs.training_curves(_history(), train_size=200),
        "confusion": mnist_figs.confusion_figure(torch.randint(0, 50, (10, 10), generator=g)),
        "per_class_accuracy": mnist_figs.per_class_accuracy(torch.rand(10, generator=g)),
        "weight_templates": mnist_figs.weight_templates(torch.randn(10, 28, 28, generator=g)),
        "conv_filters": mnist_figs.conv_filters(torch.randn(8, 5, 5, generator=g)),
        "predictions": mnist_figs.predictions(
            images[:6], torch.arange(6), top_probs, top_classes, cols=3
        ),
        "example_grid_clickable": mnist_figs.example_grid(images, 3, indices=torch.arange(30)),
        "predictions_clickable": mnist_figs.predictions(
            images[:6], torch.arange(6), top_probs, top_classes, cols=3, indices=torch.arange(6)
        ),
        "unit_weights_pixels": mnist_figs.unit_weights_figure(np.ones((28, 28)), "pixels", "w"),
        "unit_weights_filters": mnist_figs.unit_weights_figure(np.ones((4, 3, 3)), "filters", "w"),
        "unit_weights_vector": mnist_figs.unit_weights_figure(np.arange(-3.0, 5), "vector", "w"),
        "strongest": mnist_figs.strongest_figure(
            images[:8], torch.arange(8), np.linspace(3, 1, 8), torch.arange(100, 108), "top 8"
        ),
        "strongest_presenter": mnist_figs.strongest_figure(
            images[:3], torch.arange(3), np.ones(3), torch.arange(3), "top 3", large=True
        ),
        "probability": digit_figs.probability_figure(probs[0].tolist(), "p of each digit"),
        "comparison": digit_figs.comparison_figure(["linear", "MLP", "CNN"], probs[:3].numpy()),
        "layer_maps": digit_figs.layer_figure(
            np.random.default_rng(0).normal(size=(10, 12, 12)), "conv1", "feature map", picked=3
        ),
        "layer_units": digit_figs.layer_figure(np.linspace(-1, 1, 40), "fc1", "unit"),
        **_logreg_networks(),
    }


def _logreg_networks() -> dict[str, go.Figure]:
    """The logistic regression lab's network diagram: two classes (a weight picked), and five
    classes with every feature and four layers (a bias picked)."""
    two = make_dataset(DataSpec("xor", n_points=40))
    five = make_dataset(DataSpec("multiblobs", n_points=60, n_classes=5))
    deep = logreg.LogRegConfig(features=logreg.EXTRA_FEATURES, hidden=(8, 3, 5, 2))
    return {
        "logreg_network": network_figure(
            logreg.build_model(2, logreg.LogRegConfig(hidden=(3, 2))),
            two,
            selected=logreg.ParamRef(1, 1, 2),
        ),
        "logreg_network_deep": network_figure(
            logreg.build_model(5, deep), five, selected=logreg.ParamRef(4, 3)
        ),
    }


BUILDERS = sorted(_builders())


def _validated(fig: go.Figure) -> go.Figure:
    """The same figure through plotly's full validation: raises on any invalid property."""
    return go.Figure(fig.to_dict())


def _sent(fig: go.Figure) -> dict:
    """What the browser receives, parsed (key order aside)."""
    return json.loads(pio.to_json(fig))


@pytest.fixture(scope="module")
def figures() -> dict[str, go.Figure]:
    return _builders()


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("look", ["plain", "normal", "presenter"])
def test_every_light_figure_passes_plotlys_validation_unchanged(figures, name, look):
    fig = figures[name]
    if look != "plain":
        fig = theme.style(fig, large=look == "presenter")
    checked = _validated(fig)  # a misspelt property or a bad value raises ValueError here
    assert _sent(checked) == _sent(fig)  # and validation changes nothing the browser gets


def test_validation_would_catch_a_misspelt_property():
    """The check above can fail: a light figure with a typo builds, its validation does not."""
    typo = theme.figure([dict(type="bar", x=[1], y=[2], colour="red")], dict(titel="x"))
    with pytest.raises(ValueError):
        _validated(typo)


def test_style_matches_update_layout_on_a_validated_figure():
    """`style` merges into the dict; the same look through plotly's own update calls."""
    fig = mnist_figs.training_curves(_history(), train_size=200)
    for large in (False, True):
        light = theme.style(fig, large=large)
        slow = _validated(fig)
        base = 20 if large else 14
        axis = dict(gridcolor=theme.GRID, zerolinecolor=theme.GRID, linecolor=theme.GRID)
        slow.update_xaxes(**axis)
        slow.update_yaxes(**axis)
        slow.update_layout(
            paper_bgcolor="white",
            plot_bgcolor="white",
            colorway=list(theme.PALETTE),
            font=dict(size=base),
            margin=dict(l=10, r=10, t=50 if large else 40, b=10),
            legend=dict(font=dict(size=base - 2)),
        )
        if large:
            slow.update_traces(line_width=4, selector=dict(type="scatter"))
        assert light.to_plotly_json() == slow.to_plotly_json()


def test_style_returns_a_new_figure_and_keeps_the_builders_values(figures):
    fig = figures["training_curves"]
    before = pio.to_json(fig)
    big = theme.style(fig, large=True)
    assert pio.to_json(fig) == before  # the builder's figure is not changed in place
    assert big.layout.font.size == 20 and all(t.line.width == 4 for t in big.data)
    assert big.layout.xaxis2.domain == (0.55, 1.0)  # the second panel's axis is styled too
    assert big.layout.xaxis2.gridcolor == theme.GRID
    assert list(big.data[0].y) == pytest.approx([2.0 / s for s in range(1, 13)])


def test_light_figures_carry_numpy_arrays_compactly(figures):
    """Images go as typed arrays (plotly's base64 encoding), not as lists of floats."""
    grid = pio.to_json(figures["example_grid"])
    assert '"bdata"' in grid and '"dtype":"u1"' in grid
    assert np.asarray(figures["example_grid"].data[0].z).dtype == np.uint8
