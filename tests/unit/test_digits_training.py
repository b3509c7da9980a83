"""The shipped models' training loop (on a small slice of MNIST) and the typeset-digit
validation.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.mnist.data import MnistTensors, load_mnist
from core.mnist.models import ModelSpec, load_model, load_pretrained, save_model
from pretrain import validation as digits_validation
from pretrain.training import PretrainConfig, PretrainProgress, train_for_drawing


@pytest.fixture(scope="module")
def small_mnist() -> MnistTensors:
    m = load_mnist()
    return MnistTensors(
        m.train_x[:1024],
        m.train_y[:1024],
        m.test_x[:512],
        m.test_y[:512],
        m.train_images[:1024],
        m.test_images[:512],
    )


def run(cfg: PretrainConfig, data: MnistTensors):
    steps, gen = [], train_for_drawing(cfg, data)
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as done:
            return steps, done.value


def test_training_yields_progress_learns_and_records_how(small_mnist):
    steps, saved = run(
        PretrainConfig(ModelSpec("mlp", hidden=(32,)), epochs=3, batch_size=64), small_mnist
    )
    assert [s.epoch for s in steps] == [1, 2, 3] and all(
        isinstance(s, PretrainProgress) for s in steps
    )
    assert steps[-1].train_loss < steps[0].train_loss
    assert saved.meta["test_accuracy"] > 0.5  # 1,024 images, 3 epochs: far above chance (0.1)
    for key in ("augmentation", "seed", "epochs", "augmented_test_accuracy", "train_seconds"):
        assert key in saved.meta
    again = load_model(
        save_model(saved.model, saved.spec, saved.meta)
    )  # plain values only: loads safely
    assert again.meta["augmentation"]["aspect"] == [0.8, 1.2]


def test_template_digits_join_the_training_data_and_are_recorded(small_mnist):
    cfg = PretrainConfig(
        ModelSpec("mlp", hidden=(16,)), epochs=1, batch_size=256, stroke_digits=300
    )
    steps, saved = run(cfg, small_mnist)
    assert (
        saved.meta["stroke_digits"] == 300
        and "plus 300 digits written from pen templates" in saved.meta["trained_on"]
    )
    _, plain = run(
        PretrainConfig(ModelSpec("mlp", hidden=(16,)), epochs=1, batch_size=256), small_mnist
    )
    assert "stroke_digits" not in plain.meta and "templates" not in plain.meta["trained_on"]
    # 1,324 images instead of 1,024 at 256 a batch: one more step, so different weights
    assert not torch.equal(
        saved.model.state_dict()["net.0.weight"], plain.model.state_dict()["net.0.weight"]
    )


def test_training_is_reproducible_for_a_seed(small_mnist):
    cfg = PretrainConfig(ModelSpec("cnn", channels=(4, 8), fc=16), epochs=1, batch_size=128)
    _, a = run(cfg, small_mnist)
    _, b = run(cfg, small_mnist)
    for (name, pa), pb in zip(
        a.model.state_dict().items(), b.model.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(pa, pb, msg=name)


def test_typeset_canvas_is_a_large_dark_digit():
    paths = digits_validation.font_paths()
    if not paths:
        pytest.skip("no TrueType fonts on this machine")
    from PIL import ImageFont

    canvas = digits_validation.typeset_canvas(7, ImageFont.truetype(paths[0], 200), 0)
    assert canvas.shape == (280, 280, 4) and canvas.dtype == np.uint8
    dark = canvas[..., 0] < 128
    rows = np.flatnonzero(dark.any(axis=1))
    assert 100 < rows[-1] - rows[0] < 260


def test_shipped_models_read_typeset_digits():
    paths = digits_validation.font_paths()
    if not paths:
        pytest.skip("no TrueType fonts on this machine")
    data = digits_validation.typeset_digits(paths[:6], angles=(0,))
    assert len(data.labels) == 60 and data.x.shape == (60, 1, 28, 28)
    assert digits_validation.accuracy(load_pretrained("cnn"), data) >= 0.85
    empty = digits_validation.typeset_digits([])
    assert digits_validation.accuracy(load_pretrained("cnn"), empty) is None


def _tiny_sets(data: MnistTensors) -> dict:
    return {
        "typeset_accuracy": digits_validation.ValidationDigits(
            torch.zeros(0, 1, 28, 28), np.zeros(0, np.int64), 0
        ),
        "pen_drawn_accuracy": digits_validation.pen_drawn_digits(
            data.test_images, data.test_y, n=20
        ),
        "over_distorted_accuracy": digits_validation.over_distorted_digits(
            data.test_images[:20], data.test_y[:20]
        ),
        "sparse_pen_accuracy": digits_validation.sparse_pen_digits(
            data.test_images, data.test_y, n=20
        ),
        "box_filled_accuracy": digits_validation.box_filled_digits(
            data.test_images, data.test_y, n=20
        ),
        "tablet_accuracy": digits_validation.tablet_digits(per_drawing=2),
        "tablet_box_accuracy": digits_validation.tablet_box_digits(per_drawing=2),
    }


def test_the_training_script_records_validation_and_refuses_a_model_that_misreads_drawings(
    small_mnist, tmp_path, monkeypatch
):
    from scripts import train_pretrained as script

    tiny = PretrainConfig(ModelSpec("linear"), epochs=1, augment=script.NO_AUGMENT)
    monkeypatch.setattr(script, "CONFIGS", {"linear": tiny})
    monkeypatch.setattr(script, "load_mnist", lambda progress=None: small_mnist)
    monkeypatch.setattr(script, "validation_sets", _tiny_sets)
    monkeypatch.setattr(script, "misread_strokes", lambda model: [])
    assert script.main(["--only", "linear", "--out", str(tmp_path / "ok")]) == 0
    meta = load_model((tmp_path / "ok" / "linear.pt").read_bytes()).meta
    assert meta["typeset_accuracy"] is None and meta["misread_canvas_drawings"] == []
    for key in (
        "pen_drawn_accuracy",
        "over_distorted_accuracy",
        "sparse_pen_accuracy",
        "box_filled_accuracy",
        "tablet_accuracy",
        "tablet_box_accuracy",
    ):
        assert 0.0 <= meta[key] <= 1.0, key
    # the gate: a model that reads the browser test's 1 as a 7 is not written
    monkeypatch.setattr(script, "misread_strokes", lambda model: ["1 at pen 20 -> 7"])
    assert script.main(["--only", "linear", "--out", str(tmp_path / "gated")]) == 1
    assert not (tmp_path / "gated" / "linear.pt").exists()
