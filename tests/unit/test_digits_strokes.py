"""Digits as pen strokes (pretrain.strokes) and the validation sets built from
the canvas drawings.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.mnist.models import load_pretrained
from pretrain import validation as digits_validation
from pretrain.strokes import (
    PEN_TEMPLATES,
    densify,
    joined_points,
    on_canvas,
    paint_strokes,
    stroke_digits,
    vary,
)


def test_every_digit_has_templates_in_the_unit_box():
    assert sorted(PEN_TEMPLATES) == list(range(10))
    for digit, drawings in PEN_TEMPLATES.items():
        assert len(drawings) >= 2, digit
        for strokes in drawings:
            for stroke in strokes:
                pts = np.asarray(stroke)
                assert (
                    pts.shape[1] == 2 and len(pts) >= 2 and (pts >= 0).all() and (pts <= 1).all()
                ), digit


def test_training_templates_are_not_the_validation_drawings():
    templates = {
        tuple(map(tuple, s)) for drawings in PEN_TEMPLATES.values() for d in drawings for s in d
    }
    for name, strokes in digits_validation.CANVAS_STROKES.items():
        for stroke in strokes:
            assert tuple(map(tuple, stroke)) not in templates, name


def test_densify_keeps_the_corners_and_spaces_points_evenly():
    pts = densify([(0.0, 0.0), (0.5, 0.0), (0.5, 0.5)], step=0.01)
    gaps = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    assert (
        gaps.max() <= 0.01 + 1e-9
        and np.allclose(pts[0], (0, 0))
        and np.allclose(pts[-1], (0.5, 0.5))
    )
    assert np.isclose(np.abs(pts - (0.5, 0.0)).sum(1).min(), 0, atol=0.01)  # passes the corner
    assert densify([(0.3, 0.3)]).shape == (1, 2)  # a dot stays a dot


def test_vary_without_ranges_only_centres_and_with_them_is_seeded():
    strokes = PEN_TEMPLATES[4][0]
    still = vary(
        strokes,
        np.random.default_rng(0),
        rotation_deg=0,
        slant=0,
        aspect=(1, 1),
        wobble=0,
        offset=0,
    )
    for got, stroke in zip(still, strokes, strict=True):
        np.testing.assert_allclose(got, densify(stroke) - 0.5)
    a = vary(strokes, np.random.default_rng(5))
    b = vary(strokes, np.random.default_rng(5))
    c = vary(strokes, np.random.default_rng(6))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.allclose(a[0], c[0])
    assert len(a) == 2  # one array per stroke


def test_joined_points_record_the_pen_up_jump_in_pendigits_format():
    top, bottom = (
        [(0.0, 0.0), (1.0, 0.0)],
        [(0.0, 1.0), (1.0, 1.0)],
    )  # two strokes, pen lifted between
    pts = joined_points([np.array(top), np.array(bottom)], 8)
    assert pts.shape == (8, 2)
    assert pts.min() == 0 and np.isclose(pts.max(), 100)
    assert pts[0, 1] == 100 and pts[-1, 1] == 0  # y up: the first stroke is on top
    between = (pts[:, 1] > 5) & (pts[:, 1] < 95)
    assert between.any()  # points on the jump: the recorder drew it


def test_paint_strokes_inks_along_the_strokes_only():
    canvas = paint_strokes([np.array([(0.2, 0.5), (0.8, 0.5)])], pen=20)
    assert canvas.shape == (280, 280, 4) and canvas.dtype == np.uint8
    assert canvas[140, 140, 0] == 0 and canvas[140, 50, 0] == 0  # on the line
    assert canvas[40, 140, 0] == 255 and canvas[140, 250, 0] == 255  # paper elsewhere
    placed = on_canvas([np.array([(0.0, 0.0), (2.0, 4.0)])], height=0.5, centre=(0.5, 0.5))[0]
    np.testing.assert_allclose(placed, [(0.375, 0.25), (0.625, 0.75)])


def test_stroke_digits_are_preprocessed_centred_and_seeded():
    x, y = stroke_digits(60, seed=3)
    assert x.shape == (60, 1, 28, 28) and y.shape == (60,) and x.dtype == torch.float32
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0 and set(y.tolist()) <= set(range(10))
    rows = torch.arange(28.0)[None, :, None]
    mass = x[:, 0].sum((1, 2))
    row_centre = (x[:, 0] * rows).sum((1, 2)) / mass
    assert (row_centre - 14).abs().max() < 1.0  # placed by centre of mass, like MNIST
    x2, y2 = stroke_digits(60, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    sparse, _ = stroke_digits(20, seed=3, sparse_share=1.0)
    full, _ = stroke_digits(20, seed=3, sparse_share=0.0)
    assert not torch.equal(sparse, full)


def test_stroke_digits_are_readable_digits():
    """A model trained on MNIST reads most of them: the templates and their variation
    make real digits.
    """
    x, y = stroke_digits(300, seed=11)
    from core.digits.pipeline import normalise

    model = load_pretrained("cnn")
    with torch.no_grad():
        read = model(torch.cat([normalise(img[0]) for img in x])).argmax(1)
    assert float((read == y).float().mean()) >= 0.8


@pytest.mark.parametrize(
    "build", [digits_validation.tablet_digits, digits_validation.tablet_box_digits]
)
def test_tablet_validation_sets_cover_every_drawing_and_tell_models_apart(build):
    data = build(per_drawing=8)
    n = len(digits_validation.CANVAS_STROKES)
    assert data.x.shape == (8 * n, 1, 28, 28) and len(data.labels) == 8 * n
    assert sorted(set(data.labels.tolist())) == list(range(10))
    cnn = digits_validation.accuracy(load_pretrained("cnn"), data)
    assert cnn >= 0.8

    class AlwaysSeven(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.one_hot(torch.full((len(x),), 7), 10).float()

    assert digits_validation.accuracy(AlwaysSeven(), data) < 0.25
