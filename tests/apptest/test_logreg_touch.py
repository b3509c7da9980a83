"""The logistic page's touchable data and its browser replay under AppTest."""

from __future__ import annotations

import base64
import json

import pytest

from core.logreg.edit import MAX_EDITED_POINTS
from core.logreg.replay import GRID

PAGE = "pages/logistic_regression.py"
pytestmark = pytest.mark.slow


def ok(at):
    assert not at.exception, [e.value for e in at.exception]


def component(at, key: str) -> dict:
    (el,) = [e for e in at.main if getattr(e, "key", None) == key]
    return json.loads(el.proto.json)


def send(at, **state):
    at.session_state["lr_touch"] = {"edit": None, "line": None, "mode": None, **state}
    return at.run()


def opened(app_test, query=None):
    at = app_test(PAGE, query=query or {"lr_n": "40"})
    at.session_state["lr_touch_open"] = True
    return at.run()


def test_clicked_points_of_each_class_become_the_training_data(app_test):
    at = opened(app_test)
    ok(at)
    data = component(at, "lr_touch")
    assert len(data["points"]) == len(at.session_state["lr_run"].data.y_train)
    assert [c[0] for c in data["classes"]] == ["0", "1"] and data["surface"].startswith(
        "data:image/png;base64,"
    )
    drawn = [[-1, -1, 0], [-1.2, -0.8, 0], [1, 1, 1], [1.1, 0.9, 1], [0.9, 1.2, 1]]
    at = send(at, edit={"base": data["base"], "seq": 1, "points": drawn})
    ok(at)
    run = at.session_state["lr_run"]
    assert run.data.y_train.tolist() == [0, 0, 1, 1, 1] and run.step == 0
    assert "edited: 5 points" in run.data.title
    at.button(key="lr_step").click().run()
    assert at.session_state["lr_run"].step == 1
    next(b for b in at.button if b.label.startswith("Undo my edits")).click().run()
    assert len(at.session_state["lr_run"].data.y_train) > 5


def test_bad_edits_get_a_message_and_the_editor_stays(app_test):
    at = opened(app_test)
    base = component(at, "lr_touch")["base"]
    many = [[(i % 20) / 10 - 1, (i % 7) / 7, i % 2] for i in range(MAX_EDITED_POINTS + 30)]
    at = send(at, edit={"base": base, "seq": 1, "points": many})
    ok(at)
    assert len(at.session_state["lr_run"].data.y_train) == MAX_EDITED_POINTS
    assert any(f"At most {MAX_EDITED_POINTS}" in w.value for w in at.warning)
    junk = [[0, 0, 0], [1e300, 0, 1], [0, 0, 7], ["a", 1, 0], [0.5, 0.5, 1.5], [0.2, 0.1, 1]]
    at = send(at, edit={"base": base, "seq": 2, "points": junk})
    ok(at)
    assert any("kept at its edge" in w.value for w in at.warning)
    assert any("were not valid" in w.value for w in at.warning)
    at = send(at, edit={"base": base, "seq": 3, "points": [[0, 0, 1], [0.3, 0.2, 1]]})
    ok(at)  # one class only: nothing to learn; the editor stays to add the other class
    assert any("at least two classes" in e.value for e in at.error)
    assert component(at, "lr_touch")["points"] == [[0.0, 0.0, 1], [0.3, 0.2, 1]]
    at = send(at, edit={"base": base, "seq": 4, "points": []})
    ok(at)
    assert any("0 training points" in e.value for e in at.error)


def test_the_replay_is_built_only_when_opened_and_carries_every_recorded_frame(app_test):
    at = app_test(PAGE, query={"lr_n": "60"})
    assert not [e for e in at.main if getattr(e, "key", None) == "lr_replay_player"]
    at.session_state["lr_replay"] = True
    at.run()
    assert any("Nothing recorded yet: press Play" in i.value for i in at.info)
    for _ in range(3):
        at.button(key="lr_step").click().run()
    ok(at)
    data = component(at, "lr_replay_player")
    assert data["steps"] == [0, 1, 2, 3] and len(data["loss"]) == 4
    maps = base64.b64decode(data["maps"])
    assert len(maps) == 4 * GRID * GRID and data["grid"] == GRID
    assert data["loss"][-1] == at.session_state["lr_run"].history["train_loss"][-1]
    assert any("4 frames of the run's 3 steps" in c.value for c in at.caption)


def test_a_new_learning_rate_or_optimizer_carries_the_run_on_and_a_new_model_restarts(app_test):
    at = app_test(PAGE, query={"lr_n": "60"})
    for _ in range(3):
        at.button(key="lr_step").click().run()
    run = at.session_state["lr_run"]
    at.select_slider(key="lr_lr").set_value(1).run()
    ok(at)
    assert at.session_state["lr_run"] is run and run.step == 3 and run.config.lr == 1.0
    assert any("continues from the current weights" in i.value for i in at.info)
    at.selectbox(key="lr_opt").set_value("adam").run()
    assert at.session_state["lr_run"] is run and [s for s, _ in run.segments] == [0, 3, 3]
    at.button(key="lr_step").click().run()
    assert run.step == 4
    at.slider(key="lr_layers").set_value(1).run()  # another model: a new run
    assert at.session_state["lr_run"] is not run and at.session_state["lr_run"].step == 0
    assert not any("continues from the current weights" in i.value for i in at.info)


def test_pin_a_run_then_compare_it_with_another_on_the_same_data(app_test):
    import json as _json

    at = app_test(PAGE, query={"lr_n": "60"})
    assert at.button(key="lr_pinned_pin").disabled
    for _ in range(3):
        at.button(key="lr_step").click().run()
    at.button(key="lr_pinned_pin").click().run()
    ok(at)
    assert any("Dotted purple" in c.value for c in at.caption)
    at.button(key="lr_reset").click().run()
    at.button(key="lr_step").click().run()
    specs = [_json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = [t.get("name") for s in specs for t in s["data"]]
    assert names.count("pinned: SGD, lr 0.1, no hidden layer") == 2  # loss and accuracy
    at.slider(key="lr_noise").set_value(0.5).run()  # other data: said, not drawn
    assert any("trained on other data" in i.value for i in at.info)
    at.button(key="lr_pinned_unpin").click().run()
    assert "lr_pinned" not in at.session_state
