"""Outcome readers: each runs an exercise's real experiment, with the exercise's settings.

A reader takes the `Exercise` (its `settings` are the page's widget keys and values, its
`params` what the run needs besides) and `Resources` (MNIST and the shipped models, which
the app loads once per process), runs the experiment with `core`, and returns an `Outcome`:
the truth that grades the answer, and facts to show beside it (codes -> numbers or short
values; `ui` has the words). Nothing is stored: the truth is what this run gave.

Each reader keeps to a few seconds on one torch thread (the caller holds a training slot).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from core import digits, linreg, logreg
from core.autograd import graph as G
from core.autograd import scenarios as P
from core.exercises.model import Exercise
from core.linreg import data as linreg_data
from core.logreg import data as logreg_data
from core.mnist import train as mt
from core.mnist.models import ModelSpec
from core.optim import OPTIMIZERS


@dataclass(frozen=True)
class Outcome:
    """What the run gave: `truth` grades the answer; `facts` are (code, value) pairs to show.

    `scores` (pairs only): every pair's count, so an answer nearly as confused as the top
    pair can count within the exercise's tolerance.
    """

    truth: float | str | tuple[int, int]
    facts: tuple[tuple[str, object], ...] = ()
    scores: tuple[tuple[tuple[int, int], float], ...] = ()
    picture: np.ndarray | None = None  # what the model read (28 x 28 ink), for the draw page


@dataclass
class Resources:
    """What readers may need that the app loads once: MNIST tensors, shipped models by name.

    Both are callables so a reader that needs neither loads neither.
    """

    mnist: Callable[[], object] | None = None
    pretrained: Callable[[str], object] | None = None  # name -> SavedModel (has .model)
    _cache: dict = field(default_factory=dict)

    def data(self):
        if self.mnist is None:
            raise RuntimeError("this exercise needs MNIST, and no loader was given")
        if "mnist" not in self._cache:
            self._cache["mnist"] = self.mnist()
        return self._cache["mnist"]

    def model(self, name: str):
        if self.pretrained is None:
            raise RuntimeError("this exercise needs a shipped model, and no loader was given")
        return self.pretrained(name).model


def _option(label_to_id: dict[str, str], value: str) -> str:
    """A page's label (what its widget stores) -> the id core uses; an id passes through."""
    if value in label_to_id:
        return label_to_id[value]
    if value in label_to_id.values():
        return value
    raise ValueError(f"unknown option {value!r}")


def _optimizer(ids, value: str) -> str:
    """An optimizer label as the pages show it (`core.optim.OPTIMIZERS`) -> its id."""
    return _option({OPTIMIZERS[k]: k for k in ids}, value)


# ---- autograd ---------------------------------------------------------------------------


def _autograd_run(ex: Exercise, program: str | None = None):
    """The page's expression (the exercise's boxes), built and traced backward."""
    leaves = ex.setting("ag_leaves", P.CHAPTER_LEAVES)
    scenario = P.expression_scenario(leaves, program or ex.setting("ag_prog", P.CHAPTER_PROGRAM))
    comp = scenario.build()
    if G.backward_problem(comp) is not None:
        return comp, None
    return comp, G.trace_backward(comp)


def autograd_upstream(ex: Exercise) -> Outcome:
    """The gradient that backward step `ag_step` sends to its first input that needs one."""
    comp, trace = _autograd_run(ex)
    if trace is None:
        raise ValueError("this expression has no backward pass")
    index = int(ex.setting("ag_step", 1))
    if not 1 <= index <= len(trace.steps):
        raise ValueError(f"backward has steps 1 to {len(trace.steps)}, not {index}")
    step = trace.steps[index - 1]
    sent = next(g for t, g in zip(step.targets, step.grad_inputs, strict=False) if t is not None)
    values = sent.flatten()
    return Outcome(
        float(values.mean()),
        (("node", step.kind), ("min", float(values.min())), ("max", float(values.max()))),
    )


def autograd_leaf_ratio(ex: Exercise) -> Outcome:
    """How many times bigger a leaf's gradient is with the exercise's program than with
    `params.baseline` (the same expression with the other reduction)."""
    leaf = ex.param("leaf", "x")
    _, trace = _autograd_run(ex)
    _, base = _autograd_run(ex, ex.param("baseline", P.CHAPTER_PROGRAM))
    if trace is None or base is None:
        raise ValueError("both expressions need a backward pass")
    grad, ref = trace.grads[leaf], base.grads[leaf]
    ratio = float(grad.norm() / ref.norm())
    return Outcome(
        ratio,
        (("grad_first", float(grad.flatten()[0])), ("baseline_first", float(ref.flatten()[0]))),
    )


def autograd_backward_effect(ex: Exercise) -> Outcome:
    """What backward() does with the exercise's leaves: "refused" (nothing needs a gradient),
    "zeros" (it runs, the leaves' gradients are all zero) or "runs"."""
    comp, trace = _autograd_run(ex)
    if trace is None:
        return Outcome("refused", (("requires_grad", bool(comp.output.requires_grad)),))
    grads = [g for g in trace.grads.values() if g is not None]
    if grads and all(bool((g == 0).all()) for g in grads):
        return Outcome("zeros", (("nodes", len(trace.steps)),))
    return Outcome("runs", (("nodes", len(trace.steps)),))


# ---- linear regression ------------------------------------------------------------------


def _linreg_run(ex: Exercise) -> linreg.LabRun:
    """The linear lab's run with the exercise's settings, trained to its epochs."""
    preset = linreg_data.PRESETS[ex.setting("lin_data", "Straight line + noise")]
    base = linreg_data.synthetic(
        linreg_data.SyntheticConfig(
            preset,
            float(ex.setting("lin_slope", 2.0)),
            float(ex.setting("lin_icpt", 1.0)),
            float(ex.setting("lin_noise", 1.0)),
            int(ex.setting("lin_n", 100)),
            int(ex.setting("lin_seed", 0)),
        )
    )
    degree = int(ex.setting("lin_deg", 1)) if preset == "curve" else 1
    problem = linreg.make_problem(base, degree, bool(ex.setting("lin_std", True)))
    lr, epochs = float(ex.setting("lin_lr", 0.1)), int(ex.setting("lin_epochs", 100))
    batch = (
        int(ex.setting("lin_bs", 16))
        if ex.setting("lin_batch", "Full batch") != "Full batch"
        else None
    )
    optimizer = _optimizer(linreg.OPTIMIZERS, ex.setting("lin_opt", "SGD"))
    run = linreg.LabRun(
        problem,
        linreg.HandConfig(lr, epochs, batch),
        linreg.TorchConfig(lr, epochs, batch, optimizer=optimizer),
    )
    run.advance(run.target_steps)
    return run


def linreg_paths(ex: Exercise) -> Outcome:
    """ "apart" when the two trainers' parameters ever differ by more than `params.tolerance`
    (relative to their size), else "together"."""
    run = _linreg_run(ex)
    hand, torch_ = run.hand.param_matrix(), run.torch.param_matrix()
    steps = min(len(hand), len(torch_))
    gap = np.abs(hand[:steps] - torch_[:steps]) / (1 + np.abs(hand[:steps]))
    largest = float(np.nanmax(gap)) if steps else 0.0
    apart = not math.isfinite(largest) or largest > float(ex.param("tolerance", 1e-3))
    return Outcome("apart" if apart else "together", (("largest_gap", largest), ("steps", steps)))


def _trend(losses: np.ndarray, diverged: bool) -> tuple[str, float, float]:
    """(rises | falls | explodes, first loss, last finite loss) of a loss curve."""
    finite = losses[np.isfinite(losses)]
    first, last = float(losses[0]), float(finite[-1]) if finite.size else float("nan")
    if diverged or not np.isfinite(losses).all() or last > 1e3 * max(first, 1e-12):
        return "explodes", first, last
    return ("falls" if last < first else "rises"), first, last


def linreg_loss_trend(ex: Exercise) -> Outcome:
    """What the PyTorch trainer's training loss did over the run."""
    run = _linreg_run(ex)
    losses = run.torch.series("train_loss")
    trend, first, last = _trend(losses, run.torch.diverged is not None)
    return Outcome(trend, (("first_loss", first), ("last_loss", last), ("steps", run.torch.steps)))


# ---- logistic regression ----------------------------------------------------------------


def _logreg_run(ex: Exercise, features: tuple[str, ...] | None = None) -> logreg.Run:
    """The logistic lab's run with the exercise's settings, `params.steps` steps trained."""
    spec = logreg_data.DataSpec(
        ex.setting("lr_data", "blobs"),
        int(ex.setting("lr_n", 200)),
        float(ex.setting("lr_noise", 0.1)),
        float(ex.setting("lr_overlap", 0.0)),
        int(ex.setting("lr_k", 3)),
        float(ex.setting("lr_test", 0.3)),
        int(ex.setting("lr_seed", 0)),
    )
    layers = int(ex.setting("lr_layers", 0))
    hidden = tuple(int(ex.setting(f"lr_units{i}", 4)) for i in range(1, layers + 1))
    config = logreg.LogRegConfig(
        tuple(ex.setting("lr_feat", ())) if features is None else features,
        hidden,
        ex.setting("lr_act", "tanh"),
        float(ex.setting("lr_l2", 0)),
        ex.setting("lr_opt", "sgd"),
        float(ex.setting("lr_lr", 0.1)),
    )
    run = logreg.Run(logreg_data.make_dataset(spec), config)
    run.advance(int(ex.param("steps", 300)))
    return run


def logreg_best_accuracy(ex: Exercise) -> Outcome:
    """The best training accuracy (in %) the run reached, and where."""
    run = _logreg_run(ex)
    acc = np.asarray(run.history["train_acc"])
    best = int(np.nanargmax(acc))
    return Outcome(
        100 * float(acc[best]),
        (("best_step", int(run.history["step"][best])), ("last_accuracy", 100 * float(acc[-1]))),
    )


def logreg_loss_trend(ex: Exercise) -> Outcome:
    """What the training loss did over the run (a blown-up run stops early: "explodes")."""
    run = _logreg_run(ex)
    trend, first, last = _trend(np.asarray(run.history["train_loss"]), run.diverged is not None)
    return Outcome(trend, (("first_loss", first), ("last_loss", last), ("steps", run.step)))


def logreg_best_features(ex: Exercise) -> Outcome:
    """Which of the choices (each a '+'-joined set of extra features) trains best."""
    scores = {}
    for choice in ex.options:
        run = _logreg_run(ex, tuple(choice.split("+")))
        scores[choice] = float(np.nanmax(run.history["train_acc"]))
    best = max(scores, key=scores.get)
    return Outcome(best, tuple((f"accuracy:{c}", 100 * s) for c, s in scores.items()))


# ---- MNIST ------------------------------------------------------------------------------

MNIST_MODELS = {  # the lab's labels -> kinds
    "Softmax regression 784 -> 10 (the chapter's)": "linear",
    "MLP (hidden layers)": "mlp",
    "Small CNN (two conv layers)": "cnn",
}

MNIST_SCHEDULES = {"One-cycle (warm up, then anneal)": "onecycle", "Constant": "constant"}


def _mnist_config(ex: Exercise, model_label: str | None = None) -> mt.TrainConfig:
    kind = _option(MNIST_MODELS, model_label or ex.setting("mn_model", "linear"))
    hidden = (int(ex.setting("mn_h1", 128)),) if kind == "mlp" else ()
    defaults = mt.TrainConfig()
    return mt.TrainConfig(
        ModelSpec(kind=kind, hidden=hidden),
        _optimizer(mt.OPTIMIZERS, ex.setting("mn_opt", "Adam")),
        float(ex.setting("mn_lr", defaults.lr)),
        int(ex.setting("mn_bs", defaults.batch_size)),
        int(ex.setting("mn_epochs", 1)),
        schedule=_option(MNIST_SCHEDULES, ex.setting("mn_sched", defaults.schedule)),
        seed=int(ex.setting("mn_seed", defaults.seed)),
        train_size=int(ex.setting("mn_n", defaults.train_size)),
    )


def _mnist_run(ex: Exercise, res: Resources, model_label: str | None = None) -> mt.TrainedRun:
    data = res.data()
    trainer = mt.train(_mnist_config(ex, model_label), data.train_x, data.train_y, device="cpu")
    return mt.finish_run(trainer, data.test_x, data.test_y)


def mnist_test_accuracy(ex: Exercise, res: Resources) -> Outcome:
    """The trained model's accuracy on MNIST's 10,000 test images, in %."""
    run = _mnist_run(ex, res)
    return Outcome(100 * run.evaluation.accuracy, (("seconds", run.train_seconds),))


def mnist_confused_pair(ex: Exercise, res: Resources) -> Outcome:
    """The two digits most often mistaken for each other (both directions counted)."""
    confusion = _mnist_run(ex, res).evaluation.confusion.clone()
    confusion.fill_diagonal_(0)
    both = torch.triu(confusion + confusion.T)
    order = both.flatten().argsort(descending=True)[:3]
    pairs = [divmod(int(i), 10) for i in order]
    facts = tuple((f"mistakes:{a} and {b}", int(both[a, b])) for a, b in pairs)
    scores = tuple(((a, b), float(both[a, b])) for a in range(10) for b in range(a + 1, 10))
    return Outcome(pairs[0], facts, scores)


def mnist_better_model(ex: Exercise, res: Resources) -> Outcome:
    """Which of the choices (model labels' kinds) reaches the higher test accuracy."""
    scores = {}
    for kind in ex.options:
        scores[kind] = _mnist_run(ex, res, kind).evaluation.accuracy
    best = max(scores, key=scores.get)
    return Outcome(best, tuple((f"accuracy:{k}", 100 * a) for k, a in scores.items()))


# ---- Draw a digit -----------------------------------------------------------------------

DRAW_MODELS = {  # the page's labels -> shipped model names
    "Shipped CNN": "cnn",
    "Shipped MLP": "mlp",
    "Shipped linear (softmax regression)": "linear",
}


def drawn_digit(ex: Exercise, res: Resources) -> np.ndarray:
    """An MNIST test digit drawn on the page's canvas: `params.digit` (which digit),
    `params.size` pixels high, at `params.corner` ("top-left", ... or "centre"), dark ink
    on white as the canvas sends it (H x W x 4 uint8)."""
    data = res.data()
    digit, size = int(ex.param("digit", 7)), int(ex.param("size", 60))
    index = int((data.test_y == digit).nonzero()[int(ex.param("example", 0))])
    image = data.test_images[index].float()[None, None] / 255  # (1, 1, 28, 28) ink
    ink = F.interpolate(image, size=(size, size), mode="bilinear", align_corners=False)[0, 0]
    side, margin = digits.CANVAS_SIZE, 8
    places = {
        "top-left": (margin, margin),
        "top-right": (margin, side - size - margin),
        "bottom-left": (side - size - margin, margin),
        "bottom-right": (side - size - margin, side - size - margin),
        "centre": ((side - size) // 2, (side - size) // 2),
    }
    top, left = places[ex.param("corner", "centre")]
    canvas = np.zeros((side, side), np.float32)
    canvas[top : top + size, left : left + size] = ink.clamp(0, 1).numpy()
    grey = np.round(255 * (1 - canvas)).astype(np.uint8)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def _draw_model(ex: Exercise, res: Resources):
    return res.model(_option(DRAW_MODELS, ex.setting("draw_model", "Shipped CNN")))


def draw_reads(ex: Exercise, res: Resources) -> Outcome:
    """Whether the model reads the drawn digit as that digit ("yes"/"no"), through MNIST's
    steps or, with `params.naive`, the whole canvas squashed to 28x28."""
    rgba, digit = drawn_digit(ex, res), int(ex.param("digit", 7))
    pre = digits.preprocess(rgba, background=(1.0, 1.0, 1.0, 1.0))
    x = digits.normalise(digits.squash(pre.ink)) if ex.param("naive", False) else pre.tensor
    probs = digits.probabilities(_draw_model(ex, res), x)[0]
    k = int(probs.argmax())
    seen = digits.squash(pre.ink) if ex.param("naive", False) else pre.centred
    return Outcome(
        "yes" if k == digit else "no",
        (
            ("prediction", k),
            ("confidence", 100 * float(probs[k])),
            ("digit_probability", 100 * float(probs[digit])),
        ),
        picture=seen,
    )


def draw_blank_votes(ex: Exercise, res: Resources) -> Outcome:
    """Sign of the blank pixels' summed shares w_i x_i in the score of the drawn digit
    (the linear model; blank is -0.42 after normalisation, so it votes too)."""
    rgba, digit = drawn_digit(ex, res), int(ex.param("digit", 1))
    pre = digits.preprocess(rgba, background=(1.0, 1.0, 1.0, 1.0))
    shares = digits.linear_contributions(_draw_model(ex, res), pre.tensor, digit)
    if shares is None:
        raise ValueError("this exercise needs the linear model")
    blank = pre.centred <= 0.0
    total = float(shares[blank].sum())  # (28, 28) shares summed where the input is blank
    sign = "zero" if abs(total) < 1e-6 else ("positive" if total > 0 else "negative")
    return Outcome(
        sign,
        (
            ("blank_share", total),
            ("ink_share", float(shares[~blank].sum())),
            ("blank_pixels", int(blank.sum())),
        ),
        picture=pre.centred,
    )


# name in the catalog -> reader (those named mnist_* and draw_* also take Resources)
READERS: dict[str, Callable] = {
    "autograd_upstream": autograd_upstream,
    "autograd_leaf_ratio": autograd_leaf_ratio,
    "autograd_backward_effect": autograd_backward_effect,
    "linreg_paths": linreg_paths,
    "linreg_loss_trend": linreg_loss_trend,
    "logreg_best_accuracy": logreg_best_accuracy,
    "logreg_loss_trend": logreg_loss_trend,
    "logreg_best_features": logreg_best_features,
    "mnist_test_accuracy": mnist_test_accuracy,
    "mnist_confused_pair": mnist_confused_pair,
    "mnist_better_model": mnist_better_model,
    "draw_reads": draw_reads,
    "draw_blank_votes": draw_blank_votes,
}
NEEDS_RESOURCES = {n for n in READERS if n.startswith(("mnist_", "draw_"))}


def read_outcome(ex: Exercise, resources: Resources | None = None) -> Outcome:
    """Run `ex`'s experiment with its settings and return what happened."""
    reader = READERS[ex.outcome]
    if ex.outcome in NEEDS_RESOURCES:
        return reader(ex, resources or Resources())
    return reader(ex)
