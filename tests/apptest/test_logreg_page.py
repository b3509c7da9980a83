"""The logistic regression page under AppTest: stepping, playing, URL state, bad links, uploads."""

from __future__ import annotations

import json

import pytest
import torch

from core import logreg
from core.logreg import data as ld

PAGE = "pages/logistic_regression.py"
pytestmark = pytest.mark.slow


def ok(at):
    assert not at.exception, [e.value for e in at.exception]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def surface(at) -> dict:
    return next(
        s
        for s in chart_specs(at)
        if s["data"][0].get("type") == "heatmap"
        and s["data"][0].get("name") in ("p(class 1)", "regions")
    )


def test_default_page_shows_the_surface_and_steps(app_test):
    at = app_test(PAGE)
    ok(at)
    assert at.title[0].value.startswith("Logistic regression")
    assert metrics(at)["Step"] == "0"
    fig = surface(at)
    assert {t["name"] for t in fig["data"]} >= {
        "decision boundary",
        "class 0 (train)",
        "class 1 (test)",
    }
    assert any(a.get("showarrow") for a in fig["layout"]["annotations"])  # the weight vector
    assert any(r"\sigma(z)" in x.value for x in at.latex)
    assert any("STEPS = 0" in c.value for c in at.code)
    at.button(key="lr_step").click().run()
    ok(at)
    assert metrics(at)["Step"] == "1"
    at.button(key="lr_reset").click().run()
    assert metrics(at)["Step"] == "0"


def test_play_trains_the_chosen_steps_once_and_replays_them(app_test):
    """One click trains the chosen number of steps (no tick: no rerun per frame), opens the
    replay and tells it to play from where the click started."""
    at = app_test(PAGE, query={"lr_play_steps": "50"})
    at.button(key="lr_step").click().run()
    at.button(key="lr_play").click().run()
    ok(at)
    assert at.session_state["lr_run"].step == 51
    assert metrics(at)["Step"] == "51" and at.session_state["lr_replay"] is True
    data = player_data(at)
    assert data["autoplay"] is True and data["start_step"] == 1  # the 50 steps just trained
    assert data["steps"] == list(range(52))
    at.run()  # any other rerun: the same recording, not told to play again
    again = player_data(at)
    assert again["key"] == data["key"] and again["autoplay"] is False
    at.button(key="lr_play").click().run()
    assert at.session_state["lr_run"].step == 101
    assert player_data(at)["press"] > data["press"]


def player_data(at) -> dict:
    (el,) = [e for e in at.main if getattr(e, "key", None) == "lr_replay_player"]
    return json.loads(el.proto.json)


def test_a_link_restores_the_experiment(app_test):
    query = {
        "lr_data": "xor",
        "lr_feat": "x1*x2,sin(x1)",
        "lr_lr": "0.3",
        "lr_hidden": "4",
        "lr_act": "relu",
        "lr_n": "300",
        "lr_noise": "0.2",
        "lr_seed": "5",
        "lr_test": "0.2",
        "lr_opt": "adam",
        "lr_l2": "0.001",
        "lr_disc": "1",
        "lr_showtest": "0",
        "lr_play_steps": "20",
        "lr_z": "-2.0",
    }
    at = app_test(PAGE, query=query)
    ok(at)
    run = at.session_state["lr_run"]
    assert run.config == logreg.LogRegConfig(("x1*x2", "sin(x1)"), 4, "relu", 0.001, "adam", 0.3)
    assert run.data.spec == ld.DataSpec("xor", 300, 0.2, 0.0, 3, 0.2, 5)
    assert at.slider(key="lr_z").value == -2.0 and at.toggle(key="lr_disc").value is True
    assert at.select_slider(key="lr_play_steps").value == 20
    heat = surface(at)
    assert heat["data"][0]["zsmooth"] is False  # discretised
    assert not any("(test)" in t["name"] for t in heat["data"])  # test points hidden
    # the URL keeps them, the old hidden-width key rewritten as the layer keys it means
    assert at.query_params["lr_layers"] == "1"  # of lr_units1 = 4 units, the default: not said
    assert "lr_hidden" not in at.query_params
    assert all(at.query_params[k] == v for k, v in query.items() if k != "lr_hidden")


def test_hostile_links_fall_back_to_defaults(app_test):
    query = {
        "lr_lr": "1e999",
        "lr_n": "-3",
        "lr_data": "<script>alert(1)</script>",
        "lr_feat": "x1*x2,__import__('os')",
        "lr_hidden": "2.5",
        "lr_seed": "abc",
        "lr_test": "0.9",
        "lr_noise": "nan",
        "lr_k": "99",
        "lr_play_steps": "1e9",
        "lr_z": "inf",
        "lr_disc": "maybe",
        "lr_opt": "lbfgs",
        "lr_l2": "-1",
        "lr_act": "x" * 5000,
    }
    at = app_test(PAGE, query=query)
    ok(at)
    run = at.session_state["lr_run"]
    assert run.config == logreg.LogRegConfig()
    assert run.data.spec == ld.DataSpec()
    assert len(at.toast) >= 5  # each ignored setting is said, not silently dropped
    assert metrics(at)["Step"] == "0"


def test_a_huge_learning_rate_warns_then_diverges_and_stops(app_test):
    at = app_test(
        PAGE,
        query={"lr_data": "xor", "lr_feat": "x1^2,x2^2", "lr_lr": "10", "lr_play_steps": "1000"},
    )
    ok(at)
    assert any("very large" in w.value for w in at.warning)
    at.button(key="lr_play").click().run()
    ok(at)
    stopped_at = at.session_state["lr_run"].step
    assert 1 <= stopped_at < 1000  # stopped at the divergence, not at the end of the chunk
    assert any("diverged" in e.value and "learning rate 10" in e.value for e in at.error)
    assert at.button(key="lr_step").disabled
    at.button(key="lr_play").click().run()  # replays what was recorded, trains nothing
    assert at.session_state["lr_run"].step == stopped_at


def test_changing_a_setting_carries_on_or_restarts_training(app_test):
    at = app_test(PAGE)
    at.button(key="lr_step").click().run()
    assert metrics(at)["Step"] == "1"
    at.select_slider(key="lr_lr").set_value(0.3).run()
    ok(at)  # a new learning rate carries the run on (see test_logreg_touch.py)
    assert metrics(at)["Step"] == "1" and at.query_params["lr_lr"] == "0.3"
    at.multiselect(key="lr_feat").select("x1*x2").run()  # a new feature: a new model
    ok(at)
    assert metrics(at)["Step"] == "0"
    at.button(key="lr_regen").click().run()  # new data: the next seed, kept in the URL
    ok(at)
    assert at.session_state["lr_run"].data.spec.seed == 1 and at.query_params["lr_seed"] == "1"


def test_softmax_regression_on_five_blobs(app_test):
    at = app_test(PAGE, query={"lr_data": "multiblobs", "lr_k": "5"})
    ok(at)
    assert surface(at)["data"][0]["name"] == "regions"
    confusion = next(
        s
        for s in chart_specs(at)
        if s["layout"].get("title", {}).get("text", "").startswith("Confusion")
    )
    assert len(confusion["data"][0]["x"]) == 5
    assert sum(r"z_{\text" in x.value for x in at.latex) == 5


def test_csv_upload_good_and_bad(app_test):
    at = app_test(PAGE, query={"lr_data": "csv"})
    ok(at)
    assert any("Upload a CSV" in i.value for i in at.info) and not at.metric
    rows = "\n".join(f"{i % 7 - 3},{i % 5 - 2},{int(i % 7 > 3)}" for i in range(40))
    at.file_uploader(key="lr_csv").set_value(
        ("points.csv", ("x1,x2,label\n" + rows).encode(), "text/csv")
    ).run()
    ok(at)
    assert metrics(at)["Step"] == "0" and "points.csv" in at.session_state["lr_run"].data.title
    bad = "x1,x2,label\n" + "\n".join(f"{i},{i},0.5" for i in range(20))
    at.file_uploader(key="lr_csv").set_value(("bad.csv", bad.encode(), "text/csv")).run()
    ok(at)
    assert any("whole numbers" in e.value for e in at.error) and not at.metric


def test_presenter_mode_hides_advanced_controls(app_test):
    at = app_test(PAGE, query={"presenter": "1"})
    ok(at)
    keys = {w.key for w in at.selectbox} | {w.key for w in at.select_slider}
    assert "lr_opt" not in keys and "lr_l2" not in keys and "lr_lr" in keys


# ---- deep networks and the network diagram -----------------------------------------------


def network_chart(at) -> dict | None:
    """The diagram's figure (its unit maps are layout images), or None when not built."""
    specs = [s for s in chart_specs(at) if s["layout"].get("images")]
    assert len(specs) <= 1
    return specs[0] if specs else None


def open_network(at):
    at.session_state["lr_network"] = True  # the expander, as a click opens it
    at.run()
    ok(at)
    return network_chart(at)


def test_three_hidden_layers_of_five_units_train_and_are_drawn(app_test):
    at = app_test(PAGE, query={"lr_data": "xor"})
    ok(at)
    assert network_chart(at) is None  # closed: nothing built
    at.slider(key="lr_layers").set_value(3).run()
    for i in (1, 2, 3):
        at.slider(key=f"lr_units{i}").set_value(5).run()
    ok(at)
    run = at.session_state["lr_run"]
    assert run.config.hidden == (5, 5, 5) and at.query_params["lr_layers"] == "3"
    assert [m.out_features for m in run.model.linears] == [5, 5, 5, 1]
    assert any("3 hidden layers of 5, 5, 5 tanh units" in c.value for c in at.caption)
    assert sum(r"\mathbb{R}^{5\times5}" in x.value for x in at.latex) == 2
    assert any("nn.Linear(5, 5)," in c.value for c in at.code)  # the exported script
    fig = open_network(at)
    assert len(fig["layout"]["images"]) == 2 + 15 + 1  # inputs, hidden units, the output
    hover = next(t for t in fig["data"] if t.get("name") == "links")
    assert len(hover["text"]) == 2 * (2 * 5 + 5 * 5 + 5 * 5 + 5 * 1)  # two markers a link
    at.button(key="lr_step").click().run()  # the diagram follows the run
    assert network_chart(at)["layout"]["images"] != fig["layout"]["images"]


def set_weight(at, text: str):
    at.text_input(key="lr_weight").input(text)
    at.button(key="lr_set_weight").click().run()
    ok(at)


def test_a_weight_set_by_hand_changes_the_model_and_the_surface(app_test):
    at = app_test(PAGE, query={"lr_data": "xor", "lr_layers": "3", "lr_units1": "5"})
    open_network(at)
    ref = logreg.ParamRef(1, 2, 3)  # layer 1 unit 4 -> layer 2 unit 3
    at.selectbox(key="lr_pick").set_value(ref).run()
    before = surface(at)["data"][0]["z"]
    loss_before = metrics(at)["Train loss"]
    set_weight(at, "-7.5")
    run = at.session_state["lr_run"]
    assert run.model.linears[1].weight[2, 3].item() == -7.5
    assert any("Set layer 1 unit 4 → layer 2 unit 3" in s.value for s in at.success)
    assert next(m.value for m in at.metric if m.label == "Its value now") == "-7.500"
    assert surface(at)["data"][0]["z"] != before  # the surface is the edited model's
    assert metrics(at)["Train loss"] != loss_before and metrics(at)["Step"] == "0"
    assert "HAND_SET" in next(c.value for c in at.code if "STEPS =" in c.value)
    links = next(t for t in network_chart(at)["data"] if t.get("name") == "links")
    assert any("weight = -7.500" in t for t in links["text"])
    at.button(key="lr_step").click().run()  # training goes on from the edited model
    ok(at)
    assert at.session_state["lr_run"].step == 1


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("abc", "is not a number"),
        ("", "was empty"),
        ("nan", "not a number a weight can be"),
        ("1e300", "outside -100 to 100"),
        ("-inf", "not a number a weight can be"),
        ("__import__('os')", "is not a number"),
    ],
)
def test_a_bad_weight_is_refused_and_nothing_changes(app_test, typed, words):
    at = app_test(PAGE, query={"lr_layers": "2"})
    open_network(at)
    run = at.session_state["lr_run"]
    before = [p.detach().clone() for p in run.model.parameters()]
    surface_before = surface(at)["data"][0]["z"]
    set_weight(at, typed)
    assert any(words in w.value and "Nothing changed" in w.value for w in at.warning)
    assert at.session_state["lr_run"] is run and not run.edits
    assert all(torch.equal(p, q) for p, q in zip(run.model.parameters(), before, strict=True))
    assert surface(at)["data"][0]["z"] == surface_before


def test_hostile_network_links_fall_back_to_defaults(app_test):
    def toasts(at) -> str:
        return " | ".join(t.value for t in at.toast)

    at = app_test(PAGE, query={"lr_layers": "99", "lr_units1": "-3", "lr_act": "gelu"})
    ok(at)
    assert at.session_state["lr_run"].config.hidden == ()  # no layers: units, act not asked
    assert "lr_layers" in toasts(at)
    query = {"lr_layers": "2", "lr_units1": "-3", "lr_units2": "1e9", "lr_act": "x" * 500}
    at = app_test(PAGE, query=query)
    ok(at)
    assert at.session_state["lr_run"].config == logreg.LogRegConfig(hidden=(4, 4))
    assert all(k in toasts(at) for k in ("lr_units1", "lr_units2", "lr_act"))
    at = app_test(PAGE, query={"lr_layers": "three", "lr_hidden": "6"})
    ok(at)
    assert at.session_state["lr_run"].config.hidden == ()  # the new key decides, and is bad
    at = app_test(PAGE, query={"lr_hidden": "32"})  # an old link wider than a layer may be
    ok(at)
    assert at.session_state["lr_run"].config.hidden == (8,)
    assert "had 32 units" in toasts(at)


def test_hostile_values_in_the_network_keys_are_said_safely(app_test):
    """The hostile-pages test's values in every key of the network's widgets (they live in
    ui/logreg_network.py): no error, the defaults, and no markup of theirs rendered."""
    from tests.apptest.test_hostile_pages import HOSTILE_VALUES, RAW_MARKUP, rendered_markdown

    for value in HOSTILE_VALUES:
        keys = ("lr_units1", "lr_units2", "lr_act", "lr_hidden", "lr_pick", "lr_weight")
        at = app_test(PAGE, query={"lr_layers": "2", **dict.fromkeys(keys, value)})
        ok(at)
        assert at.session_state["lr_run"].config == logreg.LogRegConfig(hidden=(4, 4))
        assert not [t for t in rendered_markdown(at) if RAW_MARKUP.search(t)]
        for query in ({"lr_layers": value, "lr_hidden": value}, {"lr_hidden": value}):
            at = app_test(PAGE, query=query)
            ok(at)
            assert at.session_state["lr_run"].config.hidden == ()
            assert not [t for t in rendered_markdown(at) if RAW_MARKUP.search(t)]
            assert at.toast  # said, not silently dropped
