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

One idea a module: `data` (synthetic data and CSV uploads), `problem` (features and the
exact answers), `train` (the two trainers), `landscape`, `divergence` (why a run blew up, as
codes), `run` (`LabRun`, both trainers in lockstep), `replay` (a run as frames the browser
plays), `bugs` (the by-hand loop with a classic mistake, run for real), `figures`,
`export` (the script that reproduces a run). This package re-exports the lab's API:
`from core import linreg`.

Functions marked "exported verbatim" are copied into the reproduction script
by `core.linreg.export`, so they use nothing but `torch` and their arguments.
Everything runs on the CPU on purpose: these problems have a few thousand
numbers, where a GPU's launch overhead costs more than the arithmetic.
"""

from core.linreg.divergence import MOMENTUM_STABILITY, REMEDIES, Divergence, diagnose
from core.linreg.landscape import Landscape, landscape_around, loss_landscape
from core.linreg.problem import (
    MAX_DEGREE,
    Problem,
    batch_indices,
    closed_form,
    design_matrix,
    from_raw_coefficients,
    make_problem,
    max_stable_lr,
    polynomial_features,
    predict,
    r_squared,
    raw_coefficients,
    standardiser,
)
from core.linreg.run import LabRun, Trace, divergences, r2_text, summary
from core.linreg.train import (
    EXPLODE_FACTOR,
    LEARNING_RATES,
    MAX_STEPS,
    OPTIMIZERS,
    RISING_STEPS,
    HandConfig,
    StepState,
    TorchConfig,
    TrainConfig,
    make_optimizer,
    mse,
    train_by_hand,
    train_pytorch,
)

__all__ = [
    "MAX_DEGREE",
    "polynomial_features",
    "standardiser",
    "batch_indices",
    "Problem",
    "make_problem",
    "design_matrix",
    "closed_form",
    "max_stable_lr",
    "r_squared",
    "predict",
    "raw_coefficients",
    "from_raw_coefficients",
    "MAX_STEPS",
    "EXPLODE_FACTOR",
    "RISING_STEPS",
    "LEARNING_RATES",
    "OPTIMIZERS",
    "TrainConfig",
    "HandConfig",
    "TorchConfig",
    "StepState",
    "mse",
    "train_by_hand",
    "make_optimizer",
    "train_pytorch",
    "loss_landscape",
    "Landscape",
    "landscape_around",
    "REMEDIES",
    "MOMENTUM_STABILITY",
    "Divergence",
    "diagnose",
    "Trace",
    "LabRun",
    "summary",
    "divergences",
    "r2_text",
]
