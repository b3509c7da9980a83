"""The MNIST lab's look inside its own model for one test image the student picks.

A test image is picked by its number (which lives in the URL) or by clicking it in one of
the lab's galleries (`pick_on_click`: the drill-down, the sample predictions, the data
browser's test set); a click also opens the section. Built only while the section is open:
every layer's output for that image and what a unit responds to (`ui.inside_views`), for
the model trained (or uploaded) in this session.
"""

from __future__ import annotations

import streamlit as st

from core.digits import figures as digit_figs
from core.mnist import figures as figs
from core.mnist import train as mt
from ui import inside_views
from ui.url_state import number_input

INSIDE_KEY, PICK_KEY = "mn_inside", "mn_pick"
UNIT_KEYS = ("mn_unit_layer", "mn_unit")


def _picked(chart_key: str, indices: list[int]) -> None:
    """A gallery's on_select callback: its clicked image becomes the picked test image."""
    event = st.session_state.get(chart_key) or {}
    picked = figs.picked_image((event.get("selection") or {}).get("points"), indices)
    if picked is not None:
        st.session_state[PICK_KEY] = picked
        inside_views.open_section(INSIDE_KEY)


def pick_on_click(chart_key: str, indices) -> dict:
    """`st.plotly_chart` arguments that make a clickable gallery of test images `indices` pick
    the clicked one."""
    shown = [int(i) for i in indices]
    return dict(
        key=chart_key,
        on_select=lambda: _picked(chart_key, shown),
        selection_mode="points",
    )


def test_image_section(run: mt.TrainedRun | None, data) -> None:
    """Every layer of the lab's model for one test image, and what a unit responds to."""
    box = inside_views.lazy_section(
        "Inside the model for one test image: every layer, and what a unit responds to",
        ":material/layers:",
        INSIDE_KEY,
    )
    if box is None:
        return
    with box:
        if run is None:
            st.info(
                "No model yet: train one above (or upload one), then pick any test image here "
                "or click one in the galleries to see every layer's output for it.",
                icon=":material/model_training:",
            )
            return
        last = len(data.test_y) - 1
        left, middle, right = st.columns([2, 1, 3], vertical_alignment="center")
        with left:
            i = number_input(
                f"Test image (0 to {last:,})",
                PICK_KEY,
                0,
                last,
                0,
                help="Or click an image in the galleries above.",
            )
        x = data.test_x[i : i + 1]  # (1, 1, 28, 28), normalised like the training data
        middle.image(
            digit_figs.ink_tile(data.test_images[i].numpy() / 255.0), caption=f"#{i:,}", width=140
        )
        probs, classes = run.evaluation.top3([i])
        (p1, p2), (k1, k2) = probs[0, :2].tolist(), classes[0, :2].tolist()
        truth = int(run.evaluation.labels[i])
        verdict = "right" if k1 == truth else "**wrong**"
        right.markdown(
            f"Test image #{i:,} is a **{truth}**. {run.spec.describe()} reads **{k1}** "
            f"({p1:.0%}), {verdict}; runner-up {k2} ({p2:.0%})."
        )
        layers = inside_views.layer_pictures(run.model, x, UNIT_KEYS)
        if layers is not None:
            inside_views.responds_to(run.model, layers, UNIT_KEYS, this=f"test image #{i:,}")
