"""core.linreg.replay: a recorded run as frames for the browser, equal to the trainers' states."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import torch

from core import linreg, theme
from core.linreg import HandConfig, TorchConfig, figures
from core.linreg.data import SyntheticConfig, synthetic
from core.linreg.replay import GRID_POINTS, MAX_FRAMES, build_replay, frame_steps
from core.runtime import configure_torch

configure_torch()


def lab_run(
    steps: int, lr: float = 0.1, optimizer: str = "adam", preset="curve", degree=2, n=120
) -> linreg.LabRun:
    data = synthetic(SyntheticConfig(preset=preset, n=n, seed=2))
    problem = linreg.make_problem(data, degree, True)
    run = linreg.LabRun(
        problem,
        HandConfig(lr, steps, None, 0, 0.5, -1.0),
        TorchConfig(lr, steps, None, 0, 0.5, -1.0, optimizer),
    )
    run.advance(steps)
    return run


@pytest.mark.parametrize(
    ("last", "most", "expected"),
    [(0, 200, [0]), (3, 200, [0, 1, 2, 3]), (1000, 5, [0, 250, 500, 750, 1000])],
)
def test_frame_steps_keep_both_ends_and_spread_evenly(last, most, expected):
    assert frame_steps(last, most).tolist() == expected


def test_frame_steps_are_bounded_increasing_and_refuse_a_negative_run():
    steps = frame_steps(12_345)
    assert len(steps) == MAX_FRAMES and steps[0] == 0 and steps[-1] == 12_345
    assert (np.diff(steps) > 0).all()
    with pytest.raises(ValueError):
        frame_steps(-1)


@pytest.mark.parametrize("steps", [7, 500])
def test_every_frame_is_the_trainers_own_state_at_its_step(steps):
    run = lab_run(steps)
    replay = build_replay(run)
    assert replay.steps[-1] == run.step and len(replay.steps) == min(steps + 1, MAX_FRAMES)
    grid = torch.as_tensor(replay.grid)
    for trace, seen in zip((run.hand, run.torch), replay.traces, strict=True):
        assert seen.name == trace.name
        recorded, losses = trace.param_matrix(), trace.series("train_loss")
        for k, step in enumerate(replay.steps):
            w, b = recorded[step, :-1], recorded[step, -1]
            np.testing.assert_array_equal(seen.params[k], recorded[step])
            np.testing.assert_allclose(
                seen.fit[k], linreg.predict(run.problem, w, b, grid), rtol=1e-12
            )
            assert seen.train_loss[k] == losses[step]
    assert replay.grid.shape == (GRID_POINTS,)


def test_a_trainer_that_diverged_stays_where_it_stopped():
    run = lab_run(300, lr=50.0, optimizer="sgd", preset="line", degree=1)
    assert run.hand.diverged and run.hand.steps < 300
    replay = build_replay(run)
    hand = replay.traces[0]
    last = run.hand.param_matrix()[-1]
    after = replay.steps >= run.hand.steps
    assert after.any()
    np.testing.assert_array_equal(hand.params[after], np.tile(last, (after.sum(), 1)))


def test_the_replay_figure_is_valid_plotly_and_its_frames_carry_the_replay():
    run = lab_run(400)
    replay = build_replay(run)
    for large in (False, True):
        fig = theme.style(figures.replay_figure(run, replay), large=large)
        checked = go.Figure(fig.to_dict())  # plotly's full validation, frames included
        assert json.loads(pio.to_json(checked)) == json.loads(pio.to_json(fig))
    assert len(fig.frames) == len(replay.steps)
    (slider,) = fig.layout.sliders
    assert [s.label for s in slider.steps] == [str(s) for s in replay.steps]
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert labels == ["▶ Play", "Slow motion", "❚❚ Pause"]
    k = len(replay.steps) // 2
    frame = fig.frames[k]
    hand_fit, torch_fit = frame.data[0], frame.data[1]
    np.testing.assert_allclose(hand_fit.y, replay.traces[0].fit[k], rtol=1e-6)
    np.testing.assert_allclose(torch_fit.y, replay.traces[1].fit[k], rtol=1e-6)
    on_landscape = frame.data[2]
    assert on_landscape.x == (replay.traces[0].params[k, 0],)
    assert on_landscape.y == (replay.traces[0].params[k, -1],)
    moved = [fig.data[i] for i in frame.traces]
    assert [t.name for t in moved[:2]] == [run.hand.name, run.torch.name]
    assert all(t.xaxis == "x2" for t in moved[2::2]) and all(t.xaxis == "x3" for t in moved[3::2])


def test_a_long_run_on_big_data_replays_in_under_a_megabyte():
    run = lab_run(3000, n=2000, preset="line", degree=1)
    replay = build_replay(run)
    assert len(replay.steps) == MAX_FRAMES
    sent = pio.to_json(theme.style(figures.replay_figure(run, replay)), validate=False)
    assert len(sent) < 1_000_000


def test_a_run_blown_past_float32_is_sent_as_gaps_not_infinities():
    run = lab_run(300, lr=1e30, optimizer="sgd", preset="line", degree=1)
    assert run.hand.diverged
    fig = figures.replay_figure(run, build_replay(run))
    for frame in fig.frames:
        for moved in frame.data:
            assert not np.isinf(np.asarray(moved.y, dtype=np.float64)).any()


@pytest.mark.parametrize(("degree", "expected"), [(2, "same"), (1, "same data")])
def test_a_pinned_run_is_drawn_still_and_the_frames_still_move_the_trainers(degree, expected):
    from core.linreg.compare import comparison, pin

    run = lab_run(60)
    before = lab_run(40, lr=0.3, optimizer="sgd", degree=degree)  # the same data
    held = pin(before)
    how = comparison(held, run)
    assert how == expected
    name = "pinned: SGD, lr 0.3"
    plain = figures.replay_figure(run, build_replay(run))
    fig = theme.style(
        figures.replay_figure(run, build_replay(run), figures.Pinned(held, name, how))
    )
    checked = go.Figure(fig.to_dict())  # plotly's full validation, frames included
    assert json.loads(pio.to_json(checked)) == json.loads(pio.to_json(fig))

    purple = [t for t in fig.data if t.line.color == figures.PINNED_COLOR]
    where = {(t.name, t.xaxis or "x", t.line.dash) for t in purple}
    expected_traces = {(name, "x", "dot"), (f"{name}, train", "x3", "dot")}
    if how == "same":
        expected_traces.add((name, "x2", "dot"))
    assert where == expected_traces
    (fit,) = [t for t in purple if (t.xaxis or "x") == "x"]
    np.testing.assert_allclose(fit.y, held.fit_y, rtol=1e-6)  # its final fit
    assert len(fig.data) == len(plain.data) + len(expected_traces)

    trainers = {run.hand.name, run.torch.name}
    for frame in fig.frames:  # every frame still moves the trainers' own traces
        moved = [fig.data[i] for i in frame.traces]
        owners = [t.name or t.hovertemplate.removesuffix("<extra></extra>") for t in moved]
        assert set(owners) == trainers  # the markers are named by their hover text
        assert (
            owners == [run.hand.name, run.torch.name] + [run.hand.name] * 2 + [run.torch.name] * 2
        )
        assert [(t.xaxis or "x") for t in moved] == ["x", "x"] + ["x2", "x3"] * 2
    assert [list(f.traces) for f in plain.frames][0] != list(fig.frames[0].traces)


def test_a_pinned_run_from_other_data_is_not_drawn_in_the_replay():
    from core.linreg.compare import pin

    run = lab_run(30)
    other = lab_run(30, preset="line", degree=1)
    pinned = figures.Pinned(pin(other), "pinned: other", "other data")
    fig = figures.replay_figure(run, build_replay(run), pinned)
    plain = figures.replay_figure(run, build_replay(run))
    assert fig.to_plotly_json() == plain.to_plotly_json()
