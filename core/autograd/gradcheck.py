"""Gradient check: autograd's gradients against central finite differences, in float64.

For a function f of named tensors returning a scalar, each checked element x_i gets

    numeric_i = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

(error O(eps^2); float64 so that rounding, about 1e-16 / eps, stays far below it) and is
compared with autograd's d f / d x_i. Large tensors are checked on a seeded random sample of
elements so the check stays quick; the result says how many were checked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

Fn = Callable[[dict[str, torch.Tensor]], torch.Tensor]


@dataclass(frozen=True)
class Comparison:
    """One checked element: where it is and the two derivatives."""

    name: str
    index: tuple[int, ...]
    autograd: float
    numeric: float

    @property
    def error(self) -> float:
        return abs(self.autograd - self.numeric)


@dataclass(frozen=True)
class GradCheck:
    """The outcome: every comparison, the largest error, and whether all are within tolerance."""

    comparisons: tuple[Comparison, ...]
    checked: int
    total: int
    eps: float
    atol: float
    rtol: float
    out_of_time: bool = False  # stopped early by the time budget (at least one per tensor ran)

    @property
    def worst(self) -> Comparison | None:
        return max(self.comparisons, key=lambda c: c.error, default=None)

    @property
    def max_error(self) -> float:
        worst = self.worst
        return 0.0 if worst is None else worst.error

    def within(self, c: Comparison) -> bool:
        return c.error <= self.atol + self.rtol * abs(c.numeric)

    @property
    def passed(self) -> bool:
        return all(self.within(c) for c in self.comparisons)

    def rows(self) -> list[dict]:
        """One row per comparison, largest error first (for a table)."""
        ordered = sorted(self.comparisons, key=lambda c: -c.error)
        return [
            {
                "tensor": c.name,
                "element": str(list(c.index)),
                "autograd": c.autograd,
                "finite difference": c.numeric,
                "|difference|": c.error,
                "ok": self.within(c),
            }
            for c in ordered
        ]


def _float64(inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for name, t in inputs.items():
        t = t.detach()
        if t.is_floating_point():
            t = t.to(torch.float64).requires_grad_(inputs[name].requires_grad)
        out[name] = t
    return out


def gradient_check(
    fn: Fn,
    inputs: dict[str, torch.Tensor],
    *,
    eps: float = 1e-6,
    max_per_tensor: int = 64,
    seed: int = 0,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    budget_s: float | None = 3.0,
) -> GradCheck:
    """Compare autograd with central differences for every input that requires grad.

    `fn` maps {name: tensor} to a scalar tensor and must work in float64 (the inputs are
    converted). Tensors with more than `max_per_tensor` elements are sampled (seeded).
    Each element costs two more runs of `fn`; on a shared server `budget_s` caps the wall
    time (the first element of every tensor is always checked), and the result says when it
    ran out. Exceptions raised by `fn` propagate unchanged.
    """
    x = _float64(inputs)
    wanted = [n for n, t in x.items() if t.requires_grad]
    out = fn(x)
    if out.dim() != 0:
        raise ValueError(f"the gradient check needs a scalar, got shape {tuple(out.shape)}")
    grads = torch.autograd.grad(out, [x[n] for n in wanted], allow_unused=True) if wanted else ()
    generator = torch.Generator().manual_seed(seed)
    deadline = None if budget_s is None else time.perf_counter() + budget_s
    comparisons, total, out_of_time = [], 0, False
    for name, grad in zip(wanted, grads, strict=True):
        base = x[name].detach()
        grad = torch.zeros_like(base) if grad is None else grad
        total += base.numel()
        if base.numel() <= max_per_tensor:
            flat = range(base.numel())
        else:
            flat = torch.randperm(base.numel(), generator=generator)[:max_per_tensor].sort().values
            flat = flat.tolist()
        for n, i in enumerate(flat):
            if n and deadline is not None and time.perf_counter() > deadline:
                out_of_time = True
                break
            numeric = _central_difference(fn, x, name, base, int(i), eps)
            index = tuple(int(v) for v in torch.unravel_index(torch.tensor(int(i)), base.shape))
            comparisons.append(Comparison(name, index, float(grad.reshape(-1)[int(i)]), numeric))
    return GradCheck(tuple(comparisons), len(comparisons), total, eps, atol, rtol, out_of_time)


def _central_difference(
    fn: Fn, x: dict[str, torch.Tensor], name: str, base: torch.Tensor, i: int, eps: float
) -> float:
    values = []
    for sign in (1.0, -1.0):
        moved = base.clone()
        moved.view(-1)[i] += sign * eps
        with torch.no_grad():
            values.append(float(fn({**x, name: moved})))
    return (values[0] - values[1]) / (2 * eps)
