"""The linear regression page's touchable data under AppTest: what the editor sends (edits,
a hand-placed line, the tool) is cleaned, applied, refused with a message, and never lost."""

from __future__ import annotations

import json

import pytest

from core.linreg.data import MAX_EDITED_POINTS

PAGE = "pages/linear_regression.py"
pytestmark = pytest.mark.slow


def ok(at):
    assert not at.exception, [e.value for e in at.exception]


def opened(app_test, query: dict | None = None):
    at = app_test(PAGE, query=query) if query else app_test(PAGE)
    at.session_state["lin_touch_open"] = True
    return at.run()


def editor_data(at) -> dict:
    (el,) = [e for e in at.main if getattr(e, "key", None) == "lin_touch"]
    return json.loads(el.proto.json)


def send(at, **state):
    """What the browser's editor does: set its state, which reruns the page."""
    at.session_state["lin_touch"] = {"edit": None, "line": None, "mode": None, **state}
    return at.run()


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_editor_is_built_only_when_opened_and_shows_the_training_points(app_test):
    at = app_test(PAGE, query={"lin_n": "20"})
    assert not [e for e in at.main if getattr(e, "key", None) == "lin_touch"]
    at = opened(app_test, {"lin_n": "20"})
    ok(at)
    data = editor_data(at)
    assert len(data["points"]) == 20 and data["seq"] == 0 and data["degree"] == 1
    assert data["mode"] == "move" and data["line"] is None
    x_lo, x_hi, y_lo, y_hi = data["bounds"]
    assert all(x_lo <= x <= x_hi and y_lo <= y <= y_hi for x, y in data["points"])


def test_an_edit_is_applied_once_and_trains_on_the_new_points(app_test):
    at = opened(app_test, {"lin_n": "20"})
    base = editor_data(at)["base"]
    points = [[1.0, 3.0], [2.0, 5.0], [3.0, 7.2], [5.0, 11.0]]
    at = send(at, edit={"base": base, "seq": 1, "points": points})
    ok(at)
    run = at.session_state["lin_run"]
    assert run.problem.data.x_train.tolist() == [1.0, 2.0, 3.0, 5.0]
    assert editor_data(at)["seq"] == 1 and editor_data(at)["points"] == points
    assert "points edited by hand (4 points)" in run.problem.data.source
    at.button(key="lin_step100").click().run()
    # the same edit arriving again (its seq already applied) changes nothing
    at = send(at, edit={"base": base, "seq": 1, "points": [[0, 0], [9, 9]]})
    assert at.session_state["lin_run"].problem.data.x_train.tolist() == [1.0, 2.0, 3.0, 5.0]
    undo = next(b for b in at.button if b.label.startswith("Undo my edits"))
    undo.click().run()
    assert len(at.session_state["lin_run"].problem.data.x_train) == 20


def test_hostile_and_extreme_edits_get_a_message_and_the_page_stays_up(app_test):
    at = opened(app_test, {"lin_n": "20"})
    base = editor_data(at)["base"]
    many = [[1 + (i % 9), float(i % 13)] for i in range(MAX_EDITED_POINTS + 40)]
    at = send(at, edit={"base": base, "seq": 1, "points": many})
    ok(at)
    assert len(at.session_state["lin_run"].problem.data.x_train) == MAX_EDITED_POINTS
    assert any(f"At most {MAX_EDITED_POINTS} points" in w.value for w in at.warning)
    at = send(at, edit={"base": base, "seq": 2, "points": [[1, 2], [1e300, 5], ["x", 1], [3, 4]]})
    ok(at)
    assert any("kept at its edge" in w.value for w in at.warning)
    assert any("were not numbers" in w.value for w in at.warning)
    at = send(at, edit={"base": base, "seq": 3, "points": []})  # everything erased
    ok(at)
    assert any("a line needs at least 2" in e.value for e in at.error)
    assert editor_data(at)["points"] == []  # the editor stays, to add points back
    at = send(at, edit={"base": base, "seq": 4, "points": [[2, 1], [2, 9]]})
    assert any("same x" in e.value for e in at.error)
    at = send(at, edit={"base": "someone else's data", "seq": 99, "points": [[0, 0], [1, 1]]})
    ok(at)  # an edit for other data is ignored: still the refused state of seq 4
    assert editor_data(at)["seq"] == 4
    for junk in ("not a dict", {"base": base, "seq": "many", "points": None}):
        at.session_state["lin_touch"] = {"edit": junk, "line": junk, "mode": "<b>hi</b>"}
        at.run()
        ok(at)


def test_fit_it_yourself_shows_the_loss_and_gradient_then_training_starts_on_your_line(app_test):
    at = opened(app_test, {"lin_n": "30"})
    base = editor_data(at)["base"]
    at = send(at, mode="fit")
    data = editor_data(at)
    assert data["mode"] == "fit" and data["line"][0] == 0.0  # a flat line at the mean to start
    at = send(at, mode="fit", line={"base": base, "w": 1.5, "b": 2.0})
    ok(at)
    assert metric(at, "Your w (slope)") == "1.5" and metric(at, "Your b (intercept)") == "2"
    hand_loss = float(metric(at, "Loss (MSE)"))
    assert float(metric(at, "∂L/∂w")) != 0
    for bad in ({"base": base, "w": "steep", "b": 0}, {"base": base, "w": 1e300, "b": 0}):
        at = send(at, mode="fit", line=bad)
        ok(at)
        assert metric(at, "Your w (slope)") == "1.5"  # refused: the last good line stays
    at = send(at, mode="fit", line={"base": base, "w": 1.5, "b": 2.0})
    go = next(b for b in at.button if b.label.startswith("Let gradient descent continue"))
    go.click().run()
    ok(at)
    run = at.session_state["lin_run"]
    assert run.step == 0 and run.torch.last.train_loss == pytest.approx(hand_loss, rel=1e-3)
    at.button(key="lin_step100").click().run()
    assert at.session_state["lin_run"].torch.last.train_loss < hand_loss
    at.button(key="lin_reset").click().run()  # Reset goes back to the configured start
    assert at.session_state["lin_run"].torch.last.weights == (0.0,)


def test_pin_and_unpin(app_test):
    at = app_test(PAGE)
    pin = next(b for b in at.button if b.label.startswith("Pin this run"))
    assert pin.disabled  # nothing trained yet
    at.button(key="lin_step10").click().run()
    next(b for b in at.button if b.label.startswith("Pin this run")).click().run()
    ok(at)
    assert any("Dotted purple" in c.value for c in at.caption)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = [t.get("name") for s in specs for t in s["data"]]
    assert "pinned: SGD, lr 0.1, standardised, full batch" in names
    at.slider(key="lin_noise").set_value(3.0).run()  # other data
    assert any("trained on other data" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Unpin").click().run()
    assert "lin_pinned" not in at.session_state
