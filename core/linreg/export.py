"""Exports of a linear regression lab run: parameters as JSON, and a script that reproduces it.

The script needs only `torch`. It rebuilds the data (the preset's generator,
copied verbatim from `core.linreg.data`, or the uploaded columns written out),
the features, and runs both trainers for as many steps as the run took; it
prints the learned parameters as JSON. The trainer functions in it are what the
page shows side by side (`hand_code`, `pytorch_code`).
"""

from __future__ import annotations

import inspect
import json
import math

import numpy as np

from core import linreg
from core.linreg import LabRun, TorchConfig
from core.linreg import data as linreg_data
from core.optim import optimizer_code
from core.untrusted import py_comment

# Short lines on purpose: the page shows the two trainers side by side.
HAND_CODE = '''\
def train_by_hand(steps):
    """Gradient descent; we write the update."""
    # one weight per feature, and a bias
    w0, b0 = START["by_hand"]
    w = torch.tensor(w0, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)
    for idx in batches(steps):  # rows of a step
        pred = X[idx] @ w + b  # (B,)
        loss = ((pred - y[idx]) ** 2).mean()
        loss.backward()  # fills w.grad, b.grad
        # the update must not join the graph
        with torch.no_grad():
            w -= LR * w.grad
            b -= LR * b.grad
        # backward() adds to .grad: reset it
        w.grad.zero_()
        b.grad.zero_()
    return w.detach(), b.detach()
'''

PYTORCH_CODE = '''\
def train_pytorch(steps):
    """nn.Linear, nn.MSELoss and torch.optim."""
    model = nn.Linear(d, 1)  # weight (1, d)
    w0, b0 = START["pytorch"]
    with torch.no_grad():
        model.weight.copy_(torch.tensor([w0]))
        model.bias.fill_(b0)
    loss_fn = nn.MSELoss()
    optimizer = {optimizer}
    for idx in batches(steps):
        pred = model(X[idx]).squeeze(1)  # (B,)
        loss = loss_fn(pred, y[idx])
        optimizer.zero_grad()  # clear old grads
        loss.backward()  # fills the .grads
        optimizer.step()  # {update}
    return (model.weight.detach()[0],
            model.bias.detach()[0])
'''

UPDATE_COMMENT = {
    "sgd": "p -= LR * p.grad",
    "momentum": "v = 0.9v + grad; p -= LR*v",
    "adam": "~LR per step, per parameter",
}


def hand_code() -> str:
    """The by-hand trainer as the page shows it and the script runs it."""
    return HAND_CODE


def pytorch_code(cfg: TorchConfig) -> str:
    """The PyTorch trainer with `cfg`'s optimizer, as shown and as run."""
    optimizer = optimizer_code(cfg.optimizer, "\n        model.parameters()", "LR")
    return PYTORCH_CODE.format(optimizer=optimizer, update=UPDATE_COMMENT[cfg.optimizer])


def _start_code(run: LabRun) -> str:
    """START: where each trainer's current stretch began ((w1..wd), b), as exact floats."""
    starts = {
        key: trace.start_of_segment()
        for key, trace in (("by_hand", run.hand), ("pytorch", run.torch))
    }
    lines = [
        f'    "{key}": ({list(start[:-1])!r}, {start[-1]!r}),' for key, start in starts.items()
    ]
    if len(run.segments) > 1:
        step = run.segments[-1][0]
        head = (
            f"# The settings changed at step {step}: each trainer goes on from where it stood\n"
            f"# then (fresh optimizer state), for the steps it took since.\n"
        )
    else:
        head = "# Where each trainer starts: (one weight per feature, bias)\n"
    return head + "START = {\n" + "\n".join(lines) + "\n}\n"


def settings_code(run: LabRun) -> str:
    """The constants both trainers read (learning rate, batch size, start...)."""
    cfg = run.torch_cfg
    return (
        f"LR = {cfg.lr!r}  # learning rate\n"
        f"BATCH_SIZE = {cfg.batch_size!r}  # None: full batch\n"
        f"SEED = {cfg.seed!r}  # order of the mini-batches\n"
        + _start_code(run)
        + f"# {run.torch_cfg.epochs} epochs x "
        f"{cfg.batches_per_epoch(run.problem.n)} step(s) per epoch "
        f"on {run.problem.n} rows, {run.problem.d} feature(s)\n"
    )


def _data_code(run: LabRun) -> str:
    data = run.problem.data
    if data.config is not None:
        return linreg_data.synthetic_source(data.config)
    xs = ", ".join(repr(float(v)) for v in data.x_train.tolist())
    ys = ", ".join(repr(float(v)) for v in data.y_train.tolist())
    return (
        f"# {py_comment(data.source)}\n"
        f"x_train = torch.tensor([{xs}], dtype=torch.float64)\n"
        f"y_train = torch.tensor([{ys}], dtype=torch.float64)\n"
    )


def reproduction_script(run: LabRun) -> str:
    """A standalone Python script (torch only) that redoes `run` and prints its parameters."""
    p = run.problem
    parts = [
        # The docstring holds no user text: column names go only into comments and literals.
        f'"""Reproduces a run of the linear regression lab (PyTorch Linear Models Explorer).\n\n'
        f"Model: polynomial of degree {p.degree}"
        f"{', standardised features' if p.standardise else ''}; "
        f"{run.hand.steps} steps by hand, {run.torch.steps} the PyTorch way.\n"
        "Run it with `python thisfile.py`; "
        'it needs only torch and prints the learned parameters.\n"""\n'
        f"# Data: {py_comment(p.data.source)}\n",
        "import itertools\nimport json\n\nimport torch\nfrom torch import nn\n",
        "# ---- data " + "-" * 60,
        _data_code(run),
        "# ---- features " + "-" * 56,
        inspect.getsource(linreg.polynomial_features),
        inspect.getsource(linreg.standardiser),
        f"DEGREE = {p.degree}\nSTANDARDISE = {p.standardise}\n"
        "F = polynomial_features(x_train, DEGREE)  # (N, d)\n"
        "if STANDARDISE:\n    mean, std = standardiser(F)\nelse:\n"
        "    mean, std = torch.zeros(DEGREE, dtype=torch.float64), "
        "torch.ones(DEGREE, dtype=torch.float64)\n"
        "X = ((F - mean) / std).float()  # (N, d) what the model sees\n"
        "y = y_train.float()  # (N,)\nN, d = X.shape\n",
        "# ---- training " + "-" * 56,
        settings_code(run),
        inspect.getsource(linreg.batch_indices),
        'def batches(steps):\n    """The rows of each of the first `steps` steps."""\n'
        "    return itertools.islice(batch_indices(N, BATCH_SIZE, SEED), steps)\n",
        hand_code(),
        pytorch_code(run.torch_cfg),
        f"w_hand, b_hand = train_by_hand({run.hand.steps - run.hand.segment_start})\n"
        f"w_torch, b_torch = train_pytorch({run.torch.steps - run.torch.segment_start})\n"
        "print(json.dumps({\n"
        '    "by_hand": {"weights": w_hand.tolist(), "bias": b_hand.item()},\n'
        '    "pytorch": {"weights": w_torch.tolist(), "bias": b_torch.item()},\n'
        "}, indent=2))\n",
    ]
    return "\n\n".join(parts)


def _clean(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _trainer_summary(run: LabRun, trace) -> dict:
    s = trace.last
    p = run.problem
    fit = linreg.predict(p, s.weights, s.bias, p.data.x_train)
    test = linreg.predict(p, s.weights, s.bias, p.data.x_test)
    coeffs = linreg.raw_coefficients(p, s.weights, s.bias)
    return {
        "steps": s.step,
        "weights": [_clean(w) for w in s.weights],
        "bias": _clean(s.bias),
        "polynomial_in_x": [_clean(c) for c in coeffs],
        "train_loss": _clean(s.train_loss),
        "test_loss": _clean(s.test_loss),
        "r2_train": _clean(linreg.r_squared(p.data.y_train.numpy(), fit)),
        "r2_test": _clean(linreg.r_squared(p.data.y_test.numpy(), test))
        if p.data.has_test
        else None,
        "diverged": s.diverged,
    }


def parameters_json(run: LabRun) -> str:
    """The run's learned parameters, settings and fit quality as strict JSON (no NaN)."""
    p, cfg = run.problem, run.torch_cfg
    w_star, b_star = run.solution
    exact = linreg.predict(p, w_star, b_star, p.data.x_train)
    doc = {
        "lab": "linear regression (PyTorch Linear Models Explorer)",
        "model": f"y = w . features(x) + b; features = x^1..x^{p.degree}"
        + (", each standardised with mean/std below" if p.standardise else ""),
        "data": {
            "source": p.data.source,
            "x": p.data.x_name,
            "y": p.data.y_name,
            "n_train": p.n,
            "n_test": int(p.data.x_test.numel()),
        },
        "features": {
            "degree": p.degree,
            "standardised": p.standardise,
            "mean": p.mean.tolist(),
            "std": p.std.tolist(),
        },
        "training": {
            "learning_rate": cfg.lr,
            "batch_size": cfg.batch_size,
            "seed": cfg.seed,
            "start": {
                name: {"weights": list(start[:-1]), "bias": start[-1]}
                for name, start in (
                    ("by_hand", run.hand.start_of_segment()),
                    ("pytorch", run.torch.start_of_segment()),
                )
            },
            "continued_at_step": run.segments[-1][0],
            "pytorch_optimizer": cfg.optimizer,
            "epochs_done": run.step / cfg.batches_per_epoch(p.n),
        },
        "by_hand": _trainer_summary(run, run.hand),
        "pytorch": _trainer_summary(run, run.torch),
        "least_squares": {
            "weights": [float(w) for w in w_star],
            "bias": float(b_star),
            "polynomial_in_x": linreg.raw_coefficients(p, w_star, b_star),
            "r2_train": _clean(linreg.r_squared(p.data.y_train.numpy(), exact)),
            "train_loss": _clean(float(np.mean((p.data.y_train.numpy() - exact) ** 2))),
        },
    }
    return json.dumps(doc, indent=2, allow_nan=False)
