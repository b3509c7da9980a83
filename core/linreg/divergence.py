"""Why a run diverged, as codes and numbers: the page says it in words (`ui.explain`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.linreg.problem import Problem, max_stable_lr

# What can be suggested, in the order the page lists it.
REMEDIES = ("lower_lr", "standardise", "high_degree", "adam")
MOMENTUM_STABILITY = 1.9  # heavy-ball momentum 0.9 widens full-batch GD's stable range ~1.9x


@dataclass(frozen=True)
class Divergence:
    """One trainer's divergence: what happened (`reason`, from the trainer) and what to try."""

    reason: str  # "nan" | "inf" | "exploding" | "rising"
    step: int
    lr: float
    optimizer: str  # the optimizer id that diverged ("sgd" for the hand trainer)
    stable_below: float  # full-batch GD is stable below this learning rate on this data
    try_lr: float  # a learning rate to try instead: a 1-2-5 value below both lr/3 and the bound
    degree: int
    remedies: tuple[str, ...]  # a subset of REMEDIES


def diagnose(
    reason: str, step: int, problem: Problem, lr: float, optimizer: str = "sgd"
) -> Divergence:
    """What happened and what to try, for a run that stopped with `reason` at `step`."""
    limit = max_stable_lr(problem)
    bound = limit * (MOMENTUM_STABILITY if optimizer == "momentum" else 1.0)
    remedies = ["lower_lr"]
    if not problem.standardise:
        remedies.append("standardise")
        if problem.degree > 1:
            remedies.append("high_degree")
    if optimizer != "adam":
        remedies.append("adam")
    try_lr = _nice_below(min(lr / 3, limit * 0.8))
    return Divergence(reason, step, lr, optimizer, bound, try_lr, problem.degree, tuple(remedies))


def _nice_below(value: float) -> float:
    """The largest of 1, 2, 5 x 10^k not above `value`."""
    if not value > 0 or not math.isfinite(value):
        return 1e-3
    k = math.floor(math.log10(value))
    return max(m * 10.0**k for m in (1, 2, 5) if m * 10.0**k <= value * (1 + 1e-9))
