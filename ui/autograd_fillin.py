"""'Your turn' in the autograd step-through: the student types what the next node sends.

With the toggle on, steps 1..k stay shown and step k + 1 is a question: one text field per
input that receives a gradient (`core.autograd.fillin.question`). Check grades it against
the recorded trace; the first wrong try brings the hint (upstream gradient, the local
derivative written out, how they combine); a right answer or "Show me" reveals the step
(the step slider moves on). Progress is this session's, per computation, in session state;
typed text that cannot be read is explained and never counts as a try.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from core.autograd import fillin as F
from core.autograd import graph as G
from ui import clicks
from ui.text import text
from ui.url_state import toggle

TURN_HIDES = (  # shown in place of the sections that would give the answers away
    "The gradient check and the chapter's lessons show every leaf's gradient, the answers of "
    "the last steps: they are back once you turn Your turn off."
)

STEP = "ag_step"  # the page's step slider: how many steps are shown
PROGRESS = "_ag_fillin"  # session state: {(computation key, step): Progress}
SEEN = "_ag_fillin_seen"  # session state: the computation the last question was about
LAST = "_ag_fillin_last"  # session state: (computation key, step, how it was revealed)
RESTART = "_ag_fillin_restart"  # session state: go back to step 0 at the start of the next run
MAX_KEPT = 400  # questions remembered per session at most (oldest dropped)


@dataclass
class Progress:
    """One question's history in this session."""

    tries: int = 0  # checks with readable numbers of the right count
    grades: list[F.Grade] = field(default_factory=list)  # the last check, one per blank
    solved: bool = False
    shown: bool = False  # revealed by "Show me" (or Next) before it was solved


def turn_toggle() -> bool:
    """The 'Your turn' switch (URL state); turning it on starts from the forward pass.

    Drawn before the step slider, so it is where a restart asked for by `your_turn` happens.
    """
    if st.session_state.pop(RESTART, False):
        st.session_state[STEP] = 0
    return toggle(
        "Your turn: compute each step",
        "ag_turn",
        False,
        on_change=_started,
        help="The next node's gradient is hidden: type it, press Check.",
    )


def _started() -> None:
    if st.session_state.get("ag_turn"):
        st.session_state[STEP] = 0


def _progress(qid: tuple) -> Progress:
    book = st.session_state.setdefault(PROGRESS, {})
    if qid not in book:
        while len(book) >= MAX_KEPT:
            book.pop(next(iter(book)))
        book[qid] = Progress()
    return book[qid]


def _field(index: int, blank: F.Blank) -> str:
    return f"ag_fill_{index}_{blank.input_number}"


def _check(qid: tuple, question: F.Question) -> None:
    """Grade every blank; all right reveals the step, numbers that are off count as a try."""
    progress = _progress(qid)
    progress.grades = [
        F.grade(b, str(st.session_state.get(_field(question.index, b), "")))
        for b in question.blanks
    ]
    if all(g.right for g in progress.grades):
        progress.solved = not progress.shown
        _reveal(qid, question.index, "solved" if progress.solved else "shown")
    elif all(g.counts_as_try for g in progress.grades):
        progress.tries += 1


def _show(qid: tuple, question: F.Question) -> None:
    progress = _progress(qid)
    progress.shown = not progress.solved
    _reveal(qid, question.index, "shown")


def _reveal(qid: tuple, index: int, how: str) -> None:
    st.session_state[STEP] = index
    st.session_state[LAST] = (qid[0], index, how)


def _again(key: tuple) -> None:
    st.session_state[STEP] = 0
    st.session_state[PROGRESS] = {
        q: p for q, p in st.session_state.get(PROGRESS, {}).items() if q[0] != key
    }
    st.session_state.pop(LAST, None)


def your_turn(comp: G.Computation, trace: G.BackwardTrace, step: int, key: tuple) -> None:
    """The question for step `step + 1` of `trace` (or the end), with feedback and hint.

    A new computation (another example, an edited expression) starts at its first step: a
    new example would otherwise open with every step shown, nothing left to compute.
    """
    before, st.session_state[SEEN] = st.session_state.get(SEEN), key
    if before is not None and before != key and step:
        st.session_state[RESTART] = True  # the slider is drawn already: the next run moves it
        st.rerun()
    last = st.session_state.get(LAST)
    if last and last[0] == key and last[1] == step and step:
        _said_last(last[2], step)
    if step >= len(trace.steps):
        st.success("You have gone through the whole backward pass.", icon=":material/flag:")
        _summary(key, len(trace.steps))
        st.button(
            "Start again",
            icon=":material/replay:",
            key="ag_fill_again",
            on_click=clicks.once(_again),
            args=(key,),
        )
        return
    question = F.question(comp, trace, step + 1)
    qid = (key, question.index)
    progress = _progress(qid)
    with st.container(border=True):
        _ask(question)
        for blank, grade in zip(
            question.blanks, progress.grades or [None] * len(question.blanks), strict=True
        ):
            _text_field(question.index, blank)
            if grade is not None:
                _said(blank, grade)
        clicks.check_and_show("ag_fill", _check, _show, (qid, question), (qid, question))
        if progress.tries:
            _hint(comp, trace, question)
    _summary(key, len(trace.steps))


def _ask(question: F.Question) -> None:
    # Inside a code span Markdown escapes would show: only a backtick could end the span.
    node = f" for `{_code_span(question.node)}`" if question.node != question.kind else ""
    st.markdown(
        f"**Your turn: step {question.index}.** Autograd runs `{question.kind}`{node}. "
        + (
            "What gradient does it send to each input?"
            if question.kind != "AccumulateGrad"
            else "What is in the leaf's `.grad` after it?"
        )
    )
    if not question.blanks:
        st.caption("Nothing to compute here: no input needs a gradient. Press Show me.")


def _code_span(value: str, limit: int = 80) -> str:
    shown = " ".join(value.replace("`", "'").split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _text_field(index: int, blank: F.Blank) -> None:
    shape = "a single number" if not blank.shape else f"shape {blank.shape}"
    asked = f", its first {len(blank.expected)} values row by row" if blank.partial else ""
    # The target is the student's own text: in a code span, not in the label (Markdown).
    st.markdown(f"Input {blank.input_number} → `{_code_span(blank.target)}`")
    st.text_input(
        f"Gradient sent along input {blank.input_number} ({shape}{asked})",
        key=_field(index, blank),
        max_chars=F.MAX_TEXT,
        placeholder="e.g. 0.5  or  1, 2; 3, 4  or  [[1, 2], [3, 4]]",
    )


def _said(blank: F.Blank, grade: F.Grade) -> None:
    """The verdict on one blank, in words."""
    v, icon = F.Verdict, ":material/error:"
    if grade.verdict is v.RIGHT:
        st.caption(":material/check_circle: Right.")
    elif grade.verdict is v.WRONG:
        where = ", ".join(str(list(blank.index_of(p))) for p in grade.wrong_positions[:4])
        many = "…" if len(grade.wrong_positions) > 4 else ""
        at = f" at {where}{many}" if blank.shape else ""
        st.error(
            f"Not quite: {len(grade.wrong_positions)} of {grade.expected_count} value(s) are "
            f"off{at}.",
            icon=icon,
        )
    elif grade.verdict is v.COUNT:
        st.warning(
            f"This gradient needs {grade.expected_count} value(s); you typed {grade.typed_count}. "
            "Separate values with commas or spaces, rows with `;`, and write decimals with a point "
            "(0.5, not 0,5).",
            icon=":material/format_list_numbered:",
        )
    elif grade.verdict is v.EMPTY:
        st.warning(
            "Type a value first: a number, or for a tensor its values like `1, 2; 3, 4`.",
            icon=":material/edit:",
        )
    elif grade.verdict is v.NOT_A_NUMBER:
        st.warning(
            f"“{text(grade.culprit, 40)}” is not a number. Use numbers only, such as `0.5`, "
            "`-2`, `1e-3` or `1/3`.",
            icon=":material/edit:",
        )
    elif grade.verdict is v.NOT_FINITE:
        st.warning(
            f"“{text(grade.culprit, 40)}” is not a finite number (NaN, infinity or too large "
            "for a float): "
            "every gradient here is an ordinary number.",
            icon=":material/edit:",
        )
    else:
        st.warning(f"That is longer than {F.MAX_TEXT:,} characters.", icon=":material/edit:")


RULES = {
    "scalar": "The node's result is a single number, so each element of the gradient it "
    "sends is **upstream × local derivative**, element by element of the local derivative.",
    "elementwise": "The node works element by element, so the gradient it sends is "
    "**upstream × local derivative**, element by element.",
    "formula": "This node is not element by element: the gradient it sends is the upstream "
    "gradient put through the formula below (mind the shapes).",
    "accumulate": "`AccumulateGrad` adds the arriving gradient into the leaf's `.grad`, which "
    "was empty before this backward: **.grad = 0 + upstream**.",
}


def _hint(comp: G.Computation, trace: G.BackwardTrace, question: F.Question) -> None:
    h = F.hint(comp, trace, question.index)
    st.markdown(f":material/lightbulb: **Hint.** {RULES[h.rule]}")
    st.code(f"upstream (shape {h.upstream_shape}) =\n{h.upstream}", language=None, wrap_lines=True)
    st.latex(h.formula)
    for blank, local in zip(question.blanks, h.local, strict=False):
        if local is not None:
            st.code(
                f"local derivative for input {blank.input_number} =\n{local}",
                language=None,
                wrap_lines=True,
            )


def _said_last(how: str, step: int) -> None:
    if how == "solved":
        st.success(
            f"Right: step {step} is what autograd computed. It is now shown.",
            icon=":material/check_circle:",
        )
    else:
        st.info(
            f"Step {step} is shown: compare it with what you had.", icon=":material/visibility:"
        )


def _summary(key: tuple, steps: int) -> None:
    book = [p for q, p in st.session_state.get(PROGRESS, {}).items() if q[0] == key]
    first = sum(p.solved and p.tries == 0 for p in book)
    later = sum(p.solved and p.tries > 0 for p in book)
    shown = sum(p.shown for p in book)
    st.caption(
        f"Your progress on this computation: {first + later} of {steps} steps computed "
        f"({first} at the first try, {later} after a hint), {shown} shown."
    )
