"""`LabRun`: both trainers driven together, recorded for playback and the page's numbers."""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from core.linreg.divergence import Divergence, diagnose
from core.linreg.landscape import Landscape, landscape_around
from core.linreg.problem import Problem, closed_form, predict, r_squared
from core.linreg.train import (
    MAX_STEPS,
    HandConfig,
    StepState,
    TorchConfig,
    train_by_hand,
    train_pytorch,
)


class Trace:
    """One trainer's generator and everything it has yielded, stored compactly."""

    def __init__(self, name: str, states: Iterator[StepState], d: int):
        self.name, self.d, self._states = name, d, states
        self.segment_start = 0  # the step this trainer's current generator started at
        self.params = array("d")  # (T * (d + 1),): w1..wd, b per step
        self.train_loss, self.test_loss, self.batch_loss = array("d"), array("d"), array("d")
        self.last: StepState | None = None
        self.completed = False
        self.pull()

    def pull(self) -> bool:
        """Take one step; False when the trainer has stopped (finished or diverged)."""
        if self.stopped:
            return False
        try:
            s = next(self._states)
        except StopIteration:
            self.completed = True
            return False
        self.params.extend((*s.weights, s.bias))
        self.train_loss.append(s.train_loss)
        self.test_loss.append(s.test_loss)
        self.batch_loss.append(s.batch_loss)
        self.last = s
        return True

    def continue_with(self, states: Iterator[StepState]) -> None:
        """Go on with a new generator that starts at this trace's last parameters.

        Its first state is the start (step 0), which this trace already holds: skipped.
        """
        self._states, self.completed, self.segment_start = states, False, self.steps
        next(self._states)
        if self.last is not None:  # a run that had blown up (finite) may recover now
            self.last = replace(self.last, diverged=None)

    def start_of_segment(self) -> tuple[float, ...]:
        """(w1..wd, b) where the current generator started."""
        return tuple(self.param_matrix()[self.segment_start].tolist())

    @property
    def stopped(self) -> bool:
        return self.completed or (self.last is not None and self.last.diverged is not None)

    @property
    def diverged(self) -> str | None:
        return self.last.diverged if self.last else None

    @property
    def steps(self) -> int:
        return len(self.train_loss) - 1

    # Readers get copies, never views: an `array` that a live numpy view points into
    # refuses to grow (BufferError), and the page's download buttons read from another thread.

    def param_matrix(self) -> np.ndarray:
        """All parameters so far: (T, d + 1), last column the bias (a copy)."""
        return np.array(self.params, dtype=np.float64).reshape(-1, self.d + 1)

    def series(self, name: str) -> np.ndarray:
        """A copy of one recorded series: "train_loss", "test_loss" or "batch_loss": (T,)."""
        return np.array(getattr(self, name), dtype=np.float64)


class LabRun:
    """What the page keeps per user: one problem, both trainers, advanced in lockstep."""

    def __init__(self, problem: Problem, hand: HandConfig, torch_cfg: TorchConfig):
        self.problem, self.hand_cfg, self.torch_cfg = problem, hand, torch_cfg
        self.hand = Trace("By hand", train_by_hand(problem, _endless(hand)), problem.d)
        self.torch = Trace("PyTorch", train_pytorch(problem, _endless(torch_cfg)), problem.d)
        # (step, learning rate, optimizer) where each stretch of the run began
        self.segments: list[tuple[int, float, str]] = [(0, torch_cfg.lr, torch_cfg.optimizer)]
        self.target_steps = 0
        self.set_epochs(torch_cfg.epochs)
        self.solution = closed_form(problem)
        self._landscape: Landscape | None = None

    def can_continue(self) -> bool:
        """Whether both trainers stand on finite parameters (a blown-up run cannot go on)."""
        return all(
            t.last is not None and np.isfinite((*t.last.weights, t.last.bias)).all()
            for t in (self.hand, self.torch)
        )

    def continue_with(self, hand: HandConfig, torch_cfg: TorchConfig) -> None:
        """New learning rate, optimizer or batch size, from where each trainer stands now.

        The history stays; each trainer goes on from its own current parameters with fresh
        optimizer state (Adam's moving averages, momentum) and mini-batch order, exactly as
        a run started from those parameters would (`TrainConfig.start`).
        """
        if not self.can_continue():
            raise ValueError("a run that blew up cannot continue: start it again")
        for trace, cfg, train in (
            (self.hand, hand, train_by_hand),
            (self.torch, torch_cfg, train_pytorch),
        ):
            start = (*trace.last.weights, trace.last.bias)
            trace.continue_with(train(self.problem, _endless(replace(cfg, start=start))))
        self.hand_cfg, self.torch_cfg = hand, torch_cfg
        self.segments.append((self.step, torch_cfg.lr, torch_cfg.optimizer))
        self.set_epochs(torch_cfg.epochs)

    def set_epochs(self, epochs: int) -> None:
        self.target_steps = min(
            epochs * self.torch_cfg.batches_per_epoch(self.problem.n), MAX_STEPS
        )

    @property
    def step(self) -> int:
        return max(self.hand.steps, self.torch.steps)

    @property
    def stopped(self) -> bool:
        return self.step >= self.target_steps or (self.hand.stopped and self.torch.stopped)

    def advance(self, steps: int, budget_s: float | None = None) -> int:
        """Up to `steps` updates of both trainers (stopping early after `budget_s` seconds)."""
        t0, taken = time.perf_counter(), 0
        while taken < steps and not self.stopped:
            moved = self.hand.steps < self.target_steps and self.hand.pull()
            moved = (self.torch.steps < self.target_steps and self.torch.pull()) or moved
            if not moved:
                break
            taken += 1
            if budget_s is not None and time.perf_counter() - t0 > budget_s:
                break
        return taken

    @property
    def landscape(self) -> Landscape:
        if self._landscape is None:
            first = self.torch.param_matrix()[0]  # (d + 1,): where the run started
            self._landscape = landscape_around(self.problem, (float(first[0]), float(first[-1])))
        return self._landscape

    def distance_to_closed_form(self, trace: Trace) -> np.ndarray:
        """Euclidean distance of (w, b) from the least-squares solution, per step: (T,)."""
        w_star, b_star = self.solution
        return np.linalg.norm(trace.param_matrix() - np.append(w_star, b_star), axis=1)


def _endless(cfg):
    """The generators run "forever"; the run itself stops at `LabRun.target_steps`, so
    raising the epochs later continues the same run instead of restarting it."""
    return replace(cfg, epochs=10**9)


def summary(run: LabRun) -> dict:
    """The numbers the page shows above the charts, for the run as it stands."""
    p, s = run.problem, run.torch.last
    r2_train = r_squared(p.data.y_train.numpy(), predict(p, s.weights, s.bias, p.data.x_train))
    r2_test = r_squared(p.data.y_test.numpy(), predict(p, s.weights, s.bias, p.data.x_test))
    return {
        "step": run.step,
        "epoch": run.step / run.torch_cfg.batches_per_epoch(p.n),
        "hand_loss": run.hand.last.train_loss,
        "torch_loss": s.train_loss,
        "r2_train": r2_train,
        "r2_test": r2_test,
        "r2_train_text": r2_text(r2_train),
        "r2_test_text": r2_text(r2_test) if p.data.has_test else None,
        "distance": float(np.linalg.norm(np.append(s.weights, s.bias) - np.append(*run.solution))),
    }


def divergences(run: LabRun) -> list[tuple[tuple[str, ...], Divergence]]:
    """(names of the trainers, diagnosis) per distinct divergence; one entry when both agree."""
    found: dict[Divergence, list[str]] = {}
    for trace, opt in ((run.hand, "sgd"), (run.torch, run.torch_cfg.optimizer)):
        if trace.diverged:
            found.setdefault(
                diagnose(trace.diverged, trace.steps, run.problem, run.torch_cfg.lr, opt), []
            ).append(trace.name)
    return [(tuple(names), diagnosis) for diagnosis, names in found.items()]


def r2_text(r2: float) -> str:
    """R^2 for a metric: three decimals, or short scientific notation when a fit is far off."""
    if not math.isfinite(r2):
        return "n/a"
    return f"{r2:.3f}" if r2 > -100 else f"{r2:.1e}"
