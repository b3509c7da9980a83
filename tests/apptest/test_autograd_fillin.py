"""'Your turn' on the real autograd page (AppTest): the toggle, typing, Check, hint, Show me."""

from __future__ import annotations

import pytest

PAGE = "pages/autograd.py"
SIXTH = ", ".join(["1/6"] * 6)  # d out/dz for out = z.mean() over 6 elements


def everything(at) -> str:
    """Every text on the page: markdown, captions, alerts and code."""
    parts = (
        [m.value for m in at.markdown] + [c.value for c in at.caption] + [c.value for c in at.code]
    )
    for kind in ("error", "warning", "success", "info"):
        parts += [e.value for e in getattr(at, kind)]
    return "\n".join(parts)


def check(at, answer: str, field: str = "ag_fill_1_1"):
    at.text_input(key=field).input(answer)
    at.button(key="ag_fill_check").click().run()
    assert not at.exception
    return at


@pytest.fixture
def turn(app_test):
    """The chapter's example with 'Your turn' switched on (which starts at step 0)."""
    at = app_test(PAGE, timeout=180)
    at.toggle(key="ag_turn").set_value(True).run()
    assert not at.exception
    return at


def test_turning_it_on_starts_at_the_first_step(turn):
    assert turn.slider(key="ag_step").value == 0
    page = everything(turn)
    assert "Your turn: step 1." in page and "MeanBackward0" in page
    field = turn.text_input(key="ag_fill_1_1")
    assert field.label == "Gradient sent along input 1 (shape (2, 3))"
    assert "Input 1 → `z = y * y * 3`" in page
    assert "Hint" not in page  # no hint before a wrong try
    assert "0 of 5 steps computed" in page
    assert turn.query_params["ag_turn"] in ("1", ["1"])


def test_wrong_then_right_answer(turn):
    check(turn, "1, 1, 1, 1, 1, 1")
    page = everything(turn)
    assert "Not quite: 6 of 6 value(s) are off" in page
    assert "Hint" in page and "upstream (shape ()) =\n1" in page  # the hint after a wrong try
    assert "local derivative for input 1 =\n[[0.1667, 0.1667, 0.1667]," in page
    assert turn.slider(key="ag_step").value == 0  # not revealed yet
    check(turn, SIXTH)
    assert turn.slider(key="ag_step").value == 1  # revealed
    page = everything(turn)
    assert "Right: step 1 is what autograd computed" in page
    assert "Your turn: step 2." in page and "Step 1 of 5" in page
    assert "`MulBackward0` for `z = y * y * 3`" in page  # code span: nothing escaped
    assert "1 of 5 steps computed (0 at the first try, 1 after a hint)" in page


def test_a_rounded_answer_within_tolerance_passes(turn):
    check(turn, "[[0.167, 0.167, 0.167], [0.167, 0.167, 0.167]]")
    assert turn.slider(key="ag_step").value == 1
    assert "(1 at the first try, 0 after a hint)" in everything(turn)


@pytest.mark.parametrize(
    "answer, said",
    [
        ("", "Type a value first"),
        ("abc", "“abc” is not a number"),
        ("0.1667, 0.1667, NaN, 0.1667, 0.1667, 0.1667", "is not a finite number"),
        ("1e400, 0, 0, 0, 0, 0", "“1e400” is not a finite number"),
        ("0.1667, 0.1667", "needs 6 value(s); you typed 2"),
        ("0,1667", "needs 6 value(s); you typed 2"),
    ],
)
def test_bad_input_is_explained_and_is_not_a_try(turn, answer, said):
    check(turn, answer)
    page = everything(turn)
    assert said in page
    assert "Hint" not in page  # a typo is not a wrong try
    assert turn.slider(key="ag_step").value == 0
    assert turn.text_input(key="ag_fill_1_1").value == answer  # what was typed is kept
    check(turn, SIXTH)  # and the right answer still goes through
    assert turn.slider(key="ag_step").value == 1


def test_show_me_reveals_and_the_end_is_reached(turn):
    for step in range(1, 6):
        turn.button(key="ag_fill_show").click().run()
        assert not turn.exception
        assert turn.slider(key="ag_step").value == step
    page = everything(turn)
    assert "You have gone through the whole backward pass" in page
    assert "0 of 5 steps computed (0 at the first try, 0 after a hint), 5 shown" in page
    turn.button(key="ag_fill_again").click().run()
    assert turn.slider(key="ag_step").value == 0
    assert "0 of 5 steps computed (0 at the first try, 0 after a hint), 0 shown" in everything(turn)


def test_two_inputs_fed_by_one_node(turn):
    """y * y sends a gradient along both inputs: two fields, both must be right."""
    turn.slider(key="ag_step").set_value(2).run()
    assert "Your turn: step 3." in everything(turn)
    y_grad = "1.5, 2, 2.5, 3, 3.5, 4"  # upstream 0.5 x local y = x + 2
    turn.text_input(key="ag_fill_3_1").input(y_grad)
    check(turn, "0, 0, 0, 0, 0, 0", field="ag_fill_3_2")
    page = everything(turn)
    assert "Right." in page and "Not quite" in page
    assert turn.slider(key="ag_step").value == 2
    check(turn, y_grad, field="ag_fill_3_2")
    assert turn.slider(key="ag_step").value == 3


def test_a_model_with_a_big_gradient_asks_for_its_first_values(app_test):
    at = app_test(
        PAGE, timeout=180, query={"ag_mode": "A model's loss", "ag_turn": "1", "ag_step": "0"}
    )
    assert not at.exception
    labels = [t.label for t in at.text_input if t.key and t.key.startswith("ag_fill_")]
    assert labels, everything(at)
    at.button(key="ag_fill_show").click().run()
    assert not at.exception and at.slider(key="ag_step").value == 1


def test_a_new_example_starts_at_its_first_step(turn):
    turn.button(key="ag_fill_show").click().run()
    assert turn.slider(key="ag_step").value == 1
    turn.selectbox(key="ag_example").set_value("One value used twice: gradients add up").run()
    assert not turn.exception
    assert turn.slider(key="ag_step").value == 0
    assert "Your turn: step 1." in everything(turn) and "AddBackward0" in everything(turn)
    turn.button(key="ag_fill_show").click().run()  # and it goes on from there
    assert turn.slider(key="ag_step").value == 1


def test_a_shared_link_opens_at_its_step(app_test):
    at = app_test(PAGE, timeout=180, query={"ag_turn": "1", "ag_step": "2"})
    assert not at.exception
    assert at.slider(key="ag_step").value == 2 and "Your turn: step 3." in everything(at)


def test_the_sections_that_give_the_answers_away_wait_for_the_turn_to_end(app_test):
    """The example's worked note (it says x.grad), the gradient check and the lessons show
    the leaves' gradients: hidden while it is the student's turn, back when it is off."""
    at = app_test(PAGE, timeout=180)
    shown = everything(at)
    assert "By hand:" in shown and "Gradient check" in [s.value for s in at.subheader]
    at.toggle(key="ag_turn").set_value(True).run()
    assert not at.exception
    hidden = everything(at)
    assert "By hand:" not in hidden and "they are back once you turn Your turn off" in hidden
    assert "Gradient check" not in [s.value for s in at.subheader]
    at.toggle(key="ag_turn").set_value(False).run()
    assert "By hand:" in everything(at)
