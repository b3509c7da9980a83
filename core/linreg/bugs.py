"""The bug hunt: the by-hand trainer with one classic mistake switched on, run for real.

Each `Bug` is a line of `core.linreg.export.hand_code()` written wrong. `train_with_bug`
runs the loop with that very line wrong, in real PyTorch, and yields what a student can
watch per step (`BugStep`): the loss, the parameters, their `.grad`, how many autograd
nodes the loop keeps alive, and PyTorch's own error (type and message) where it raises
one. Nothing is imitated: a non-scalar `backward()` raises PyTorch's RuntimeError, the
update outside `torch.no_grad()` raises its in-place-on-a-leaf error, gradients never zeroed
really accumulate, and so on.

Where `.detach()` matters here: the loop keeps a history of the loss for its loss curve
(`losses.append(loss.detach())`). Forgetting `.detach()` keeps every step's loss tensor
with its `grad_fn`, so the graph of every step stays alive: the number of autograd nodes
the loop holds grows by a graph per step, while the numbers (loss, parameters) look fine.
That is a real memory leak in a real training loop; `BugStep.kept_nodes` counts the nodes.

`code(bug, lr, too_large)` is the trainer as text, in `hand_code()`'s layout (with the loss
history added, and the `LR = ...` line of `export.settings_code` on top); `mistake(bug)` is
the wrong line(s) next to the right one(s). `mystery(seed)` picks a bug, seeded.
Codes only: the words for each bug are in `ui.linreg_bughunt`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import torch

from core import theme
from core.autograd.graph import graph_nodes
from core.linreg.export import hand_code
from core.linreg.problem import Problem, max_stable_lr

MAX_STEPS = 200  # a bug-hunt run is short: the symptoms show in a few steps
TOO_LARGE_FACTOR = 4.0  # "far too large": this many times the largest stable learning rate


class Bug(Enum):
    """The classic mistakes of a by-hand training loop."""

    NO_ZERO_GRAD = "no_zero_grad"  # w.grad.zero_() forgotten: gradients accumulate
    NO_NO_GRAD = "no_no_grad"  # the update not under torch.no_grad(): PyTorch refuses
    NON_SCALAR = "non_scalar"  # .mean() forgotten: backward() on a vector refuses
    SIGN_FLIPPED = "sign_flipped"  # w += lr * grad: gradient ascent, the loss rises
    LR_TOO_LARGE = "lr_too_large"  # TOO_LARGE_FACTOR x the stable rate: divergence
    NO_DETACH = "no_detach"  # losses.append(loss): every step's graph is kept alive
    SUM_NOT_MEAN = "sum_not_mean"  # .sum() for .mean(): gradients N times bigger


# What a student can see first, per bug: the symptom to look for.
SYMPTOM = {
    Bug.NO_ZERO_GRAD: "gradients_accumulate",
    Bug.NO_NO_GRAD: "error",
    Bug.NON_SCALAR: "error",
    Bug.SIGN_FLIPPED: "loss_rises",
    Bug.LR_TOO_LARGE: "diverges",
    Bug.NO_DETACH: "graph_grows",
    Bug.SUM_NOT_MEAN: "gradients_n_times",
}


@dataclass(frozen=True)
class BugHuntConfig:
    """One bug-hunt run: full batch (no mini-batch noise to hide a symptom), `steps` updates."""

    lr: float = 0.1
    steps: int = 20
    bug: Bug | None = None  # None: the right loop
    start: tuple[float, ...] | None = None  # (w1..wd, b); None: all zeros

    def start_tensors(self, d: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The starting weights (d,) and bias () as float32 tensors."""
        start = self.start if self.start is not None else (0.0,) * (d + 1)
        if len(start) != d + 1:
            raise ValueError(f"start holds {len(start)} values; this model has {d + 1}")
        return torch.tensor(start[:-1], dtype=torch.float32), torch.tensor(float(start[-1]))


@dataclass(frozen=True)
class BugStep:
    """What one step of the loop did: from these parameters, this loss and these gradients."""

    step: int  # 1-based
    weights: tuple[float, ...]  # the parameters the step started from
    bias: float
    loss: float  # the number the loop's `loss` holds (nan when it is not one number)
    loss_shape: tuple[int, ...]  # () for a scalar loss
    mse: float  # the true mean squared error at these parameters: the same measure for all
    grad_w: tuple[float, ...] | None  # w.grad right after backward() (what the update used)
    grad_b: float | None
    kept_nodes: int  # autograd nodes the loop's loss history keeps alive after this step
    error_type: str | None = None  # PyTorch's exception, when it raised one
    error: str | None = None  # its message (first line)

    @property
    def finite(self) -> bool:
        return math.isfinite(self.mse + sum(self.weights) + self.bias)


def learning_rate(problem: Problem, cfg: BugHuntConfig) -> float:
    """The rate the loop uses: cfg.lr, or far too large for the LR_TOO_LARGE bug."""
    if cfg.bug is Bug.LR_TOO_LARGE:
        return float(f"{TOO_LARGE_FACTOR * max_stable_lr(problem):.3g}")
    return cfg.lr


def _loss(pred: torch.Tensor, y: torch.Tensor, bug: Bug | None) -> torch.Tensor:
    if bug is Bug.NON_SCALAR:
        return (pred - y) ** 2  # (N,): .mean() forgotten
    if bug is Bug.SUM_NOT_MEAN:
        return ((pred - y) ** 2).sum()  # N times the mean
    return ((pred - y) ** 2).mean()


def _update(w: torch.Tensor, b: torch.Tensor, lr: float, bug: Bug | None) -> None:
    if bug is Bug.NO_NO_GRAD:
        w -= lr * w.grad  # in place on a leaf that requires grad, recorded: PyTorch raises
        b -= lr * b.grad
        return
    sign = -1.0 if bug is Bug.SIGN_FLIPPED else 1.0  # flipped: w += lr * w.grad
    with torch.no_grad():
        w -= sign * lr * w.grad
        b -= sign * lr * b.grad


def _count_new_nodes(tensor: torch.Tensor, seen: set[int]) -> None:
    """Add the ids of the autograd nodes `tensor` keeps alive (shared ones counted once)."""
    if tensor.grad_fn is not None:
        seen.update(id(node) for node in graph_nodes(tensor))


def train_with_bug(problem: Problem, cfg: BugHuntConfig) -> Iterator[BugStep]:
    """The by-hand loop with `cfg.bug`'s line written wrong, run for real, step by step.

    Stops at PyTorch's first error (recorded in the last step) or once the parameters
    or the loss are no longer finite.
    """
    X, y = problem.X_train, problem.y_train  # (N, d), (N,)
    w0, b0 = cfg.start_tensors(problem.d)
    w, b = w0.requires_grad_(), b0.requires_grad_()
    lr, bug = learning_rate(problem, cfg), cfg.bug
    losses, kept = [], set()  # the loop's loss curve; ids of the nodes it keeps alive
    for step in range(1, min(cfg.steps, MAX_STEPS) + 1):
        weights, bias = tuple(w.tolist()), b.item()
        pred = X @ w + b  # (N,)
        loss = _loss(pred, y, bug)
        losses.append(loss if bug is Bug.NO_DETACH else loss.detach())  # for the loss curve
        _count_new_nodes(losses[-1], kept)
        seen = dict(
            step=step,
            weights=weights,
            bias=bias,
            loss=loss.item() if loss.dim() == 0 else math.nan,
            loss_shape=tuple(loss.shape),
            mse=((pred.detach() - y) ** 2).mean().item(),
        )
        try:
            loss.backward()
            grads = _grads(w, b)  # copies, taken before the update
            _update(w, b, lr, bug)
        except RuntimeError as err:  # PyTorch refused: its words are the symptom
            said = dict(error_type=type(err).__name__, error=str(err).splitlines()[0])
            yield BugStep(**seen, **_grads(w, b), kept_nodes=len(kept), **said)
            return
        yield (state := BugStep(**seen, **grads, kept_nodes=len(kept)))
        if not state.finite:
            return
        if bug is not Bug.NO_ZERO_GRAD:  # backward() adds to .grad: reset it
            w.grad.zero_()
            b.grad.zero_()


def _grads(w: torch.Tensor, b: torch.Tensor) -> dict:
    return dict(
        grad_w=None if w.grad is None else tuple(w.grad.tolist()),
        grad_b=None if b.grad is None else b.grad.item(),
    )


def run(problem: Problem, cfg: BugHuntConfig) -> list[BugStep]:
    """Every step of a bug-hunt run (short: at most MAX_STEPS)."""
    return list(train_with_bug(problem, cfg))


def mystery(seed: int) -> Bug:
    """The mystery bug for `seed`: the same seed, the same bug."""
    return random.Random(seed).choice(list(Bug))


# ---- the code, right and wrong -------------------------------------------------------------

_HISTORY = (
    ("    b = torch.tensor(b0, requires_grad=True)\n", "    losses = []  # the loss curve\n"),
    ("        loss = ((pred - y[idx]) ** 2).mean()\n", "        losses.append(loss.detach())\n"),
)
_RETURN = ("    return w.detach(), b.detach()\n", "    return w.detach(), b.detach(), losses\n")

# bug -> (the right line(s) of the code, the wrong line(s) that replace them)
_MISTAKES = {
    Bug.NO_ZERO_GRAD: (
        "        w.grad.zero_()\n        b.grad.zero_()\n",
        "        # (w.grad and b.grad are never reset)\n",
    ),
    Bug.NO_NO_GRAD: (
        "        with torch.no_grad():\n"
        "            w -= LR * w.grad\n            b -= LR * b.grad\n",
        "        w -= LR * w.grad\n        b -= LR * b.grad\n",
    ),
    Bug.NON_SCALAR: (
        "        loss = ((pred - y[idx]) ** 2).mean()\n",
        "        loss = (pred - y[idx]) ** 2\n",
    ),
    Bug.SIGN_FLIPPED: (
        "            w -= LR * w.grad\n            b -= LR * b.grad\n",
        "            w += LR * w.grad\n            b += LR * b.grad\n",
    ),
    Bug.NO_DETACH: (
        "        losses.append(loss.detach())\n",
        "        losses.append(loss)\n",
    ),
    Bug.SUM_NOT_MEAN: (
        "        loss = ((pred - y[idx]) ** 2).mean()\n",
        "        loss = ((pred - y[idx]) ** 2).sum()\n",
    ),
}


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise ValueError(f"the trainer's code no longer holds exactly one {old.strip()!r}")
    return text.replace(old, new)


def right_trainer() -> str:
    """`export.hand_code()` with the loss history the bug hunt keeps (detached)."""
    text = hand_code()
    for anchor, added in _HISTORY:
        text = _replace_once(text, anchor, anchor + added)
    return _replace_once(text, *_RETURN)


def _lr_line(lr: float) -> str:
    return f"LR = {lr!r}  # learning rate\n"  # export.settings_code's line


def mistake(bug: Bug, lr: float, too_large: float) -> tuple[str, str]:
    """(the wrong line(s), the right line(s)) of the code, as they appear in `code`."""
    if bug is Bug.LR_TOO_LARGE:
        return _lr_line(too_large), _lr_line(lr)
    right, wrong = _MISTAKES[bug]
    return wrong, right


def code(bug: Bug | None, lr: float, too_large: float) -> str:
    """The whole trainer as text, `LR = ...` on top: with `bug`'s line wrong, or right (None)."""
    if bug is None:
        return _lr_line(lr) + "\n" + right_trainer()
    if bug is Bug.LR_TOO_LARGE:
        return _lr_line(too_large) + "\n" + right_trainer()
    right, wrong = _MISTAKES[bug]
    return _lr_line(lr) + "\n" + _replace_once(right_trainer(), right, wrong)


# ---- the symptom you see first -------------------------------------------------------------


def loss_figure(buggy: list[BugStep], right: list[BugStep], log_y: bool = True):
    """The mean squared error per step, with the bug and without: a plotly figure."""
    traces = []
    for steps, name, color, dash in (
        (right, "right loop", theme.PALETTE[2], "dash"),
        (buggy, "with the bug", theme.PALETTE[5], "solid"),
    ):
        points = [(s.step, s.mse) for s in steps if math.isfinite(s.mse) and s.mse > 0]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [p[0] for p in points],
                "y": [p[1] for p in points],
                "line": {"color": color, "dash": dash, "width": 2},
                "marker": {"size": 5},
            }
        )
    layout = {
        "xaxis": {"title": {"text": "step"}},
        "yaxis": {"title": {"text": "mean squared error"}, "type": "log" if log_y else "linear"},
        "height": 320,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "legend": {"orientation": "h", "y": 1.12},
    }
    return theme.figure(traces, layout)
