"""AppTest of the exercise section (ui.exercises): every kind of answer widget, Check and
Show me on real runs, bad answers, the settings note and its button, presenter mode, progress.

The autograd, linear and logistic pages are not this section's to edit: a tiny script renders
their sections the way a page would. The MNIST lab and Draw a digit are the real pages.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.mnist_helpers import mnist

pytestmark = pytest.mark.slow


def section_script(page: str, presenter: bool = False, failing: bool = False):
    """A page that is only the exercise section (and ends like a page: clicks.page_complete).

    `failing`: every experiment raises, as one whose settings a teacher mistyped would.
    """
    import streamlit as st

    from ui import clicks, exercises

    def broken(ex, resources=None):
        raise KeyError("'Straight line, noisy'")

    st.session_state.setdefault("presenter", presenter)
    real = exercises.read_outcome
    exercises.read_outcome = broken if failing else real
    try:
        exercises.exercise_section(page)
    finally:
        exercises.read_outcome = real
    clicks.page_complete()


def section(page: str, presenter: bool = False, failing: bool = False) -> AppTest:
    at = AppTest.from_function(section_script, args=(page, presenter, failing), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def shown(at) -> str:
    kinds = ("markdown", "caption", "info", "warning", "error", "success")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def answer(at, exercise_id: str, value) -> None:
    key = f"ex_answer_{exercise_id}"
    widgets = [w for w in (*at.text_input, *at.radio) if w.key == key]
    assert widgets, f"no answer widget for {exercise_id}"
    widgets[0].set_value(value)
    at.button(key=f"ex_check_{exercise_id}").click()
    at.run()
    assert not at.exception


def progress(at) -> str:
    return next(m.value for m in at.markdown if "answered" in m.value)


# ---- typed numbers (autograd) ------------------------------------------------------------


def test_a_number_is_graded_right_then_wrong_on_its_run():
    at = section("autograd")
    assert "0 of 3 answered, 0 right" in progress(at)
    answer(at, "ag_upstream_yy", "1/2")
    assert any("Right!" in s.value and "**0.5**" in s.value for s in at.success)
    assert "MulBackward0" in shown(at) and "3 · 1/6 = 0.5" in shown(at)
    assert "1 of 3 answered, 1 right" in progress(at)
    answer(at, "ag_upstream_yy", "0.25")
    assert any("Not quite." in e.value and "0.25 off" in e.value for e in at.error)
    assert "1 of 3 answered, 0 right" in progress(at)


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "Type your prediction first"),
        ("half", "That is not a number"),
        ("nan", "NaN and infinity cannot be graded"),
        ("1e400", "NaN and infinity cannot be graded"),
        ("1,000", "Is that a thousand or one?"),
        ("1/0", "divides by zero"),
    ],
)
def test_bad_numbers_get_a_message_under_the_field_and_keep_the_progress(typed, words):
    at = section("autograd")
    answer(at, "ag_sum_vs_mean", "6")
    assert "1 of 3 answered, 1 right" in progress(at)
    answer(at, "ag_sum_vs_mean", typed)
    assert any(words in w.value for w in at.warning)
    assert "1 of 3 answered, 1 right" in progress(at)  # the earlier result is kept
    assert any("Right!" in s.value for s in at.success)


def test_show_me_reveals_without_grading():
    at = section("autograd")
    at.button(key="ex_show_ag_no_requires_grad").click()
    at.run()
    assert "shown, not graded" in shown(at) and "backward() refuses" in shown(at)
    assert "0 of 3 answered" in progress(at)


def test_a_check_after_show_me_is_graded_but_not_counted():
    at = section("autograd")
    at.button(key="ex_show_ag_sum_vs_mean").click()
    at.run()
    answer(at, "ag_sum_vs_mean", "6")
    assert any("Right!" in s.value and "not counted" in s.value for s in at.success)
    assert "0 of 3 answered" in progress(at)


def test_an_experiment_that_cannot_run_says_so_and_keeps_the_progress():
    at = section("linear_regression")
    answer(at, "lin_sgd_paths", "together")
    assert "1 of 3 answered, 1 right" in progress(at)
    at = section("linear_regression", failing=True)
    answer(at, "lin_adam_paths", "apart")
    assert any("could not run" in e.value and "Straight line, noisy" in e.value for e in at.error)
    assert "0 of 3 answered" in progress(at)  # a fresh session: nothing graded, no crash
    answer(at, "lin_adam_paths", None)  # and no answer on top: still a message, no crash
    assert any("Type your prediction first" in w.value for w in at.warning)


def test_results_survive_reruns_and_other_clicks():
    at = section("autograd")
    answer(at, "ag_upstream_yy", "0.5")
    at.button(key="ex_show_ag_sum_vs_mean").click()  # another exercise's click
    at.run()
    at.run()
    assert at.text_input(key="ex_answer_ag_upstream_yy").value == "0.5"
    assert any("Right!" in s.value for s in at.success)
    assert "1 of 3 answered, 1 right" in progress(at)


# ---- choices and trends (linear, logistic) -------------------------------------------------


def test_a_choice_is_graded_and_an_unpicked_one_asks_for_a_pick():
    at = section("linear_regression")
    at.button(key="ex_check_lin_sgd_paths").click()  # nothing picked yet
    at.run()
    assert any("or pick one" in w.value for w in at.warning)
    answer(at, "lin_sgd_paths", "together")
    assert any("Right!" in s.value and "They stay together" in s.value for s in at.success)
    answer(at, "lin_adam_paths", "together")
    assert any("Not quite." in e.value and "They part" in e.value for e in at.error)
    assert "2 of 3 answered, 1 right" in progress(at)


def test_a_trend_is_graded_on_the_run_with_the_exercise_learning_rate():
    at = section("logistic_regression")
    answer(at, "lr_rate_ten", "explodes")
    assert any("Right!" in s.value and "explodes" in s.value for s in at.success)
    answer(at, "lr_xor_line", "75 %")
    assert any("Right!" in s.value and "%" in s.value for s in at.success)


def test_changed_page_settings_are_noted_and_can_be_set_to_the_exercise():
    at = AppTest.from_function(section_script, args=("linear_regression",), default_timeout=60)
    at.session_state["lin_opt"] = "Adam"  # the student changed the page before answering
    at.run()
    assert any("Your page is set differently (optimizer)" in w.value for w in at.warning)
    answer(at, "lin_sgd_paths", "together")  # graded on the exercise's SGD run, not Adam
    assert any("Right!" in s.value for s in at.success)
    at.button(key="ex_apply_lin_sgd_paths").click()
    at.run()
    assert at.session_state["lin_opt"] == "SGD"
    notes = [c.value for c in at.caption if "The check runs with" in c.value]
    assert any("SGD, learning rate 0.1" in n for n in notes)  # this exercise now agrees
    assert any("(optimizer)" in w.value and "Adam" in w.value for w in at.warning)  # Adam's


def test_presenter_mode_shows_the_question_large_and_hides_the_answer_until_show_me():
    at = section("logistic_regression", presenter=True)
    assert any(m.value.startswith("### On **XOR**") for m in at.markdown)
    answer(at, "lr_rate_ten", "explodes")
    assert "Press **Show me** to reveal" in shown(at)
    assert not at.success and "blows up" not in shown(at)
    assert "1 of 4 answered." in progress(at)  # counted; whether right, not yet said
    assert "right" not in progress(at)
    at.button(key="ex_show_lr_rate_ten").click()
    at.run()
    assert any("Right!" in s.value for s in at.success) and "blows up" in shown(at)
    assert "1 of 4 answered, 1 right" in progress(at)  # revealed: the room may know now


# ---- pairs and signs on the real pages (MNIST lab, Draw a digit) --------------------------


@pytest.fixture(scope="module")
def data_loaded_once():
    mnist()  # the pages share these tensors through st.cache_resource


def test_mnist_page_grades_a_pair_and_refuses_a_bad_one(app_test, data_loaded_once):
    at = app_test("pages/mnist.py")
    assert not at.exception
    assert "0 of 3 answered" in progress(at)
    assert not any("Try this" in i.value for i in at.info)  # the prompts became exercises
    answer(at, "mn_confused_pair", "4 and 4")
    assert any("Two different digits" in w.value for w in at.warning)
    answer(at, "mn_confused_pair", "0 and 1")
    assert any("Not quite." in e.value and "0 and 1" in e.value for e in at.error)
    assert "mistakes between" in shown(at)
    answer(at, "mn_linear_accuracy", "92")
    assert any("Right!" in s.value for s in at.success)
    assert "2 of 3 answered, 1 right" in progress(at)


def test_answers_and_results_survive_a_page_switch(app_test, data_loaded_once):
    at = app_test("pages/draw.py")
    answer(at, "draw_small_seven", "yes")
    at.switch_page("pages/mnist.py")
    at.run()
    assert "0 of 3 answered" in progress(at)  # the MNIST lab's own tally
    at.switch_page("pages/draw.py")
    at.run()
    assert not at.exception
    assert at.radio(key="ex_answer_draw_small_seven").value == "yes"
    assert any("Right!" in s.value for s in at.success)
    assert "1 of 3 answered, 1 right" in progress(at)


def test_draw_page_grades_a_sign_and_a_choice(app_test, data_loaded_once):
    at = app_test("pages/draw.py")
    assert not at.exception
    answer(at, "draw_blank_votes", "positive")
    assert any("Right!" in s.value and "positive" in s.value for s in at.success)
    answer(at, "draw_naive_seven", "yes")
    assert any("Not quite." in e.value and "No, another digit" in e.value for e in at.error)
    assert "2 of 3 answered, 1 right" in progress(at)


@pytest.mark.parametrize(
    "page, exercise, typed, verdict",
    [
        ("pages/autograd.py", "ag_sum_vs_mean", "6", "Right!"),
        ("pages/linear_regression.py", "lin_sgd_paths", "apart", "Not quite."),
        ("pages/logistic_regression.py", "lr_rate_ten", "explodes", "Right!"),
    ],
)
def test_the_other_pages_carry_their_exercises_and_grade_them(
    app_test, page, exercise, typed, verdict
):
    """The three lab pages wired to their exercises: the section is there, under the lesson,
    and an answer is graded on the page itself."""
    at = app_test(page)
    assert not at.exception
    assert "0 of" in progress(at) and "answered" in progress(at)
    answer(at, exercise, typed)
    graded = [*at.success, *at.error]
    assert any(verdict in e.value for e in graded), [e.value for e in graded]
    assert "1 of" in progress(at)
