"""The autograd page's larger sections: the error box, the gradient check, the lessons."""

from __future__ import annotations

import re

import streamlit as st

from core.autograd import gradcheck
from core.autograd import graph as G
from core.autograd import lessons as L
from core.autograd import scenarios as P
from core.autograd.source import ExpressionError
from ui.text import text


def show_error(err: ExpressionError) -> None:
    """The refusal in bold (as literal text), the line with a caret under it in a code block."""
    pointer = err.pointer()
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", pointer or "")), default=0))
    st.error(
        f"**{text(err, limit=500)}**" + (f"\n\n{fence}\n{pointer}\n{fence}" if pointer else ""),
        icon=":material/error:",
    )


def show_step(view: G.StepView) -> None:
    """One backward step explained: its title, the local derivative, the numbers."""
    st.markdown(view.title)
    st.latex(view.formula)
    st.code(view.numbers, language=None, wrap_lines=True)


@st.cache_data(max_entries=64, show_spinner="Checking gradients with finite differences...")
def cached_check(key: tuple, _scenario: P.Scenario, how: str):
    """Gradient check of one scenario, cached by its settings (`key`), for every session."""

    def fn(tensors):
        return G.with_reduction(_scenario.forward(tensors), how)[0].output

    return gradcheck.gradient_check(fn, _scenario.make_inputs())


def gradient_check_section(scenario, comp, target, problem, key: tuple, how: str) -> None:
    """Autograd's gradients against central finite differences, with a verdict."""
    st.subheader("Gradient check", anchor=False)
    if problem:
        st.info("Choose how backward() should start (above) to check its gradients.")
    elif not target.params():
        st.info("No leaf requires grad: there is no gradient to check.")
    else:
        try:
            check = cached_check(key, scenario, how if how in ("sum", "mean") else "sum")
        except ExpressionError as err:
            check = None
            show_error(err)
        if check is not None:
            worst = check.worst
            a, b, c = st.columns(3)
            a.metric("Largest |autograd - finite difference|", f"{check.max_error:.2e}")
            b.metric("Elements checked", f"{check.checked:,} of {check.total:,}")
            c.metric("Verdict", "agree" if check.passed else "DISAGREE")
            st.caption(
                f"Central differences in float64, eps = {check.eps:g}: (f(x+eps) - f(x-eps)) / "
                f"2eps for each element. Worst: {worst.name}{list(worst.index)}."
                + (" Stopped early: the time budget ran out." if check.out_of_time else "")
            )
            if not check.passed and comp.detached:
                st.info(
                    "They disagree because of `.detach()`: finite differences measure how the "
                    "output really changes, while autograd was told to ignore the detached path. "
                    "That difference is exactly what detach does.",
                    icon=":material/info:",
                )
            with st.expander("All compared elements"):
                st.dataframe(check.rows(), hide_index=True, width="stretch")


def lessons_section(scenario, how: str) -> None:
    """The chapter's four lessons (scalar, accumulation, no_grad, detach) on this computation."""
    st.subheader("Lessons from the chapter, on this computation", anchor=False)
    tabs = st.tabs(["Why a scalar?", "Gradients accumulate", "torch.no_grad()", ".detach()"])
    builders = [
        lambda: L.scalar(scenario),
        lambda: L.accumulation(scenario, how),
        lambda: L.no_grad(scenario),
        lambda: L.detach(scenario),
    ]
    for tab, build in zip(tabs, builders, strict=True):
        with tab:
            lesson = build()
            st.markdown(lesson.text)
            if lesson.code:
                st.code(lesson.code, language="python")
            if lesson.rows:
                st.dataframe(lesson.rows, hide_index=True, width="stretch")
