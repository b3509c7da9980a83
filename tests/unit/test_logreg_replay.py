"""core.logreg.replay: a run's decision surfaces as frames, equal to the trainer's own models."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core import logreg
from core.logreg.data import DataSpec, make_dataset
from core.logreg.model import LogRegConfig
from core.logreg.network import ParamRef
from core.logreg.replay import GRID, MAX_FRAMES, Snapshots, build_replay, encode_surface
from core.logreg.surface import probability_surface


def test_encode_surface_keeps_the_class_and_the_confidence():
    p = np.array([[0.0, 0.25, 0.5], [0.75, 1.0, 0.49]])
    codes = encode_surface(p, binary=True)
    assert codes.tolist() == [[24, 12, 25], [25 + 12, 25 + 24, 0]]
    three = np.array([[[1.0]], [[0.0]], [[0.0]]]), np.array([[[0.2]], [[0.3]], [[0.5]]])
    assert encode_surface(three[0], binary=False).item() == 24  # class 0, certain
    assert encode_surface(three[1], binary=False).item() == 2 * 25 + round(24 * 0.25)


def test_snapshots_thin_by_doubling_and_keep_the_first_step():
    snaps = Snapshots(limit=8)
    model = logreg.build_model(2, LogRegConfig())
    for step in range(100):
        snaps.offer(step, model)
    assert len(snaps.steps) <= 8 and snaps.steps[0] == 0
    gaps = np.diff(snaps.steps)
    assert (gaps == gaps[0]).all() and gaps[0] == snaps.stride  # evenly spread


def trained(steps: int, config: LogRegConfig, kind="xor") -> logreg.Run:
    run = logreg.Run(make_dataset(DataSpec(kind=kind, n_points=120, seed=3)), config)
    run.advance(steps)
    return run


@pytest.mark.parametrize(
    "config",
    [LogRegConfig(lr=0.3), LogRegConfig(lr=0.1, hidden=(4, 3), optimizer="adam")],
)
def test_every_frame_is_the_trainers_own_model_at_its_step(config):
    run = trained(150, config)
    replay = build_replay(run.snapshots, run.model, run.step, run.data)
    assert replay.steps.tolist() == list(range(151))  # under MAX_FRAMES: every step
    for step in (0, 37, 150):
        again = trained(step, config)  # the same run stopped at that step
        surface = probability_surface(again.model, run.data.bounds(), GRID)
        assert np.array_equal(replay.maps[step], encode_surface(surface.probs, True))


def test_a_long_run_is_thinned_to_at_most_max_frames_and_ends_on_the_model_now():
    run = trained(700, LogRegConfig(lr=0.3))
    replay = build_replay(run.snapshots, run.model, run.step, run.data)
    assert len(replay.steps) <= MAX_FRAMES + 1 and replay.steps[0] == 0
    assert replay.steps[-1] == 700
    now = probability_surface(run.model, run.data.bounds(), GRID)
    assert np.array_equal(replay.maps[-1], encode_surface(now.probs, True))


def test_a_weight_set_by_hand_is_what_the_replay_shows_at_that_step():
    run = trained(10, LogRegConfig(lr=0.3))
    run.set_parameter(ParamRef(layer=0, unit=0, source=0), 5.0)
    assert run.snapshots.steps[-1] == 10  # the edited model replaced that step's copy
    replay = build_replay(run.snapshots, run.model, run.step, run.data)
    now = probability_surface(run.model, run.data.bounds(), GRID)
    assert np.array_equal(replay.maps[-1], encode_surface(now.probs, True))


def test_the_payload_of_a_long_multi_class_run_stays_under_one_megabyte():
    from ui.logreg_replay import _replay_data

    run = trained(900, LogRegConfig(lr=0.3, hidden=(8, 8)), kind="multiblobs")
    data = _replay_data(run)
    size = len(json.dumps(data.__dict__))
    assert size < 1_000_000, size
    assert len(data.steps) == len(data.loss) == len(data.accuracy) <= MAX_FRAMES + 1


def test_the_parameter_layout_the_browser_reads_runs_the_same_network():
    """The browser walks each frame's parameters as `network_spec` says (per layer: weight
    (out, in) row by row, then bias); the same walk in numpy gives the model's logits."""
    from core.logreg.replay import network_spec

    config = LogRegConfig(features=("x1*x2", "sin(x1)"), hidden=(5, 3), activation="relu")
    run = trained(30, config, kind="multiblobs")
    replay = build_replay(run.snapshots, run.model, run.step, run.data)
    spec = network_spec(run.model)
    assert spec["widths"] == [4, 5, 3, 3] and spec["features"] == ["x1", "x2", "x1*x2", "sin(x1)"]
    x = run.data.x_train[:20]
    values = run.model.featurize(x).numpy().astype(np.float64)  # (N, F)
    at, params = 0, replay.params[-1]
    widths = spec["widths"]
    for layer, (n_in, n_out) in enumerate(zip(widths, widths[1:], strict=False)):
        w = params[at : at + n_in * n_out].reshape(n_out, n_in)
        b = params[at + n_in * n_out : at + n_in * n_out + n_out]
        at += n_in * n_out + n_out
        values = values @ w.T + b
        if layer < len(widths) - 2:
            values = np.maximum(values, 0)  # relu
    assert at == params.size
    assert np.allclose(values, run.model(x).detach().numpy(), atol=1e-5)
