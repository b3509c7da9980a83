"""Predict, then check: a page's exercises from `core.exercises`, and the words for its codes.

`exercise_section(page)` renders the page's exercises in one expander, a tab each: the
prompt, the answer widget for its kind, Check (runs the experiment with the exercise's own
settings through the training scheduler, then grades) and Show me (reveals, not graded), a
note when the page's widgets differ from the exercise's settings with a button that sets
them, and the page's progress. Everything lives in `st.session_state` (`KEPT`), so answers,
results and progress survive reruns, other clicks and page switches. Presenter mode shows the
question large and keeps the answer hidden until Show me, even after a Check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import streamlit as st

from core.exercises import (
    Exercise,
    Outcome,
    Progress,
    Refusal,
    Resources,
    Result,
    for_page,
    grade,
    parse_answer,
    read_outcome,
)
from ui import clicks, training_slot
from ui.presenter_mode import presenter
from ui.shared import mnist, pretrained
from ui.text import text
from ui.url_state import upcoming

KEPT = "exercises_kept"
RUN_FAILS = (ValueError, KeyError, TypeError, RuntimeError, IndexError)  # a reader's refusals

REFUSALS = {  # Refusal.code -> what the student reads under the field
    "empty": "Type your prediction first (or pick one), then press Check.",
    "too_long": "That is too long for an answer: type just the number.",
    "not_a_number": "That is not a number. Type digits, e.g. 0.5, 1/2 or 92.",
    "not_finite": "NaN and infinity cannot be graded: type a finite number.",
    "ambiguous_comma": "Is that a thousand or one? Write 1000 or 1.0, without the comma.",
    "divide_by_zero": "That divides by zero: type a number.",
    "out_of_range": "That cannot be the answer: it has to be between {detail}.",
    "wrong_count": "Type exactly two digits, e.g. 4 and 9 (found {detail} numbers).",
    "not_a_digit": "Digits are 0 to 9, whole numbers: {detail} is not one.",
    "same_digit": "Two different digits, please: {detail} and {detail} is one digit.",
    "unknown_option": "Pick one of the options.",
}
FACTS = {  # Outcome fact codes -> words ("accuracy:x" reads "accuracy with x")
    "node": "backward node",
    "min": "smallest entry",
    "max": "largest entry",
    "grad_first": "x.grad[0, 0]",
    "baseline_first": "x.grad[0, 0] before",
    "requires_grad": "out requires grad",
    "nodes": "backward nodes run",
    "largest_gap": "largest gap between the trainers",
    "steps": "steps",
    "first_loss": "loss at the start",
    "last_loss": "last loss",
    "best_step": "best at step",
    "last_accuracy": "accuracy at the end (%)",
    "seconds": "seconds of training",
    "prediction": "the model read",
    "confidence": "its confidence (%)",
    "digit_probability": "probability of the drawn digit (%)",
    "blank_share": "blank pixels' share",
    "ink_share": "ink pixels' share",
    "blank_pixels": "blank pixels",
    "accuracy": "accuracy (%) with",
    "mistakes": "mistakes between",
}
SETTINGS = {  # the pages' widget keys the catalog sets -> what the student sees them as
    "ag_mode": "start from",
    "ag_leaves": "leaves",
    "ag_prog": "operations",
    "ag_step": "backward step",
    "lin_data": "data",
    "lin_opt": "optimizer",
    "lin_lr": "learning rate",
    "lin_epochs": "epochs",
    "lin_std": "standardise",
    "lin_batch": "batches",
    "lr_data": "data set",
    "lr_feat": "extra features",
    "lr_layers": "hidden layers",
    "lr_lr": "learning rate",
    "mn_model": "model",
    "mn_opt": "optimizer",
    "mn_lr": "learning rate",
    "mn_bs": "batch size",
    "mn_epochs": "epochs",
    "mn_n": "training images",
    "draw_model": "model",
}


@dataclass
class Kept:
    """One session's exercise state, for every page."""

    progress: Progress = field(default_factory=Progress)
    answers: dict = field(default_factory=dict)  # id -> the last typed or picked answer
    results: dict[str, Result] = field(default_factory=dict)
    refusals: dict[str, Refusal] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # id -> its run's outcome
    failures: dict[str, str] = field(default_factory=dict)  # id -> why its run failed
    shown: set[str] = field(default_factory=set)  # answers on screen
    uncounted: set[str] = field(default_factory=set)  # checked after the reveal


def kept() -> Kept:
    return st.session_state.setdefault(KEPT, Kept())


# ---- words -------------------------------------------------------------------------------


def refusal_text(refusal: Refusal) -> str:
    return REFUSALS.get(refusal.code, "That answer cannot be graded.").format(
        detail=text(refusal.detail, limit=20)
    )


def value_text(ex: Exercise, value) -> str:
    """A truth or an answer in words: 92.1%, '4 and 9', an option's label."""
    if ex.kind == "number":
        return f"{value:.3g}{ex.unit}"
    if ex.kind == "pair":
        return f"{value[0]} and {value[1]}"
    return ex.labels.get(value, str(value))


def _fact_text(ex: Exercise, code: str, value) -> str:
    name, _, what = code.partition(":")
    label = FACTS.get(name, name)
    if what:
        label += " " + ex.labels.get(what, what)
    if isinstance(value, bool):
        shown = "yes" if value else "no"
    elif isinstance(value, float):
        shown = f"{value:.3g}"
    else:
        shown = str(value)
    return f"{label}: **{text(shown, limit=40)}**"


def facts_text(ex: Exercise, outcome: Outcome) -> str:
    return " · ".join(_fact_text(ex, code, value) for code, value in outcome.facts)


def verdict_text(ex: Exercise, result: Result) -> str:
    answer = f"You predicted **{value_text(ex, result.answer)}**"
    truth = f"the run gave **{value_text(ex, result.truth)}**"
    if ex.kind == "number" and not result.correct:
        return f"{answer}; {truth} ({abs(result.off):.3g}{ex.unit} off)."
    return f"{answer}; {truth}."


# ---- the page's settings -------------------------------------------------------------------


def _current(key: str):
    """What the page's widget `key` holds now, or will hold when the page draws it below."""
    return upcoming(key)


def _same(have, want) -> bool:
    if isinstance(want, list | tuple):
        return isinstance(have, list | tuple) and list(have) == list(want)
    if isinstance(want, float | int) and not isinstance(want, bool):
        return isinstance(have, float | int) and math.isclose(have, want, rel_tol=1e-9)
    return have == want


def differing_settings(ex: Exercise) -> list[str]:
    """The exercise's setting keys the page has set to something else."""
    return [
        key
        for key, want in ex.settings.items()
        if _current(key) is not None and not _same(_current(key), want)
    ]


def apply_settings(exercise_id: str, page: str) -> None:
    """Set the page's widgets to the exercise's settings (a button callback: before widgets)."""
    ex = next(e for e in for_page(page) if e.id == exercise_id)
    for key, value in ex.settings.items():
        st.session_state[key] = list(value) if isinstance(value, list | tuple) else value


# ---- checking ------------------------------------------------------------------------------


def run_outcome(ex: Exercise, state: Kept) -> Outcome | None:
    """The exercise's run (once per session: it is deterministic), through the scheduler."""
    if ex.id in state.outcomes:
        return state.outcomes[ex.id]
    try:
        with (
            st.spinner("Running the experiment with the exercise's settings..."),
            training_slot.lab_chunk(owner="exercise"),
        ):
            outcome = read_outcome(ex, Resources(mnist, pretrained))
    except RUN_FAILS as err:
        state.failures[ex.id] = str(err)[:200] or type(err).__name__
        return None
    state.failures.pop(ex.id, None)
    state.outcomes[ex.id] = outcome
    return outcome


def check(ex: Exercise, state: Kept, answer) -> None:
    """Grade `answer` against the run; a refused answer keeps the progress as it was."""
    parsed = parse_answer(ex, answer)
    if isinstance(parsed, Refusal):
        state.refusals[ex.id] = parsed
        return
    state.refusals.pop(ex.id, None)
    outcome = run_outcome(ex, state)
    if outcome is None:
        return
    result = grade(ex, parsed, outcome)
    state.results[ex.id] = result
    if not state.progress.record(ex.id, result.correct):
        state.uncounted.add(ex.id)
    if not presenter():  # on a projector the class sees the answer only on Show me
        state.shown.add(ex.id)


def show_me(ex: Exercise, state: Kept) -> None:
    """Reveal the run's answer; from now on this exercise's checks no longer count."""
    if run_outcome(ex, state) is not None:
        state.progress.reveal(ex.id)
        state.shown.add(ex.id)


# ---- drawing -------------------------------------------------------------------------------


def answer_widget(ex: Exercise, state: Kept):
    """The widget for the exercise's kind; its value is kept across page switches."""
    key = f"ex_answer_{ex.id}"
    if key not in st.session_state and ex.id in state.answers:
        st.session_state[key] = state.answers[ex.id]
    if ex.kind == "number":
        unit = f" ({ex.unit})" if ex.unit else ""
        value = st.text_input(f"Your prediction{unit}", key=key, placeholder="a number")
    elif ex.kind == "pair":
        value = st.text_input("Your prediction: two digits", key=key, placeholder="e.g. 4 and 9")
    else:
        value = st.radio(
            "Your prediction",
            ex.choices,
            index=None,
            key=key,
            format_func=lambda c: ex.labels.get(c, c.capitalize()),
            horizontal=len(ex.choices) <= 3,
        )
    state.answers[ex.id] = value
    return value


def settings_note(ex: Exercise, page: str) -> None:
    setup = text(ex.setup) if ex.setup else "the exercise's own settings"
    if not (differ := differing_settings(ex)):
        st.caption(f":material/tune: The check runs with {setup}.")
        return
    names = ", ".join(SETTINGS.get(k, k) for k in differ)
    st.warning(
        f"Your page is set differently ({names}). The check always runs with the exercise's "
        f"settings: {setup}.",
        icon=":material/tune:",
    )
    st.button(
        "Set the page to these settings",
        key=f"ex_apply_{ex.id}",
        icon=":material/settings_backup_restore:",
        on_click=clicks.once(apply_settings),
        args=(ex.id, page),
    )


def show_answer(ex: Exercise, state: Kept) -> None:
    """Right or wrong, the truth from the run and why (or, in presenter mode, a lock)."""
    if ex.id in state.failures:
        st.error(
            f"This exercise's experiment could not run: {text(state.failures[ex.id])}",
            icon=":material/error:",
        )
        return
    result, outcome = state.results.get(ex.id), state.outcomes.get(ex.id)
    if ex.id not in state.shown or outcome is None:
        if result is not None:
            st.info("Prediction checked. Press **Show me** to reveal.", icon=":material/lock:")
        return
    if result is not None:
        box = st.success if result.correct else st.error
        word = "Right!" if result.correct else "Not quite."
        late = " (checked after the answer was shown: not counted)" * (ex.id in state.uncounted)
        box(f"**{word}** {verdict_text(ex, result)}{late}", icon=":material/grading:")
    else:
        st.info(
            f"The run gave **{value_text(ex, outcome.truth)}** (shown, not graded).",
            icon=":material/visibility:",
        )
    st.caption(f"From the run: {facts_text(ex, outcome)}")
    if outcome.picture is not None:  # what the model read, on the draw page
        width = 168 if presenter() else 112
        st.image(outcome.picture, caption="What the model read (28x28)", width=width, clamp=True)
    st.markdown(f"**Why:** {ex.explanation}")


def one_exercise(ex: Exercise, page: str, state: Kept) -> None:
    if presenter():
        st.markdown(f"### {ex.prompt}")
    else:
        st.markdown(ex.prompt)
    answer = answer_widget(ex, state)
    under_the_field = st.empty()  # filled once this run's click is handled
    left, right = st.columns(2)
    if left.button("Check", key=f"ex_check_{ex.id}", type="primary", width="stretch"):
        check(ex, state, answer)
    if right.button("Show me", key=f"ex_show_{ex.id}", width="stretch"):
        show_me(ex, state)
    if ex.id in state.refusals:
        under_the_field.warning(refusal_text(state.refusals[ex.id]), icon=":material/edit_note:")
    settings_note(ex, page)
    show_answer(ex, state)


def exercise_section(page: str) -> None:
    """The page's exercises (from `core/exercises/catalog.toml`), a tab each, and progress."""
    exercises = for_page(page)
    if not exercises:
        return
    state = kept()
    with st.expander("Predict, then check", icon=":material/quiz:", expanded=presenter()):
        progress = st.empty()  # filled last, once this run's clicks are counted
        tabs = st.tabs([f"Exercise {i}" for i in range(1, len(exercises) + 1)])
        for tab, ex in zip(tabs, exercises, strict=True):
            with tab:
                one_exercise(ex, page, state)
        tally = state.progress.tally(ex.id for ex in exercises)
        locked = any(ex.id in state.results and ex.id not in state.shown for ex in exercises)
        right = "" if presenter() and locked else f", {tally.right} right"  # the room would see
        progress.markdown(
            f":material/checklist: **{tally.answered} of {tally.total} answered{right}.** "
            "Commit to a prediction, then Check: the experiment runs and grades it."
        )
