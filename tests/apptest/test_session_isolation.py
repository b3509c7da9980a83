"""Two students on one server: neither sees the other's models or settings, and nobody can
change what every session shares (the cached MNIST tensors and shipped models)."""

from __future__ import annotations

import pytest
import torch

from core.mnist.models import ModelSpec, SavedModel, build_model, load_pretrained

pytestmark = pytest.mark.slow


def my_model(name: str) -> dict:
    torch.manual_seed(1)
    return {name: SavedModel(build_model(ModelSpec("linear")), ModelSpec("linear"), {"mine": True})}


def test_trained_models_stay_in_their_session(app_test):
    alice = app_test("pages/draw.py", timeout=180)
    bob = app_test("pages/draw.py", timeout=180)
    alice.session_state["user_models"] = my_model("alice-linear")
    alice.run()
    bob.run()
    assert not alice.exception and not bob.exception
    assert "Yours: alice-linear" in alice.selectbox(key="draw_model").options
    assert not any(o.startswith("Yours:") for o in bob.selectbox(key="draw_model").options)
    assert "user_models" not in bob.session_state or not bob.session_state["user_models"]


def test_settings_stay_in_their_session(app_test):
    alice = app_test("pages/linear_regression.py", timeout=180)
    bob = app_test("pages/linear_regression.py", timeout=180)
    slider = next(s for s in alice.main.slider if s.key)
    before = bob.slider(key=slider.key).value
    alice.slider(key=slider.key).set_value(
        slider.max if slider.value != slider.max else slider.min
    ).run()
    bob.run()
    assert alice.slider(key=slider.key).value != before
    assert bob.slider(key=slider.key).value == before
    assert slider.key not in bob.query_params


def test_shared_shipped_models_are_not_changed_by_a_session(app_test):
    """The draw page computes saliency with autograd on the shared model: it must leave
    it as it was.
    """
    reference = {k: v.clone() for k, v in load_pretrained("cnn").state_dict().items()}
    at = app_test("pages/draw.py", timeout=180)
    assert not at.exception
    import ui

    shared = ui.pretrained("cnn").model
    assert not shared.training
    for k, v in shared.state_dict().items():
        assert torch.equal(v, reference[k]), k
    assert all(p.grad is None for p in shared.parameters())
