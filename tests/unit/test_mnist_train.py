"""core.mnist.train: short trainings learn, evaluation is consistent, bounds hold,
files are safe.
"""

from __future__ import annotations

import math
import threading

import pytest
import torch
import torch.nn.functional as F

from core import metrics
from core.mnist import evaluate as mev
from core.mnist import train as mt
from core.mnist.models import ModelFileError, ModelSpec, load_model, save_model
from tests.support.mnist_helpers import malicious_files, mnist, subset

SPECS = {
    "linear": ModelSpec("linear"),
    "mlp": ModelSpec("mlp", hidden=(64,)),
    "cnn": ModelSpec("cnn"),
}
# (training images, epochs, minimum test accuracy): a few seconds each on one core
SHORT = {"linear": (4000, 2, 0.83), "mlp": (4000, 2, 0.86), "cnn": (3000, 2, 0.88)}


def short_config(kind: str, **kw) -> mt.TrainConfig:
    n, epochs, _ = SHORT[kind]
    base = dict(
        spec=SPECS[kind],
        optimizer="adam",
        lr=3e-3,
        batch_size=64,
        epochs=epochs,
        train_size=n,
        mixed_precision=kind == "cnn",
    )
    return mt.TrainConfig(**(base | kw))


@pytest.fixture(scope="module")
def small():
    return subset(6000, 2000)


@pytest.fixture(scope="module")
def trained(small):
    """One short training per model kind, shared by the tests below."""
    tx, ty, *_ = small
    torch.manual_seed(0)
    return {k: mt.train(short_config(k), tx, ty) for k in SPECS}


@pytest.mark.parametrize("kind", list(SPECS))
def test_short_run_reaches_sane_accuracy(trained, small, kind):
    *_, ex, ey = small
    acc = mev.evaluate(trained[kind].model, ex, ey).accuracy
    assert acc >= SHORT[kind][2], f"{kind}: {acc:.1%}"
    assert trained[kind].completed and not trained[kind].interrupted


def test_confusion_totals_equal_test_size(trained):
    d = mnist()
    ev = mev.evaluate(trained["linear"].model, d.test_x, d.test_y)
    conf = ev.confusion
    assert conf.shape == (10, 10)
    assert int(conf.sum()) == len(d.test_y) == 10_000
    assert torch.equal(conf.sum(1), torch.bincount(d.test_y, minlength=10))  # rows are true classes
    assert torch.equal(
        conf.sum(0), torch.bincount(ev.preds, minlength=10)
    )  # columns are predictions
    assert math.isclose(conf.diag().sum().item() / 10_000, ev.accuracy, rel_tol=1e-6)


def test_confusion_matrix_and_per_class_against_a_loop():
    g = torch.Generator().manual_seed(3)
    labels = torch.randint(0, 10, (500,), generator=g)
    preds = torch.where(
        torch.rand(500, generator=g) < 0.7, labels, torch.randint(0, 10, (500,), generator=g)
    )
    want = torch.zeros(10, 10, dtype=torch.long)
    for t, p in zip(labels.tolist(), preds.tolist(), strict=True):
        want[t, p] += 1
    conf = metrics.confusion_matrix(labels, preds, 10)
    assert torch.equal(conf, want)
    for d in range(10):
        mask = labels == d
        assert math.isclose(
            metrics.per_class_accuracy(conf)[d].item(),
            (preds[mask] == d).double().mean().item(),
            rel_tol=1e-9,
        )
    empty = torch.zeros(10, 10, dtype=torch.long)
    assert torch.isnan(metrics.per_class_accuracy(empty)).all()


def test_top3_and_cell_drilldown(trained, small):
    *_, ex, ey = small
    ev = mev.evaluate(trained["mlp"].model, ex, ey)
    probs, classes = ev.top3(torch.arange(50))
    assert probs.shape == classes.shape == (50, 3)
    assert (probs[:, :-1] >= probs[:, 1:]).all()  # best first
    assert torch.equal(classes[:, 0], ev.preds[:50])
    assert torch.allclose(ev.probs.sum(1), torch.ones(len(ey)), atol=1e-5)
    conf = ev.confusion
    for t, p in [(3, 3), (4, 9), (7, 2)]:
        idx = ev.cell(t, p, limit=10_000)
        assert len(idx) == conf[t, p]
        assert (ev.labels[idx] == t).all() and (ev.preds[idx] == p).all()
        assert (ev.probs[idx, p][:-1] >= ev.probs[idx, p][1:]).all()  # most confident first
    with pytest.raises(ValueError):
        ev.cell(10, 0)


@pytest.mark.parametrize("kind", list(SPECS))
def test_save_load_round_trip_gives_identical_predictions(trained, small, kind):
    *_, ex, _ = small
    model = trained[kind].model
    data = save_model(model, SPECS[kind], {"test_accuracy": 0.9})
    back = load_model(data)
    assert back.spec == SPECS[kind] and back.meta["test_accuracy"] == 0.9
    assert torch.equal(mev.predict_proba(model, ex), mev.predict_proba(back.model, ex))


@pytest.mark.parametrize("flavour", ["torch.save", "raw pickle"])
def test_pickle_with_payload_is_refused_without_running_it(tmp_path, flavour):
    target = tmp_path / "created-by-payload.txt"
    data = malicious_files(target)[flavour]
    with pytest.raises(ModelFileError, match="safely"):
        load_model(data)
    assert not target.exists(), "the pickle's payload was executed"


def test_foreign_files_are_refused(trained):
    linear = save_model(trained["linear"].model, SPECS["linear"])
    with pytest.raises(ModelFileError):
        load_model(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)  # a random file
    with pytest.raises(ModelFileError, match="do not match"):
        sd = {k: v for k, v in trained["linear"].model.state_dict().items()}
        load_model(
            _payload(SPECS["mlp"].to_dict(), sd)
        )  # architecture says MLP, weights are linear
    with pytest.raises(ModelFileError, match="shape"):
        sd = {"linear.weight": torch.zeros(10, 100), "linear.bias": torch.zeros(10)}
        load_model(_payload({"kind": "linear"}, sd))
    with pytest.raises(ModelFileError):
        load_model(_payload({"kind": "mlp", "hidden": [10**9]}, {}))
    assert load_model(linear).spec.kind == "linear"


def _payload(spec: dict, state: dict) -> bytes:
    import io

    buf = io.BytesIO()
    torch.save(
        {"format": "pytorch-linear-explorer/model-v1", "spec": spec, "state_dict": state}, buf
    )
    return buf.getvalue()


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(lr=0.0), "learning rate"),
        (dict(lr=float("nan")), "learning rate"),
        (dict(lr=100.0), "learning rate"),
        (dict(lr="0.1"), "learning rate"),
        (dict(batch_size=0), "batch size"),
        (dict(batch_size=10**6), "batch size"),
        (dict(batch_size=64.5), "batch size"),
        (dict(batch_size=True), "batch size"),
        (dict(epochs=0), "epochs"),
        (dict(epochs=51), "epochs"),
        (dict(seed=-1), "seed"),
        (dict(seed=2**40), "seed"),
        (dict(train_size=10), "training set size"),
        (dict(train_size=70_000), "training set size"),
        (dict(optimizer="rmsprop"), "optimizer"),
        (dict(schedule="cosine"), "schedule"),
        (dict(spec={"kind": "linear"}), "ModelSpec"),
        (dict(mixed_precision="yes"), "mixed_precision"),
    ],
)
def test_bounds_are_enforced_with_clear_errors(bad, match):
    with pytest.raises(mt.ConfigError, match=match):
        mt.TrainConfig(**bad)


def test_trainer_refuses_more_images_than_given(small):
    tx, ty, *_ = small
    with pytest.raises(mt.ConfigError, match="more than"):
        mt.Trainer(mt.TrainConfig(train_size=10_000), tx, ty)
    with pytest.raises(mt.ConfigError, match="shaped"):
        mt.Trainer(mt.TrainConfig(train_size=100), tx.flatten(1), ty)


def test_progress_reports_and_test_accuracy_at_epoch_ends(small):
    tx, ty, ex, ey = small
    cfg = short_config("linear", epochs=3, train_size=2000, batch_size=100)
    trainer = mt.Trainer(cfg, tx, ty, eval_x=ex, eval_y=ey)
    reports = list(trainer.run(report_every=0.0))  # a report after every step
    assert reports[-1].stopped and not reports[-1].interrupted
    steps = [p.step for p in reports[:-1]]
    assert steps == list(range(1, 61)) and trainer.total_steps == 60
    ends = [p for p in reports if p.epoch_end]
    assert [p.epoch for p in ends] == [1, 2, 3]
    assert all(p.test_accuracy is not None and 0.5 < p.test_accuracy <= 1 for p in ends)
    assert reports[-1].examples == 6000 and reports[-1].fraction == 1.0
    assert all(p.examples_per_s > 0 and p.loss > 0 and 0 <= p.accuracy <= 1 for p in reports[:-1])
    assert reports[1].lr > reports[0].lr  # one-cycle warms up
    assert trainer.model.training is False and next(trainer.model.parameters()).device.type == "cpu"


def test_stop_flag_stops_between_steps(small):
    tx, ty, *_ = small
    stop = threading.Event()
    trainer = mt.Trainer(short_config("mlp", epochs=5), tx, ty)
    reports = []
    for p in trainer.run(stop=stop, report_every=0.0):
        reports.append(p)
        if p.step == 7:
            stop.set()
    assert (
        reports[-1].stopped
        and reports[-1].interrupted
        and trainer.interrupted
        and not trainer.completed
    )
    assert reports[-1].step == 7 < trainer.total_steps
    calls = iter([False, False, True])  # a plain callable works too
    stopped = mt.train(short_config("linear"), tx, ty, stop=lambda: next(calls))
    assert stopped.stopped and [p.step for p in stopped.history] == [1, 2]  # two steps, then stop


def test_abandoned_run_leaves_a_usable_cpu_model(small):
    tx, ty, ex, _ = small
    trainer = mt.Trainer(short_config("cnn", train_size=1000), tx, ty)
    gen = trainer.run(report_every=0.0)
    next(gen), next(gen)
    gen.close()  # what happens when the page reruns mid-training
    m = trainer.model
    assert not m.training and m.conv1.weight.is_contiguous() and m.conv1.weight.device.type == "cpu"
    assert mev.predict_proba(m, ex[:5]).shape == (5, 10)


def test_same_seed_same_weights_other_seed_other_weights(small):
    tx, ty, *_ = small
    cfg = short_config("linear", train_size=1000, epochs=1)
    a, b = mt.train(cfg, tx, ty).model, mt.train(cfg, tx, ty).model
    c = mt.train(mt.TrainConfig(**(vars(cfg) | {"seed": 1})), tx, ty).model
    assert torch.equal(a.linear.weight, b.linear.weight)
    assert not torch.equal(a.linear.weight, c.linear.weight)


def test_softmax_cross_entropy_gradient_matches_the_formula():
    """micrograd-style: autograd's gradient of the chapter's model equals
    (p - onehot(y)) x^T / N.
    """
    torch.manual_seed(0)
    model = mt.seeded_model(SPECS["linear"], 0)
    x, y = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))
    F.cross_entropy(model(x), y).backward()
    p = torch.softmax(model(x), 1).detach()  # (32, 10)
    delta = (p - F.one_hot(y, 10).float()) / len(y)  # (32, 10)
    assert torch.allclose(model.linear.weight.grad, delta.T @ x.flatten(1), atol=1e-6)
    assert torch.allclose(model.linear.bias.grad, delta.sum(0), atol=1e-6)


def test_mixed_precision_falls_back_when_unsupported(small, monkeypatch):
    tx, ty, *_ = small
    monkeypatch.setattr(mt, "bf16_supported", lambda device: False)
    trainer = mt.Trainer(short_config("cnn", train_size=500, epochs=1), tx, ty)
    assert trainer.mixed_precision is False
    assert list(trainer.run())[-1].stopped


def test_what_the_models_learned_as_tensors(trained):
    assert mev.linear_templates(trained["linear"].model).shape == (10, 28, 28)
    assert mev.first_layer_filters(trained["cnn"].model).shape == (16, 3, 3)
    with pytest.raises(ModelFileError):
        mev.linear_templates(trained["cnn"].model)
    with pytest.raises(ModelFileError):
        mev.first_layer_filters(trained["mlp"].model)


def test_examples_per_class_and_recipes():
    labels = mnist().test_y
    idx = mev.examples_per_class(labels, 7, seed=2)
    assert idx.shape == (70,)
    assert torch.equal(labels[idx], torch.arange(10).repeat_interleave(7))
    assert set(mt.RECIPES) == {"linear", "mlp", "cnn"}
    assert all(r.train_size == 60_000 for r in mt.RECIPES.values())


def test_finish_run_and_meta_are_plain_values(trained, small):
    *_, ex, ey = small
    run = mt.finish_run(trained["mlp"], ex, ey)
    assert run.epochs_done == pytest.approx(2.0) and not run.interrupted
    meta = run.meta()
    assert all(isinstance(v, str | int | float | bool) for v in meta.values())
    back = load_model(save_model(run.model, run.spec, meta))
    assert back.meta == meta
