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


def make_optimizer(kind: str, params, lr: float) -> torch.optim.Optimizer:
    """The `torch.optim` optimizer `kind` (an `OPTIMIZERS` id) over `params`."""
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if kind == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=MOMENTUM)
    if kind == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=MOMENTUM, nesterov=True)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {kind!r}; choose one of {tuple(OPTIMIZERS)}")


def optimizer_code(kind: str, params: str, lr: str) -> str:
    """The Python call `make_optimizer(kind, ...)` makes, with `params` and `lr` as code."""
    if kind == "sgd":
        return f"torch.optim.SGD({params}, lr={lr})"
    if kind == "momentum":
        return f"torch.optim.SGD({params}, lr={lr}, momentum={MOMENTUM!r})"
    if kind == "nesterov":
        return f"torch.optim.SGD({params}, lr={lr}, momentum={MOMENTUM!r}, nesterov=True)"
    if kind == "adam":
        return f"torch.optim.Adam({params}, lr={lr})"
    raise ValueError(f"unknown optimizer {kind!r}")


def labels(kinds: tuple[str, ...]) -> dict[str, str]:
    """{label: id} for a lab's choices, in the given order (what a selectbox shows)."""
    return {OPTIMIZERS[k]: k for k in kinds}
