"""The two trainers, step by step: by hand with autograd, and the PyTorch way.

(a) By hand: tensors `w`, `b` with `requires_grad=True`, the mean squared error,
    `loss.backward()`, the update under `torch.no_grad()`, gradients zeroed.
(b) The PyTorch way: `nn.Linear`, `nn.MSELoss`, a `torch.optim` optimizer.

Both are generators that yield a `StepState` after every parameter update (and once before
the first), so a page can play, pause and step them. With plain SGD and the same start they
follow the same trajectory. The loops are written out on purpose: they are the lesson.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch import nn

from core.linreg.problem import Problem, batch_indices
from core.optim import make_optimizer

MAX_STEPS = 50_000  # a run stops here whatever the epochs, to bound memory per user
EXPLODE_FACTOR = 1e4  # loss this many times its starting value: diverged
RISING_STEPS = 20  # loss rising this many steps in a row, above its start: diverged


# The learning-rate choices, 1-2-5 steps on a log scale from 1e-4 to 5.
LEARNING_RATES = tuple(float(f"{m * 10.0**k:.0e}") for k in range(-4, 1) for m in (1, 2, 5))
OPTIMIZERS = ("sgd", "momentum", "adam")  # ids in core.optim, in the order the page lists them


@dataclass(frozen=True)
class TrainConfig:
    """Settings both trainers share."""

    lr: float = 0.1
    epochs: int = 100
    batch_size: int | None = None  # None: full batch (every step sees all rows)
    seed: int = 0  # order of mini-batches
    init_w: float = 0.0  # every weight starts here
    init_b: float = 0.0
    # (w1..wd, b): where a run continues (after a change of learning rate or optimizer) or a
    # line fitted by hand; overrides init_w and init_b when set.
    start: tuple[float, ...] | None = field(default=None, kw_only=True)

    def batches_per_epoch(self, n: int) -> int:
        return (
            1 if self.batch_size is None or self.batch_size >= n else math.ceil(n / self.batch_size)
        )

    def total_steps(self, n: int) -> int:
        return self.epochs * self.batches_per_epoch(n)

    def start_tensors(self, d: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The starting weights (d,) and bias () as float32 tensors."""
        if self.start is None:
            return torch.full((d,), float(self.init_w)), torch.tensor(float(self.init_b))
        if len(self.start) != d + 1:
            raise ValueError(f"start holds {len(self.start)} values; this model has {d + 1}")
        return torch.tensor(self.start[:-1], dtype=torch.float32), torch.tensor(
            float(self.start[-1])
        )


@dataclass(frozen=True)
class HandConfig(TrainConfig):
    """Gradient descent written out by hand: plain SGD, nothing else."""


@dataclass(frozen=True)
class TorchConfig(TrainConfig):
    """`nn.Linear` + `nn.MSELoss` + the optimizer `optimizer` ("sgd", "momentum", "adam")."""

    optimizer: str = "sgd"


@dataclass(frozen=True)
class StepState:
    """Where a trainer stands after `step` parameter updates (step 0: the start)."""

    step: int
    epoch: float
    weights: tuple[float, ...]  # (d,)
    bias: float
    batch_loss: float  # loss of the batch the last update learned from (nan at step 0)
    train_loss: float  # mean squared error on all training rows, after the update
    test_loss: float  # on the test rows (nan when there are none)
    diverged: str | None = None  # "nan", "inf", "exploding" or "rising"


def mse(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> float:
    """Mean squared error of the model w, b on (X, y); nan on no rows."""
    if X.shape[0] == 0:
        return math.nan
    with torch.no_grad():
        return ((X @ w + b - y) ** 2).mean().item()


class _Recorder:
    """Bookkeeping beside a trainer's loop: `StepState`s, and watching for divergence.

    The state after update t is emitted just before update t + 1, once that
    step's forward pass is done: with full batches the forward pass's loss *is*
    the training loss at those parameters, so no extra evaluation is needed
    (this halves the cost of a recorded step). Mini-batch steps evaluate all
    training rows separately.
    """

    def __init__(self, problem: Problem, cfg: TrainConfig):
        self.p, self.cfg = problem, cfg
        self.per_epoch = cfg.batches_per_epoch(problem.n)
        self.full_batch = cfg.batch_size is None or cfg.batch_size >= problem.n
        self.step, self.start, self.last_batch_loss = 0, math.nan, math.nan
        self.previous, self.rises = math.inf, 0

    def schedule(self):
        """(step number, rows of its batch) for every step of the run."""
        batches = batch_indices(self.p.n, self.cfg.batch_size, self.cfg.seed)
        return zip(range(1, self.cfg.total_steps(self.p.n) + 1), batches, strict=False)

    def before_update(self, w: torch.Tensor, b: torch.Tensor, loss: torch.Tensor) -> StepState:
        """The state of the parameters as they are now (before this step's update)."""
        batch_loss = loss.item()
        train = (
            batch_loss
            if self.full_batch
            else mse(self.p.X_train, self.p.y_train, w.detach(), b.detach())
        )
        state = self._state(w, b, train)
        self.last_batch_loss, self.step = batch_loss, self.step + 1
        return state

    def final(self, w: torch.Tensor, b: torch.Tensor) -> StepState:
        """The state after the last update."""
        return self._state(w, b, mse(self.p.X_train, self.p.y_train, w.detach(), b.detach()))

    def _state(self, w: torch.Tensor, b: torch.Tensor, train: float) -> StepState:
        weights, bias = tuple(w.tolist()), b.item()  # w: (d,), b: ()
        if self.step == 0:
            self.start = train
        return StepState(
            self.step,
            self.step / self.per_epoch,
            weights,
            bias,
            self.last_batch_loss,
            train,
            mse(self.p.X_test, self.p.y_test, w.detach(), b.detach()),
            self._diverged(train, (*weights, bias)),
        )

    def _diverged(self, loss: float, params: tuple[float, ...]) -> str | None:
        self.rises = self.rises + 1 if loss > self.previous else 0
        self.previous = loss
        if not math.isfinite(loss + sum(params)):  # one test for the common case: all finite
            return "nan" if math.isnan(loss) or any(math.isnan(v) for v in params) else "inf"
        if loss > EXPLODE_FACTOR * max(self.start, 1e-12):
            return "exploding"
        if self.rises >= RISING_STEPS and loss > self.start:
            return "rising"
        return None


def train_by_hand(problem: Problem, cfg: HandConfig) -> Iterator[StepState]:
    """Gradient descent with autograd: backward(), update under no_grad(), zero the grads."""
    X, y = problem.X_train, problem.y_train  # (N, d), (N,)
    w0, b0 = cfg.start_tensors(problem.d)
    w = w0.requires_grad_()  # (d,)
    b = b0.requires_grad_()  # ()
    rec = _Recorder(problem, cfg)
    for _, idx in rec.schedule():
        pred = X[idx] @ w + b  # (B,)
        loss = ((pred - y[idx]) ** 2).mean()  # mean squared error, a scalar
        yield (state := rec.before_update(w, b, loss))
        if state.diverged:
            return
        loss.backward()  # fills w.grad and b.grad
        with torch.no_grad():  # the update itself must not become part of the graph
            w -= cfg.lr * w.grad
            b -= cfg.lr * b.grad
        w.grad.zero_()  # backward() adds to .grad: clear it for the next step
        b.grad.zero_()
    yield rec.final(w, b)


def train_pytorch(problem: Problem, cfg: TorchConfig) -> Iterator[StepState]:
    """The PyTorch way: nn.Linear, nn.MSELoss and a torch.optim optimizer."""
    X, y = problem.X_train, problem.y_train  # (N, d), (N,)
    model = nn.Linear(problem.d, 1)  # weight (1, d), bias (1,)
    with torch.no_grad():  # the same start as the by-hand trainer
        w0, b0 = cfg.start_tensors(problem.d)
        model.weight.copy_(w0.unsqueeze(0))
        model.bias.fill_(b0.item())
    loss_fn = nn.MSELoss()
    optimizer = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr)
    rec = _Recorder(problem, cfg)
    for _, idx in rec.schedule():
        pred = model(X[idx]).squeeze(1)  # (B, 1) -> (B,)
        loss = loss_fn(pred, y[idx])
        yield (state := rec.before_update(model.weight[0], model.bias[0], loss))
        if state.diverged:
            return
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    yield rec.final(model.weight[0], model.bias[0])
