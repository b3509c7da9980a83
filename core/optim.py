"""One optimizer factory for every lab, with labels that say what each choice does.

`OPTIMIZERS` maps an id to the label the pages show; `make_optimizer` builds it and
`optimizer_code` writes the same call for an exported script, so what a student reads,
what runs and what the script does are one table.
"""

from __future__ import annotations

import torch

MOMENTUM = 0.9
OPTIMIZERS = {  # id -> label on the page
    "sgd": "SGD",
    "momentum": f"SGD + momentum {MOMENTUM:g}",
    "nesterov": f"SGD + Nesterov momentum {MOMENTUM:g}",
    "adam": "Adam",
}


# id -> (the torch.optim class, its keyword arguments besides lr): one table for the
# optimizer that runs and the line an exported script writes.
RECIPES = {
    "sgd": (torch.optim.SGD, {}),
    "momentum": (torch.optim.SGD, {"momentum": MOMENTUM}),
    "nesterov": (torch.optim.SGD, {"momentum": MOMENTUM, "nesterov": True}),
    "adam": (torch.optim.Adam, {}),
}


def _recipe(kind: str):
    if kind not in RECIPES:
        raise ValueError(f"unknown optimizer {kind!r}; choose one of {tuple(OPTIMIZERS)}")
    return RECIPES[kind]


def make_optimizer(kind: str, params, lr: float) -> torch.optim.Optimizer:
    """The `torch.optim` optimizer `kind` (an `OPTIMIZERS` id) over `params`."""
    cls, options = _recipe(kind)
    return cls(params, lr=lr, **options)


def optimizer_code(kind: str, params: str, lr: str) -> str:
    """The Python call `make_optimizer(kind, ...)` makes, with `params` and `lr` as code."""
    cls, options = _recipe(kind)
    extra = "".join(f", {name}={value!r}" for name, value in options.items())
    return f"torch.optim.{cls.__name__}({params}, lr={lr}{extra})"


def labels(kinds: tuple[str, ...]) -> dict[str, str]:
    """{label: id} for a lab's choices, in the given order (what a selectbox shows)."""
    return {OPTIMIZERS[k]: k for k in kinds}
