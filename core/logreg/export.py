"""The current run as a standalone Python script (torch + numpy only).

Generated data is rebuilt by the very generator source the app uses (copied in
with `inspect.getsource`); uploaded data is embedded as numbers. The model,
its seeded initialisation, loss, penalty and optimizer are written out as plain
PyTorch, so running the script repeats the run step for step and prints the
same final loss and accuracy the page shows.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Sequence

import torch

from core import optim
from core.logreg import FEATURE_CODE, LogRegConfig, feature_names
from core.logreg.data import GENERATORS, TITLES, Dataset, stratified_split
from core.optim import optimizer_code
from core.untrusted import py_comment

ACTIVATION_CODE = {
    "tanh": "nn.Tanh()",
    "relu": "nn.ReLU()",
    "sigmoid": "nn.Sigmoid()",
    "linear": "nn.Identity()",
}


def _floats(t: torch.Tensor) -> str:
    """A tensor as a Python literal that round-trips exactly (repr of each float)."""
    return repr(t.tolist())


def _data_section(data: Dataset) -> str:
    spec = data.spec
    if spec is None:
        return textwrap.dedent(f"""\
            # The uploaded points, split as in the app (train / test).
            x_train = torch.tensor({_floats(data.x_train)}, dtype=torch.float32).reshape(-1, 2)
            y_train = torch.tensor({data.y_train.tolist()!r}, dtype=torch.int64)
            x_test = torch.tensor({_floats(data.x_test)}, dtype=torch.float32).reshape(-1, 2)
            y_test = torch.tensor({data.y_test.tolist()!r}, dtype=torch.int64)
            """)
    generator = GENERATORS[spec.kind]
    args = f"{spec.n_points}, {spec.noise!r}, {spec.overlap!r}, {spec.classes}, rng"
    return (
        inspect.getsource(generator)
        + "\n\n"
        + inspect.getsource(stratified_split)
        + "\n\n"
        + textwrap.dedent(f"""\
            rng = np.random.default_rng({spec.seed})  # one seeded stream: points, then the split
            x, y = {generator.__name__}({args})
            train_idx, test_idx = stratified_split(y, {spec.test_fraction!r}, rng)
            x_train = torch.as_tensor(x[train_idx], dtype=torch.float32).reshape(-1, 2)  # (N, 2)
            y_train = torch.as_tensor(y[train_idx], dtype=torch.int64).reshape(-1)  # (N,)
            x_test = torch.as_tensor(x[test_idx], dtype=torch.float32).reshape(-1, 2)
            y_test = torch.as_tensor(y[test_idx], dtype=torch.int64).reshape(-1)
            """)
    )


def _model_code(n_in: int, n_out: int, config: LogRegConfig) -> str:
    """nn.Sequential(Linear, activation, ..., Linear), one layer a line when there are several."""
    widths = (n_in, *config.hidden)
    layers = []
    for a, b in zip(widths, widths[1:], strict=False):
        layers += [f"nn.Linear({a}, {b})", ACTIVATION_CODE[config.activation]]
    layers.append(f"nn.Linear({widths[-1]}, {n_out})")
    if len(layers) <= 3:
        return f"nn.Sequential({', '.join(layers)})"
    rows = "".join(f"\n    {layer}," for layer in layers)
    return f"nn.Sequential({rows}\n)"


def _hidden_words(config: LogRegConfig) -> str:
    """' with a hidden layer of 5 relu units' / ' with hidden layers of 5, 3 tanh units'."""
    if not config.hidden:
        return ""
    if len(config.hidden) == 1:
        return f" with a hidden layer of {config.hidden[0]} {config.activation} units"
    widths = ", ".join(map(str, config.hidden))
    return f" with {len(config.hidden)} hidden layers of {widths} {config.activation} units"


def _edits_code(edits: Sequence) -> tuple[str, str, str]:
    """The hand-set weights as code: a table of them, the loop's line and the final line."""
    if not edits:
        return "", "", ""
    table: dict[int, list] = {}
    for e in edits:
        table.setdefault(e.step, []).append((e.ref.layer, e.ref.unit, e.ref.source, e.value))
    rows = "".join(f"\n    {step}: {changes!r}," for step, changes in sorted(table.items()))
    section = f"""
# Weights set by hand in the app: after STEP updates, (layer, unit, input, value) where
# layer counts the nn.Linear layers from 0 and input None means the unit's bias.
HAND_SET = {{{rows}
}}
linears = [m for m in model if isinstance(m, nn.Linear)]


def set_by_hand(step):
    with torch.no_grad():
        for layer, unit, source, value in HAND_SET.get(step, ()):
            if source is None:
                linears[layer].bias[unit] = value
            else:
                linears[layer].weight[unit, source] = value

"""
    return section, "set_by_hand(step)\n    ", "set_by_hand(STEPS)\n"


def _describe(data: Dataset, config: LogRegConfig) -> str:
    if data.spec is None:
        what = f"{data.title}, {len(data.y_train)} train / {len(data.y_test)} test points"
    else:
        s = data.spec
        what = (
            f"{TITLES[s.kind]}, {s.n_points} points, noise {s.noise:g}, overlap {s.overlap:g}, "
            f"{s.test_fraction:.0%} test, seed {s.seed}"
        )
    model = (
        "logistic regression"
        if data.n_classes == 2
        else f"softmax regression ({data.n_classes} classes)"
    )
    model += _hidden_words(config)
    return (
        f"Data: {what}\nModel: {model} on features {', '.join(feature_names(config.features))}\n"
        f"Training: {optim.OPTIMIZERS[config.optimizer]}, learning rate {config.lr:g}, "
        f"L2 penalty {config.l2:g}, full batch"
    )


def _changes_code(segments: Sequence) -> tuple[str, str]:
    """Settings changed mid-run (`Run.segments` after the first) as code: a table of fresh
    optimizers and penalties by step, and the loop's line that switches to them."""
    if len(segments) < 2:
        return "", ""
    rows = "".join(
        f"\n    {step}: lambda: ({optimizer_code(c.optimizer, 'model.parameters()', repr(c.lr))}, "
        f"{c.l2!r}),"
        for step, c in segments[1:]
    )
    section = f"""
# Settings changed mid-run in the app: from STEP on, a fresh optimizer and this L2 penalty
# (training went on from the weights as they were).
CHANGES = {{{rows}
}}
"""
    return section, "if step in CHANGES:\n        optimizer, l2 = CHANGES[step]()\n    "


def export_script(
    data: Dataset,
    config: LogRegConfig,
    steps: int,
    edits: Sequence = (),
    segments: Sequence = (),
) -> str:
    """A runnable script that repeats `steps` updates of this run and prints the results.

    `edits` are the run's hand-set weights (`Run.edits`): the script sets each at its step.
    `segments` are the run's (first step, config) stretches (`Run.segments`): the script
    starts with the first's optimizer and switches at each later one's step; `config` then
    is the last one's, and the model's shape is the same in all of them.
    """
    first = segments[0][1] if segments else config
    any_l2 = any(c.l2 for _, c in segments) or config.l2
    names = feature_names(config.features)
    binary = data.n_classes == 2
    n_out = 1 if binary else data.n_classes
    feature_rows = ",\n        ".join(f"{FEATURE_CODE[f]},  # {f}" for f in names)
    if binary:
        loss_lines = (
            "loss_fn = nn.BCEWithLogitsLoss()\n\n\ndef logits_of(phi):\n"
            "    return model(phi).squeeze(1)  # (N,)\n\n\n"
            "def data_loss(logits, y):\n    return loss_fn(logits, y.float())\n\n\n"
            "def predict(logits):\n    return (logits > 0).long()  # p > 0.5 <=> z > 0\n"
        )
    else:
        loss_lines = (
            "loss_fn = nn.CrossEntropyLoss()\n\n\ndef logits_of(phi):\n"
            "    return model(phi)  # (N, K)\n\n\n"
            "def data_loss(logits, y):\n    return loss_fn(logits, y)\n\n\n"
            "def predict(logits):\n    return logits.argmax(dim=1)\n"
        )
    penalty = (
        "loss = loss + l2 * sum((m.weight**2).sum() for m in model.modules() "
        "if isinstance(m, nn.Linear))"
        if any_l2
        else "# (no L2 penalty)"
    )
    changes, switch = _changes_code(segments)
    header = "\n".join("# " + py_comment(line) for line in _describe(data, config).split("\n"))
    hand_set, in_loop, after_loop = _edits_code(edits)
    return f'''"""Logistic-regression run exported from the PyTorch Linear Models Explorer.

Run it with `python this_file.py` (needs torch and numpy). It repeats the
app's run step for step and prints the same final loss and accuracy.
"""
{header}

import math

import numpy as np
import torch
from torch import nn

STEPS = {steps}

# ---- data -----------------------------------------------------------------------

{_data_section(data)}

# ---- features and model -----------------------------------------------------------


def features(x):
    """phi(x): (N, 2) points -> (N, {len(names)}) features."""
    return torch.stack([
        {feature_rows}
    ], dim=1)


model = {_model_code(len(names), n_out, config)}
# PyTorch's default nn.Linear ranges, drawn from a seeded generator (as in the app).
generator = torch.Generator().manual_seed({config.seed})
with torch.no_grad():
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            bound = 1.0 / math.sqrt(layer.in_features)
            nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)

{loss_lines}
{hand_set}{changes}
optimizer = {optimizer_code(first.optimizer, "model.parameters()", repr(first.lr))}
l2 = {first.l2!r}  # the penalty lambda * sum(w^2) over the weight matrices
phi_train, phi_test = features(x_train), features(x_test)  # fixed: compute once

# ---- training: full-batch gradient descent -----------------------------------------

for step in range(STEPS):
    {switch}{in_loop}loss = data_loss(logits_of(phi_train), y_train)
    if step % max(1, STEPS // 10) == 0:
        print(f"step {{step:5d}}  train loss {{loss.item():.4f}}")
    {penalty}
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
{after_loop}
with torch.no_grad():
    train_logits = logits_of(phi_train)
    print(f"final train loss {{data_loss(train_logits, y_train).item():.6f}} "
          f"accuracy {{(predict(train_logits) == y_train).float().mean().item():.4f}}")
    if len(y_test):
        test_logits = logits_of(phi_test)
        print(f"final test loss {{data_loss(test_logits, y_test).item():.6f}} "
              f"accuracy {{(predict(test_logits) == y_test).float().mean().item():.4f}}")
    last = model[-1]
    print("output layer weights", last.weight.tolist(), "bias", last.bias.tolist())
'''
