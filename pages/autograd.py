"""Autograd & computational graphs: type an expression (or pick a model), see its graph.

Thin page: every setting is URL state (`ui.url_state`); parsing, graphs, the traced backward
pass, lessons and the code panel live in `core.autograd`; the gradient-check and lesson
sections and the error box in `ui.autograd_panels`.
"""

import streamlit as st

import ui
from core.autograd import graph as G
from core.autograd import scenarios as P
from core.autograd.code import scenario_code
from core.autograd.source import ExpressionError
from core.mnist.data import missing_mnist_files
from core.runtime import configure_torch
from ui import autograd_fillin, clicks, exercises
from ui import autograd_panels as panels

configure_torch()
MODES = ["An expression", "A model's loss"]
KEYS = (
    "ag_mode",
    "ag_annot",
    "ag_saved",
    "ag_attrs",
    "ag_example",
    "ag_leaves",
    "ag_prog",
    "ag_model",
    "ag_n",
    "ag_seed",
    "ag_reduce",
    "ag_step",
    "ag_turn",
)
# A widget skipped for a run (refused input stops the page early) loses its value to
# Streamlit's clean-up unless re-stated each run (Streamlit's documented idiom).
for key in KEYS:
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]

st.title("Autograd & computational graphs")
ui.lesson("How PyTorch computes gradients", P.LESSON, formulas=P.FORMULAS)
exercises.exercise_section("autograd")


def load_example() -> None:
    example = P.EXAMPLES[st.session_state["ag_example"]]
    st.session_state["ag_leaves"], st.session_state["ag_prog"] = example.leaves, example.program
    st.session_state.pop("ag_step", None)


def move_step(delta: int, last: int) -> None:
    st.session_state["ag_step"] = max(0, min(last, st.session_state.get("ag_step", last) + delta))


# Graph options first: widgets are rendered on every run, even when the input is refused
# below (a widget skipped for a run comes back showing its default, not its kept value).
with st.container(horizontal=True, vertical_alignment="center"):
    mode = ui.radio("Start from", "ag_mode", MODES, horizontal=True)
    annotate = ui.toggle("Values and gradients on the nodes", "ag_annot", True)
    show_saved = ui.toggle("Saved tensors", "ag_saved", False) if ui.advanced() else False
    show_attrs = ui.toggle("Node attributes", "ag_attrs", False) if ui.advanced() else False
    your_turn = autograd_fillin.turn_toggle()
if mode == MODES[0]:
    example = ui.selectbox("Example", "ag_example", list(P.EXAMPLES), on_change=load_example)
    ex = P.EXAMPLES[example]
    left, right = st.columns(2)
    with left:
        leaves_text = ui.text_area(
            "Leaves: one tensor per line", "ag_leaves", ex.leaves, height=110
        )
    with right:
        program_text = ui.text_area(
            "Operations: one per line, the last is the output", "ag_prog", ex.program, height=110
        )
    st.caption(f"{'' if your_turn else ex.note + '  '}\n{P.SYNTAX_HELP}")  # a note says x.grad
    key = ("expr", leaves_text, program_text)
    try:
        scenario = P.expression_scenario(leaves_text, program_text)
    except ExpressionError as err:
        panels.show_error(err)
        st.stop()
else:
    model = ui.selectbox("Model", "ag_model", list(P.MODELS))
    preset = P.MODELS[model]
    left, right = st.columns(2)
    with left:
        n = ui.slider("Samples in the batch", "ag_n", 1, 32, preset.default_n)
    with right:
        seed = ui.number_input("Seed (data and initial weights)", "ag_seed", 0, 10_000, 0)
    data = {}
    if preset.uses_mnist and not missing_mnist_files():
        mnist = ui.mnist()
        data = {"images": mnist.test_x, "labels": mnist.test_y}
    st.caption(preset.note)
    key = ("model", model, n, seed, bool(data))
    scenario = preset.make(n, seed, **data)

try:
    comp = scenario.build()
except ExpressionError as err:
    panels.show_error(err)
    st.stop()
for warning in comp.warnings:
    st.warning(warning, icon=":material/warning:")

how = "none"
if comp.output.dim() != 0 and comp.output.requires_grad:
    how = ui.radio(
        f"`{scenario.output_name}` is not a single number: how should backward() start?",
        "ag_reduce",
        list(G.REDUCTIONS),
        format_func=G.REDUCTIONS.get,
        horizontal=True,
    )
target, gradient = G.with_reduction(comp, how)
problem = G.backward_problem(target, gradient)
trace = None if problem else G.trace_backward(target, gradient)

code_col, graph_col, step_col = st.columns([1, 1.7, 1.05])
with code_col:
    st.subheader("PyTorch code", anchor=False)
    st.code(scenario_code(scenario, comp, how), language="python", wrap_lines=True)
step = None
with step_col:
    st.subheader("Backward, step by step", anchor=False)
    if problem:
        st.error(problem, icon=":material/block:")
    else:
        last = len(trace.steps)
        if st.session_state.get("ag_step", 0) > last:
            st.session_state["ag_step"] = last
        step = ui.slider("Steps done (0 = forward pass only)", "ag_step", 0, last, last)
        with st.container(horizontal=True):
            st.button(
                "Previous",
                icon=":material/skip_previous:",
                key="ag_prev",
                on_click=move_step,
                args=(-1, last),
                disabled=step == 0,
            )
            st.button(
                "Next",
                icon=":material/skip_next:",
                key="ag_next",
                on_click=move_step,
                args=(1, last),
                disabled=step == last,
            )
        if your_turn:
            autograd_fillin.your_turn(target, trace, step, (*key, how))
        if step:
            panels.show_step(G.explain_step(target, trace, step))
        else:
            st.info(
                "Forward pass only: values are computed, no gradient yet. Press Next to run the "
                "first backward node.",
                icon=":material/arrow_forward:",
            )
        with st.expander("The order autograd ran the nodes"):
            st.markdown(
                "\n".join(
                    f"{i}. {'**' if i == step else ''}{name}{'**' if i == step else ''}"
                    for i, name in enumerate(G.step_order_names(trace, target), 1)
                )
            )
with graph_col:
    st.subheader("Computational graph", anchor=False)
    st.graphviz_chart(
        G.draw(
            target,
            trace,
            step=step,
            show_saved=show_saved,
            show_attrs=show_attrs,
            annotate=annotate,
            font_size=15 if ui.presenter() else 11,
        ),
        width="content",
    )
    st.caption(G.LEGEND)

st.subheader("Every value and every gradient", anchor=False)
st.dataframe(G.value_rows(target, trace, step), hide_index=True, width="stretch")

if your_turn:  # both show the leaves' gradients: the answers of the last steps
    st.info(autograd_fillin.TURN_HIDES, icon=":material/visibility_off:")
else:
    panels.gradient_check_section(scenario, comp, target, problem, (*key, how), how)
    panels.lessons_section(scenario, how)
clicks.page_complete()  # last: lets the next click act (see clicks.once)
