"""core.logreg: a run whose learning rate, optimizer or L2 penalty changes goes on from its
weights, exactly as a run started from those weights with the new settings would."""

from __future__ import annotations

import copy
from dataclasses import replace
from itertools import islice

import pytest
import torch

from core import logreg
from core.logreg.data import DataSpec, make_dataset
from core.logreg.train import train_steps
from core.optim import make_optimizer

DATA = make_dataset(DataSpec("xor", n_points=120, seed=4))


@pytest.mark.parametrize(
    "change", [dict(lr=0.5), dict(optimizer="adam", lr=0.03), dict(l2=0.01, optimizer="momentum")]
)
def test_going_on_after_a_change_equals_training_from_the_saved_weights(change):
    first = logreg.LogRegConfig(hidden=(4, 3), lr=0.2, seed=1)
    run = logreg.Run(DATA, first)
    run.advance(40)
    saved = copy.deepcopy(run.model)
    new = replace(first, **change)
    assert run.can_retune(new)
    run.retune(new)
    run.advance(30)
    assert run.step == 70 and len(run.history["step"]) == 71  # the history is kept
    assert [s for s, _ in run.segments] == [0, 40] and run.config == new

    optimizer = make_optimizer(new.optimizer, saved.parameters(), new.lr)
    fresh = [m.train_loss for m in islice(train_steps(saved, DATA, new, optimizer), 31)]
    assert run.history["train_loss"][40:] == pytest.approx(fresh, abs=0)
    for a, b in zip(run.model.parameters(), saved.parameters(), strict=True):
        assert torch.equal(a, b)


def test_what_changes_the_model_cannot_be_retuned():
    first = logreg.LogRegConfig(hidden=(4,), lr=0.2)
    run = logreg.Run(DATA, first)
    for other in (replace(first, hidden=(5,)), replace(first, features=("x1*x2",)), first):
        assert not run.can_retune(other)
        with pytest.raises(ValueError):
            run.retune(other)


def test_a_run_that_blew_up_goes_on_with_a_smaller_step():
    config = logreg.LogRegConfig(features=("x1^2", "x2^2"), lr=100.0)
    run = logreg.Run(DATA, config)
    run.advance(2000)
    assert run.diverged is not None and run.stopped
    run.retune(replace(config, lr=0.1))
    assert not run.stopped
    assert run.advance(20) == 20
