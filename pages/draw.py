"""Draw a digit: a canvas read live by MNIST models, with MNIST's preprocessing and reasons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

import ui
from core import digits
from core.digits import figures as figs
from core.mnist.models import ModelFileError
from core.runtime import configure_torch
from ui import clicks, draw_panels, exercises

SHIPPED = {
    "Shipped CNN": "cnn",
    "Shipped MLP": "mlp",
    "Shipped linear (softmax regression)": "linear",
}
CANVAS_KEY = "draw_canvas"
START_KEY = "draw_canvas_start"  # what the canvas (re)starts from: Undo and Clear set it
# chalkboard? -> (paper colour, the same as RGBA in 0..1 for the ink finder, pen colour)
SEND_NOW = (
    Path(__file__).resolve().parent.parent / "assets" / "draw_send_now.html"
)  # skips a 200 ms wait
COLOURS = {
    False: ("#FFFFFF", (1.0, 1.0, 1.0, 1.0), "#000000"),
    True: ("#000000", (0.0, 0.0, 0.0, 1.0), "#FFFFFF"),
}

st.title("Draw a digit")
ui.lesson(
    "From your drawing to MNIST's 28x28, and what the model looks at",
    "MNIST's digits were **cropped, scaled to fit 20x20 (shape kept) and centred by their mass in "
    "28x28**; your drawing goes through the same steps (shown below, next to the naive *squash "
    "the canvas* that most demos do). Softmax turns the model's scores $z_k$ into probabilities. "
    "The **saliency** map is the gradient of the winning score with respect to each input pixel, "
    "by autograd; for the linear model you also see each pixel's exact share $w_{k,i}x_i$ of the "
    "score.",
    formulas=[
        r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}} \qquad \text{saliency}_i = \frac{\partial z_{\hat "
        r"k}}{\partial x_i} \qquad z_k = \sum_i w_{k,i}\, x_i + b_k \;\text{(linear)}"
    ],
)
exercises.exercise_section("draw")  # the prompts to predict, checked (core/exercises)
configure_torch()


def available_models() -> tuple[dict, list[str]]:
    """{label: SavedModel} for the shipped models that load and this session's, plus problems."""
    models, problems = {}, []
    for label, name in SHIPPED.items():
        try:
            models[label] = ui.pretrained(name)
        except ModelFileError as err:
            problems.append(f"{label}: {err}")
    for name, saved in ui.user_models().items():
        models[f"Yours: {name}"] = saved
    return models, problems


def restart_canvas(objects: list) -> None:
    """Load `objects` into the canvas (a new version, so the canvas always reloads)."""
    version = (st.session_state.get(START_KEY) or {}).get("version", 0) + 1
    st.session_state[START_KEY] = {"objects": objects, "version": version}


def undo() -> None:
    state = st.session_state.get(CANVAS_KEY) or {}
    objects = (((state.get("drawing") or {}).get("raw") or {}).get("objects")) or []
    restart_canvas(list(objects[:-1]))


def clear() -> None:
    restart_canvas([])
    st.session_state[CANVAS_KEY] = {
        "drawing": {"raw": {"objects": []}, "data": None},
        "backgroundFit": None,
    }


models, problems = available_models()
for problem in problems:
    st.error(f"A shipped model could not be loaded. {ui.text(problem)}", icon=":material/error:")
if not models:
    st.stop()
labels = list(models)
c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
with c1:
    choice = ui.selectbox(
        "Model that reads your drawing",
        "draw_model",
        labels,
        default="Shipped CNN" if "Shipped CNN" in labels else labels[0],
        help="The shipped models were trained on MNIST with drawing-like distortions; "
        "models you train on the MNIST page appear here too.",
    )
with c2:
    pen = ui.slider("Pen width", "draw_pen", 4, 40, digits.DEFAULT_STROKE)
with c3:
    chalk = (
        ui.toggle(
            "Chalkboard colours",
            "draw_chalk",
            False,
            help="White on black: the ink is found whatever the colours.",
        )
        if ui.advanced()
        else False
    )


@st.fragment
def canvas_and_results(choice: str, pen: int, chalk: bool) -> None:
    """Everything a stroke changes: reruns alone when the canvas sends a drawing."""
    paper, paper_rgba, ink = COLOURS[chalk]
    side = 364 if ui.presenter() else digits.CANVAS_SIZE
    left, right = st.columns([1, 1.35], gap="large")
    with left:
        st.caption(
            "Draw one digit, 0 to 9, any size, anywhere."
        )  # also room for the canvas's hover toolbar
        result = st_canvas(
            stroke_width=pen,
            stroke_color=ink,
            background_color=paper,
            width=side,
            height=side,
            drawing_mode="freedraw",
            return_image_data=True,
            key=CANVAS_KEY,
            initial_drawing=st.session_state.get(START_KEY),
        )
        b1, b2 = st.columns(2)
        b1.button("Undo", icon=":material/undo:", on_click=undo, key="draw_undo", width="stretch")
        b2.button(
            "Clear", icon=":material/delete:", on_click=clear, key="draw_clear", width="stretch"
        )
        st.caption("Mouse, pen or finger. Hover the canvas for its toolbar (undo, redo, clear).")
    rgba = result.image_data if result.json_data and result.json_data.get("objects") else None
    pre = digits.preprocess(rgba, background=paper_rgba) if rgba is not None else None
    with right:
        if pre is None or not pre.check.guess:
            st.info(
                pre.check.message if pre is not None else digits.INVITATION, icon=":material/draw:"
            )
            return
        model = models[choice].model
        try:
            probs = digits.probabilities(model, pre.tensor)[0]
        except digits.ModelMismatch as err:
            st.warning(
                f"**{ui.text(choice)}** does not fit this page: {ui.text(err)}. Pick another "
                f"model.",
                icon=":material/block:",
            )
            return
        k = int(probs.argmax())
        runner = int(np.argsort(probs)[-2])
        m1, m2, m3 = st.columns(3)
        m1.metric("Prediction", str(k))
        m2.metric("Confidence", f"{probs[k]:.0%}")
        m3.metric("Runner-up", f"{runner} ({probs[runner]:.0%})")
        if pre.check.kind != "ok":
            st.warning(pre.check.message, icon=":material/info:")
        ui.plotly(figs.probability_figure(probs, f"{choice}: probability of each digit"))

    naive = digits.squash(pre.ink)  # the whole canvas squashed, as most demos do
    naive_p = digits.probabilities(model, digits.normalise(naive))[0]
    st.subheader("What the model receives", divider="gray")
    h, w = pre.ink.shape
    steps = [
        (figs.drawing_tile(pre), f"1. Your drawing ({w}x{h}), ink's bounding box"),
        (
            figs.ink_tile(pre.crop, square=0),
            f"2. Cropped to the box ({pre.crop.shape[1]}x{pre.crop.shape[0]})",
        ),
        (figs.ink_tile(pre.fitted, square=20), "3. Scaled to fit 20x20, shape kept"),
        (figs.centred_tile(pre), "4. In 28x28, centre of mass at the cross: the input"),
        (figs.ink_tile(naive), "Naive: whole canvas squashed to 28x28"),
    ]
    for col, (img, caption) in zip(st.columns(5), steps, strict=True):
        col.image(img, caption=caption, width="stretch")
    nk = int(naive_p.argmax())
    verdict = "the same answer" if nk == k else "a **different** answer"
    st.markdown(
        f"With MNIST's steps the model reads **{k}** ({probs[k]:.0%}); from the naive resize it "
        f"reads **{nk}** ({naive_p[nk]:.0%}): {verdict}. Draw small or off-centre to see the gap "
        f"grow."
    )

    draw_panels.why_the_model_decided(model, pre, k)
    draw_panels.inside_the_model(model, pre, SHIPPED.get(choice))
    draw_panels.all_models(models, choice, pre, probs)


canvas_and_results(choice, pen, chalk)
if SEND_NOW.exists():
    st.html(SEND_NOW, unsafe_allow_javascript=True)  # our own constant script, no user input
clicks.page_complete()  # last: lets the next click act (see clicks.once)
