"""The linear regression page under AppTest: stepping, playing, URL state, divergence, uploads."""

from __future__ import annotations

import pytest

PAGE = "pages/linear_regression.py"
pytestmark = pytest.mark.slow


def metrics(at) -> dict[str, str]:
    return {m.label.split(" (")[0].split(" of ")[0]: m.value for m in at.metric}


def step_text(at) -> str:
    """The step counter as "done / target", from the first metric ("Step of T · epoch E": done)."""
    m = at.metric[0]
    target = m.label.removeprefix("Step of ").split(" · ")[0]
    return f"{m.value} / {target}"


def ok(at):
    assert not at.exception, [e.value for e in at.exception]


def plotly_charts(at) -> list:
    return at.get("plotly_chart")


def test_default_page_steps_resets_and_shows_everything(app_test):
    at = app_test(PAGE)
    ok(at)
    assert at.title[0].value.startswith("Linear regression")
    assert step_text(at) == "0 / 100"
    assert len(plotly_charts(at)) == 4
    codes = [c.value for c in at.code]
    assert any("def train_by_hand" in c for c in codes) and any(
        "def train_pytorch" in c for c in codes
    )
    at.button(key="lin_step10").click().run()
    ok(at)
    m = metrics(at)
    assert step_text(at) == "10 / 100"
    assert m["Loss by hand"] == m["Loss, PyTorch"]  # plain SGD: the same numbers
    at.button(key="lin_step100").click().run()
    assert step_text(at) == "100 / 100"
    assert not at.button(key="lin_play").disabled  # finished: Play replays the run
    assert float(metrics(at)["Distance to lstsq"]) < 1e-3
    at.button(key="lin_reset").click().run()
    ok(at)
    assert step_text(at) == "0 / 100"


def test_play_trains_to_the_end_once_and_opens_the_replay_playing(app_test):
    """One click trains the whole run on the server (no tick: no rerun per frame), then the
    replay opens and is told to play; at the end, Play replays without training."""
    import json

    at = app_test(PAGE, query={"lin_epochs": "30"})
    assert not at.session_state["lin_replay"]  # closed: nothing built yet
    at.button(key="lin_play").click().run()
    ok(at)
    assert step_text(at) == "30 / 30"
    assert at.session_state["lin_replay"] is True
    (fig,) = [
        json.loads(c.proto.spec) for c in at.get("plotly_chart") if '"frames"' in c.proto.spec
    ]
    assert len(fig["frames"]) == 31  # steps 0..30
    assert autoplays(at) == 1  # pressed the replay's own Play in the browser
    at.run()  # any other rerun: the replay stays, the autoplay is not sent again
    assert autoplays(at) == 0
    at.button(key="lin_play").click().run()  # finished: replayed, not trained
    ok(at)
    assert step_text(at) == "30 / 30" and autoplays(at) == 1


def autoplays(at) -> int:
    return sum(getattr(e, "key", None) == "lin_replay_autoplay" for e in at.get("bidi_component"))


def test_a_link_restores_the_whole_experiment(app_test):
    query = {
        "lin_data": "Curve (a line underfits)",
        "lin_lr": "0.01",
        "lin_deg": "3",
        "lin_std": "0",
        "lin_batch": "Mini-batch",
        "lin_bs": "32",
        "lin_opt": "Adam",
        "lin_epochs": "50",
        "lin_seed": "7",
        "lin_noise": "2.5",
        "lin_n": "200",
        "lin_logy": "1",
        "lin_w0": "-3.5",
    }
    at = app_test(PAGE, query=query)
    ok(at)
    assert at.selectbox(key="lin_data").value == "Curve (a line underfits)"
    assert at.select_slider(key="lin_lr").value == 0.01
    assert at.slider(key="lin_deg").value == 3 and at.toggle(key="lin_std").value is False
    assert at.number_input(key="lin_seed").value == 7 and at.toggle(key="lin_logy").value is True
    run = at.session_state["lin_run"]
    cfg = run.torch_cfg
    assert (cfg.lr, cfg.batch_size, cfg.optimizer, cfg.init_w) == (0.01, 32, "adam", -3.5)
    assert run.problem.degree == 3 and not run.problem.standardise
    assert run.problem.data.config.noise == 2.5 and run.problem.data.config.n == 200
    r2 = next(m for m in at.metric if m.label == "R² PyTorch")
    assert run.problem.data.has_test and r2.delta.startswith("test ")
    # 140 training points in batches of 32: 5 steps per epoch
    assert step_text(at) == "0 / 250"
    for key, value in query.items():
        assert at.query_params[key] == [value] or at.query_params[key] == value


def test_changing_the_learning_rate_continues_the_run_and_new_data_restarts_it(app_test):
    at = app_test(PAGE)
    at.button(key="lin_step10").click().run()
    before = at.session_state["lin_run"]
    at.select_slider(key="lin_lr").set_value(0.01).run()
    ok(at)
    assert at.query_params["lin_lr"] in ("0.01", ["0.01"])
    run = at.session_state["lin_run"]
    assert run is before and step_text(at) == "10 / 100"  # continued, not restarted
    assert run.torch_cfg.lr == 0.01 and run.segments[-1] == (10, 0.01, "sgd")
    assert any("continues from the current parameters" in i.value for i in at.info)
    at.selectbox(key="lin_opt").set_value("Adam").run()
    assert at.session_state["lin_run"].segments[-1] == (10, 0.01, "adam")
    at.button(key="lin_step10").click().run()
    assert step_text(at) == "20 / 100"
    at.slider(key="lin_noise").set_value(2.0).run()  # other data: a new run
    assert step_text(at) == "0 / 100" and not any("continues" in i.value for i in at.info)
    at.slider(key="lin_epochs").set_value(300).run()  # more epochs: the same run, longer
    at.button(key="lin_step10").click().run()
    at.slider(key="lin_epochs").set_value(400).run()
    assert step_text(at) == "10 / 400"


HOSTILE = {
    "lin_lr": "1e999",
    "lin_deg": "99",
    "lin_data": "<script>alert(1)</script>",
    "lin_n": "-5",
    "lin_std": "maybe",
    "lin_bs": "0",
    "lin_speed": "nan",
    "lin_epochs": "1e9",
    "lin_seed": "../../etc/passwd",
    "lin_opt": "SGD'; DROP TABLE",
    "lin_batch": "x" * 5000,
    "lin_slope": "inf",
    "lin_w0": "--1",
    "lin_logy": "2",
}


def test_hostile_link_falls_back_to_defaults(app_test):
    at = app_test(PAGE, query=HOSTILE)
    ok(at)
    assert at.selectbox(key="lin_data").value == "Straight line + noise"
    assert at.select_slider(key="lin_lr").value == 0.1
    assert at.slider(key="lin_epochs").value == 100 and at.slider(key="lin_n").value == 100
    assert (
        at.toggle(key="lin_std").value is True and at.radio(key="lin_batch").value == "Full batch"
    )
    assert step_text(at) == "0 / 100"
    at.button(key="lin_step10").click().run()
    ok(at)


def test_divergence_stops_training_and_explains(app_test):
    at = app_test(PAGE, query={"lin_std": "0", "lin_lr": "1.0"})
    at.button(key="lin_step100").click().run()
    ok(at)
    errors = " ".join(e.value for e in at.error)
    assert "Training stopped at step" in errors and "What to try" in errors
    assert "By hand and PyTorch" in errors  # one explanation for both, not two copies
    assert "standardise features" in errors
    assert int(step_text(at).split(" / ")[0]) < 100


def test_csv_uploads_good_and_bad(app_test):
    at = app_test(PAGE, query={"lin_data": "Upload a CSV"})
    ok(at)
    assert any("Upload a CSV" in i.value for i in at.info) and not plotly_charts(at)
    bad = {
        b"": "empty",
        b"\x00\x01binary\x00": "not a CSV",
        b"x,y\n1,a\n2,b\n": "two numeric columns",
        b"x,y\n1,2\n2,nan\n": "missing or infinite",
        b"x,y\n3,1\n3,2\n3,5\n": "same value",
        b"x,y\n1,2\n": "at least 2",
    }
    for data, message in bad.items():
        at.file_uploader(key="lin_upload").set_value(("data.csv", data, "text/csv")).run()
        ok(at)
        assert any(message in e.value for e in at.error), (data, [e.value for e in at.error])
    good = b"hours,score,age\n1,52,20\n2,58,21\n3,66,19\n4,71,22\n5,80,20\n"
    at.file_uploader(key="lin_upload").set_value(("grades.csv", good, "text/csv")).run()
    ok(at)
    assert not at.error and len(plotly_charts(at)) == 4
    assert (
        at.selectbox(key="lin_xcol").value == "hours"
        and at.selectbox(key="lin_ycol").value == "score"
    )
    at.selectbox(key="lin_ycol").set_value("age").run()
    ok(at)
    assert at.session_state["lin_run"].problem.data.y_name == "age"
    at.button(key="lin_step100").click().run()
    ok(at)


def test_presenter_mode_hides_the_advanced_controls(app_test):
    at = app_test(PAGE, query={"presenter": "1"})
    ok(at)
    assert not [s for s in at.slider if s.key == "lin_w0"]
    assert step_text(at) == "0 / 100"


def test_a_click_delivered_twice_acts_once():
    """The guard behind the page's buttons: a replayed trigger before the page completes
    is ignored.
    """
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from ui import clicks

        st.session_state.setdefault("acted", 0)

        def bump():
            st.session_state["acted"] += 1

        click = clicks.once(bump)
        click()
        click()  # the same click again, before the page has completed: ignored
        st.write(f"acted {st.session_state['acted']}")
        clicks.page_complete()

    at = AppTest.from_function(script, default_timeout=60)
    at.run()
    assert at.markdown[0].value == "acted 1"
    at.run()  # a new page run: the next click acts again
    assert at.markdown[0].value == "acted 2"


def test_the_largest_allowed_upload_trains_and_one_more_row_is_refused(app_test):
    rows = b"".join(b"%d,%.1f\n" % (i, 0.002 * i + (i % 7)) for i in range(100_000))
    at = app_test(PAGE, query={"lin_data": "Upload a CSV"})
    at.file_uploader(key="lin_upload").set_value(
        ("big.csv", b"x,y\n" + rows + b"1,2\n", "text/csv")
    ).run()
    ok(at)
    assert any("the limit is 100,000" in e.value for e in at.error)
    at.file_uploader(key="lin_upload").set_value(("big.csv", b"x,y\n" + rows, "text/csv")).run()
    ok(at)
    assert not at.error
    at.button(key="lin_step10").click().run()
    ok(at)
    assert step_text(at) == "10 / 100"
    fit = plotly_charts(at)[0].proto.spec
    assert "2,000 of 100,000 shown" in fit  # the browser gets a sample, not 100,000 points


@pytest.mark.parametrize("action", ["step", "play"])
def test_lab_training_waits_for_a_free_slot_like_every_training(app_test, action):
    """A Step or a Play click takes a slot of the one scheduler: with every slot taken by
    other students it waits in line, then trains once they are done."""
    import threading
    import time

    from core.scheduler import Snapshot, trainings

    queue = trainings()
    at = app_test(PAGE, query={"lin_epochs": "30"})
    holders = [queue.join("another student") for _ in range(queue.limit)]
    seen = []

    def release():
        deadline = time.monotonic() + 30
        while queue.snapshot().waiting == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        seen.append((queue.snapshot(), at.session_state["lin_run"].step))
        for holder in holders:
            queue.leave(holder)

    releaser = threading.Thread(target=release)
    releaser.start()
    try:
        at.button(key="lin_step10" if action == "step" else "lin_play").click().run()
    finally:
        releaser.join(40)
        for holder in holders:
            queue.leave(holder)
    ok(at)
    assert seen == [(Snapshot(queue.limit, 0, 1), 0)], "the chunk did not wait in line"
    assert at.session_state["lin_run"].step == (10 if action == "step" else 30)
    assert queue.snapshot() == Snapshot(0, 0, 0)


def test_the_replay_is_built_only_when_opened_and_carries_every_frame(app_test):
    import json

    at = app_test(PAGE)
    charts = len(at.get("plotly_chart"))
    replay = [e for e in at.expander if e.label.startswith("Replay the run")]
    assert len(replay) == 1 and charts == 4  # closed: nothing built
    at.session_state["lin_replay"] = True
    at.run()
    assert any("Nothing recorded yet: press Play" in i.value for i in at.info)  # step 0
    at.button(key="lin_step10").click().run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (fig,) = [s for s in specs if s.get("frames")]
    assert len(fig["frames"]) == 11  # steps 0..10, all of them
    assert [s["label"] for s in fig["layout"]["sliders"][0]["steps"]][-1] == "10"
    assert any("11 frames of the run's 10 steps" in c.value for c in at.caption)
    at.button(key="lin_step100").click().run()  # the run moves on: the replay follows
    (fig,) = [
        json.loads(c.proto.spec) for c in at.get("plotly_chart") if '"frames"' in c.proto.spec
    ]
    assert fig["layout"]["sliders"][0]["steps"][-1]["label"] == "100"  # the run's last step


def test_the_replay_draws_the_pinned_run_and_follows_pinning(app_test):
    import json

    def replay_traces(at) -> list[tuple]:
        (fig,) = [
            json.loads(c.proto.spec) for c in at.get("plotly_chart") if '"frames"' in c.proto.spec
        ]
        return [(t.get("name"), t.get("xaxis", "x")) for t in fig["data"]]

    name = "pinned: SGD, lr 0.1, standardised, full batch"
    at = app_test(PAGE)
    at.session_state["lin_replay"] = True
    at.button(key="lin_step10").click().run()
    ok(at)
    assert not any(n and n.startswith("pinned") for n, _ in replay_traces(at))
    next(b for b in at.button if b.label.startswith("Pin this run")).click().run()
    ok(at)
    assert (name, "x") in replay_traces(at)  # pinning rebuilt the replay
    at.button(key="lin_reset").click().run()
    at.button(key="lin_step10").click().run()
    ok(at)
    traces = replay_traces(at)
    assert {(name, "x"), (f"{name}, train", "x3"), (name, "x2")} <= set(traces)
    assert any("Dotted purple, still" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Unpin").click().run()
    assert not any(n and n.startswith("pinned") for n, _ in replay_traces(at))


def test_the_bug_hunt_opens_on_the_page_with_its_data_and_learning_rate(app_test):
    """Closed it costs nothing; opened, it runs the page's problem at the page's rate."""
    at = app_test(PAGE, query={"lin_lr": "0.2"})
    assert not any(s.key == "lin_bug" for s in at.selectbox)
    at.session_state["lin_bughunt"] = True
    at.run()
    ok(at)
    at.selectbox(key="lin_bug").set_value("sign_flipped").run()
    ok(at)
    codes = [c.value for c in at.code]
    assert any(c.startswith("LR = 0.2") for c in codes)  # the page's learning rate
    assert any(c.startswith("w += LR * w.grad") for c in codes)  # the wrong line
    assert any(c.startswith("w -= LR * w.grad") for c in codes)  # beside the right one
