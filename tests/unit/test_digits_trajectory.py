"""Sparse pen trajectories, square-filling, and the validation sets and canvas gate
built on them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.mnist.data import load_mnist
from core.mnist.models import load_pretrained
from pretrain import validation as digits_validation
from pretrain.augment import AugmentConfig, augment_batch, ink_box, square_aspect, training_lines
from pretrain.pen import centre_lines, skeletonize
from pretrain.trajectory import draw_polyline, resample, sparse_line, sparse_lines, trajectory


def _ring(side: int = 60, inner: float = 18, outer: float = 22) -> np.ndarray:
    yy, xx = np.mgrid[0:side, 0:side]
    r = np.hypot(yy - side / 2, xx - side / 2)
    return skeletonize(torch.from_numpy((r > inner) & (r < outer))[None, None])[0, 0].numpy()


def test_resampling_spaces_points_evenly_along_the_line_and_keeps_its_ends():
    corner = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])  # an L, 20 long
    pts = resample(corner, 5)
    np.testing.assert_allclose(pts, [[0, 0], [5, 0], [10, 0], [10, 5], [10, 10]])
    np.testing.assert_allclose(
        resample(np.array([[3.0, 4.0], [3.0, 4.0]]), 3), [[3, 4]] * 3
    )  # a dot


def test_a_ring_becomes_a_polygon_of_n_points_inside_it():
    ring = _ring()
    pts = trajectory(ring, 8)
    assert pts.shape == (8, 2)
    r = np.hypot(pts[:, 0] - 30, pts[:, 1] - 30)
    assert np.all(np.abs(r - 20) < 2.5)  # the points lie on the ring...
    drawn = sparse_line(ring, 8)
    yy, xx = np.nonzero(drawn)
    assert (
        np.hypot(yy - 30, xx - 30).mean()
        < np.hypot(*(np.array(np.nonzero(ring)) - 30)).mean() - 0.5
    )  # ...chords inside
    assert not sparse_line(np.zeros((10, 10), bool), 8).any() and trajectory(
        np.zeros((10, 10), bool), 8
    ).shape == (0, 2)


def test_a_two_stroke_digit_is_joined_into_one_line_as_a_recorder_without_pen_up_draws_it():
    line = np.zeros((40, 40), bool)
    line[5, 5:15] = True  # two separate strokes: one top left...
    line[30:38, 30] = True  # ...one bottom right
    drawn = sparse_line(line, 12)
    assert drawn[20, 15:25].any() or drawn[15:25, 20].any()  # the jump between them is drawn too
    assert draw_polyline(np.array([[2.0, 3.0]]), (6, 6))[3, 2]  # a single point is a dot


def test_sparse_lines_batch_matches_one_by_one():
    ring = torch.from_numpy(_ring())[None, None].repeat(2, 1, 1, 1)
    batch = sparse_lines(ring, torch.tensor([5, 12]))
    assert batch.shape == ring.shape
    assert torch.equal(batch[1, 0], torch.from_numpy(sparse_line(ring[0, 0].numpy(), 12)))
    assert not torch.equal(batch[0], batch[1])


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def test_sparse_variants_feed_augmentation(mnist):
    x = mnist.test_images[:8].float().div(255).unsqueeze(1)
    cfg = AugmentConfig(pen_prob=1.0, sparse_prob=1.0, sparse_points=(8, 8))
    lines = training_lines(x, cfg, torch.Generator().manual_seed(0))
    assert lines.shape == (8, 2, 56, 56) and torch.equal(lines[:, :1], centre_lines(x))
    out = augment_batch(x, cfg, torch.Generator().manual_seed(1), lines)
    assert out.shape == x.shape and (out.flatten(1).amax(1) > 0.99).all()
    # the same without precomputed lines (found on the fly) still gives drawings
    assert augment_batch(x, cfg, torch.Generator().manual_seed(1)).shape == x.shape


def test_filling_a_square_stretches_narrow_digits_wide():
    x = torch.zeros(3, 1, 28, 28)
    x[0, 0, 4:24, 12:16] = 1  # a narrow bar: 20 tall, 4 wide
    x[1, 0, 10:14, 4:24] = 1  # a flat one
    top, bottom, left, right, has_ink = ink_box(x[:, 0])
    assert has_ink.tolist() == [True, True, False] and int(bottom[0] - top[0]) == 19
    torch.testing.assert_close(square_aspect(x), torch.tensor([5.0, 0.2, 1.0]))
    cfg = AugmentConfig(
        fill_prob=1.0,
        max_rotation_deg=0,
        max_shear=0,
        thicken_prob=0,
        thin_prob=0,
        centre_jitter_px=0,
        solid_prob=0,
    )
    out = augment_batch(x[:1], cfg, torch.Generator().manual_seed(0))
    t, b, lft, rgt, _ = ink_box(out[:, 0], 0.3)
    height, width = int(b[0] - t[0]) + 1, int(rgt[0] - lft[0]) + 1
    assert width >= 16 and abs(height - width) <= 3  # the 4-pixel-wide bar now fills a square box


def test_fill_and_sparse_off_leave_older_random_streams_alone(mnist):
    x = mnist.test_images[:16].float().div(255).unsqueeze(1)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a = augment_batch(x, AugmentConfig(pen_prob=0.5), g1)
    b = augment_batch(x, AugmentConfig(pen_prob=0.5, sparse_points=(3, 4), fill_prob=0.0), g2)
    torch.testing.assert_close(a, b)


def test_sparse_pen_and_box_filled_validation_sets_go_through_the_page_pipeline(mnist):
    sparse = digits_validation.sparse_pen_digits(mnist.test_images, mnist.test_y, n=30)
    boxed = digits_validation.box_filled_digits(
        mnist.test_images, mnist.test_y, n=30, sides=(16, 32)
    )
    assert sparse.x.shape == (30, 1, 28, 28) and boxed.x.shape == (60, 1, 28, 28)
    assert list(boxed.labels[:30]) == list(boxed.labels[30:])
    for data in (sparse, boxed):
        ink = data.x[:, 0] - data.x[:, 0].amin((1, 2), keepdim=True)
        idx = torch.arange(28.0)
        cy = (ink.sum(2) * idx).sum(1) / ink.sum((1, 2))
        assert (cy - 14).abs().max() < 1.01  # centred by mass like the page centres
    cnn = load_pretrained("cnn")
    # harder than MNIST, but still mostly readable: a broken set would read near chance
    assert (
        digits_validation.accuracy(cnn, sparse) > 0.7
        and digits_validation.accuracy(cnn, boxed) > 0.8
    )


def test_the_canvas_gate_passes_the_shipped_models_and_catches_a_wrong_one():
    for name in ("linear", "mlp", "cnn"):
        assert digits_validation.misread_strokes(load_pretrained(name)) == [], name
    always_seven = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    with torch.no_grad():
        always_seven[1].weight.zero_()
        always_seven[1].bias.copy_(torch.arange(10) == 7)
    wrong = digits_validation.misread_strokes(always_seven)
    assert "1 at pen 20 -> 7" in wrong and not any(w.startswith("7 ") for w in wrong)
    canvas = digits_validation.paint_strokes(digits_validation.CANVAS_STROKES["1"], 20)
    assert canvas.shape == (280, 280, 4) and (canvas[..., 0] < 128).sum() > 1000  # a visible stroke


def test_another_stroke_order_adds_the_jump_back_to_the_start():
    line = np.zeros((30, 30), bool)
    line[5, 5:25] = True  # an L: across the top...
    line[5:25, 24] = True  # ...then down the right
    in_order = sparse_line(line, 20)
    reordered = sparse_line(line, 20, cut=0.5)  # the down stroke first, then back to the top left
    assert not in_order[14, 14] and reordered[14, 14]  # the jump cuts diagonally across the inside
    assert (
        reordered[5, 5:24].sum() >= 15 and reordered[6:24, 24].sum() >= 15
    )  # both strokes still drawn
    assert np.array_equal(sparse_line(line, 20, cut=0.0), in_order)  # no cut: same order
    cuts = torch.tensor([0.0, 0.5])
    batch = sparse_lines(
        torch.from_numpy(line)[None, None].repeat(2, 1, 1, 1), torch.tensor([20, 20]), cuts
    )
    assert torch.equal(batch[1, 0], torch.from_numpy(reordered)) and torch.equal(
        batch[0, 0], torch.from_numpy(in_order)
    )
