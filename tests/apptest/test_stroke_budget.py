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
from tests.apptest.test_draw_page import PAGE, draw, one, open_sections, prediction, zero
from ui import draw_panels

pytestmark = pytest.mark.slow

# What one stroke may cost with the three shipped models, as a student first sees the page
# (the deeper sections closed), with two of them opened, and with "Inside the model" open.
# The chosen model on MNIST's steps and on the naive squash; + its saliency, the two others.
MAX_MODEL_PASSES = {"closed": 2, "opened": 5, "inside": 3}
# Probabilities; + every model's. The five preprocessing steps; + the input and its maps.
MAX_FIGURES = {"closed": 1, "opened": 2, "inside": 1 + 6}  # + the CNN's six layers' maps
MAX_IMAGES = {"closed": 5, "opened": 8, "inside": 5}
# The page's elements serialised (images go by URL): 6.2 kB closed, 11.7 kB opened.
# Inside open: 52 kB (a 1) to 71 kB (a 0: busier maps), the maps as 64-colour PNGs at one
# pixel per value (upscaled, they were 130-235 kB).
MAX_MESSAGE_BYTES = {"closed": 8_000, "opened": 15_000, "inside": 80_000}
# Figures are built from plain dicts (checked in tests/unit/test_light_figures.py): plotly
# looks up one validator per figure, its template's. Validated figures made about 1,000.


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


@pytest.mark.parametrize("sections", ["closed", "opened", "inside"])
@pytest.mark.parametrize("digit", [one, zero], ids=["one", "zero"])
def test_a_stroke_stays_within_its_budget(app_test, monkeypatch, digit, sections):
    at = app_test(PAGE, timeout=180)
    if sections == "opened":
        open_sections(at)
    if sections == "inside":  # every layer's output: one more model pass (hooks), its maps
        open_sections(at, (draw_panels.INSIDE_KEY,))
    draw(at, digit())  # the first drawing warms the caches (models, lazy imports)
    count = Counter(monkeypatch)
    try:
        draw(at, digit(), objects=2)
    finally:
        count.close()
    assert not at.exception and prediction(at) is not None
    figures = len(at.get("plotly_chart"))
    assert count.validations <= figures, "a figure is built through plotly's validation"
    assert count.passes <= MAX_MODEL_PASSES[sections]
    assert figures <= MAX_FIGURES[sections]
    assert len(at.get("image")) <= MAX_IMAGES[sections]
    assert message_bytes(at) <= MAX_MESSAGE_BYTES[sections]
