"""Logistic and softmax regression on 2D points, trained step by step.

The chapter's models, with the playground's extras:

    two classes:  p(y=1 | x) = sigmoid(w . phi(x) + b)     nn.Linear(F, 1) + BCEWithLogitsLoss
    K classes:    p(y=k | x) = softmax(W phi(x) + b)_k     nn.Linear(F, K) + CrossEntropyLoss

where phi(x) = (x1, x2, chosen extra features such as x1*x2). An optional
hidden layer (width, activation) sits between phi and the output layer. The
loss adds an L2 penalty lambda * sum(w^2) over weight matrices (not biases).

`train_steps` is a generator: each `next()` is one full-batch gradient step and
yields that step's metrics, so a page can play, pause, single-step or reset by
deciding how often to call it. `Run` keeps one user's model, optimizer,
generator and history together. `probability_surface` evaluates the model on a
whole grid in one vectorised call for the heat map.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.logreg.data import Dataset


@contextlib.contextmanager
def one_thread():
    """Run torch ops on this thread alone, restoring the previous count afterwards.

    Our tensors are tiny (a few thousand rows, a handful of columns), so a
    parallel team costs more in fork/join than it saves; on a shared 2-core
    server, whose other core is busy, a 2-thread team waits for it at every op
    (measured: 500 steps went from 0.17 s to over 5 s). With torch's OpenMP
    backend the setting is per thread, so other sessions keep theirs.
    """
    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ---- input features -----------------------------------------------------------------

BASE_FEATURES = ("x1", "x2")
EXTRA_FEATURES = ("x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
FEATURE_LATEX = {
    "x1": "x_1", "x2": "x_2", "x1^2": "x_1^2", "x2^2": "x_2^2",
    "x1*x2": "x_1 x_2", "sin(x1)": r"\sin x_1", "sin(x2)": r"\sin x_2",
}
FEATURE_LABELS = {
    "x1": "x1", "x2": "x2", "x1^2": "x1²", "x2^2": "x2²",
    "x1*x2": "x1·x2", "sin(x1)": "sin(x1)", "sin(x2)": "sin(x2)",
}
# The same features as PyTorch source text, for the exported script (kept equal by a test).
FEATURE_CODE = {
    "x1": "x[:, 0]", "x2": "x[:, 1]", "x1^2": "x[:, 0] ** 2", "x2^2": "x[:, 1] ** 2",
    "x1*x2": "x[:, 0] * x[:, 1]", "sin(x1)": "torch.sin(x[:, 0])", "sin(x2)": "torch.sin(x[:, 1])",
}
_FEATURE_FUNCS = {
    "x1": lambda x1, x2: x1, "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1**2, "x2^2": lambda x1, x2: x2**2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: torch.sin(x1), "sin(x2)": lambda x1, x2: torch.sin(x2),
}


def feature_names(extra: tuple[str, ...]) -> tuple[str, ...]:
    """x1, x2, then the chosen extras in the fixed catalogue order."""
    return BASE_FEATURES + tuple(f for f in EXTRA_FEATURES if f in extra)


def feature_matrix(x: torch.Tensor, extra: tuple[str, ...]) -> torch.Tensor:
    """phi(x): (N, 2) points -> (N, F) features, F = 2 + number of extras."""
    x1, x2 = x[:, 0], x[:, 1]  # (N,), (N,)
    return torch.stack([_FEATURE_FUNCS[f](x1, x2) for f in feature_names(extra)], dim=1)  # (N, F)


# ---- configuration -------------------------------------------------------------------

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}
OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD + momentum 0.9", "adam": "Adam"}
MAX_HIDDEN = 64
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
class LogRegConfig:
    """Everything that decides a training run besides the data."""

    features: tuple[str, ...] = ()  # extras beyond x1, x2 (see EXTRA_FEATURES)
    hidden: int = 0  # width of the optional hidden layer; 0 = none (plain logistic regression)
    activation: str = "tanh"
    l2: float = 0.0  # lambda of the penalty lambda * sum(w^2)
    optimizer: str = "sgd"
    lr: float = 0.1
    seed: int = 0  # initial weights

    def __post_init__(self):
        object.__setattr__(self, "features", tuple(f for f in EXTRA_FEATURES if f in self.features))
        object.__setattr__(self, "lr", float(self.lr))  # a URL's "10" and 10.0 are one setting
        object.__setattr__(self, "l2", float(self.l2))
        if not 0 <= self.hidden <= MAX_HIDDEN:
            raise ValueError(f"the hidden layer has 0 to {MAX_HIDDEN} units")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 100):
            raise ValueError("the learning rate must be a number in (0, 100]")
        if not (math.isfinite(self.l2) and 0 <= self.l2 <= 10):
            raise ValueError("the L2 penalty must be between 0 and 10")


# ---- the model -----------------------------------------------------------------------


class PlaygroundNet(nn.Module):
    """phi(x) -> [Linear -> activation] -> Linear -> logits (N,) for 2 classes, (N, K) for K."""

    def __init__(self, n_classes: int, features: tuple[str, ...] = (), hidden: int = 0,
                 activation: str = "tanh", seed: int = 0):
        super().__init__()
        self.n_classes = n_classes
        self.features = tuple(features)
        n_in = len(feature_names(self.features))
        n_out = 1 if n_classes == 2 else n_classes
        # skip_init: build without drawing from the global RNG; init_weights seeds them below.
        layers: list[nn.Module] = []
        if hidden:
            layers += [nn.utils.skip_init(nn.Linear, n_in, hidden), ACTIVATIONS[activation]()]
        layers.append(nn.utils.skip_init(nn.Linear, hidden or n_in, n_out))
        self.net = nn.Sequential(*layers)
        init_weights(self, seed)

    @property
    def binary(self) -> bool:
        return self.n_classes == 2

    @property
    def output(self) -> nn.Linear:
        return self.net[-1]

    @property
    def hidden_layer(self) -> nn.Linear | None:
        return self.net[0] if len(self.net) > 1 else None

    def featurize(self, x: torch.Tensor) -> torch.Tensor:
        return feature_matrix(x, self.features)  # (N, 2) -> (N, F)

    def logits_from_features(self, phi: torch.Tensor) -> torch.Tensor:
        out = self.net(phi)  # (N, 1) or (N, K)
        return out.squeeze(1) if self.binary else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits_from_features(self.featurize(x))

    @torch.inference_mode()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """p(class 1) shaped (N,) for two classes; softmax shaped (N, K) for K."""
        logits = self(x)
        return torch.sigmoid(logits) if self.binary else torch.softmax(logits, dim=1)

    @torch.inference_mode()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted classes (N,) int64."""
        logits = self(x)
        return (logits > 0).long() if self.binary else logits.argmax(dim=1)


def init_weights(model: nn.Module, seed: int) -> None:
    """PyTorch's default nn.Linear ranges, U(-1/sqrt(fan_in), +), from a private seeded generator.

    A private generator keeps runs reproducible without touching the global RNG
    that other users' sessions share.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                bound = 1.0 / math.sqrt(layer.in_features)
                nn.init.uniform_(layer.weight, -bound, bound, generator=gen)
                nn.init.uniform_(layer.bias, -bound, bound, generator=gen)


def build_model(n_classes: int, config: LogRegConfig) -> PlaygroundNet:
    return PlaygroundNet(n_classes, config.features, config.hidden, config.activation, config.seed)


def make_optimizer(model: nn.Module, config: LogRegConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr)
    momentum = 0.9 if config.optimizer == "momentum" else 0.0
    return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=momentum)


def l2_penalty(model: nn.Module) -> torch.Tensor:
    """sum of squared weights over every weight matrix (biases are not penalised)."""
    return sum((m.weight**2).sum() for m in model.modules() if isinstance(m, nn.Linear))


# ---- training --------------------------------------------------------------------------


@dataclass(frozen=True)
class StepMetrics:
    """The model after `step` updates: data loss (without the penalty) and accuracy.

    Test values are NaN when the data set has no test points. `diverged` holds
    the explanation when training stopped because the loss blew up.
    """

    step: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    diverged: str | None = None


def _loss_fn(binary: bool):
    bce, ce = nn.BCEWithLogitsLoss(), nn.CrossEntropyLoss()
    return (lambda logits, y: bce(logits, y.float())) if binary else ce


def _accuracy(logits: torch.Tensor, y: torch.Tensor, binary: bool) -> float:
    pred = (logits > 0).long() if binary else logits.argmax(dim=1)
    return (pred == y).float().mean().item()


def _explain_divergence(reason: str, config: LogRegConfig, shown: str) -> str:
    return (
        f"Training diverged: {reason}. The learning rate {config.lr:g} is too large for this "
        f"model (features such as x1² make the steps bigger). {shown} Lower the learning rate "
        "and press Reset."
    )


def _divergence_alarm(loss: float, base: float, high_streak: int, config: LogRegConfig) -> str | None:
    """The explanation if this finite loss means training has diverged, else None."""
    if loss > EXPLOSION_FACTOR * base:
        return _explain_divergence(f"the loss exploded to {loss:.3g}", config,
                                   "The weights have blown up.")
    if high_streak >= DIVERGENCE_PATIENCE:
        return _explain_divergence(
            f"the loss has stayed above {DIVERGENCE_FACTOR * base:.3g} ({DIVERGENCE_FACTOR:g} times "
            f"its starting value) for {DIVERGENCE_PATIENCE} steps", config,
            "The boundary jumps back and forth instead of settling.")
    return None


def train_steps(model: PlaygroundNet, data: Dataset, config: LogRegConfig,
                optimizer: torch.optim.Optimizer | None = None) -> Iterator[StepMetrics]:
    """Full-batch gradient descent as a generator: yields metrics for step 0 (the initial
    model), then one `StepMetrics` per update. Stops after yielding a `diverged` metric
    (after a NaN the model is put back to its last finite weights) or at `MAX_STEPS`.
    """
    optimizer = optimizer or make_optimizer(model, config)
    loss_fn = _loss_fn(model.binary)
    phi_train = model.featurize(data.x_train)  # (N, F): features are fixed, compute once
    phi_test = model.featurize(data.x_test)  # (M, F)
    has_test = len(data.y_test) > 0
    params = list(model.parameters())
    last_good = [p.detach().clone() for p in params]
    base, high_streak = None, 0
    for step in range(MAX_STEPS + 1):
        logits = model.logits_from_features(phi_train)  # (N,) or (N, K)
        data_loss = loss_fn(logits, data.y_train)
        loss_value = data_loss.item()
        base = max(loss_value, 0.5) if base is None else base
        high_streak = high_streak + 1 if loss_value > DIVERGENCE_FACTOR * base else 0
        if not math.isfinite(loss_value):
            with torch.no_grad():
                for p, good in zip(params, last_good, strict=True):
                    p.copy_(good)
            message = _explain_divergence(f"at step {step} the loss became NaN or infinite", config,
                                          f"The plots show the last finite weights (step {step - 1}).")
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
        alarm = _divergence_alarm(loss_value, base, high_streak, config)
        yield StepMetrics(step, loss_value, _accuracy(logits.detach(), data.y_train, model.binary),
                          test_loss, test_acc, diverged=alarm)
        if step == MAX_STEPS or alarm:
            return
        loss = data_loss + config.l2 * l2_penalty(model) if config.l2 else data_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


HISTORY_KEYS = ("step", "train_loss", "train_acc", "test_loss", "test_acc")


@dataclass
class Run:
    """One user's training run: data, config, model, optimizer, the step generator, history."""

    data: Dataset
    config: LogRegConfig
    model: PlaygroundNet = field(init=False)
    history: dict[str, list[float]] = field(init=False)
    diverged: str | None = field(init=False, default=None)

    def __post_init__(self):
        self.model = build_model(self.data.n_classes, self.config)
        self.optimizer = make_optimizer(self.model, self.config)
        self._steps = train_steps(self.model, self.data, self.config, self.optimizer)
        self.history = {k: [] for k in HISTORY_KEYS}
        self.finished = False
        self.advance(0)

    @property
    def step(self) -> int:
        return int(self.history["step"][-1])

    def latest(self) -> dict[str, float]:
        return {k: v[-1] for k, v in self.history.items()}

    @property
    def stopped(self) -> bool:
        """True once training cannot go on (diverged, or reached MAX_STEPS)."""
        return self.finished or self.diverged is not None

    def advance(self, steps: int, budget_s: float | None = None) -> int:
        """Take up to `steps` updates (fewer if the time budget runs out or training stops).

        `advance(0)` on a fresh run records the initial model. Returns updates taken.
        """
        with one_thread():
            return self._advance(steps, budget_s)

    def _advance(self, steps: int, budget_s: float | None) -> int:
        started, done = time.perf_counter(), 0
        want = steps + (1 if not self.history["step"] else 0)
        while want > 0 and not self.stopped:
            metrics = next(self._steps, None)
            if metrics is None:
                self.finished = True
                break
            want -= 1
            if math.isnan(metrics.train_loss):  # NaN: the model went back to the last good step
                self.diverged = metrics.diverged
                break
            for k in HISTORY_KEYS:
                self.history[k].append(float(getattr(metrics, k)))
            done += 1 if metrics.step else 0
            if metrics.diverged:
                self.diverged = metrics.diverged
                break
            if metrics.step >= MAX_STEPS:
                self.finished = True
            if budget_s is not None and time.perf_counter() - started > budget_s:
                break
        return done


# ---- looking at the model ----------------------------------------------------------------


def linear_boundary(model: PlaygroundNet) -> tuple[float, float, float] | None:
    """(w1, w2, b) of a two-class model on plain x1, x2 with no hidden layer, else None."""
    if not model.binary or model.features or model.hidden_layer is not None:
        return None
    w = model.output.weight.detach()[0]  # (2,)
    return float(w[0]), float(w[1]), float(model.output.bias.detach()[0])


def boundary_line(w1: float, w2: float, b: float, xlim: tuple[float, float],
                  ylim: tuple[float, float], n: int = 200) -> tuple[np.ndarray, np.ndarray] | None:
    """Points (x1, x2) inside the view on w1 x1 + w2 x2 + b = 0, i.e. x2 = -(w1 x1 + b) / w2.

    Walks along the axis the line is closer to (so a steep line is not just a few
    points); with w = 0 there is no line, and a line outside the view gives None.
    """
    if max(abs(w1), abs(w2)) < 1e-12:
        return None
    if abs(w2) >= abs(w1):
        x1 = np.linspace(xlim[0], xlim[1], n)
        x2 = -(w1 * x1 + b) / w2
    else:
        x2 = np.linspace(ylim[0], ylim[1], n)
        x1 = -(w2 * x2 + b) / w1
    inside = (x1 >= xlim[0]) & (x1 <= xlim[1]) & (x2 >= ylim[0]) & (x2 <= ylim[1])
    if inside.sum() < 2:
        return None
    return x1[inside], x2[inside]


@dataclass(frozen=True)
class Surface:
    """The model on a grid: `xs` (R,) along x1, `ys` (R,) along x2, `probs` (R, R) of
    p(class 1) for two classes or (K, R, R) for K; row i is x2 = ys[i]."""

    xs: np.ndarray
    ys: np.ndarray
    probs: np.ndarray


def probability_surface(model: PlaygroundNet, bounds, resolution: int = 200) -> Surface:
    """Evaluate the model on a resolution x resolution grid over `bounds` in one call."""
    with one_thread():
        return _surface(model, bounds, resolution)


def _surface(model: PlaygroundNet, bounds, resolution: int) -> Surface:
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    xs = torch.linspace(x_lo, x_hi, resolution)
    ys = torch.linspace(y_lo, y_hi, resolution)
    g2, g1 = torch.meshgrid(ys, xs, indexing="ij")  # (R, R) each: rows along x2
    points = torch.stack([g1.reshape(-1), g2.reshape(-1)], dim=1)  # (R*R, 2)
    probs = model.probabilities(points)  # (R*R,) or (R*R, K)
    if model.binary:
        grid = probs.reshape(resolution, resolution)
    else:
        grid = probs.T.reshape(-1, resolution, resolution)  # (K, R, R)
    return Surface(xs.numpy(), ys.numpy(), grid.numpy())


def logits(model: PlaygroundNet, x: torch.Tensor) -> np.ndarray:
    """The model's logits for points x (N, 2): (N,) or (N, K)."""
    with torch.inference_mode():
        return model(x).numpy()


def confusion_matrix(model: PlaygroundNet, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Counts (K, K): row = true class, column = predicted class."""
    k = model.n_classes
    pred = model.predict(x)
    return torch.bincount(y * k + pred, minlength=k * k).reshape(k, k).numpy()


def learning_rate_advice(rate: float) -> tuple[str, str] | None:
    """("warning" | "info", text) for a learning rate at either extreme, else None."""
    if rate >= 3:
        return "warning", (f"A learning rate of {rate:g} is very large: steps overshoot and "
                           "training may diverge (it stops and says so).")
    if rate <= 3e-4:
        return "info", f"At {rate:g} the boundary barely moves; try 0.1."
    return None


def metric_texts(run: Run) -> dict[str, str]:
    """The run's headline numbers as display text (a dash when there are no test points)."""
    m = run.latest()
    test = "-" if math.isnan(m["test_acc"]) else f"{m['test_acc']:.1%}"
    return {"Step": f"{run.step:,}", "Train accuracy": f"{m['train_acc']:.1%}",
            "Test accuracy": test, "Train loss": f"{m['train_loss']:.4f}"}


# ---- the model as an equation ----------------------------------------------------------------


TERMS_PER_LINE = 3  # fits half the page, even in presenter mode; longer sums wrap (KaTeX "aligned")


def _linear_combination(lead: str, weights, names: list[str], bias: float) -> str:
    """'lead = 1.20\\,x_1 - 0.35\\,x_2 + 0.10', wrapped every TERMS_PER_LINE terms."""
    terms = [(float(w), f"\\,{name}") for w, name in zip(weights, names, strict=True)]
    terms.append((float(bias), ""))
    pieces = [f"{'-' if v < 0 else ''}{abs(v):.2f}{n}" if i == 0 else f"{'-' if v < 0 else '+'} {abs(v):.2f}{n}"
              for i, (v, n) in enumerate(terms)]
    per_row = len(pieces) if len(pieces) <= TERMS_PER_LINE + 1 else TERMS_PER_LINE  # no lone bias row
    rows = [" ".join(pieces[i:i + per_row]) for i in range(0, len(pieces), per_row)]
    if len(rows) == 1:
        return f"{lead} = {rows[0]}"
    rest = "".join(rf" \\ &\quad {row}" for row in rows[1:])
    return rf"\begin{{aligned}} {lead} &= {rows[0]}{rest} \end{{aligned}}"


def equation_latex(model: PlaygroundNet, class_names: tuple[str, ...] = ()) -> list[str]:
    """The model with its current weights, as LaTeX lines (the last line gives p)."""
    names = [FEATURE_LATEX[f] for f in feature_names(model.features)]
    out = model.output
    hidden = model.hidden_layer
    lines = []
    if hidden is not None:
        act = type(model.net[1]).__name__.lower()
        h, f = hidden.weight.shape
        lines.append(rf"\varphi = [{', '.join(names)}]")
        lines.append(rf"h = \operatorname{{{act}}}(W_1 \varphi + b_1),\quad W_1 \in \mathbb{{R}}^{{{h}\times{f}}}")
        names = [f"h_{{{j + 1}}}" for j in range(h)]
    w, b = out.weight.detach(), out.bias.detach()
    if len(names) > 8:  # too many terms to read: show the structure and the size
        lines.append(rf"z = v^\top h + c,\quad \lVert v \rVert = {w.norm():.2f}")
    elif model.binary:
        lines.append(_linear_combination("z", w[0], names, float(b[0])))
    else:
        for k in range(w.shape[0]):
            label = class_names[k] if k < len(class_names) else str(k)
            lines.append(_linear_combination(rf"z_{{\text{{{label}}}}}", w[k], names, float(b[k])))
    if model.binary:
        lines.append(r"p(y = 1 \mid x) = \sigma(z) = \dfrac{1}{1 + e^{-z}}")
    else:
        lines.append(r"p(y = k \mid x) = \operatorname{softmax}(z)_k")
    return lines
