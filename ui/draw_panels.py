"""Draw a digit's deeper sections, each built only while its expander is open.

A stroke reruns the page's fragment for every student drawing, so what a stroke builds is
the server's largest recurring cost in a class (issue 18 budgets it at 40 ms of CPU). Why
the model decided (a gradient and two images), all models compared (two more model passes
and a figure) and every layer's output (an image a layer) cost about a quarter of a stroke
or more; closed, they cost nothing, and once a student opens one it stays open for the rest
of their session. Inside the model also shows what a unit the student picks responds to
(`ui.inside_views`, shared with the MNIST lab): nothing until a unit is picked, then its
weights and its strongest test images, those read once per shipped model per process.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import digits
from core.digits import figures as figs
from ui import inside_views
from ui.inside_views import OPENED
from ui.inside_views import lazy_section as _section
from ui.presenter_mode import plotly
from ui.text import text

__all__ = ["OPENED", "all_models", "inside_the_model", "why_the_model_decided"]

WHY_KEY, ALL_MODELS_KEY, INSIDE_KEY = "draw_why", "draw_all_models", "draw_inside"
UNIT_KEYS = ("draw_unit_layer", "draw_unit")  # the unit picked Inside the model


def why_the_model_decided(model, pre: digits.Preprocessed, k: int) -> None:
    """Saliency of the winning score, and for a linear model each pixel's exact share w*x."""
    box = _section(
        "Why the model decided: saliency, and each pixel's vote",
        ":material/psychology:",
        WHY_KEY,
    )
    if box is None:
        return
    with box:
        sal, _ = digits.saliency(model, pre.centred, k)
        contrib = digits.linear_contributions(model, pre.tensor, k)
        maps = [
            (figs.ink_tile(pre.centred), "The input (28x28)"),
            (
                figs.signed_tile(sal, pre.centred),
                f"Saliency: how the score of {k} changes per pixel of ink",
            ),
        ]
        if contrib is not None:
            maps.append(
                (
                    figs.signed_tile(contrib, pre.centred),
                    f"w*x: each pixel's share of the score of {k}",
                )
            )
        cols = st.columns(4)
        for col, (img, caption) in zip(cols, maps, strict=False):
            col.image(img, caption=caption, width="stretch")
        cols[len(maps)].markdown(
            f":orange[**Orange**]: more ink here would raise the score of {k}; :blue[**blue**]: "
            "lower it; white: no effect. "
            + (
                "In w*x even blank pixels vote: after normalisation they are -0.42, not 0."
                if contrib is not None
                else "Saliency is local (first-order): it says what *a little* "
                "more ink would do, not what the model 'sees'."
            )
        )


def all_models(models: dict, choice: str, pre: digits.Preprocessed, probs: np.ndarray) -> None:
    """Every available model's probabilities for the same drawing, one row each."""
    box = _section("All models on the same drawing", ":material/compare:", ALL_MODELS_KEY)
    if box is None:
        return
    with box:
        names, rows = [], []
        for label, saved in models.items():
            try:
                same = label == choice  # read already: its probabilities are `probs`
                rows.append(probs if same else digits.probabilities(saved.model, pre.tensor)[0])
                names.append(label)
            except digits.ModelMismatch as err:
                st.warning(
                    f"**{text(label)}** does not fit this page: {text(err)}.",
                    icon=":material/block:",
                )
        if rows:
            plotly(figs.comparison_figure(names, np.stack(rows)))


def inside_the_model(model, pre: digits.Preprocessed, shipped: str | None = None) -> None:
    """Every layer's output for this drawing, in the order the input meets them; then, for a
    unit the student picks, what it responds to. `shipped` names a shipped model (its test
    images are read once per process), None for the session's own."""
    box = _section("Inside the model: every layer's output", ":material/layers:", INSIDE_KEY)
    if box is None:
        return
    with box:
        layers = inside_views.layer_pictures(model, pre.tensor, UNIT_KEYS)
        if layers is not None:
            inside_views.responds_to(model, layers, UNIT_KEYS, shipped, this="your drawing")
