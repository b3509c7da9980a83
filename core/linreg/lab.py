"""Linear regression two ways, on the same data, step by step.

(a) By hand: tensors `w`, `b` with `requires_grad=True`, the mean squared error,
    `loss.backward()`, the update under `torch.no_grad()`, gradients zeroed.
(b) The PyTorch way: `nn.Linear`, `nn.MSELoss`, a `torch.optim` optimizer
    (SGD, SGD with momentum, Adam).

Both trainers are generators that yield a `StepState` after every parameter
update (and once before the first), so a page can play, pause and step them.
With plain SGD and the same start they follow the same trajectory.
`LabRun` drives both together and records what they did; the closed-form
least-squares solution (`torch.linalg.lstsq`), R^2, the largest stable learning
rate and the loss landscape over (w, b) are computed here too.

Functions marked "exported verbatim" are copied into the reproduction script
by `core.linreg.export`, so they use nothing but `torch` and their arguments.
Everything runs on the CPU on purpose: these problems have a few thousand
numbers, where a GPU's launch overhead costs more than the arithmetic.
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from core.linreg.data import Dataset

MAX_DEGREE = 5
MAX_STEPS = 50_000  # a run stops here whatever the epochs, to bound memory per user
EXPLODE_FACTOR = 1e4  # loss this many times its starting value: diverged
RISING_STEPS = 20  # loss rising this many steps in a row, above its start: diverged

# The learning-rate choices, 1-2-5 steps on a log scale from 1e-4 to 5.
LEARNING_RATES = tuple(float(f"{m * 10.0**k:.0e}") for k in range(-4, 1) for m in (1, 2, 5))

OPTIMIZERS = {  # label on the page -> optimizer id
    "SGD": "sgd",
    "SGD + momentum 0.9": "momentum",
    "Adam": "adam",
}


# ---- features: exported verbatim ------------------------------------------------


def polynomial_features(x, degree):
    """Columns x, x^2, ..., x^degree of a 1-D float64 tensor: (N,) -> (N, degree)."""
    return torch.stack([x**k for k in range(1, degree + 1)], dim=1)


def standardiser(features):
    """Per-column mean and standard deviation of the training features (std 1 if constant)."""
    mean = features.mean(dim=0)  # (d,)
    std = features.std(dim=0, correction=0)  # (d,)
    return mean, torch.where(std > 0, std, torch.ones_like(std))


def batch_indices(n, batch_size, seed):
    """Rows of each step's batch, forever: all rows (full batch), or shuffled mini-batches.

    A fresh shuffle per epoch from a generator seeded with `seed`, so two
    trainers given the same seed see the same batches in the same order.
    """
    if batch_size is None or batch_size >= n:
        while True:
            yield slice(None)
    g = torch.Generator().manual_seed(seed)
    while True:
        yield from torch.randperm(n, generator=g).split(batch_size)


# ---- the problem both trainers solve --------------------------------------------


@dataclass(frozen=True, eq=False)
class Problem:
    """A data set turned into training tensors: polynomial features, maybe standardised.

    Training runs in float32 (PyTorch's default); features are built in float64
    first so that x^5 of large x loses nothing before standardisation.
    """

    data: Dataset
    degree: int
    standardise: bool
    mean: torch.Tensor  # (d,) float64, zeros when not standardising
    std: torch.Tensor  # (d,) float64, ones when not standardising
    X_train: torch.Tensor  # (N, d) float32
    y_train: torch.Tensor  # (N,) float32
    X_test: torch.Tensor  # (M, d) float32
    y_test: torch.Tensor  # (M,) float32

    @property
    def n(self) -> int:
        return self.X_train.shape[0]

    @property
    def d(self) -> int:
        return self.X_train.shape[1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Raw x (N,) -> the model's inputs (N, d), float64."""
        return (polynomial_features(x.double(), self.degree) - self.mean) / self.std


def make_problem(data: Dataset, degree: int = 1, standardise: bool = False) -> Problem:
    """Features of `data` for a polynomial of `degree` (1 = a line), standardised on request."""
    if not 1 <= degree <= MAX_DEGREE:
        raise ValueError(f"degree must be 1..{MAX_DEGREE}")
    F = polynomial_features(data.x_train, degree)  # (N, d) float64
    if standardise:
        mean, std = standardiser(F)
    else:
        mean, std = torch.zeros(degree, dtype=torch.float64), torch.ones(degree, dtype=torch.float64)
    X_train = ((F - mean) / std).float()
    X_test = ((polynomial_features(data.x_test, degree) - mean) / std).float()
    return Problem(data, degree, standardise, mean, std, X_train, data.y_train.float(),
                   X_test.reshape(-1, degree), data.y_test.float())


# ---- trainer configs and what they yield ----------------------------------------


@dataclass(frozen=True)
class TrainConfig:
    """Settings both trainers share."""

    lr: float = 0.1
    epochs: int = 100
    batch_size: int | None = None  # None: full batch (every step sees all rows)
    seed: int = 0  # order of mini-batches
    init_w: float = 0.0  # every weight starts here
    init_b: float = 0.0

    def batches_per_epoch(self, n: int) -> int:
        return 1 if self.batch_size is None or self.batch_size >= n else math.ceil(n / self.batch_size)

    def total_steps(self, n: int) -> int:
        return self.epochs * self.batches_per_epoch(n)


@dataclass(frozen=True)
class HandConfig(TrainConfig):
    """Gradient descent written out by hand: plain SGD, nothing else."""


@dataclass(frozen=True)
class TorchConfig(TrainConfig):
    """`nn.Linear` + `nn.MSELoss` + the optimizer `optimizer` ("sgd", "momentum", "adam")."""

    optimizer: str = "sgd"
    momentum: float = 0.9  # used by "momentum" only


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
        train = batch_loss if self.full_batch else mse(self.p.X_train, self.p.y_train, w.detach(), b.detach())
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
        return StepState(self.step, self.step / self.per_epoch, weights, bias, self.last_batch_loss,
                         train, mse(self.p.X_test, self.p.y_test, w.detach(), b.detach()),
                         self._diverged(train, (*weights, bias)))

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


# ---- the two trainers --------------------------------------------------------------


def train_by_hand(problem: Problem, cfg: HandConfig) -> Iterator[StepState]:
    """Gradient descent with autograd: backward(), update under no_grad(), zero the grads."""
    X, y = problem.X_train, problem.y_train  # (N, d), (N,)
    w = torch.full((problem.d,), cfg.init_w, requires_grad=True)  # (d,)
    b = torch.tensor(cfg.init_b, requires_grad=True)  # ()
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


def make_optimizer(cfg: TorchConfig, params) -> torch.optim.Optimizer:
    """The `torch.optim` optimizer `cfg.optimizer` with learning rate `cfg.lr`."""
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr)
    if cfg.optimizer == "momentum":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}")


def train_pytorch(problem: Problem, cfg: TorchConfig) -> Iterator[StepState]:
    """The PyTorch way: nn.Linear, nn.MSELoss and a torch.optim optimizer."""
    X, y = problem.X_train, problem.y_train  # (N, d), (N,)
    model = nn.Linear(problem.d, 1)  # weight (1, d), bias (1,)
    with torch.no_grad():  # the same start as the by-hand trainer
        model.weight.fill_(cfg.init_w)
        model.bias.fill_(cfg.init_b)
    loss_fn = nn.MSELoss()
    optimizer = make_optimizer(cfg, model.parameters())
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


# ---- closed form, fit quality, stability --------------------------------------------


def design_matrix(problem: Problem) -> torch.Tensor:
    """[features | 1] of the training rows in float64: (N, d + 1)."""
    X = problem.X_train.double()
    return torch.cat([X, torch.ones(X.shape[0], 1, dtype=torch.float64)], dim=1)


def closed_form(problem: Problem) -> tuple[np.ndarray, float]:
    """Least-squares weights (d,) and bias via `torch.linalg.lstsq` (float64, minimum norm)."""
    A = design_matrix(problem)  # (N, d + 1)
    sol = torch.linalg.lstsq(A, problem.y_train.double().unsqueeze(1), driver="gelsd").solution
    theta = sol.squeeze(1).numpy()  # (d + 1,)
    return theta[:-1], float(theta[-1])


def max_stable_lr(problem: Problem) -> float:
    """Largest learning rate at which full-batch gradient descent on this MSE converges.

    The loss is a quadratic with Hessian H = 2/N A^T A; gradient descent is
    stable for lr < 2 / lambda_max(H) = 1 / lambda_max(A^T A / N).
    """
    A = design_matrix(problem)
    top = torch.linalg.eigvalsh(A.T @ A / A.shape[0])[-1].item()
    return 1.0 / top


def r_squared(y: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination 1 - SS_res / SS_tot (nan when y is constant or empty)."""
    y, pred = np.asarray(y, dtype=np.float64), np.asarray(pred, dtype=np.float64)
    total = ((y - y.mean()) ** 2).sum() if y.size else 0.0
    if total == 0:
        return math.nan
    return float(1 - ((y - pred) ** 2).sum() / total)


def predict(problem: Problem, weights, bias: float, x: torch.Tensor) -> np.ndarray:
    """The model's prediction (float64 numpy) at raw inputs x (N,)."""
    w = torch.as_tensor(np.asarray(weights, dtype=np.float64))
    return (problem.features(x) @ w + bias).numpy()


def raw_coefficients(problem: Problem, weights, bias: float) -> list[float]:
    """The fit as y = c0 + c1 x + ... + cd x^d in the data's own units (undoing standardisation)."""
    w = np.asarray(weights, dtype=np.float64) / problem.std.numpy()
    return [float(bias - (w * problem.mean.numpy()).sum()), *map(float, w)]


# ---- the loss landscape ----------------------------------------------------------------


def loss_landscape(problem: Problem, w_values: np.ndarray, b_values: np.ndarray,
                   other_weights=()) -> np.ndarray:
    """MSE on the training set over a grid of (w1, b): (len(b_values), len(w_values)).

    Higher weights (degree > 1) are held at `other_weights`, so this is a slice
    through the landscape. Vectorised: the MSE is a quadratic in (w1, b), so
    five averages over the data give the whole grid at once, for any N.
    """
    X, y = problem.X_train.double(), problem.y_train.double()  # (N, d), (N,)
    rest = torch.as_tensor(np.asarray(other_weights, dtype=np.float64)).reshape(-1)
    r = y - X[:, 1:] @ rest if problem.d > 1 else y  # (N,) what w1 * x1 + b must explain
    x1 = X[:, 0]
    m_xx, m_x, m_xr = (x1 * x1).mean(), x1.mean(), (x1 * r).mean()
    m_r, m_rr = r.mean(), (r * r).mean()
    W = torch.as_tensor(w_values, dtype=torch.float64)[None, :]  # (1, Gw)
    B = torch.as_tensor(b_values, dtype=torch.float64)[:, None]  # (Gb, 1)
    L = W * W * m_xx + 2 * W * B * m_x + B * B - 2 * W * m_xr - 2 * B * m_r + m_rr  # (Gb, Gw)
    return L.clamp_min(0).numpy()


@dataclass(frozen=True)
class Landscape:
    """A loss grid over (w1, b) centred on the closed-form solution."""

    w: np.ndarray  # (G,)
    b: np.ndarray  # (G,)
    loss: np.ndarray  # (G, G), rows are b
    minimum: float  # loss at the closed-form solution (in this slice)
    is_slice: bool  # True when degree > 1: other weights held at their closed-form values


def landscape_around(problem: Problem, start: tuple[float, float], resolution: int = 51) -> Landscape:
    """The landscape on a square window holding the closed form and the start, with margin."""
    w_star, b_star = closed_form(problem)
    cw, cb = float(w_star[0]), b_star
    half = 1.3 * max(abs(start[0] - cw), abs(start[1] - cb), 0.5)
    w = np.linspace(cw - half, cw + half, resolution)
    b = np.linspace(cb - half, cb + half, resolution)
    rest = w_star[1:]
    minimum = float(loss_landscape(problem, np.array([cw]), np.array([cb]), rest)[0, 0])
    return Landscape(w, b, loss_landscape(problem, w, b, rest), minimum, problem.d > 1)


# ---- divergence -------------------------------------------------------------------------


WHAT_HAPPENED = {
    "nan": "the loss became NaN (not a number): the parameters overflowed",
    "inf": "the loss became infinite: the parameters overflowed",
    "exploding": f"the loss grew to more than {EXPLODE_FACTOR:,.0f} times its starting value",
    "rising": f"the loss rose {RISING_STEPS} steps in a row and is now above where it started",
}


def explain_divergence(reason: str, step: int, problem: Problem, lr: float,
                       optimizer: str = "sgd") -> str:
    """Markdown for the page: what happened, why, and what to try."""
    text = [f"**Training stopped at step {step}: {WHAT_HAPPENED.get(reason, reason)}.**"]
    limit = max_stable_lr(problem)
    if optimizer == "adam":
        text.append(
            f"Adam moves each parameter by roughly the learning rate ({lr:g}) every step, however "
            "small the gradient. Steps that large jump back and forth across the minimum instead "
            "of settling into it."
        )
    else:
        bound = limit * (1.9 if optimizer == "momentum" else 1.0)
        text.append(
            "Each step moves the parameters by learning rate x gradient. If that step is wider "
            "than the valley, it lands higher up the other side, where the gradient is steeper, "
            "so the next jump is bigger still: the parameters swing further out every step."
            f" On this data, full-batch gradient descent{' with momentum 0.9' if optimizer == 'momentum' else ''}"
            f" is stable only for learning rates below about **{bound:.3g}**; this run used {lr:g}."
        )
    tries = [f"Lower the learning rate (try {_nice_below(min(lr / 3, limit * 0.8)):g}): the run "
             "starts again from the beginning."]
    if not problem.standardise:
        tries.append("Turn on **standardise features**: features on a common scale make the valley "
                     "round instead of a long thin trough, so much larger learning rates work.")
    if problem.degree > 1 and not problem.standardise:
        tries.append(f"x^{problem.degree} spans a huge range of values; without standardisation "
                     "even tiny learning rates overshoot along that direction.")
    if optimizer != "adam":
        tries.append("Or switch the PyTorch trainer to Adam, whose step size does not grow with the gradient.")
    return "\n\n".join(text) + "\n\n**What to try:**\n" + "\n".join(f"- {t}" for t in tries)


def _nice_below(value: float) -> float:
    """The largest of 1, 2, 5 x 10^k not above `value`."""
    if not value > 0 or not math.isfinite(value):
        return 1e-3
    k = math.floor(math.log10(value))
    return max(m * 10.0**k for m in (1, 2, 5) if m * 10.0**k <= value * (1 + 1e-9))


# ---- both trainers together ----------------------------------------------------------


class Trace:
    """One trainer's generator and everything it has yielded, stored compactly."""

    def __init__(self, name: str, states: Iterator[StepState], d: int):
        self.name, self.d, self._states = name, d, states
        self.params = array("d")  # (T * (d + 1),): w1..wd, b per step
        self.train_loss, self.test_loss, self.batch_loss = array("d"), array("d"), array("d")
        self.last: StepState | None = None
        self.finished = False
        self.pull()

    def pull(self) -> bool:
        """Take one step; False when the trainer has stopped (finished or diverged)."""
        if self.stopped:
            return False
        try:
            s = next(self._states)
        except StopIteration:
            self.finished = True
            return False
        self.params.extend((*s.weights, s.bias))
        self.train_loss.append(s.train_loss)
        self.test_loss.append(s.test_loss)
        self.batch_loss.append(s.batch_loss)
        self.last = s
        return True

    @property
    def stopped(self) -> bool:
        return self.finished or (self.last is not None and self.last.diverged is not None)

    @property
    def diverged(self) -> str | None:
        return self.last.diverged if self.last else None

    @property
    def steps(self) -> int:
        return len(self.train_loss) - 1

    # Readers get copies, never views: an `array` that a live numpy view points into
    # refuses to grow (BufferError), and the page's download buttons read from another thread.

    def param_matrix(self) -> np.ndarray:
        """All parameters so far: (T, d + 1), last column the bias (a copy)."""
        return np.array(self.params, dtype=np.float64).reshape(-1, self.d + 1)

    def series(self, name: str) -> np.ndarray:
        """A copy of one recorded series: "train_loss", "test_loss" or "batch_loss": (T,)."""
        return np.array(getattr(self, name), dtype=np.float64)


class LabRun:
    """What the page keeps per user: one problem, both trainers, advanced in lockstep."""

    def __init__(self, problem: Problem, hand: HandConfig, torch_cfg: TorchConfig):
        self.problem, self.hand_cfg, self.torch_cfg = problem, hand, torch_cfg
        # Generators run "forever"; the run itself stops at `target_steps`, so
        # raising the epochs later continues the same run instead of restarting it.
        endless = 10**9
        self.hand = Trace("By hand", train_by_hand(problem, replace(hand, epochs=endless)), problem.d)
        self.torch = Trace("PyTorch", train_pytorch(problem, replace(torch_cfg, epochs=endless)), problem.d)
        self.target_steps = 0
        self.set_epochs(torch_cfg.epochs)
        self.solution = closed_form(problem)
        self._landscape: Landscape | None = None

    def set_epochs(self, epochs: int) -> None:
        self.target_steps = min(epochs * self.torch_cfg.batches_per_epoch(self.problem.n), MAX_STEPS)

    @property
    def step(self) -> int:
        return max(self.hand.steps, self.torch.steps)

    @property
    def done(self) -> bool:
        return self.step >= self.target_steps or (self.hand.stopped and self.torch.stopped)

    def advance(self, steps: int, budget_s: float | None = None) -> int:
        """Up to `steps` updates of both trainers (stopping early after `budget_s` seconds)."""
        t0, taken = time.perf_counter(), 0
        while taken < steps and not self.done:
            moved = self.hand.steps < self.target_steps and self.hand.pull()
            moved = (self.torch.steps < self.target_steps and self.torch.pull()) or moved
            if not moved:
                break
            taken += 1
            if budget_s is not None and time.perf_counter() - t0 > budget_s:
                break
        return taken

    @property
    def landscape(self) -> Landscape:
        if self._landscape is None:
            self._landscape = landscape_around(self.problem, (self.hand_cfg.init_w, self.hand_cfg.init_b))
        return self._landscape

    def distance_to_closed_form(self, trace: Trace) -> np.ndarray:
        """Euclidean distance of (w, b) from the least-squares solution, per step: (T,)."""
        w_star, b_star = self.solution
        return np.linalg.norm(trace.param_matrix() - np.append(w_star, b_star), axis=1)


def summary(run: LabRun) -> dict:
    """The numbers the page shows above the charts, for the run as it stands."""
    p, s = run.problem, run.torch.last
    r2_train = r_squared(p.data.y_train.numpy(), predict(p, s.weights, s.bias, p.data.x_train))
    r2_test = r_squared(p.data.y_test.numpy(), predict(p, s.weights, s.bias, p.data.x_test))
    return {
        "step": run.step,
        "epoch": run.step / run.torch_cfg.batches_per_epoch(p.n),
        "hand_loss": run.hand.last.train_loss,
        "torch_loss": s.train_loss,
        "r2_train": r2_train,
        "r2_test": r2_test,
        "r2_train_text": r2_text(r2_train),
        "r2_test_text": r2_text(r2_test) if p.data.has_test else None,
        "distance": float(np.linalg.norm(np.append(s.weights, s.bias) - np.append(*run.solution))),
    }


def divergence_messages(run: LabRun) -> list[tuple[str, str]]:
    """(which trainers, explanation) for each distinct divergence in `run`; one entry when both agree."""
    found: dict[str, list[str]] = {}
    for trace, opt in ((run.hand, "sgd"), (run.torch, run.torch_cfg.optimizer)):
        if trace.diverged:
            text = explain_divergence(trace.diverged, trace.steps, run.problem, run.torch_cfg.lr, opt)
            found.setdefault(text, []).append(trace.name)
    return [(" and ".join(names), text) for text, names in found.items()]


def r2_text(r2: float) -> str:
    """R^2 for a metric: three decimals, or short scientific notation when a fit is far off."""
    if not math.isfinite(r2):
        return "n/a"
    return f"{r2:.3f}" if r2 > -100 else f"{r2:.1e}"
