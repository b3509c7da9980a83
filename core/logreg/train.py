"""Full-batch training, step by step: `train_steps` yields each step's metrics, `Run` keeps
one user's model, optimizer, generator and history. The loss adds an L2 penalty
lambda * sum(w^2) over weight matrices (not biases). Divergence is a code (`Divergence`);
the page says it in words.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from core.logreg.data import Dataset
from core.logreg.model import LogRegConfig, PlaygroundNet, build_model, l2_penalty
from core.logreg.network import ParamRef, parameter_value, set_parameter
from core.logreg.replay import Snapshots
from core.optim import make_optimizer
from core.runtime import one_thread

MAX_STEPS = 20_000


# Divergence. The logistic loss grows only linearly in the weights and its gradient is
# bounded, so plain logistic regression with a huge step rarely reaches NaN: it bounces
# between bad boundaries with a loss tens of times its starting value. So training stops
# when the loss is NaN/inf, or has stayed above DIVERGENCE_FACTOR x its starting value
# (at least DIVERGENCE_FACTOR x 0.5 nats) for DIVERGENCE_PATIENCE steps in a row; short
# spikes that a large but workable step makes on the way down do not count.
# A loss EXPLOSION_FACTOR times the start stops training at once (a ReLU layer's weights
# blowing up; its units then die and the loss falls back to a flat, useless value).
DIVERGENCE_FACTOR = 10.0


DIVERGENCE_PATIENCE = 50


EXPLOSION_FACTOR = 1000.0


@dataclass(frozen=True)
class Divergence:
    """Why training stopped with the loss blown up; the page says it in words."""

    reason: str  # "nonfinite" (NaN or inf) | "exploded" | "stuck_high"
    step: int  # the step where the loss blew up
    loss: float  # that loss ("exploded"), or the threshold it stayed above ("stuck_high")


@dataclass(frozen=True)
class StepMetrics:
    """The model after `step` updates: data loss (without the penalty) and accuracy.

    Test values are NaN when the data set has no test points. `diverged` says why
    training stopped when the loss blew up.
    """

    step: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    diverged: Divergence | None = None


def _loss_fn(binary: bool):
    bce, ce = nn.BCEWithLogitsLoss(), nn.CrossEntropyLoss()
    return (lambda logits, y: bce(logits, y.float())) if binary else ce


def _accuracy(logits: torch.Tensor, y: torch.Tensor, binary: bool) -> float:
    pred = (logits > 0).long() if binary else logits.argmax(dim=1)
    return (pred == y).float().mean().item()


def _divergence_alarm(step: int, loss: float, base: float, high_streak: int) -> Divergence | None:
    """Why this finite loss means training has diverged, or None."""
    if loss > EXPLOSION_FACTOR * base:
        return Divergence("exploded", step, loss)
    if high_streak >= DIVERGENCE_PATIENCE:
        return Divergence("stuck_high", step, DIVERGENCE_FACTOR * base)
    return None


def train_steps(
    model: PlaygroundNet,
    data: Dataset,
    config: LogRegConfig,
    optimizer: torch.optim.Optimizer | None = None,
    start: int = 0,
) -> Iterator[StepMetrics]:
    """Full-batch gradient descent as a generator: yields metrics for step `start` (the model
    as it is now: the initial one, or one `start` updates in), then one `StepMetrics` per
    update. Stops after yielding a `diverged` metric (after a NaN the model is put back to its
    last finite weights) or at `MAX_STEPS`.
    """
    optimizer = optimizer or make_optimizer(config.optimizer, model.parameters(), config.lr)
    loss_fn = _loss_fn(model.binary)
    phi_train = model.featurize(data.x_train)  # (N, F): features are fixed, compute once
    phi_test = model.featurize(data.x_test)  # (M, F)
    has_test = len(data.y_test) > 0
    params = list(model.parameters())
    last_good = [p.detach().clone() for p in params]
    base, high_streak = None, 0
    for step in range(start, MAX_STEPS + 1):
        logits = model.logits_from_features(phi_train)  # (N,) or (N, K)
        data_loss = loss_fn(logits, data.y_train)
        loss_value = data_loss.item()
        base = max(loss_value, 0.5) if base is None else base
        high_streak = high_streak + 1 if loss_value > DIVERGENCE_FACTOR * base else 0
        if not math.isfinite(loss_value):
            with torch.no_grad():
                for p, good in zip(params, last_good, strict=True):
                    p.copy_(good)
            message = Divergence("nonfinite", step, loss_value)
            yield StepMetrics(step - 1, math.nan, math.nan, math.nan, math.nan, diverged=message)
            return
        with torch.no_grad():
            if has_test:
                test_logits = model.logits_from_features(phi_test)
                test_loss = loss_fn(test_logits, data.y_test).item()
                test_acc = _accuracy(test_logits, data.y_test, model.binary)
            else:
                test_loss = test_acc = math.nan
            for good, p in zip(last_good, params, strict=True):
                good.copy_(p)
        alarm = _divergence_alarm(step, loss_value, base, high_streak)
        yield StepMetrics(
            step,
            loss_value,
            _accuracy(logits.detach(), data.y_train, model.binary),
            test_loss,
            test_acc,
            diverged=alarm,
        )
        if step == MAX_STEPS or alarm:
            return
        loss = data_loss + config.l2 * l2_penalty(model) if config.l2 else data_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


HISTORY_KEYS = ("step", "train_loss", "train_acc", "test_loss", "test_acc")


@dataclass(frozen=True)
class WeightEdit:
    """A weight or bias the student set by hand after `step` updates (an exported script
    makes the same edit at the same step)."""

    step: int
    ref: ParamRef
    value: float


@dataclass
class Run:
    """One user's training run: data, config, model, optimizer, the step generator, history."""

    data: Dataset
    config: LogRegConfig
    model: PlaygroundNet = field(init=False)
    history: dict[str, list[float]] = field(init=False)
    diverged: Divergence | None = field(init=False, default=None)

    def __post_init__(self):
        self.model = build_model(self.data.n_classes, self.config)
        self.optimizer = make_optimizer(
            self.config.optimizer, self.model.parameters(), self.config.lr
        )
        self._steps = train_steps(self.model, self.data, self.config, self.optimizer)
        self.history = {k: [] for k in HISTORY_KEYS}
        self.edits: list[WeightEdit] = []
        # (first step, config) of each stretch of training: the settings may change mid-run
        self.segments: list[tuple[int, LogRegConfig]] = [(0, self.config)]
        self.snapshots = Snapshots()  # the model at some steps, for the replay
        self.completed = False
        self.advance(0)

    @property
    def step(self) -> int:
        return int(self.history["step"][-1])

    def latest(self) -> dict[str, float]:
        return {k: v[-1] for k, v in self.history.items()}

    @property
    def stopped(self) -> bool:
        """True once training cannot go on (diverged, or reached MAX_STEPS)."""
        return self.completed or self.diverged is not None

    def advance(self, steps: int, budget_s: float | None = None) -> int:
        """Take up to `steps` updates (fewer if the time budget runs out or training stops).

        `advance(0)` on a fresh run records the initial model. Returns updates taken.
        """
        with one_thread():
            return self._advance(steps, budget_s)

    def set_parameter(self, ref: ParamRef, value: float) -> float:
        """Set one weight or bias by hand; training goes on from the edited model.

        The step generator is paused after computing the loss of the old weights, and that
        loss's graph holds them: a fresh generator starts from the edited model at this
        step, and the step's recorded metrics become the edited model's. Returns the old value.
        """
        with one_thread():
            old = parameter_value(self.model, ref)
            set_parameter(self.model, ref, value)
            self.edits.append(WeightEdit(self.step, ref, float(value)))
            self._steps = train_steps(
                self.model, self.data, self.config, self.optimizer, start=self.step
            )
            metrics = next(self._steps)
            if not math.isnan(metrics.train_loss):
                for k in HISTORY_KEYS:
                    self.history[k][-1] = float(getattr(metrics, k))
            self.snapshots.offer(self.step, self.model)
            if metrics.diverged:
                self.diverged = metrics.diverged
            return old

    def can_retune(self, config: LogRegConfig) -> bool:
        """Whether `config` differs from this run's only in what training may change as it
        goes (learning rate, optimizer, L2 penalty), so the same model can carry on."""
        same = replace(
            config, lr=self.config.lr, optimizer=self.config.optimizer, l2=self.config.l2
        )
        return same == self.config and config != self.config

    def retune(self, config: LogRegConfig) -> None:
        """Go on from the model as it is with a new learning rate, optimizer or L2 penalty.

        A fresh optimizer (Adam's averages and momentum start again) and a fresh step
        generator from this step, as after a weight set by hand; exactly what a run started
        from these weights with `config` would do. A run stopped by a blown-up loss may go
        on (after NaN its weights were put back to the last finite ones).
        """
        if not self.can_retune(config):
            raise ValueError("only the learning rate, optimizer and L2 penalty can change mid-run")
        with one_thread():
            self.config = config
            self.optimizer = make_optimizer(config.optimizer, self.model.parameters(), config.lr)
            self._steps = train_steps(
                self.model, self.data, config, self.optimizer, start=self.step
            )
            next(self._steps)  # this step's metrics: recorded already, the model is unchanged
            self.segments.append((self.step, config))
            self.diverged = None
            self.completed = self.step >= MAX_STEPS

    def _advance(self, steps: int, budget_s: float | None) -> int:
        started, done = time.perf_counter(), 0
        want = steps + (1 if not self.history["step"] else 0)
        while want > 0 and not self.stopped:
            metrics = next(self._steps, None)
            if metrics is None:
                self.completed = True
                break
            want -= 1
            if math.isnan(metrics.train_loss):  # NaN: the model went back to the last good step
                self.diverged = metrics.diverged
                break
            for k in HISTORY_KEYS:
                self.history[k].append(float(getattr(metrics, k)))
            self.snapshots.offer(metrics.step, self.model)
            done += 1 if metrics.step else 0
            if metrics.diverged:
                self.diverged = metrics.diverged
                break
            if metrics.step >= MAX_STEPS:
                self.completed = True
            if budget_s is not None and time.perf_counter() - started > budget_s:
                break
        return done


def learning_rate_extreme(rate: float) -> str | None:
    """ "too_large" (steps overshoot, may diverge) or "too_small" (barely moves), else None."""
    if rate >= 3:
        return "too_large"
    if rate <= 3e-4:
        return "too_small"
    return None
