"""A recorded run as frames the browser can play and scrub without asking the server.

`LabRun` records every step of both trainers. A replay picks at most `MAX_FRAMES` of those
steps (evenly spread, the first and the last always in) and computes, once, what each frame
shows: every trainer's fitted curve on a grid of x, its parameters (its place on the loss
landscape) and its training loss. The page sends all of it in one figure
(`core.linreg.figures.replay_figure`); playing and scrubbing then happen in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.linreg.run import LabRun, Trace

MAX_FRAMES = 200  # ~6 s at 30 frames a second; each frame is two curves of GRID_POINTS
GRID_POINTS = 100


def frame_steps(last_step: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """Steps 0..last_step thinned to at most `max_frames`, evenly, both ends kept: (F,)."""
    if last_step < 0:
        raise ValueError("a run has at least its starting point (step 0)")
    n = min(last_step + 1, max(2, max_frames))
    return np.unique(np.round(np.linspace(0, last_step, n)).astype(np.int64))


@dataclass(frozen=True)
class TraceReplay:
    """One trainer at each frame's step (its last step, once it stopped earlier)."""

    name: str
    params: np.ndarray  # (F, d + 1): w1..wd, b
    fit: np.ndarray  # (F, G): the fitted curve on the replay's grid
    train_loss: np.ndarray  # (F,)


@dataclass(frozen=True)
class Replay:
    steps: np.ndarray  # (F,) the step each frame shows
    grid: np.ndarray  # (G,) x values of the fitted curves, across train and test data
    traces: tuple[TraceReplay, ...]  # by hand, then PyTorch


def _trace_replay(run: LabRun, trace: Trace, steps: np.ndarray, grid: torch.Tensor):
    at = np.minimum(steps, trace.steps)  # a trainer that diverged stays where it stopped
    params = trace.param_matrix()[at]  # (F, d + 1)
    features = run.problem.features(grid).double()  # (G, d)
    weights = torch.as_tensor(params[:, :-1].T.copy())  # (d, F)
    fit = (features @ weights).numpy().T + params[:, -1:]  # (F, G)
    return TraceReplay(trace.name, params, fit, trace.series("train_loss")[at])


def build_replay(run: LabRun, max_frames: int = MAX_FRAMES) -> Replay:
    """The run as it stands, as at most `max_frames` frames."""
    steps = frame_steps(run.step, max_frames)
    data = run.problem.data
    x_all = torch.cat([data.x_train, data.x_test])
    lo, hi = float(x_all.min()), float(x_all.max())
    grid = torch.linspace(lo, hi, GRID_POINTS, dtype=torch.float64)
    traces = tuple(_trace_replay(run, t, steps, grid) for t in (run.hand, run.torch))
    return Replay(steps, grid.numpy(), traces)
