"""The exported script runs on its own and repeats the app's run exactly."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import replace

import pytest

from core import logreg
from core.logreg.data import DataSpec, dataset_from_csv, make_dataset
from core.logreg.export import export_script


def run_script(source: str, tmp_path) -> str:
    path = tmp_path / "run.py"
    path.write_text(source)
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )  # cwd outside the repo: the script may not import `core`
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def final(stdout: str, split: str) -> tuple[float, float]:
    m = re.search(rf"final {split} loss ([\d.e+-]+) accuracy ([\d.]+)", stdout)
    assert m, stdout[-1000:]
    return float(m.group(1)), float(m.group(2))


@pytest.mark.slow
def test_generated_data_run_is_repeated_step_for_step(tmp_path):
    spec = DataSpec("moons", n_points=240, noise=0.2, test_fraction=0.25, seed=11)
    config = logreg.LogRegConfig(
        features=("x1*x2", "sin(x1)", "x2^2"),
        hidden=5,
        activation="relu",
        optimizer="adam",
        lr=0.03,
        l2=0.001,
        seed=4,
    )
    run = logreg.Run(make_dataset(spec), config)
    run.advance(83)
    out = run_script(export_script(run.data, config, run.step), tmp_path)
    m = run.latest()
    assert final(out, "train") == (
        pytest.approx(m["train_loss"], abs=2e-6),
        pytest.approx(m["train_acc"], abs=1e-4),
    )
    assert final(out, "test") == (
        pytest.approx(m["test_loss"], abs=2e-6),
        pytest.approx(m["test_acc"], abs=1e-4),
    )


@pytest.mark.slow
def test_uploaded_multiclass_run_is_repeated_step_for_step(tmp_path):
    rows = "\n".join(
        f"{(i * 37 % 101) / 17 - 3:.4f},{(i * 53 % 97) / 19 - 2.5:.4f},{i % 3 * 2 - 1}"
        for i in range(90)
    )
    data = dataset_from_csv(("x1,x2,label\n" + rows).encode(), test_fraction=0.2, seed=2)
    config = logreg.LogRegConfig(
        optimizer="momentum", lr=0.1, l2=0.01, features=("x1^2", "sin(x2)")
    )  # with the first test: every feature
    run = logreg.Run(data, config)
    run.advance(40)
    out = run_script(export_script(data, config, run.step), tmp_path)
    m = run.latest()
    assert final(out, "train") == (
        pytest.approx(m["train_loss"], abs=2e-6),
        pytest.approx(m["train_acc"], abs=1e-4),
    )


def test_script_is_plain_python_without_eval_or_app_imports():
    data = make_dataset(DataSpec("spiral", n_points=50))
    source = export_script(data, logreg.LogRegConfig(hidden=3), 10)
    tree = ast.parse(source)
    imported = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"math", "numpy", "torch"}
    calls = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    assert not calls & {"eval", "exec", "compile", "__import__"}
    assert "STEPS = 10" in source and "def make_spiral" in source and "nn.Tanh()" in source


@pytest.mark.slow
@pytest.mark.parametrize(("activation", "optimizer"), [("sigmoid", "adam"), ("linear", "sgd")])
def test_a_deep_run_with_hand_set_weights_is_repeated_step_for_step(
    tmp_path, activation, optimizer
):
    """Four hidden layers, weights and a bias set by hand along the way: the script makes the
    same edits at the same steps and ends on the same model."""
    spec = DataSpec("xor", n_points=160, noise=0.1, test_fraction=0.25, seed=3)
    config = logreg.LogRegConfig(
        features=("x1*x2",), hidden=(5, 4, 3, 2), activation=activation, optimizer=optimizer,
        lr=0.05, seed=7,
    )  # fmt: skip
    run = logreg.Run(make_dataset(spec), config)
    run.set_parameter(logreg.ParamRef(0, 4, 2), 1.75)  # before any step
    run.advance(30)
    run.set_parameter(logreg.ParamRef(2, 1, 3), -2.5)
    run.set_parameter(logreg.ParamRef(3, 0), 0.5)  # a bias, at the same step
    run.advance(25)
    run.set_parameter(logreg.ParamRef(4, 0, 1), 3.0)  # at the last step: after the loop
    source = export_script(run.data, config, run.step, run.edits)
    assert "nn.Linear(3, 2)," in source and source.count("nn.Linear(") == 5
    out = run_script(source, tmp_path)
    m = run.latest()
    for split in ("train", "test"):
        assert final(out, split) == (
            pytest.approx(m[f"{split}_loss"], abs=2e-6),
            pytest.approx(m[f"{split}_acc"], abs=1e-4),
        )
    weights = re.search(r"output layer weights (\[\[.*?\]\]) bias (\[.*?\])", out)
    assert ast.literal_eval(weights.group(1))[0] == pytest.approx(
        run.model.output.weight[0].tolist(), abs=1e-6
    )
    assert ast.literal_eval(weights.group(1))[0][1] == 3.0  # the last edit, made after the loop
    assert ast.literal_eval(weights.group(2)) == pytest.approx(
        run.model.output.bias.tolist(), abs=1e-6
    )


def test_a_script_without_hand_set_weights_has_no_edit_table():
    data = make_dataset(DataSpec("moons", n_points=40))
    source = export_script(data, logreg.LogRegConfig(hidden=(3, 3)), 4)
    assert "HAND_SET" not in source and "set_by_hand" not in source
    assert "2 hidden layers of 3, 3 tanh units" in source


@pytest.mark.slow
def test_a_run_whose_settings_changed_mid_run_is_repeated_step_for_step(tmp_path):
    """Learning rate, optimizer and L2 changed twice along the way (and a weight set by hand
    between): the script switches at the same steps and ends on the same model."""
    spec = DataSpec("moons", n_points=120, noise=0.15, test_fraction=0.2, seed=5)
    first = logreg.LogRegConfig(hidden=(4,), lr=0.3, seed=2)
    run = logreg.Run(make_dataset(spec), first)
    run.advance(20)
    run.retune(replace(first, lr=0.05, optimizer="adam", l2=0.01))
    run.advance(15)
    run.set_parameter(logreg.ParamRef(0, 1, 0), -1.5)
    run.retune(replace(first, lr=1.0, optimizer="momentum"))
    run.advance(10)
    source = export_script(run.data, run.config, run.step, run.edits, run.segments)
    assert "CHANGES = {" in source and "35: lambda:" in source
    out = run_script(source, tmp_path)
    m = run.latest()
    for split in ("train", "test"):
        assert final(out, split) == (
            pytest.approx(m[f"{split}_loss"], abs=2e-6),
            pytest.approx(m[f"{split}_acc"], abs=1e-4),
        )
