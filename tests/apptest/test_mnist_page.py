"""AppTest of the MNIST lab: training, results, URL state, hostile links, stop, model files."""

from __future__ import annotations

import json
import threading
import time

import pytest
import torch

from core.mnist import train as mt
from core.mnist.models import ModelSpec, SavedModel, load_model, save_model
from tests.support.mnist_helpers import malicious_files, mnist

PAGE = "pages/mnist.py"
FAST = {"mn_n": "5000", "mn_epochs": "1", "mn_bs": "64"}  # 79 steps: well under a second


@pytest.fixture(scope="module", autouse=True)
def data_loaded_once():
    mnist()  # the page shares these tensors through st.cache_resource


def texts(at) -> str:
    parts = [
        e.value
        for kind in (
            "markdown",
            "caption",
            "subheader",
            "header",
            "title",
            "info",
            "warning",
            "error",
            "success",
        )
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_page_opens_with_lesson_data_browser_and_device(app_test):
    at = app_test(PAGE)
    assert not at.exception
    assert at.title[0].value.startswith("MNIST lab")
    assert any("784" in e.label for e in at.expander)
    assert "Trains on **CPU" in texts(at) or "Trains on **GPU" in texts(at)
    assert at.selectbox(key="mn_model").value.startswith("Softmax regression")
    assert len(at.get("plotly_chart")) == 0  # the data browser is closed: nothing built
    at.session_state["mn_browse"] = True  # the student opens it
    at.run()
    assert len(at.get("plotly_chart")) >= 2  # example grid and class counts


def test_training_the_softmax_model_shows_results_and_keeps_it(app_test):
    at = app_test(PAGE, query=FAST)
    at.button(key="mn_train").click().run()
    assert not at.exception
    acc = float(metric(at, "Test accuracy").rstrip("%")) / 100
    assert 0.75 < acc <= 1.0
    assert metric(at, "Epochs") == "1.00"
    run = at.session_state["mn_run"]
    assert int(run.evaluation.confusion.sum()) == 10_000 and not run.interrupted
    kept = at.session_state["user_models"]
    assert len(kept) == 1
    saved = next(iter(kept.values()))
    assert isinstance(saved, SavedModel) and saved.spec.kind == "linear"
    assert "most frequent mistake" in texts(at)
    assert len(at.get("download_button")) == 1
    figs = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Weight templates" in s for s in figs) and any("Confusion matrix" in s for s in figs)


def test_the_cnn_trains_through_the_queue_and_shows_its_filters(app_test):
    at = app_test(
        PAGE,
        query={
            "mn_model": "Small CNN (two conv layers)",
            "mn_n": "1000",
            "mn_epochs": "1",
            "mn_bs": "64",
        },
    )
    at.button(key="mn_train").click().run()
    assert not at.exception
    assert at.session_state["mn_run"].spec.kind == "cnn"
    assert any("first-layer filters" in c.proto.spec for c in at.get("plotly_chart"))
    from core.scheduler import Snapshot, trainings

    assert trainings().snapshot() == Snapshot(0, 0, 0)  # the slot was given back


def test_query_params_restore_the_experiment(app_test):
    query = {
        "mn_model": "MLP (hidden layers)",
        "mn_layers": "2",
        "mn_h1": "256",
        "mn_h2": "32",
        "mn_opt": "SGD + Nesterov momentum 0.9",
        "mn_lr": "0.01",
        "mn_bs": "256",
        "mn_epochs": "3",
        "mn_seed": "7",
        "mn_n": "5000",
        "mn_sched": "Constant",
        "mn_split": "test set",
        "mn_mistakes": "1",
    }
    at = app_test(PAGE, query=query)
    assert not at.exception
    assert at.selectbox(key="mn_model").value == "MLP (hidden layers)"
    assert at.slider(key="mn_layers").value == 2
    assert at.select_slider(key="mn_h1").value == 256 and at.select_slider(key="mn_h2").value == 32
    assert at.selectbox(key="mn_opt").value == "SGD + Nesterov momentum 0.9"
    assert (
        at.select_slider(key="mn_lr").value == 0.01 and at.select_slider(key="mn_bs").value == 256
    )
    assert at.slider(key="mn_epochs").value == 3 and at.number_input(key="mn_seed").value == 7
    assert (
        at.select_slider(key="mn_n").value == 5000
        and at.selectbox(key="mn_sched").value == "Constant"
    )
    assert at.radio(key="mn_split").value == "test set"
    assert (
        "MLP 784-256-32-10, nesterov lr 0.01 (constant), batch 256, 3 epochs, 5,000 images, seed 7"
        in texts(at)
    )


def test_hostile_query_params_fall_back_to_defaults(app_test):
    hostile = {
        "mn_model": "<script>alert(1)</script>",
        "mn_lr": "1e309",
        "mn_bs": "-64",
        "mn_epochs": "nan",
        "mn_seed": "99999999999999999999",
        "mn_n": "'; DROP TABLE",
        "mn_layers": "inf",
        "mn_h1": "0",
        "mn_opt": "__import__('os')",
        "mn_sched": "",
        "mn_bf16": "maybe",
        "mn_split": "x" * 5000,
        "mn_mistakes": "2",
        "mn_pick": "1e309",
        "mn_unit_layer": "../../etc/passwd",
    }
    at = app_test(PAGE, query=hostile)
    assert not at.exception
    assert at.selectbox(key="mn_model").value.startswith("Softmax regression")
    assert at.select_slider(key="mn_lr").value == mt.TrainConfig().lr
    assert at.select_slider(key="mn_bs").value == mt.TrainConfig().batch_size
    assert at.slider(key="mn_epochs").value == mt.TrainConfig().epochs
    assert at.number_input(key="mn_seed").value == 0
    assert at.select_slider(key="mn_n").value == 60_000
    assert at.radio(key="mn_split").value == "training set"
    at.select_slider(key="mn_n").set_value(5000).run()
    at.button(key="mn_train").click().run()  # and still trains
    assert not at.exception
    assert at.session_state["mn_run"].config.train_size == 5000
    open_inside(at)  # the link's test image and layer are refused there too
    from ui.inside_views import NO_LAYER

    assert not at.exception
    assert at.number_input(key="mn_pick").value == 0
    assert at.selectbox(key="mn_unit_layer").value == NO_LAYER


def test_recipe_button_sets_the_benchmark_settings(app_test):
    at = app_test(PAGE, query={"mn_model": "Small CNN (two conv layers)"})
    at.button(key="mn_recipe").click().run()
    assert not at.exception
    r = mt.RECIPES["cnn"]
    assert at.select_slider(key="mn_lr").value == r.lr
    assert at.select_slider(key="mn_bs").value == r.batch_size
    assert at.slider(key="mn_epochs").value == r.epochs
    assert at.query_params["mn_lr"] == str(r.lr)  # and the link carries it


def test_a_stopped_training_keeps_its_partial_model(app_test):
    at = app_test(PAGE, query=FAST)
    d = mnist()
    trainer = mt.Trainer(mt.TrainConfig(train_size=2000, epochs=3), d.train_x, d.train_y)
    reports = trainer.run(report_every=0.0)
    for _ in range(5):
        next(reports)
    reports.close()  # what a click on Stop does to the running script
    at.session_state["mn_live"] = trainer
    at.button(key="mn_stop").click().run()
    assert not at.exception
    run = at.session_state["mn_run"]
    assert run.interrupted and 0 < run.epochs_done < 3
    assert "Training was stopped" in texts(at)


def test_upload_round_trip_and_refusals(app_test, tmp_path):
    at = app_test(PAGE, query=FAST)
    model = mt.seeded_model(ModelSpec("mlp", hidden=(32,)), 3)
    good = save_model(model, ModelSpec("mlp", hidden=(32,)), {"note": "from a test"})
    at.file_uploader(key="mn_upload").upload("mine.pt", good).run()
    assert not at.exception
    run = at.session_state["mn_run"]
    assert run.spec.hidden == (32,) and "uploaded from mine.pt" in run.source
    assert torch.equal(run.model.net[0].weight, load_model(good).model.net[0].weight)
    assert "Loaded mine.pt" in texts(at)

    target = tmp_path / "payload-ran.txt"
    for name, data in [
        ("evil.pt", malicious_files(target)["torch.save"]),
        ("noise.pt", bytes(range(256)) * 10),
        ("wrong.pt", save_model(model, ModelSpec("mlp", hidden=(32,)))[:-40]),
    ]:
        at.file_uploader(key="mn_upload").set_value((name, data, "application/octet-stream")).run()
        assert not at.exception
        assert f"{name} was refused" in texts(at)
    assert not target.exists()
    assert at.session_state["mn_run"].spec.hidden == (32,)  # the good model is still there


def _train_while_taken(app_test, query: dict, holders_heavy: bool, count) -> list:
    """Press Train while other students hold `count(queue)` slots (heavy or not); let them go
    once the page is in line. Returns the line as seen while the page waited."""
    from core.scheduler import trainings

    queue = trainings()
    at = app_test(PAGE, query=query)
    holders = [queue.join("another student", holders_heavy) for _ in range(count(queue))]
    seen = []

    def release():  # once the page is in line (or after 60 s), let the others finish
        deadline = time.monotonic() + 60
        while queue.snapshot().waiting == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the page keeps waiting while the slots are taken
        seen.append(queue.snapshot())
        for holder in holders:
            queue.leave(holder)

    from core.mnist import train as mt

    built = []  # whether the page had waited its turn when it made its trainer
    original = mt.Trainer.__init__

    def init(self, *args, **kwargs):
        built.append(bool(seen))  # `seen` fills when the others let go of their slots
        original(self, *args, **kwargs)

    releaser = threading.Thread(target=release)
    releaser.start()
    mt.Trainer.__init__ = init
    try:
        at.button(key="mn_train").click().run()
    finally:
        mt.Trainer.__init__ = original
        releaser.join(70)
        for holder in holders:
            queue.leave(holder)
    assert not at.exception
    assert at.session_state["mn_run"] is not None
    assert built == [True], "the trainer (a copy of the images) was made while still in line"
    return at, seen


def test_a_cnn_waits_in_line_while_another_heavy_training_runs(app_test):
    from core.scheduler import Snapshot, trainings

    query = {"mn_model": "Small CNN (two conv layers)", "mn_n": "1000", "mn_epochs": "1"}
    at, seen = _train_while_taken(app_test, query, True, lambda q: q.heavy_limit)
    n = trainings().heavy_limit
    assert seen == [Snapshot(n, n, 1)], "the page did not queue behind the running CNN"
    assert at.session_state["mn_run"].spec.kind == "cnn"
    assert trainings().snapshot() == Snapshot(0, 0, 0)


def test_even_the_linear_model_waits_when_every_slot_is_taken(app_test):
    from core.scheduler import Snapshot, trainings

    query = {"mn_n": "1000", "mn_epochs": "1"}
    at, seen = _train_while_taken(app_test, query, False, lambda q: q.limit)
    assert seen == [Snapshot(trainings().limit, 0, 1)], "the linear training did not queue"
    assert at.session_state["mn_run"].spec.kind == "linear"
    assert trainings().snapshot() == Snapshot(0, 0, 0)


def test_presenter_mode_hides_the_advanced_settings(app_test):
    at = app_test(PAGE, query={"presenter": "1", "mn_n": "1000"})
    assert not at.exception
    assert not any("More settings" in e.label for e in at.expander)
    assert "mn_n" not in [s.key for s in at.select_slider]  # advanced: not shown on a projector
    assert at.button(key="mn_train") is not None and at.selectbox(key="mn_model") is not None


def test_the_data_browser_is_built_only_when_open(app_test):
    """Closed (the default), the 120 example images cost nothing; a link naming a split, or
    opening the expander, shows them."""
    at = app_test(PAGE)
    assert not at.exception
    assert not [r for r in at.radio if r.key == "mn_split"]
    assert not any('"heatmap"' in c.proto.spec for c in at.get("plotly_chart"))
    at = app_test(PAGE, query={"mn_split": "test set"})
    assert at.radio(key="mn_split").value == "test set"
    assert any('"heatmap"' in c.proto.spec for c in at.get("plotly_chart"))


def open_inside(at):
    """Open the look inside the model, as a student's click does (AppTest sets the
    expander's state and the on_change callback's record of it)."""
    from ui import inside_views, mnist_inside

    at.session_state[mnist_inside.INSIDE_KEY] = True
    at.session_state[inside_views.OPENED + mnist_inside.INSIDE_KEY] = True
    return at.run()


def test_inside_the_trained_model_for_a_picked_test_image(app_test, monkeypatch):
    """Before training the section says so; after a short CNN training: a picked test image's
    every layer, then a feature map's filter and its strongest test images, read once per
    trained model."""
    from core.digits import units
    from ui import inside_views

    passes = []

    def counted(model, x, *args, **kwargs):
        passes.append(model)
        return units.strongest_images(model, x, *args, **kwargs)

    monkeypatch.setattr(inside_views, "strongest_images", counted)
    query = {"mn_model": "Small CNN (two conv layers)", "mn_n": "1000", "mn_epochs": "1"}
    at = open_inside(app_test(PAGE, query=query))
    assert not at.exception
    assert "No model yet" in texts(at) and not at.image
    at.button(key="mn_train").click().run()
    assert not at.exception
    run = at.session_state["mn_run"]
    at.number_input(key="mn_pick").set_value(1234).run()
    assert not at.exception
    captions = [img.caption for i in at.image for img in i.proto.imgs]
    tiles = [c for c in at.get("plotly_chart") if (c.key or "").startswith("mn_unit_tiles_")]
    assert captions[0] == "#1,234" and len(captions) - 1 + len(tiles) == 6  # six layers
    truth = int(mnist().test_y[1234])
    assert f"Test image #1,234 is a **{truth}**" in texts(at)
    assert at.query_params["mn_pick"] == "1234"
    assert passes == []  # no unit picked yet: no test images read
    from tests.apptest.test_draw_page import click_tile

    click_tile(
        at, "conv1 (Conv2d)", 2, keys=("mn_unit_layer", "mn_unit")
    )  # a click on map 2's tile
    assert not at.exception
    assert at.selectbox(key="mn_unit_layer").value == "conv1 (Conv2d)"
    assert at.selectbox(key="mn_unit").value == 2 and at.query_params["mn_unit"] == "2"
    specs = [str(c.proto.spec) for c in at.get("plotly_chart")]
    assert any("The weights of feature map 2 in conv1" in s for s in specs)
    assert "3x3 filter, slid over the input image" in texts(at)
    top = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if "raise feature map 2 most" in c.proto.spec
    )
    # the images shown are the brute-force strongest of the fixed 2,000 for this model
    probe = units.probe_indices(10_000)
    with torch.no_grad():
        means = torch.relu(run.model.conv1(mnist().test_x[probe])).mean((2, 3))[:, 2]
    best = probe[means.argsort(descending=True, stable=True)[:8]].tolist()
    shown = [a["text"].split("<br>")[0] for a in top["layout"]["annotations"]]
    assert shown == [f"#{i}: a {int(mnist().test_y[i])}" for i in best]
    assert passes == [run.model]
    at.selectbox(key="mn_unit").set_value(5).run()  # another map of the same model: no new pass
    assert not at.exception and passes == [run.model]
