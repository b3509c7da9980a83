"""classify / saliency / w*x on the shipped models, checked against the models and autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from core import digits
from core.mnist.data import MNIST_STD, load_mnist
from core.mnist.models import (
    KINDS,
    SoftmaxRegression,
    load_pretrained,
    load_pretrained_saved,
    pretrained_path,
)
from tests.support.digits_helpers import paint

# Accuracy each shipped model must keep on clean MNIST test (recorded by the training script).
MIN_TEST_ACCURACY = {"linear": 0.88, "mlp": 0.965, "cnn": 0.985}


@pytest.fixture(scope="module")
def test_digits():
    """150 MNIST test digits: uint8 images, normalised tensors, labels."""
    m = load_mnist()
    idx = torch.arange(0, 10000, 67)[:150]
    return m.test_images[idx].numpy(), m.test_x[idx], m.test_y[idx].numpy()


@pytest.mark.parametrize("kind", KINDS)
def test_load_pretrained_gives_a_small_trained_model(kind):
    model = load_pretrained(kind)
    assert isinstance(model, nn.Module) and not model.training
    # small enough for a git repository and Streamlit Community Cloud: the CNN (about
    # 420,000 float32 parameters) is the largest at 1.7 MB
    assert pretrained_path(kind).stat().st_size < 2 * 1024 * 1024
    meta = load_pretrained_saved(kind).meta
    assert meta["test_accuracy"] >= MIN_TEST_ACCURACY[kind]
    assert "augmentation" in meta and meta["seed"] == 0
    with torch.no_grad():
        assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("kind", KINDS)
def test_classify_agrees_with_the_model_on_painted_mnist(kind, test_digits):
    """MNIST test digits painted onto a 280x280 canvas read as the model reads the originals."""
    images, x, labels = test_digits
    model = load_pretrained(kind)
    with torch.no_grad():
        direct = model(x).argmax(1).numpy()
    painted = np.array([digits.classify(paint(img), model).argmax() for img in images])
    assert (painted == direct).mean() >= 0.95
    assert (painted == labels).mean() >= MIN_TEST_ACCURACY[kind] - 0.04


def test_classify_returns_ten_probabilities(test_digits):
    probs = digits.classify(paint(test_digits[0][0]), load_pretrained("cnn"))
    assert probs.shape == (10,) and probs.dtype == np.float32
    assert probs.sum() == pytest.approx(1.0, abs=1e-5) and (probs >= 0).all()


def test_pipeline_beats_naive_resize_on_small_off_centre_digits(test_digits):
    images, _, labels = test_digits
    model = load_pretrained("cnn")
    ours, naive = [], []
    for img in images[:60]:
        canvas = paint(img, scale=3.5, top=170, left=20)  # small, bottom-left
        ours.append(digits.classify(canvas, model).argmax())
        naive.append(
            digits.probabilities(model, digits.normalise(digits.naive_pixels(canvas)))[0].argmax()
        )
    ours_acc = (np.array(ours) == labels[:60]).mean()
    naive_acc = (np.array(naive) == labels[:60]).mean()
    assert ours_acc >= 0.9 and ours_acc > naive_acc + 0.3


def test_empty_and_awkward_canvases_still_give_probabilities():
    model = load_pretrained("cnn")
    for canvas in (
        np.full((280, 280, 4), 255, np.uint8),
        np.zeros((280, 280, 4), np.uint8),
        np.random.default_rng(0).integers(0, 256, (280, 280, 4), dtype=np.uint8),
    ):
        p = digits.classify(canvas, model)
        assert p.shape == (10,) and np.isfinite(p).all() and p.sum() == pytest.approx(1, abs=1e-5)


def test_saliency_of_linear_model_is_its_weights_over_std():
    """d z_k / d pixel = w_k / std exactly, for a linear model (the normalisation's chain rule)."""
    model = load_pretrained("linear")
    pixels = np.random.default_rng(0).uniform(0, 1, (28, 28)).astype(np.float32)
    sal, k = digits.saliency(model, pixels, target=3)
    assert k == 3
    expected = model.linear.weight[3].detach().view(28, 28).numpy() / MNIST_STD
    np.testing.assert_allclose(sal, expected, rtol=1e-5, atol=1e-6)


def test_saliency_matches_finite_differences_on_the_cnn(test_digits):
    """autograd's gradient agrees with (z(x + h e_i) - z(x - h e_i)) / 2h, in float64,
    on a few pixels.
    """
    model64 = load_pretrained(
        "cnn"
    ).double()  # a fresh copy: load_pretrained reads the file each time
    pixels = digits.preprocess(paint(test_digits[0][4])).centred

    def score(p: np.ndarray, k: int) -> float:
        with torch.no_grad():
            return float(model64(torch.tensor((p - 0.1307) / MNIST_STD).view(1, 1, 28, 28))[0, k])

    sal, k = digits.saliency(load_pretrained("cnn"), pixels)
    h = 1e-5
    # Grey pixels of the stroke: away from ReLU kinks and max-pool ties (flat background),
    # where the score is not differentiable and one-sided slopes differ.
    grey = np.argwhere((pixels > 0.1) & (pixels < 0.9))
    for i, j in grey[np.linspace(0, len(grey) - 1, 6).astype(int)]:
        up, down = pixels.astype(np.float64), pixels.astype(np.float64)
        up[i, j] += h
        down[i, j] -= h
        assert sal[i, j] == pytest.approx(
            (score(up, k) - score(down, k)) / (2 * h), rel=1e-3, abs=1e-4
        )


def test_saliency_leaves_the_shared_model_without_gradients():
    model = load_pretrained("mlp")
    digits.saliency(model, np.zeros((28, 28), np.float32))
    assert all(p.grad is None for p in model.parameters())


def test_linear_contributions_add_up_to_the_score(test_digits):
    model = load_pretrained("linear")
    x = digits.canvas_to_input(paint(test_digits[0][2]))
    with torch.no_grad():
        z = model(x)[0]
    for k in range(10):
        contrib = digits.linear_contributions(model, x, k)
        assert contrib.shape == (28, 28)
        assert float(contrib.sum()) + float(model.linear.bias[k].detach()) == pytest.approx(
            float(z[k]), abs=1e-4
        )


def test_linear_contributions_only_for_linear_models():
    assert digits.linear_contributions(load_pretrained("cnn"), torch.zeros(1, 1, 28, 28), 0) is None
    assert digits.linear_contributions(load_pretrained("mlp"), torch.zeros(1, 1, 28, 28), 0) is None
    assert digits.linear_weights(SoftmaxRegression()) is not None


@pytest.mark.parametrize(
    "model,why",
    [
        (nn.Sequential(nn.Flatten(), nn.Linear(784, 5)), "instead of 10"),
        (nn.Sequential(nn.Flatten(), nn.Linear(100, 10)), "cannot read"),
        (nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Unflatten(1, (2, 5))), "instead of 10"),
    ],
)
def test_models_that_do_not_fit_raise_a_clear_error(model, why):
    with pytest.raises(digits.ModelMismatch, match=why):
        digits.classify(np.full((280, 280, 4), 255, np.uint8), model)


def test_a_model_giving_nan_is_refused():
    class Broken(nn.Module):
        def forward(self, x):
            return torch.full((x.shape[0], 10), float("nan"))

    with pytest.raises(digits.ModelMismatch, match="NaN"):
        digits.probabilities(Broken(), torch.zeros(1, 1, 28, 28))
