"""The logistic regression lab's network: its hidden-layer widgets, and the diagram section.

The diagram (every unit's heat map, every weight a link; `core.logreg.diagram`) is built
only while its expander is open, and once per model state: the styled figure is kept in
the session until the run takes a step, a weight is set or the pick changes, so a click
elsewhere on the page does not rebuild it, and the player's ticks never do (the section is
outside the ticking fragment). A weight or bias is picked in a list, or by clicking its link
or unit, and set by typing a number; the callback sets it before the page reruns, so the
surface, the metrics and the diagram all show the edited model.
"""

from __future__ import annotations

import math

import streamlit as st

import ui
from core import logreg
from core.logreg.diagram import network_figure
from core.logreg.network import MAX_WEIGHT_CHARS
from ui import clicks
from ui.presenter_mode import presenter, style

RUN = "lr_run"  # where the page keeps this user's logreg.Run
LAYERS_KEY, UNITS_KEY, LEGACY_KEY = "lr_layers", "lr_units{}", "lr_hidden"
KEY, CACHE, CHART = "lr_network", "lr_network_figure", "lr_network_chart"
PICK, VALUE, NOTE, SET = "lr_pick", "lr_weight", "lr_weight_note", "lr_set_weight"
DEFAULT_UNITS = 4
ACTIVATION_LABELS = {
    "tanh": "tanh",
    "relu": "ReLU",
    "sigmoid": "sigmoid",
    "linear": "linear (no activation)",
}


def _ignored(raw: str, why: str) -> None:
    st.toast(
        f"Ignored the link's setting {LEGACY_KEY} = “{ui.text(raw, limit=40)}”: {why}. "
        "Using the default.",
        icon=":material/warning:",
    )


def _legacy_width(raw: str) -> int | None:
    """lr_hidden's value as a width 0..MAX_HIDDEN, or None."""
    try:
        width = float(raw)
    except ValueError:
        return None
    if not (math.isfinite(width) and width.is_integer() and 0 <= width <= logreg.MAX_HIDDEN):
        return None
    return int(width)


def _open_legacy_link() -> None:
    """A link from before deep nets said lr_hidden=N (one hidden layer of N units, 0: none):
    it becomes lr_layers=1 & lr_units1=N, at most MAX_UNITS (the diagram draws every unit)."""
    raw = st.query_params.get(LEGACY_KEY)
    if raw is None:
        return
    del st.query_params[LEGACY_KEY]
    if LAYERS_KEY in st.session_state or LAYERS_KEY in st.query_params:
        return  # the new keys say it
    width = _legacy_width(raw)
    if width is None:
        _ignored(raw, f"a hidden layer has 0 to {logreg.MAX_HIDDEN} units")
        return
    if width:
        st.query_params[LAYERS_KEY] = "1"
        st.query_params[UNITS_KEY.format(1)] = str(min(width, logreg.MAX_UNITS))
    if width > logreg.MAX_UNITS:
        st.toast(
            f"This link's hidden layer had {width} units: it now has {logreg.MAX_UNITS}, the "
            "most a layer has here (each unit is drawn).",
            icon=":material/info:",
        )


def hidden_controls() -> tuple[tuple[int, ...], str]:
    """The hidden-layer widgets (URL state) -> (widths, activation)."""
    _open_legacy_link()
    layers = ui.slider(
        "Hidden layers (0 = plain logistic regression)", LAYERS_KEY, 0, logreg.MAX_LAYERS, 0
    )
    widths = tuple(
        ui.slider(
            f"Units in hidden layer {i}", UNITS_KEY.format(i), 1, logreg.MAX_UNITS, DEFAULT_UNITS
        )
        for i in range(1, layers + 1)
    )
    activation = "tanh"
    if layers:
        activation = ui.selectbox(
            "Activation (every hidden unit)",
            "lr_act",
            tuple(logreg.ACTIVATIONS),
            "tanh",
            format_func=ACTIVATION_LABELS.get,
        )
    return widths, activation


def describe_hidden(widths: tuple[int, ...], activation: str) -> str:
    """', 2 hidden layers of 5, 3 tanh units' for the model's caption ('' without)."""
    if not widths:
        return ""
    act = ACTIVATION_LABELS[activation].split(" ")[0]
    if len(widths) == 1:
        return f", a hidden layer of {widths[0]} {act} units"
    return f", {len(widths)} hidden layers of {', '.join(map(str, widths))} {act} units"


def _unit_words(model: logreg.PlaygroundNet, class_names, column: int, unit: int) -> str:
    """Plain words for unit `unit` of diagram column `column` (0: the inputs)."""
    if column == 0:
        return logreg.FEATURE_LABELS[logreg.feature_names(model.features)[unit]]
    if column == len(model.linears):
        return "the output" if model.binary else f"output {class_names[unit]}"
    return f"layer {column} unit {unit + 1}"


def ref_words(model: logreg.PlaygroundNet, class_names, ref: logreg.ParamRef) -> str:
    """'x1 -> layer 1 unit 2' for a weight, 'bias of layer 1 unit 2' for a bias."""
    to = _unit_words(model, class_names, ref.layer + 1, ref.unit)
    if ref.is_bias:
        return f"bias of {to}"
    return f"{_unit_words(model, class_names, ref.layer, ref.source)} → {to}"


REFUSED = {
    "empty": "The box was empty: type a number, like -1.5 or 0.25.",
    "not_a_number": "“{raw}” is not a number. Type one like -1.5, 0.25 or 2e-3 (a dot for "
    "decimals).",
    "not_finite": "“{raw}” is not a number a weight can be: type one from -{max} to {max}.",
    "out_of_range": "“{raw}” is outside -{max} to {max}, the range a weight may have here "
    "(tanh and the sigmoid are flat long before).",
    "stale": "The network changed since you picked: pick the weight again.",
}


def _set_weight() -> None:
    """The Set button's callback: parse the typed value, set the picked parameter, note it."""
    run: logreg.Run | None = st.session_state.get(RUN)
    ref, raw = st.session_state.get(PICK), st.session_state.get(VALUE, "")
    if run is None or not isinstance(ref, logreg.ParamRef):
        return
    try:
        value = logreg.parse_weight(raw)
        old = run.set_parameter(ref, value)
    except logreg.WeightRefused as err:
        st.session_state[NOTE] = ("refused", err.reason, raw)
    except IndexError:  # the network changed under the pick: nothing to set
        st.session_state[NOTE] = ("refused", "stale", "")
    else:
        st.session_state[NOTE] = ("set", ref, old, value)


def _point_ref(point: dict) -> logreg.ParamRef | None:
    """The ParamRef a clicked marker carries: customdata [layer, unit, source] (source -1:
    the bias). A typed array comes back from the browser as {"0": .., "1": .., "2": ..}."""
    data = point.get("customdata")
    if isinstance(data, dict):
        data = [data.get(k) for k in ("0", "1", "2")]
    if not (isinstance(data, list) and len(data) == 3):
        return None
    if not all(isinstance(v, int | float) and float(v).is_integer() for v in data):
        return None
    layer, unit, source = (int(v) for v in data)
    return logreg.ParamRef(layer, unit, None if source < 0 else source)


def _picked_on_chart() -> None:
    """A click on a link's or a unit's marker picks that weight or bias."""
    event = st.session_state.get(CHART)
    points = (event or {}).get("selection", {}).get("points", [])
    for point in points:
        if (ref := _point_ref(point)) is not None:
            st.session_state[PICK] = ref
            return


def _figure(run: logreg.Run, selected: logreg.ParamRef):
    """The styled diagram, rebuilt only when the model or the pick changed."""
    state = (run.step, len(run.edits), presenter(), selected)
    cached = st.session_state.get(CACHE)
    if cached is None or cached[0] is not run or cached[1] != state:
        fig = style(network_figure(run.model, run.data, selected=selected))
        cached = (run, state, fig)  # the run itself is kept: an id could be reused
        st.session_state[CACHE] = cached
    return cached[2]


def _note(run: logreg.Run) -> None:
    """What the last Set did: the change, or why nothing changed."""
    note = st.session_state.pop(NOTE, None)
    if note is None:
        return
    if note[0] == "set":
        _, ref, old, value = note
        st.success(
            f"Set {ref_words(run.model, run.data.class_names, ref)}: {old:.3f} → {value:g}. "
            "The surface, the numbers and this diagram show the edited model; training goes "
            "on from it.",
            icon=":material/edit:",
        )
        return
    _, reason, raw = note
    words = REFUSED[reason].format(raw=ui.text(raw, limit=40), max=f"{logreg.MAX_WEIGHT:g}")
    st.warning(f"{words} Nothing changed.", icon=":material/block:")


def network_section(run: logreg.Run) -> None:
    box = st.expander(
        "Inside the network: every unit's heat map, every weight (and set one by hand)",
        icon=":material/hub:",
        key=KEY,
        on_change="rerun",
    )
    if not box.open:
        return
    with box:
        refs = logreg.weight_refs(run.model) + logreg.bias_refs(run.model)
        if st.session_state.get(PICK) not in refs:
            st.session_state[PICK] = refs[0]
        st.caption(
            "Each square shows one unit's output over the plane (the same view as the surface "
            "above): :orange[**orange**] positive, :blue[**blue**] negative, white zero. The "
            "output is the decision surface. A link's colour is its weight's sign, its width "
            "the weight's size. Hover a link or a unit for its weight or bias; click one to "
            "pick it."
        )
        st.plotly_chart(
            _figure(run, st.session_state[PICK]),
            width="stretch",
            key=CHART,
            on_select=_picked_on_chart,
            selection_mode="points",
            config={"displayModeBar": False, "scrollZoom": False},
        )
        _editor(run, refs)


def _editor(run: logreg.Run, refs: list[logreg.ParamRef]) -> None:
    """Pick a weight or bias, see its value, type a new one."""
    names = run.data.class_names
    pick, now = st.columns([3, 1], vertical_alignment="bottom")
    with pick:
        ref = st.selectbox(
            "Weight or bias to set",
            refs,
            key=PICK,
            format_func=lambda r: ref_words(run.model, names, r),
        )
    now.metric("Its value now", f"{logreg.parameter_value(run.model, ref):.3f}")
    with st.form("lr_weight_form", clear_on_submit=False, border=False):
        typed, button = st.columns([3, 1], vertical_alignment="bottom")
        typed.text_input(
            f"New value (a number from -{logreg.MAX_WEIGHT:g} to {logreg.MAX_WEIGHT:g})",
            key=VALUE,
            max_chars=MAX_WEIGHT_CHARS,
            placeholder="e.g. -1.5",
        )
        button.form_submit_button(
            "Set",
            key=SET,
            icon=":material/edit:",
            width="stretch",
            on_click=clicks.once(_set_weight),
        )
    _note(run)
