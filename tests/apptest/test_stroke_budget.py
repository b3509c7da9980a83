"""A stroke's server cost, counted (not timed): what it builds, runs and sends.

A class of thirty draws at once on one 2-core server, so a stroke has a budget (issue 18:
40 ms of server CPU). Wall time in a test depends on the machine; these counts do not, and
each one guards a cost that profiling found: plotly's per-property validation (it once
took half a stroke), model passes, and the bytes every stroke sends.
"""

from __future__ import annotations

import pytest
import torch
from plotly import basedatatypes

from core.mnist.models import MLP, SmallCNN, SoftmaxRegression
from tests.apptest.test_draw_page import PAGE, draw, one, prediction, zero

pytestmark = pytest.mark.slow

# What one stroke may cost, with the three shipped models on the page.
MAX_MODEL_PASSES = 5  # the chosen model on MNIST's steps and naive, its saliency, the others
MAX_FIGURES, MAX_IMAGES = 2, 8  # probabilities, every model; the steps, the maps
# Figures are built from plain dicts (checked in tests/unit/test_light_figures.py): plotly
# looks up one validator per figure, its template's. Validated figures made about 1,000.
MAX_VALIDATIONS = MAX_FIGURES
MAX_MESSAGE_BYTES = 20_000  # the page's elements serialised (~11 kB; images go by URL)


class Counter:
    def __init__(self, monkeypatch):
        self.validations = self.passes = 0
        original = basedatatypes.BasePlotlyType._get_validator

        def counted(obj, prop):
            self.validations += 1
            return original(obj, prop)

        monkeypatch.setattr(basedatatypes.BasePlotlyType, "_get_validator", counted)
        self._hook = torch.nn.modules.module.register_module_forward_hook(self._forward)

    def _forward(self, module, args, output):
        if isinstance(module, SoftmaxRegression | MLP | SmallCNN):
            self.passes += 1

    def close(self):
        self._hook.remove()


def message_bytes(at) -> int:
    """Bytes of every element the run left on the page, as Streamlit sends them."""
    total = 0
    for kind in ("plotly_chart", "image", "metric", "markdown", "caption", "info", "warning"):
        for element in at.get(kind):
            proto = getattr(element, "proto", None)
            total += len(proto.SerializeToString()) if proto is not None else 0
    return total


@pytest.mark.parametrize("digit", [one, zero], ids=["one", "zero"])
def test_a_stroke_stays_within_its_budget(app_test, monkeypatch, digit):
    at = app_test(PAGE, timeout=180)
    draw(at, digit())  # the first drawing warms the caches (models, lazy imports)
    count = Counter(monkeypatch)
    try:
        draw(at, digit(), objects=2)
    finally:
        count.close()
    assert not at.exception and prediction(at) is not None
    assert count.validations <= MAX_VALIDATIONS, "a figure is built through plotly's validation"
    assert count.passes <= MAX_MODEL_PASSES
    assert len(at.get("plotly_chart")) <= MAX_FIGURES
    assert len(at.get("image")) <= MAX_IMAGES
    assert message_bytes(at) <= MAX_MESSAGE_BYTES
