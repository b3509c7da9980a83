"""A logistic-lab run as frames the browser plays: the model's decision surface at each.

`Snapshots` keeps the model's parameters at some of the steps a run takes: every step at
first, and when there are more than `MAX_FRAMES`, every second one of those, then every
fourth... (the stride doubles), so a run of any length holds at most `MAX_FRAMES` small
copies (a few hundred floats each) and always its first step. `build_replay` turns them,
plus the model as it stands now, into one byte per grid cell per frame: the class the
model predicts there and how sure it is (`encode_surface`), which the browser colours.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from core.logreg.data import Dataset
from core.logreg.model import PlaygroundNet, feature_names
from core.logreg.surface import probability_surface

MAX_FRAMES = 200  # ~7 s at 30 frames a second
GRID = 40  # cells per side of a frame: 1,600 bytes a frame, 320 kB for 200 frames
LEVELS = 24  # confidence levels per class in a byte: class k, level c -> k * 25 + c
STRENGTH = 0.55  # a certain region is this far from white towards its class colour (as the JS)


class Snapshots:
    """The parameters at (a thinning subset of) the steps a run has taken."""

    def __init__(self, limit: int = MAX_FRAMES):
        self.limit, self.stride = limit, 1
        self.steps: list[int] = []
        self.params: list[torch.Tensor] = []

    def offer(self, step: int, model: torch.nn.Module) -> None:
        """Keep the model as it is after `step` updates if `step` is on the stride."""
        if self.steps and self.steps[-1] == step:  # the same step again (a weight set by hand)
            self.params[-1] = _vector(model)
            return
        if step % self.stride:
            return
        self.steps.append(step)
        self.params.append(_vector(model))
        if len(self.steps) > self.limit:
            self.stride *= 2
            keep = [i for i, s in enumerate(self.steps) if s % self.stride == 0]
            self.steps = [self.steps[i] for i in keep]
            self.params = [self.params[i] for i in keep]


def _vector(model: torch.nn.Module) -> torch.Tensor:
    return parameters_to_vector(model.parameters()).detach().clone()


def encode_surface(probs: np.ndarray, binary: bool) -> np.ndarray:
    """A probability grid -> bytes k * 25 + round(24 * confidence) per cell: (G, G) uint8.

    Two classes: `probs` (G, G) of p(class 1); k = [p >= 0.5], confidence |2p - 1|.
    K classes: `probs` (K, G, G); k = argmax, confidence (p_k - 1/K) / (1 - 1/K).
    """
    if binary:
        k = (probs >= 0.5).astype(np.int64)
        confidence = np.abs(2 * probs - 1)
    else:
        n = probs.shape[0]
        k = probs.argmax(axis=0)
        confidence = (probs.max(axis=0) - 1 / n) / (1 - 1 / n)
    level = np.rint(LEVELS * np.clip(np.nan_to_num(confidence), 0, 1)).astype(np.int64)
    return (k * (LEVELS + 1) + level).astype(np.uint8)


@dataclass(frozen=True)
class Replay:
    steps: np.ndarray  # (F,)
    maps: np.ndarray  # (F, G, G) uint8, row 0 at the lowest x2
    bounds: tuple[tuple[float, float], tuple[float, float]]
    params: np.ndarray  # (F, P) float32: every parameter at each frame, in `network_spec` order

    def maps_base64(self) -> str:
        return base64.b64encode(self.maps.tobytes()).decode("ascii")

    def params_base64(self) -> str:
        return base64.b64encode(self.params.astype("<f4").tobytes()).decode("ascii")


def network_spec(model: PlaygroundNet) -> dict:
    """The network's shape for the browser, which runs it on each frame's parameters to draw
    every unit's map: the features, the widths (features first, outputs last), the
    activation. Parameters come layer by layer, each weight (out, in) row by row, then its
    bias: the order of `model.parameters()`."""
    widths = [model.linears[0].in_features] + [m.out_features for m in model.linears]
    return {
        "features": list(feature_names(model.features)),
        "widths": widths,
        "activation": model.activation,
        "binary": model.binary,
    }


def build_replay(
    snapshots: Snapshots, model: PlaygroundNet, step: int, data: Dataset, grid: int = GRID
) -> Replay:
    """Every kept snapshot, and the model now (at `step`) as the last frame."""
    steps, params = list(snapshots.steps), list(snapshots.params)
    if not steps or steps[-1] != step:
        steps.append(step)
        params.append(_vector(model))
    bounds = data.bounds()
    shadow = copy.deepcopy(model)  # the student's model is left as it is
    maps = np.empty((len(steps), grid, grid), dtype=np.uint8)
    with torch.no_grad():
        for f, vector in enumerate(params):
            vector_to_parameters(vector, shadow.parameters())
            surface = probability_surface(shadow, bounds, grid)
            maps[f] = encode_surface(surface.probs, shadow.binary)
    return Replay(np.asarray(steps), maps, bounds, torch.stack(params).numpy())


def colour_codes(codes: np.ndarray, colors: list[str]) -> np.ndarray:
    """Surface bytes (see `encode_surface`) -> RGB (..., 3) uint8, as the browser colours them:
    class k's colour mixed with white, `STRENGTH` of the way when the model is certain."""
    base = np.array([[int(c.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)] for c in colors])
    k = np.minimum(codes // (LEVELS + 1), len(colors) - 1)
    strength = STRENGTH * np.minimum((codes % (LEVELS + 1)) / LEVELS, 1.0)
    rgb = 255 + (base[k] - 255) * strength[..., None]
    return np.rint(rgb).astype(np.uint8)
