"""The words for what core reports as codes: divergence, learning-rate warnings, metrics."""

from __future__ import annotations

import math

from core import linreg, logreg

LINREG_WHAT_HAPPENED = {
    "nan": "the loss became NaN (not a number): the parameters overflowed",
    "inf": "the loss became infinite: the parameters overflowed",
    "exploding": f"the loss grew to more than {linreg.EXPLODE_FACTOR:,.0f} times its starting "
    "value",
    "rising": f"the loss rose {linreg.RISING_STEPS} steps in a row and is now above where it "
    "started",
}


def linreg_divergence(d: linreg.Divergence) -> str:
    """Markdown for the page: what happened, why, and what to try."""
    text = [
        f"**Training stopped at step {d.step}: {LINREG_WHAT_HAPPENED.get(d.reason, d.reason)}.**"
    ]
    if d.optimizer == "adam":
        text.append(
            f"Adam moves each parameter by roughly the learning rate ({d.lr:g}) every step, "
            f"however "
            "small the gradient. Steps that large jump back and forth across the minimum instead "
            "of settling into it."
        )
    else:
        momentum = " with momentum 0.9" if d.optimizer == "momentum" else ""
        text.append(
            "Each step moves the parameters by learning rate x gradient. If that step is wider "
            "than the valley, it lands higher up the other side, where the gradient is steeper, "
            "so the next jump is bigger still: the parameters swing further out every step."
            f" On this data, full-batch gradient descent{momentum} is stable only for learning "
            f"rates below about **{d.stable_below:.3g}**; this run used {d.lr:g}."
        )
    words = {
        "lower_lr": f"Lower the learning rate (try {d.try_lr:g}): the run starts again from the "
        "beginning.",
        "standardise": "Turn on **standardise features**: features on a common scale make the "
        "valley round instead of a long thin trough, so much larger learning rates work.",
        "high_degree": f"x^{d.degree} spans a huge range of values; without standardisation "
        "even tiny learning rates overshoot along that direction.",
        "adam": "Or switch the PyTorch trainer to Adam, whose step size does not grow with the "
        "gradient.",
    }
    tries = "\n".join(f"- {words[r]}" for r in d.remedies)
    return "\n\n".join(text) + "\n\n**What to try:**\n" + tries


def logreg_divergence(d: logreg.Divergence, lr: float) -> str:
    """What happened to a logistic run whose loss blew up, and what to do."""
    if d.reason == "nonfinite":
        reason = f"at step {d.step} the loss became NaN or infinite"
        shown = f"The plots show the last finite weights (step {d.step - 1})."
    elif d.reason == "exploded":
        reason, shown = f"the loss exploded to {d.loss:.3g}", "The weights have blown up."
    else:
        reason = (
            f"the loss has stayed above {d.loss:.3g} ({logreg.DIVERGENCE_FACTOR:g} times its "
            f"starting value) for {logreg.DIVERGENCE_PATIENCE} steps"
        )
        shown = "The boundary jumps back and forth instead of settling."
    return (
        f"Training diverged: {reason}. The learning rate {lr:g} is too large for this model "
        f"(features such as x1² make the steps bigger). {shown} Lower the learning rate "
        "and press Reset."
    )


def learning_rate_advice(rate: float) -> tuple[str, str] | None:
    """("warning" | "info", text) for a logistic learning rate at either extreme, else None."""
    extreme = logreg.learning_rate_extreme(rate)
    if extreme == "too_large":
        return "warning", (
            f"A learning rate of {rate:g} is very large: steps overshoot and "
            "training may diverge (it stops and says so)."
        )
    if extreme == "too_small":
        return "info", f"At {rate:g} the boundary barely moves; try 0.1."
    return None


def logreg_metrics(run: logreg.Run) -> dict[str, str]:
    """The run's headline numbers as display text (a dash when there are no test points)."""
    m = run.latest()
    test = "-" if math.isnan(m["test_acc"]) else f"{m['test_acc']:.1%}"
    return {
        "Step": f"{run.step:,}",
        "Train accuracy": f"{m['train_acc']:.1%}",
        "Test accuracy": test,
        "Train loss": f"{m['train_loss']:.4f}",
    }
