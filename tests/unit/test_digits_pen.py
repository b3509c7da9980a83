"""Redrawing digits with a uniform pen: thinning, distances, pen widths,
and its use in augmentation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.mnist.data import load_mnist
from pretrain import validation as digits_validation
from pretrain.augment import AugmentConfig, augment_batch, change_thickness, training_lines
from pretrain.pen import (
    centre_lines,
    distance_to,
    draw_lines,
    pen_redraw,
    skeletonize,
    straighten,
    straighten_batch,
    stroke_width,
    trace_paths,
)


def test_a_thick_bar_thins_to_a_one_pixel_line_of_its_length():
    ink = torch.zeros(1, 1, 20, 40, dtype=torch.bool)
    ink[0, 0, 8:13, 5:35] = True  # 5 pixels thick, 30 long
    line = skeletonize(ink)[0, 0]
    assert line[:8].sum() == 0 and line[13:].sum() == 0  # inside the bar
    assert (line.sum(0) <= 1).all()  # one pixel thick everywhere
    assert 24 <= int(line.sum()) <= 30  # thinning shortens the ends a little, never splits the bar


def test_thinning_keeps_a_ring_closed_and_blank_images_blank():
    yy, xx = torch.meshgrid(torch.arange(40), torch.arange(40), indexing="ij")
    r = ((yy - 19.5) ** 2 + (xx - 19.5) ** 2).sqrt()
    ring = ((r > 10) & (r < 15))[None, None]
    line = skeletonize(ring)[0, 0]
    rows = line.any(1).nonzero().flatten()
    assert rows.min() <= 8 and rows.max() >= 31  # the line goes all round...
    # ...and stays a closed loop: every line pixel has exactly two line neighbours
    padded = torch.nn.functional.pad(line.float()[None, None], (1, 1, 1, 1))
    neighbours = torch.nn.functional.conv2d(padded, torch.ones(1, 1, 3, 3))[0, 0] - line.float()
    assert (neighbours[line] >= 2).all()
    assert not skeletonize(torch.zeros(2, 1, 16, 16, dtype=torch.bool)).any()


def test_chamfer_distance_is_close_to_euclidean():
    lines = torch.zeros(1, 1, 21, 21, dtype=torch.bool)
    lines[0, 0, 10, 10] = True
    d = distance_to(lines, reach=8)[0, 0]
    yy, xx = torch.meshgrid(torch.arange(21.0), torch.arange(21.0), indexing="ij")
    true = ((yy - 10) ** 2 + (xx - 10) ** 2).sqrt()
    near = true <= 8
    assert torch.allclose(d[near], true[near], rtol=0.09, atol=1e-6)
    assert (d[true > 9.5] > 8).all()  # beyond reach: far away


@pytest.mark.parametrize("width", [1.5, 2.5, 4.0])
def test_a_redrawn_line_is_as_wide_as_the_pen(width):
    lines = torch.zeros(1, 1, 56, 56, dtype=torch.bool)
    lines[0, 0, 28, 10:46] = True  # 18 output pixels long, horizontal
    drawn = draw_lines(lines, torch.tensor([width]))[0, 0]  # (28, 28)
    ink_across = drawn[:, 12:16].sum(0)  # total ink in a column across the line, away from its ends
    assert torch.allclose(ink_across, torch.full_like(ink_across, width), atol=0.3)
    assert drawn.max() <= 1 and drawn.min() >= 0


@pytest.fixture(scope="module")
def mnist_digits() -> tuple[torch.Tensor, torch.Tensor]:
    m = load_mnist()
    return m.test_images[:64].float().div(255).unsqueeze(1), m.test_y[:64]


def test_redrawing_mnist_sets_the_stroke_width_and_keeps_the_shape(mnist_digits):
    x, _ = mnist_digits
    original = stroke_width(x)
    assert 1.5 < float(original.median()) < 4  # MNIST's own pens
    for width in (1.2, 3.0):
        drawn = pen_redraw(x, torch.full((len(x),), width))
        measured = stroke_width(drawn).median()
        assert abs(float(measured) - width) < 0.6, (width, measured)
        # same shape: the redrawn ink lies on the original digit's (dilated) ink
        near = torch.nn.functional.max_pool2d(x, 5, stride=1, padding=2) > 0.2
        assert float(drawn[~near].sum()) < 0.02 * float(drawn.sum())
    assert not pen_redraw(torch.zeros(2, 1, 28, 28), torch.tensor([2.0, 3.0])).any()


def test_augmentation_with_precomputed_centre_lines_is_the_same_batch(mnist_digits):
    x, _ = mnist_digits
    cfg = AugmentConfig(pen_prob=0.5)
    a = augment_batch(x, cfg, torch.Generator().manual_seed(3))
    b = augment_batch(x, cfg, torch.Generator().manual_seed(3), centre_lines(x))
    torch.testing.assert_close(a, b)
    assert a.shape == x.shape and 0 <= a.min() and a.max() <= 1
    plain = augment_batch(x, AugmentConfig(), torch.Generator().manual_seed(3))
    assert not torch.allclose(a, plain)  # the pen changed something


def test_pen_off_leaves_the_random_stream_of_older_configs_alone(mnist_digits):
    """Models trained before the pen existed stay reproducible: pen_prob 0 draws
    no random numbers.
    """
    x, _ = mnist_digits
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    augment_batch(x, AugmentConfig(), g1)
    augment_batch(x, AugmentConfig(pen_prob=0.0, pen_width=(1.0, 2.0)), g2)
    assert torch.equal(torch.rand(4, generator=g1), torch.rand(4, generator=g2))


def test_pen_drawn_validation_goes_through_the_page_pipeline(mnist_digits):
    m = load_mnist()
    data = digits_validation.pen_drawn_digits(m.test_images, m.test_y, n=20, widths=(1.0, 2.0))
    assert data.x.shape == (40, 1, 28, 28) and len(data.labels) == 40
    assert list(data.labels[:20]) == list(data.labels[20:])
    # centred like the page centres: the mass of each input sits near (14, 14) in the 28x28 field
    ink = data.x[:, 0] - data.x[:, 0].amin((1, 2), keepdim=True)
    idx = torch.arange(28.0)
    cy = (ink.sum(2) * idx).sum(1) / ink.sum((1, 2))
    assert (cy - 14).abs().max() < 1.0 + math.ulp(1.0)


def test_redrawn_digits_keep_their_pen_width_through_the_thickness_change(mnist_digits):
    """Thickening a digit already drawn with a chosen pen would only close its loops:
    it is skipped.
    """
    x, _ = mnist_digits
    cfg = AugmentConfig(thicken_prob=1.0, max_thicken=1.5)
    keep = torch.arange(len(x)) % 2 == 0
    out = change_thickness(x, cfg, torch.Generator().manual_seed(0), keep=keep)
    torch.testing.assert_close(out[keep], x[keep])
    assert (out[~keep].sum((1, 2, 3)) > x[~keep].sum((1, 2, 3))).all()


def test_over_distorted_validation_is_seeded_and_distorts_beyond_training(mnist_digits):
    m = load_mnist()
    images, labels = m.test_images[:50], m.test_y[:50]
    a = digits_validation.over_distorted_digits(images, labels)
    b = digits_validation.over_distorted_digits(images, labels)
    assert a.x.shape == (50, 1, 28, 28) and list(a.labels) == labels.tolist()
    torch.testing.assert_close(a.x, b.x)
    plain = (images.float().div(255).unsqueeze(1) - 0.1307) / 0.3081
    assert float((a.x - plain).abs().mean()) > 0.2  # visibly changed
    cfg = digits_validation.OVER_DISTORTED
    assert cfg.max_rotation_deg > AugmentConfig().max_rotation_deg and cfg.elastic_px > 0


def test_tracing_puts_every_centre_line_pixel_on_one_connected_path():
    yy, xx = torch.meshgrid(torch.arange(40), torch.arange(40), indexing="ij")
    r = ((yy - 19.5) ** 2 + (xx - 19.5) ** 2).sqrt()
    shape = ((r > 10) & (r < 14)) | (
        (xx >= 18) & (xx <= 21) & (yy >= 20)
    )  # a ring with a tail: a 9 or a 6
    line = skeletonize(shape[None, None])[0, 0].numpy()
    paths = trace_paths(line)
    pixels = [p for path in paths for p in path]
    assert sorted(pixels) == sorted(zip(*line.nonzero(), strict=True)) and len(pixels) == len(
        set(pixels)
    )
    for path in paths:  # each step moves to one of the 8 neighbours
        assert all(
            max(abs(a[0] - b[0]), abs(a[1] - b[1])) == 1
            for a, b in zip(path, path[1:], strict=False)
        )
    assert trace_paths(np.zeros((5, 5), bool)) == []


def test_straightening_turns_an_arc_into_chords():
    yy, xx = np.mgrid[0:60, 0:60]
    r = np.hypot(yy - 30, xx - 30)
    arc = skeletonize(torch.from_numpy((r > 18) & (r < 22) & (yy < 30))[None, None])[0, 0].numpy()
    fine = straighten(arc, 1)
    coarse = straighten(arc, 12)
    assert (fine == arc).mean() > 0.99  # spacing 1 redraws the line itself
    # chords lie inside the circle: a coarse polygon's pixels are nearer the centre on average
    assert r[coarse].mean() < r[arc].mean() - 0.5
    ends = [(p[0], p[1]) for p in trace_paths(arc)[0][:: len(trace_paths(arc)[0]) - 1]]
    assert all(coarse[e] for e in ends)  # the stroke still starts and ends where it did
    batch = straighten_batch(
        torch.from_numpy(arc)[None, None].repeat(2, 1, 1, 1), torch.tensor([1.0, 12.0])
    )
    assert batch.shape == (2, 1, 60, 60) and torch.equal(batch[1, 0], torch.from_numpy(coarse))


def test_training_lines_hold_smooth_and_straightened_centre_lines(mnist_digits):
    x, _ = mnist_digits
    assert (
        training_lines(x, AugmentConfig(), torch.Generator()) is None
    )  # no pen: nothing to precompute
    smooth = training_lines(x[:8], AugmentConfig(pen_prob=0.5), torch.Generator())
    both = training_lines(
        x[:8], AugmentConfig(pen_prob=0.5, straight_prob=0.5), torch.Generator().manual_seed(0)
    )
    assert smooth.shape == (8, 1, 56, 56) and both.shape == (8, 2, 56, 56)
    assert torch.equal(both[:, :1], smooth) and not torch.equal(both[:, 1], both[:, 0])
    cfg = AugmentConfig(pen_prob=1.0, straight_prob=1.0)
    out = augment_batch(x[:8], cfg, torch.Generator().manual_seed(1), both)
    assert out.shape == (8, 1, 28, 28) and (out.flatten(1).amax(1) > 0.99).all()
