"""core.mnist.figures: each builder shows the data it was given, and cell selection
parses safely.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import theme
from core.mnist import figures as figs
from core.mnist.train import Progress


def test_mosaic_places_tiles_with_nan_gaps():
    tiles = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    m = figs.mosaic(tiles, cols=3, gap=1)
    assert m.shape == (2 * 3 - 1, 3 * 4 - 1)
    assert np.array_equal(m[0:2, 0:3], tiles[0]) and np.array_equal(m[3:5, 4:7], tiles[4])
    assert np.isnan(m[2]).all() and np.isnan(m[:, 3]).all()
    assert np.isnan(m[3:5, 8:11]).all()  # the sixth slot is empty


def test_class_counts_and_example_grid():
    fig = figs.class_counts(list(range(10)), [2] * 10)
    assert [t.name for t in fig.data] == ["training set", "test set"]
    assert list(fig.data[0].y) == list(range(10)) and fig.data[0].marker.color == theme.TRAIN_COLOR
    images = torch.randint(0, 256, (10 * 4, 28, 28), dtype=torch.uint8)
    grid = figs.example_grid(images, 4)
    z = np.asarray(grid.data[0].z, dtype=float)
    assert z.shape == (10 * 30 - 2, 4 * 30 - 2)
    assert np.nanmax(z) == images.max().item()  # grey levels 0-255, sent as one byte each
    assert grid.data[0].zmax == 255
    # Bytes, not time: 120 MNIST images must not cost a classroom's browsers half a megabyte.
    big = figs.example_grid(torch.randint(0, 256, (120, 28, 28), dtype=torch.uint8), 12)
    assert len(big.to_json()) < 200_000
    assert [a.text for a in grid.layout.annotations] == [f"<b>{d}</b>" for d in range(10)]


def test_training_curves_plot_history_against_epochs():
    hist = [
        Progress(
            1,
            2,
            s,
            20,
            s * 100,
            2.0 / s,
            0.5 + s / 50,
            1000.0,
            0.1 * s,
            0.01,
            epoch_end=s % 10 == 0,
            test_accuracy=0.8 + s / 200 if s % 10 == 0 else None,
        )
        for s in range(1, 21)
    ]
    fig = figs.training_curves(hist, train_size=1000)
    loss, acc, test = fig.data
    assert list(loss.x) == pytest.approx([s / 10 for s in range(1, 21)])
    assert list(loss.y) == pytest.approx([2.0 / s for s in range(1, 21)])
    assert list(test.x) == [1.0, 2.0] and list(test.y) == pytest.approx([0.85, 0.9])
    assert test.line.color == theme.TEST_COLOR


def test_confusion_matrix_shows_counts_and_has_one_clickable_point_per_cell():
    conf = torch.arange(100).reshape(10, 10)
    fig = figs.confusion_figure(conf)
    heat, points = fig.data
    assert np.array_equal(np.asarray(heat.text), conf.numpy())
    assert len(points.x) == 100 and (points.x[37], points.y[37]) == (7, 3)
    assert (
        "10,000" not in fig.layout.title.text and f"{conf.sum().item():,}" in fig.layout.title.text
    )
    assert fig.layout.clickmode == "event+select"


@pytest.mark.parametrize(
    "points, cell",
    [
        ([{"curve_number": 1, "point_index": 37, "x": 7, "y": 3}], (3, 7)),
        ([{"curve_number": 1, "point_number": 90}], (9, 0)),
        ([{"curve_number": 0, "point_index": 5}, {"curve_number": 1, "point_index": 11}], (1, 1)),
        ([], None),
        (None, None),
        ([{"curve_number": 1, "point_index": 100}], None),
        ([{"curve_number": 1, "point_index": "x"}], None),
        ([{"curve_number": 1}], None),
    ],
)
def test_selected_cell_reads_streamlit_points_and_ignores_junk(points, cell):
    assert figs.selected_cell(points) == cell


def test_weight_templates_and_filters_are_scaled_per_tile():
    t = torch.zeros(10, 28, 28)
    t[3, 5, 5], t[3, 6, 6], t[7, 0, 0] = 4.0, -2.0, -0.01
    fig = figs.weight_templates(t)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert np.nanmax(z) == pytest.approx(1.0) and np.nanmin(z) == pytest.approx(-1.0)
    assert fig.data[0].zmid == 0 and fig.data[0].colorscale[0][1] == theme.DIVERGING[0][1]
    assert len(fig.layout.annotations) == 10
    f = figs.conv_filters(torch.randn(16, 3, 3))
    assert np.asarray(f.data[0].z, dtype=float).shape == (2 * 4 - 1, 8 * 4 - 1)
    assert "16 first-layer filters" in f.layout.title.text


def test_predictions_caption_each_image_with_its_top3():
    images = torch.zeros(3, 28, 28, dtype=torch.uint8)
    probs = torch.tensor([[0.9, 0.06, 0.04], [0.5, 0.3, 0.2], [0.7, 0.2, 0.1]])
    classes = torch.tensor([[7, 1, 9], [4, 9, 7], [3, 5, 8]])
    fig = figs.predictions(images, torch.tensor([7, 9, 3]), probs, classes, cols=2)
    texts = [a.text for a in fig.layout.annotations]
    assert "true 7" in texts[0] and "7: 90%" in texts[0] and "9: 4%" in texts[0]
    colours = [a.font.color for a in fig.layout.annotations]
    assert colours == [figs.CORRECT_COLOR, figs.WRONG_COLOR, figs.CORRECT_COLOR]
    assert np.asarray(fig.data[0].z, dtype=float).shape == (2 * 62, 2 * 44)


def test_per_class_accuracy_bars():
    acc = torch.linspace(0.8, 0.98, 10)
    fig = figs.per_class_accuracy(acc)
    assert list(fig.data[0].x) == pytest.approx(acc.tolist())
    assert fig.data[0].marker.color[4] == theme.class_color(4)
    assert fig.layout.xaxis.range[0] == pytest.approx(0.7)


def test_clickable_galleries_have_one_point_per_image_and_read_back_the_image():
    images = torch.zeros(5, 28, 28, dtype=torch.uint8)
    probs, classes = torch.full((5, 3), 0.3), torch.zeros(5, 3, dtype=torch.long)
    shown = torch.tensor([40, 7, 9999, 3, 12])
    fig = figs.predictions(images, torch.zeros(5), probs, classes, cols=2, indices=shown)
    heat, points = fig.data
    assert list(points.customdata) == shown.tolist() and fig.layout.clickmode == "event+select"
    assert (points.x[3], points.y[3]) == (44 + 13.5, 62 + 13.5)  # the middle of the 4th tile
    # the squares must not pad the axes: the images fill the plot, where a click lands
    assert fig.layout.xaxis.range == (-0.5, 2 * 44 - 0.5)
    assert fig.layout.yaxis.range == (3 * 62 - 0.5, -0.5)
    assert len(figs.predictions(images, torch.zeros(5), probs, classes).data) == 1  # not asked
    grid = figs.example_grid(torch.zeros(20, 28, 28, dtype=torch.uint8), 2, indices=range(20))
    assert len(grid.data[1].x) == 20 and "click one" in grid.layout.title.text
    assert figs.picked_image([{"curve_number": 1, "point_index": 2}], shown.tolist()) == 9999
    assert figs.picked_image([{"curve_number": 0, "point_index": 2}], shown.tolist()) is None
    assert figs.picked_image([{"curve_number": 1, "point_index": 5}], shown.tolist()) is None
    assert figs.picked_image([{"point_index": "x"}, None], shown.tolist()) is None
    assert figs.picked_image(None, shown.tolist()) is None


def test_unit_weights_share_one_colour_scale_and_a_strip_is_bars():
    filters = np.zeros((16, 3, 3), np.float32)
    filters[2, 1, 1], filters[9, 0, 0] = 0.5, -2.0
    fig = figs.unit_weights_figure(filters, "filters", "conv2 map 3")
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (2 * 4 - 1, 8 * 4 - 1)
    assert np.nanmax(z) == 0.5 and np.nanmin(z) == -2.0  # real weights, not rescaled per tile
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-2.0, 2.0)
    one = figs.unit_weights_figure(np.ones((28, 28)), "pixels", "class 7")
    assert np.asarray(one.data[0].z).shape == (28, 28)
    bars = figs.unit_weights_figure(np.array([0.5, -1.0, 2.0]), "vector", "unit 4").data[0]
    assert bars.type == "bar" and list(bars.y) == [0.5, -1.0, 2.0]
    assert (
        bars.marker.color[1] == theme.DIVERGING[0][1]
        and bars.marker.color[2] != bars.marker.color[1]
    )


def test_the_strongest_images_are_captioned_with_number_digit_and_value():
    images = torch.full((3, 28, 28), 200, dtype=torch.uint8)
    fig = figs.strongest_figure(images, [7, 1, 7], [3.5, 2.25, 1.0], [12, 4000, 9], "top 3")
    texts = [a.text for a in fig.layout.annotations]
    assert texts == [
        "#12: a 7<br><b>3.500</b>",
        "#4000: a 1<br><b>2.250</b>",
        "#9: a 7<br><b>1.000</b>",
    ]
    assert np.asarray(fig.data[0].z).shape == (28 + 24, 3 * 44)
    big = figs.strongest_figure(images, [7, 1, 7], [3, 2, 1], [1, 2, 3], "top 3", large=True)
    assert big.layout.annotations[0].font.size > fig.layout.annotations[0].font.size
