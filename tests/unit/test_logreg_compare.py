"""core.logreg.compare: a pinned run's curves, drawn only beside a run on the same data."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core import logreg
from core.logreg import figures as lf
from core.logreg.compare import MAX_PINNED_POINTS, pin, same_data
from core.logreg.data import DataSpec, make_dataset

SPEC = DataSpec("moons", n_points=80, seed=2)


def test_a_pin_copies_the_history_thinned_and_knows_its_data():
    run = logreg.Run(make_dataset(SPEC), logreg.LogRegConfig(lr=0.3))
    run.advance(MAX_PINNED_POINTS + 500)
    pinned = pin(run)
    assert len(pinned.history["step"]) == MAX_PINNED_POINTS
    assert pinned.history["step"][0] == 0 and pinned.history["step"][-1] == run.step
    assert pinned.history["train_loss"][-1] == run.history["train_loss"][-1]
    run.advance(10)  # the pin is a copy: the run going on does not change it
    assert pinned.history["step"][-1] == run.step - 10
    other_model = logreg.Run(make_dataset(SPEC), logreg.LogRegConfig(hidden=(4,)))
    other_data = logreg.Run(make_dataset(replace(SPEC, seed=3)), logreg.LogRegConfig())
    assert same_data(pinned, other_model) and not same_data(pinned, other_data)


def test_the_curves_draw_the_pinned_run_dotted_on_both_panels():
    first = logreg.Run(make_dataset(SPEC), logreg.LogRegConfig(lr=0.3))
    first.advance(60)
    second = logreg.Run(make_dataset(SPEC), logreg.LogRegConfig(lr=1.0, optimizer="adam"))
    second.advance(20)
    plain = lf.curves_figure(second.history)
    fig = lf.curves_figure(second.history, pinned=pin(first), pinned_name="pinned: SGD")
    added = fig.data[len(plain.data) :]
    assert [(t.name, t.xaxis, t.yaxis, t.line.dash) for t in added] == [
        ("pinned: SGD", "x", "y", "dot"),
        ("pinned: SGD", "x2", "y2", "dot"),
    ]
    assert added[0].x[-1] == 60 and np.allclose(added[1].y[-1], first.history["train_acc"][-1])
