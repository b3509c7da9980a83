"""Exports of the linear regression lab: strict JSON, and a script that really
reproduces the run.
"""

from __future__ import annotations

import ast
import json

import numpy as np
import pytest

from core.linreg import HandConfig, TorchConfig
from core.linreg import export as linreg_export
from core.linreg.data import (
    SyntheticConfig,
    clean_points,
    dataset_from_csv,
    edited,
    plot_bounds,
    synthetic,
)
from core.runtime import configure_torch
from tests.support.runs import lab_run, run_scripts

# Thread count from EXPLORER_TORCH_THREADS (1 in tests, see conftest): on a shared 2-core
# machine a second intra-op thread makes 50k-row reductions many times slower, not faster.
configure_torch()


make_run = lab_run


CSV = b"temp,sales\n" + b"".join(
    b"%.2f,%.3f\n" % (t / 3, 3 + 0.8 * t / 3 + (t % 5) * 0.1) for t in range(45)
)

RUNS = {
    # a curve, cubic features, mini-batches, Adam, stopped mid-epoch (37 steps, 7 per epoch)
    "curve-adam-minibatch": lambda: make_run(
        synthetic(SyntheticConfig(preset="curve", n=90, seed=4)),
        3,
        True,
        37,
        lr=0.05,
        epochs=20,
        batch_size=9,
        seed=0,
        init_w=0.5,
        init_b=-1.0,
        optimizer="adam",
    ),
    # uploaded columns written into the script, raw features, momentum
    "csv-momentum": lambda: make_run(
        dataset_from_csv(CSV), 1, False, 25, lr=0.01, epochs=25, optimizer="momentum"
    ),
    # continued mid-run with another learning rate and optimizer, on points edited by hand
    "edited-continued": lambda: continued_run(),
}


def continued_run():
    base = synthetic(SyntheticConfig(n=30, seed=5))
    points = clean_points([[1.0, 2.0], [2.0, 5.5], [4.0, 8.0], [7.5, 15.0]], plot_bounds(base))
    run = make_run(edited(base, points), 2, True, 12, lr=0.05, epochs=50, batch_size=3)
    run.continue_with(HandConfig(0.01, 50, 3), TorchConfig(0.01, 50, 3, optimizer="adam"))
    run.advance(9)
    return run


@pytest.mark.slow
def test_generated_scripts_run_and_reproduce_the_parameters(tmp_path):
    runs = {name: make() for name, make in RUNS.items()}
    paths = []
    for name, run in runs.items():
        paths.append(tmp_path / f"{name}.py")
        paths[-1].write_text(linreg_export.reproduction_script(run))
    out = run_scripts(paths, tmp_path)
    assert out.returncode == 0, out.stderr
    decoder, text, pos = json.JSONDecoder(), out.stdout, 0
    for name, run in runs.items():
        got, pos = decoder.raw_decode(text, pos)
        pos = len(text) - len(text[pos:].lstrip())
        for key, trace in (("by_hand", run.hand), ("pytorch", run.torch)):
            # same code, same data, same float32 arithmetic: bit for bit the same numbers
            assert got[key]["weights"] == list(trace.last.weights), name
            assert got[key]["bias"] == trace.last.bias, name
        assert run.step > 0


def test_script_is_plain_python_with_the_shown_trainers():
    run = RUNS["curve-adam-minibatch"]()
    script = linreg_export.reproduction_script(run)
    ast.parse(script)  # valid Python; running it is the test above
    assert linreg_export.hand_code() in script
    assert linreg_export.pytorch_code(run.torch_cfg) in script
    assert "from core" not in script and "import core" not in script
    assert "def make_curve" in script and "split_train_test" in script
    assert "train_by_hand(37)" in script and "torch.optim.Adam(" in script


def test_shown_code_uses_the_chapter_idioms():
    hand = linreg_export.hand_code()
    for idiom in (
        "requires_grad=True",
        "loss.backward()",
        "with torch.no_grad():",
        "w.grad.zero_()",
    ):
        assert idiom in hand
    for opt, call in (
        ("sgd", "torch.optim.SGD("),
        ("momentum", "momentum=0.9"),
        ("adam", "torch.optim.Adam("),
    ):
        code = linreg_export.pytorch_code(TorchConfig(optimizer=opt))
        assert call in code and "nn.Linear(d, 1)" in code and "nn.MSELoss()" in code
        assert "optimizer.zero_grad()" in code and "optimizer.step()" in code


def test_parameters_json_is_strict_and_complete():
    run = RUNS["csv-momentum"]()
    doc = json.loads(linreg_export.parameters_json(run))
    assert doc["data"]["x"] == "temp" and doc["data"]["n_train"] == 45
    assert (
        doc["training"]["pytorch_optimizer"] == "momentum"
        and doc["training"]["learning_rate"] == 0.01
    )
    assert doc["by_hand"]["weights"] == list(run.hand.last.weights)
    assert doc["pytorch"]["steps"] == 25 and doc["by_hand"]["diverged"] is None
    ls = doc["least_squares"]
    np.testing.assert_allclose(
        ls["polynomial_in_x"], [ls["bias"], ls["weights"][0]]
    )  # raw features
    assert 0.9 < ls["r2_train"] <= 1


def test_parameters_json_of_a_diverged_run_has_no_nan():
    run = make_run(synthetic(SyntheticConfig()), 1, False, 200, lr=5.0, epochs=200)
    assert run.hand.diverged
    text = linreg_export.parameters_json(run)
    assert "NaN" not in text and "Infinity" not in text
    doc = json.loads(text)
    assert doc["by_hand"]["diverged"] == run.hand.diverged
