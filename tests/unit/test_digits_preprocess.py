"""The MNIST pipeline on canvases: invariances, centring, colours, and awkward drawings."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core import digits
from core.mnist.data import MNIST_MEAN, MNIST_STD, load_mnist
from tests.support.digits_helpers import compose, disc, paint

BLANK = (0.0 - MNIST_MEAN) / MNIST_STD


@pytest.fixture(scope="module")
def mnist_digits():
    """A fixed handful of MNIST test digits (uint8 28x28) and labels."""
    m = load_mnist()
    idx = torch.arange(0, 10000, 97)[:60]
    return m.test_images[idx].numpy(), m.test_y[idx].numpy()


def test_shifted_digit_gives_identical_input(mnist_digits):
    img = mnist_digits[0][3]
    a = digits.preprocess(paint(img, scale=7, top=10, left=12)).centred
    b = digits.preprocess(paint(img, scale=7, top=70, left=60)).centred
    np.testing.assert_array_equal(a, b)


@settings(max_examples=15, deadline=None)
@given(top=st.integers(0, 80), left=st.integers(0, 80))
def test_any_translation_gives_the_same_input(top, left):
    img = np.zeros((28, 28), np.uint8)
    img[6:22, 12:16] = 255  # a "1"
    img[6:9, 9:13] = 255
    ref = digits.preprocess(paint(img, scale=7, top=40, left=40)).centred
    np.testing.assert_array_equal(
        digits.preprocess(paint(img, scale=7, top=top, left=left)).centred, ref
    )


def test_scaled_digit_gives_nearly_the_same_input(mnist_digits):
    for img in mnist_digits[0][:10]:
        small = digits.preprocess(paint(img, scale=4, top=5, left=150)).centred
        big = digits.preprocess(paint(img, scale=9.5, top=10, left=5)).centred
        assert np.abs(small - big).mean() < 0.03
        assert np.corrcoef(small.ravel(), big.ravel())[0, 1] > 0.95


def test_centre_of_mass_lands_in_the_middle(mnist_digits):
    for img in mnist_digits[0]:
        pre = digits.preprocess(paint(img, scale=6, top=100, left=20))
        cy, cx = digits.centre_of_mass(pre.centred)
        assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
        assert pre.centre_of_mass == pytest.approx((cy, cx))
        assert max(pre.fitted.shape) == 20 and pre.centred.shape == (28, 28)


def test_off_centre_mass_is_moved_not_the_box():
    """A "7" has most of its ink at the top: centring its mass moves it down from the box centre."""
    img = np.zeros((28, 28), np.uint8)
    img[4:8, 4:24] = 255  # heavy top bar
    img[8:24, 18:21] = 255  # thin stem
    pre = digits.preprocess(paint(img))
    assert pre.shift[0] > 0  # moved down
    assert abs(digits.centre_of_mass(pre.centred)[0] - 14) <= 0.5


def test_aspect_ratio_is_kept():
    mask = np.zeros((280, 280), np.float32)
    mask[40:240, 130:150] = 1  # 200 tall, 20 wide: a "1"
    pre = digits.preprocess(compose(mask))
    assert pre.fitted.shape == (20, 2)


@pytest.mark.parametrize(
    "ink,paper",
    [
        ((0, 0, 0, 255), (255, 255, 255, 255)),  # pen on paper
        ((255, 255, 255, 255), (0, 0, 0, 255)),  # chalk on a blackboard
        ((0, 0, 0, 255), (0, 0, 0, 0)),  # the canvas's default: strokes on transparent
        ((255, 255, 255, 255), (255, 255, 255, 0)),  # white strokes on transparent white
        ((200, 30, 30, 255), (240, 240, 200, 255)),  # red ink on cream
    ],
)
def test_ink_is_found_whatever_the_colours(mnist_digits, ink, paper):
    img = mnist_digits[0][5]
    ref = digits.preprocess(paint(img)).centred
    got = digits.preprocess(paint(img, ink=ink, paper=paper)).centred
    # Low-contrast colours quantise the faint edge differently, which can move
    # the bounding box by a pixel: nearly the same image, not bit for bit.
    assert np.abs(got - ref).mean() < 0.01 and np.abs(got - ref).max() < 0.15


def test_grey_and_rgb_arrays_are_accepted(mnist_digits):
    rgba = paint(mnist_digits[0][1])
    ref = digits.canvas_to_input(rgba)
    torch.testing.assert_close(digits.canvas_to_input(rgba[..., :3]), ref)
    torch.testing.assert_close(digits.canvas_to_input(rgba[..., 0]), ref)
    torch.testing.assert_close(
        digits.canvas_to_input(rgba.astype(np.float32) / 255), ref, atol=1e-5, rtol=0
    )


@pytest.mark.parametrize(
    "bad", [np.zeros((5,)), np.zeros((10, 10, 2)), np.zeros((0, 10, 4)), np.array([["a"]])]
)
def test_malformed_images_raise_value_error(bad):
    with pytest.raises(ValueError):
        digits.canvas_to_input(bad)


@pytest.mark.parametrize(
    "canvas",
    [
        np.full((280, 280, 4), 255, np.uint8),  # white paper
        np.zeros((280, 280, 4), np.uint8),  # transparent
        compose(np.random.default_rng(0).uniform(0, 0.05, (280, 280))),  # faint noise
    ],
)
def test_empty_canvas_is_detected(canvas):
    pre = digits.preprocess(canvas)
    assert pre.check.kind == "empty" and not pre.check.guess
    assert "Draw a digit" in pre.check.message
    assert pre.tensor.shape == (1, 1, 28, 28)
    torch.testing.assert_close(pre.tensor, torch.full((1, 1, 28, 28), BLANK))


def test_single_dot_is_not_a_digit():
    pre = digits.preprocess(compose(disc(100, 180, 10)))
    assert pre.check.kind == "dot" and not pre.check.guess
    assert pre.tensor.shape == (1, 1, 28, 28) and torch.isfinite(pre.tensor).all()


def test_one_pixel_of_ink_does_not_crash():
    mask = np.zeros((280, 280), np.float32)
    mask[279, 0] = 1
    pre = digits.preprocess(compose(mask))
    assert pre.check.kind == "dot"
    assert pre.fitted.shape == (20, 20) and torch.isfinite(pre.tensor).all()


def test_scribble_over_everything_still_answers_with_a_warning():
    rng = np.random.default_rng(1)
    mask = np.zeros((280, 280), np.float32)
    for _ in range(40):
        mask = np.maximum(mask, disc(rng.uniform(0, 280), rng.uniform(0, 280), 45))
    pre = digits.preprocess(compose(mask), background=(1, 1, 1, 1))  # the page knows its paper
    assert pre.check.kind == "scribble" and pre.check.guess
    assert torch.isfinite(pre.tensor).all()
    # Not knowing the paper, the ink-covered border is taken for it: still an answer, no crash.
    unknown = digits.preprocess(compose(mask))
    assert unknown.check.guess and torch.isfinite(unknown.tensor).all()


def test_tiny_digit_in_a_corner_is_scaled_up(mnist_digits):
    img = mnist_digits[0][7]
    pre = digits.preprocess(paint(img, scale=1.3, top=243, left=243))
    assert pre.check.kind == "small" and pre.check.guess
    ref = digits.preprocess(paint(img)).centred
    assert np.corrcoef(pre.centred.ravel(), ref.ravel())[0, 1] > 0.8
    naive = digits.naive_pixels(paint(img, scale=1.3, top=243, left=243))
    assert naive[:20, :20].max() == 0 and naive[24:, 24:].max() > 0  # a speck in the corner


def test_naive_pipeline_resizes_the_whole_canvas(mnist_digits):
    img = mnist_digits[0][0]
    naive = digits.naive_pixels(paint(img))  # painted at scale 10 over the whole canvas
    assert naive.shape == (28, 28)
    # Up by 10 then down by 10 (both smoothed): the original digit, slightly blurred.
    assert np.abs(naive - img / 255.0).mean() < 0.03
    assert np.corrcoef(naive.ravel(), img.ravel())[0, 1] > 0.97


def test_background_can_be_given():
    mask = np.zeros((280, 280), np.float32)
    mask[:, :] = 1  # ink everywhere on the border (a frame drawn round the canvas)
    mask[20:260, 20:260] = 0
    mask[60:220, 130:150] = 1
    frame_as_background = digits.ink_map(compose(mask))  # the border is taken for paper
    assert frame_as_background[0, 0] == 0
    told = digits.ink_map(compose(mask), background=(1, 1, 1, 1))
    assert told[0, 0] == 1 and told[100, 100] == 0
