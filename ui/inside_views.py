"""Inside a digit model for one image: every layer's output, and what a unit responds to.

Shared by Draw a digit (the drawing) and the MNIST lab (a test image the student picks):
both pages' models are `core.mnist.models` classes, read by `core.digits.activations` and
`core.digits.units`. Each view is built only while its section is open (`lazy_section`).

What a unit responds to needs every unit's strongest test images: one pass of the model
over `PROBE_IMAGES` fixed test images (the shipped CNN: under a second on one core),
run only once the student picks a unit, then kept: for a shipped model once per process
(shared read-only by every session), for a session's own model in that session.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import streamlit as st
import torch

from core.digits import ModelMismatch, linear_weights
from core.digits import figures as digit_figs
from core.digits.activations import Layer, layer_activations
from core.digits.units import (
    PROBE_IMAGES,
    STRONGEST,
    Group,
    Strongest,
    probe_indices,
    strongest_images,
    unit_groups,
    unit_weights,
)
from core.mnist import figures as mnist_figs
from core.runtime import one_thread
from ui.presenter_mode import plotly, presenter
from ui.text import text
from ui.url_state import SHADOW, selectbox

OPENED = "opened_"  # + a section's key: whether the student left it open
NO_LAYER = "(pick a layer)"
KEPT = "inside_strongest"  # session state: [(model, strongest)] for this session's models
MAX_KEPT = 3
WEIGHT_WORDS = {
    "pixels": "Its weight on each of the 784 input pixels",
    "maps": "Its weights on each pooled feature map it reads (one colour scale for all)",
    "vector": "Its weight on each unit of the layer before",
}


def _weights_words(weights) -> str:
    """What the picture of `weights` (a `core.digits.units.Weights`) shows, in words."""
    if weights.kind != "filters":
        return WEIGHT_WORDS[weights.kind]
    inputs, k, _ = weights.values.shape
    if inputs == 1:
        return f"Its {k}x{k} filter, slid over the input image"
    return (
        f"Its {k}x{k} filters, one for each of the {inputs} maps of the layer before, slid over "
        "them and summed (one colour scale for all)"
    )


def _remember(key: str) -> None:
    st.session_state[OPENED + key] = bool(st.session_state.get(key))


def lazy_section(label: str, icon: str, key: str):
    """An expander that reruns when opened or closed; `None` while it is closed.

    Its open state is kept beside the widget's: Streamlit forgets the state of a widget
    that a run did not draw (a cleared canvas shows no sections), and without it every
    such run would close it again. `open_section` opens one from a callback.
    """
    box = st.expander(
        label,
        icon=icon,
        key=key,
        expanded=st.session_state.get(OPENED + key, False),
        on_change=_remember,
        args=(key,),
    )
    return box if box.open else None


def open_section(key: str) -> None:
    """Open section `key` on the next run (call from a widget's callback)."""
    st.session_state[key] = st.session_state[OPENED + key] = True


def _shape(values: np.ndarray) -> str:
    if values.ndim == 3:
        c, h, w = values.shape
        return f"{c} maps of {h}x{w}"
    return f"{len(values)} units"


def _clicked(chart_key: str, layer: str, units: int, keys: tuple[str, str]) -> None:
    """A layer picture's on_select callback: the clicked tile's unit becomes the picked one
    (the two selectboxes' values, so the URL follows)."""
    event = st.session_state.get(chart_key) or {}
    unit = digit_figs.picked_unit((event.get("selection") or {}).get("points"), units)
    if unit is not None:
        st.session_state[keys[0]] = layer
        st.session_state[keys[1]] = unit


def _chosen(key: str):
    """A `ui.url_state` widget's value before it is drawn this run (the pictures come first):
    its state, else its kept copy, else the link's text; None if none."""
    for where in (st.session_state, {key: st.session_state.get(SHADOW + key)}, st.query_params):
        value = where.get(key)
        if value is not None:
            return value
    return None


def _picked_unit(key: str, units: int) -> int:
    """The unit its selectbox will show: its value if it fits the layer, else the default 0."""
    try:
        unit = int(_chosen(key) or 0)
    except (TypeError, ValueError, OverflowError):
        return 0
    return unit if 0 <= unit < units else 0


def layer_pictures(
    model, x: torch.Tensor, keys: tuple[str, str] | None = None
) -> list[Layer] | None:
    """One picture per layer for the image `x` (1, 1, 28, 28); the layers, or None (a message).

    With `keys` (the layer and unit widgets of `responds_to`) each unit's tile can be
    clicked to pick it."""
    try:
        layers = layer_activations(model, x)
        groups = {g.name: g for g in unit_groups(model)} if keys else {}
    except ModelMismatch as err:
        st.warning(f"This model's layers cannot be shown: {text(err)}.", icon=":material/block:")
        return None
    st.markdown(
        ":orange[**Orange**]: positive, :blue[**blue**]: negative, white: zero. Each map is "
        "scaled to its own largest value, so you see its pattern, not its size; dense "
        "layers show one square per unit, 16 to a row."
        + (
            " A linear model has no hidden layer: its ten w*x maps (digits 0 to 9, left "
            "to right) sum, with the biases, to its ten scores."
            if linear_weights(model) is not None
            else ""
        )
        + (" Click a map or a square to see what it responds to (below)." if groups else "")
    )
    for at, layer in enumerate(layers):
        caption = f"{text(layer.name)}: {_shape(layer.values)}"
        group = groups.get(layer.name)
        if group is None or group.units != len(layer.values):
            st.image(digit_figs.activation_tile(layer.values), caption=caption)
            continue
        chart_key = f"{keys[1]}_tiles_{at}"
        mine = _chosen(keys[0]) == layer.name
        plotly(
            digit_figs.layer_figure(
                layer.values,
                f"{caption} (click one)",
                group.word,
                picked=_picked_unit(keys[1], group.units) if mine else None,
            ),
            key=chart_key,
            on_select=partial(_clicked, chart_key, layer.name, group.units, keys),
            selection_mode="points",
            config={"displayModeBar": False},
        )
    return layers


# ---- the strongest test images, once per model ---------------------------------------


@st.cache_resource(show_spinner=False)
def _probe():
    """The fixed test images every unit is ranked on: (test-set indices (n,), (n, 1, 28, 28))."""
    from ui.shared import _mnist_cached

    data = _mnist_cached()
    at = probe_indices(len(data.test_y))
    return at, data.test_x[at]


def _read(model) -> dict[str, Strongest]:
    at, x = _probe()
    with one_thread():  # a 2-core server shared by a class: one core, not both
        return strongest_images(model, x)


@st.cache_resource(show_spinner=False)
def _shipped_strongest(name: str, _model) -> dict[str, Strongest]:
    """A shipped model's strongest images, once per process (`name` keys it: one per model)."""
    return _read(_model)


def _session_strongest(model) -> dict[str, Strongest]:
    """This session's model's strongest images, kept for its few newest models."""
    kept = st.session_state.setdefault(KEPT, [])
    for held, found in kept:
        if held is model:  # the model itself is kept: an id could be reused
            return found
    found = _read(model)
    kept.append((model, found))
    del kept[:-MAX_KEPT]
    return found


def _strongest(model, shipped: str | None) -> dict[str, Strongest] | None:
    from core.mnist.data import missing_mnist_files

    if missing_mnist_files():
        st.info(
            "The MNIST test images are not on this server yet, so the images a unit responds "
            "to cannot be shown: open the MNIST lab once to download them.",
            icon=":material/cloud_off:",
        )
        return None
    with st.spinner(f"Reading {PROBE_IMAGES:,} test images through the model (once)..."):
        return _shipped_strongest(shipped, model) if shipped else _session_strongest(model)


# ---- what one unit responds to ------------------------------------------------------


def _pick_unit(model, keys: tuple[str, str]) -> tuple[Group, int] | None:
    """The layer and unit the student picked (their choice lives in the URL), or None."""
    groups = {g.name: g for g in unit_groups(model)}
    left, right = st.columns(2)
    with left:
        name = selectbox(
            "Layer",
            keys[0],
            [NO_LAYER, *groups],
            NO_LAYER,
            format_func=lambda n: (
                n if n == NO_LAYER else f"{n}: {groups[n].units} {groups[n].word}s"
            ),
            help="The layers shown above, from the input to the scores.",
        )
    if name == NO_LAYER:
        return None
    group = groups[name]
    with right:
        unit = selectbox(
            group.word.capitalize(),
            keys[1],
            list(range(group.units)),
            0,
            format_func=lambda u: f"{group.word} {u}",
        )
    return group, unit


def responds_to(
    model,
    layers: list[Layer],
    keys: tuple[str, str],
    shipped: str | None = None,
    this: str = "this image",
) -> None:
    """For a unit the student picks: its weights as a picture, its value for `this` image, and
    the test images it responds to most. `keys` name the layer and unit widgets (one pair
    per page; their values live in the URL)."""
    st.markdown(
        f"**What a unit responds to.** Pick a layer and one of its units: you see its weights "
        f"and the {STRONGEST} test images (of {PROBE_IMAGES:,} fixed ones) that give it its "
        "largest value: a unit's activation, a class's score, and for a feature map how much "
        "it fires (the mean of its positive part, which the ReLU after it passes on)."
    )
    try:
        picked = _pick_unit(model, keys)
        if picked is None:
            return
        group, unit = picked
        weights = unit_weights(model, group.name, unit)
    except ModelMismatch as err:
        st.warning(f"This model's units cannot be shown: {text(err)}.", icon=":material/block:")
        return
    mine = next((layer for layer in layers if layer.name == group.name), None)
    left, right = st.columns([3, 2])
    with left:
        if weights is None:
            st.info("This layer has no weights before it.", icon=":material/info:")
        else:
            what = f" in {weights.source}" if weights.source else ""
            plotly(
                mnist_figs.unit_weights_figure(
                    weights.values,
                    weights.kind,
                    f"The weights of {group.word} {unit}{what} (bias {weights.bias:+.3f})",
                )
            )
            st.caption(
                f"{_weights_words(weights)}: :orange[**orange**] raises it, "
                ":blue[**blue**] lowers it."
            )
    with right:
        if mine is not None:
            value = mine.unit_value(unit)
            if mine.is_maps:
                st.image(
                    digit_figs.activation_tile(mine.values[unit : unit + 1], width=336),
                    caption=f"{group.word.capitalize()} {unit} for {this}: fires {value:.3f}",
                )
            else:
                st.metric(f"{group.word.capitalize()} {unit} for {this}", f"{value:.3f}")
    found = _strongest(model, shipped)
    if found is None:
        return
    _strongest_images(found[group.name], group, unit, mine, this)


def _strongest_images(
    best: Strongest, group: Group, unit: int, mine: Layer | None, this: str
) -> None:
    from ui.shared import _mnist_cached

    data = _mnist_cached()
    at, _ = _probe()
    test = at[torch.from_numpy(best.indices[unit])]  # positions in the probe -> test-set indices
    values = best.values[unit]
    plotly(
        mnist_figs.strongest_figure(
            data.test_images[test],
            data.test_y[test],
            values,
            test,
            f"The {len(test)} test images that raise {group.word} {unit} most "
            f"(of {PROBE_IMAGES:,})",
            cols=4 if presenter() else 8,
            large=presenter(),
        )
    )
    note = "Under each: its number in the test set, its true digit and the value it gives."
    if float(values[0]) == float(values[-1]):
        note += (
            f" Every one gives the same value ({float(values[0]):.3f}): this {group.word} "
            "barely varies over these images (a silent unit)."
        )
    if mine is not None:
        note += (
            f" {this.capitalize()} gives {mine.unit_value(unit):.3f}; the strongest, "
            f"{float(values[0]):.3f}."
        )
    st.caption(note)
