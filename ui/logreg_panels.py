"""Sections of the logistic-regression page larger than one call."""

from __future__ import annotations

import streamlit as st

import ui
from core import logreg, optim
from core.logreg import figures as lf
from core.logreg.compare import pin, same_data
from core.logreg.export import export_script
from ui.pinning import other_data_note, pin_buttons


def sigmoid_and_cross_entropy(run: logreg.Run | None) -> None:
    """A logit slider on the sigmoid and on the cross-entropy, with the run's points."""
    st.subheader("Sigmoid and cross-entropy, up close")
    z = ui.slider("A logit z", "lr_z", -8.0, 8.0, 1.0, step=0.5)
    left, right = st.columns(2)
    with left:
        ui.plotly(lf.sigmoid_figure(z, run.model if run else None, run.data if run else None))
        if run is not None and run.model.binary:
            st.caption("Dots: training points at their logits. Wrong side of z = 0: misclassified.")
    with right:
        ui.plotly(lf.bce_figure(lf.sigmoid(z)))  # p = sigma(z) of the slider's logit
        st.caption("A confident wrong answer costs the most: the loss has no upper bound.")


def code_section(run: logreg.Run) -> None:
    """The run as a standalone script, hand-set weights included: shown and downloadable."""
    with st.expander("The code of this run: a standalone script", icon=":material/code:"):
        st.download_button(
            "Download as a Python script",
            lambda: export_script(run.data, run.config, run.step, run.edits, run.segments),
            "logistic_regression_run.py",
            "text/x-python",
            key="lr_download",
            on_click="ignore",
        )
        st.code(
            export_script(run.data, run.config, run.step, run.edits, run.segments),
            language="python",
        )


PINNED = "lr_pinned"  # (PinnedRun, its legend name)


def _describe(config) -> str:
    hidden = (
        "no hidden layer" if not config.hidden else "hidden " + "-".join(map(str, config.hidden))
    )
    return f"{optim.OPTIMIZERS[config.optimizer]}, lr {config.lr:g}, {hidden}"


def pinned_curves(run: logreg.Run) -> dict:
    """The pinned run for `curves_figure` (only beside a run on the same data)."""
    held = st.session_state.get(PINNED)
    if held is None or not same_data(held[0], run):
        return {}
    return {"pinned": held[0], "pinned_name": held[1]}


def run_notes(run: logreg.Run) -> None:
    """Pin and unpin; what the pinned run is; how the run got here if its settings changed."""
    label = f"pinned: {_describe(run.config)}"
    pin_buttons(PINNED, lambda: (pin(run), label), run.step > 0, "loss and accuracy")
    held = st.session_state.get(PINNED)
    if held is not None:
        if same_data(held[0], run):
            st.caption(f"Dotted purple on the loss and accuracy: {held[1]}.")
        else:
            other_data_note(held[1])
    _segments_note(run)


def _segments_note(run: logreg.Run) -> None:
    """Say so when the settings changed mid-run: training went on, it did not restart."""
    if len(run.segments) < 2:
        return
    parts = [
        f"from step {step:,}: {optim.OPTIMIZERS[c.optimizer]}, learning rate {c.lr:g}"
        + (f", L2 {c.l2:g}" if c.l2 else "")
        for step, c in run.segments
    ]
    st.info(
        "Settings changed mid-run: training **continues from the current weights** (a fresh "
        "optimizer), it does not restart. " + "; ".join(parts) + ". Reset starts over.",
        icon=":material/moving:",
    )
