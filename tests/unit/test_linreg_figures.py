"""Figures of the linear regression lab: what each shows, and that they stay small and finite."""

from __future__ import annotations

import json

import numpy as np
import torch

from core import linreg, theme
from core.linreg import figures as linreg_figures
from core.linreg.data import Dataset, SyntheticConfig, synthetic
from core.runtime import configure_torch
from tests.support.runs import lab_run as support_lab_run

# Thread count from EXPLORER_TORCH_THREADS (1 in tests, see conftest): on a shared 2-core
# machine a second intra-op thread makes 50k-row reductions many times slower, not faster.
configure_torch()


def lab_run(data=None, degree=1, standardise=True, steps=40, **kw) -> linreg.LabRun:
    data = data or synthetic(SyntheticConfig())
    return support_lab_run(data, degree, standardise, steps, **dict(dict(lr=0.1, epochs=100), **kw))


def names(fig) -> list[str]:
    return [t.name for t in fig.data]


def test_the_four_figures_show_data_fits_paths_and_residuals():
    run = lab_run()
    figs = linreg_figures.lab_figures(run)
    assert set(figs) == {"fit", "loss", "residuals", "landscape"}
    fit = figs["fit"]
    assert {"training data", "least squares (lstsq)", "By hand", "PyTorch"} <= set(names(fit))
    pytorch = next(t for t in fit.data if t.name == "PyTorch")
    w, b = run.torch.last.weights[0], run.torch.last.bias
    # the drawn line is the model's prediction over the data's x range
    x = torch.as_tensor(np.asarray(pytorch.x))
    np.testing.assert_allclose(
        pytorch.y, linreg.predict(run.problem, (w,), b, x), rtol=1e-6
    )  # sent as float32
    land = figs["landscape"]
    assert land.data[0].type == "contour" and land.layout.yaxis.scaleanchor == "x"
    path = next(t for t in land.data if t.name == "PyTorch")
    assert len(path.x) == 41 and path.x[-1] == w and path.y[-1] == b
    loss = figs["loss"]
    assert {"By hand, train", "PyTorch, train"} <= set(names(loss))
    assert loss.layout.yaxis2.type == "log"  # distance to least squares, bottom panel
    assert len(figs["residuals"].data[0].y) == 100


def test_test_set_and_slice_are_labelled():
    run = lab_run(synthetic(SyntheticConfig(preset="curve")), degree=3)
    figs = linreg_figures.lab_figures(run, log_y=True)
    assert "test data" in names(figs["fit"]) and "PyTorch, test" in names(figs["loss"])
    assert figs["loss"].layout.yaxis.type == "log"
    assert "slice" in figs["landscape"].layout.title.text
    assert "test" in figs["residuals"].layout.title.text


def test_a_diverged_run_still_draws_and_serialises_to_finite_json():
    run = lab_run(standardise=False, lr=5.0, steps=100)
    assert run.hand.diverged
    for fig in linreg_figures.lab_figures(run).values():
        text = theme.style(fig).to_json()
        assert "Infinity" not in text
        json.loads(text)
    fit = linreg_figures.lab_figures(run)["fit"]
    lo, hi = fit.layout.yaxis.range  # the y range follows the data, not the exploded line
    y = run.problem.data.y_train.numpy()
    assert lo < y.min() and hi > y.max() and hi - lo < 2 * (y.max() - y.min())


def test_big_data_and_long_runs_are_thinned():
    x = torch.linspace(0, 10, 5_000, dtype=torch.float64)
    big = Dataset(x, 3 * x + 1, x[:0], x[:0], key="big")
    run = lab_run(big, steps=1600, batch_size=2, epochs=1)  # more steps than MAX_CURVE_POINTS
    figs = linreg_figures.lab_figures(run)
    scatter = figs["fit"].data[0]
    assert (
        len(scatter.x) == linreg_figures.MAX_SCATTER_POINTS
        and "2,000 of 5,000 shown" in scatter.name
    )
    for trace in figs["loss"].data:
        assert len(trace.x) <= linreg_figures.MAX_CURVE_POINTS and trace.x[-1] == run.step
    assert len(theme.style(figs["loss"]).to_json()) < 150_000


def test_helpers():
    assert list(linreg_figures.thin(5, 10)) == [0, 1, 2, 3, 4]
    kept = linreg_figures.thin(10_001, 100)
    assert len(kept) <= 100 and kept[0] == 0 and kept[-1] == 10_000
    assert np.isnan(linreg_figures.finite([1.0, np.inf, -np.inf])[1:]).all()
    assert list(linreg_figures.sample(3)) == [0, 1, 2]
