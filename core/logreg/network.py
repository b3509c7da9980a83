"""Inside the playground's network: every unit over the plane, and its weights by hand.

`network_maps` evaluates the network once on a small grid over the data's plane and keeps
what every unit outputs there: each input feature, each hidden unit after its activation,
each output probability. The network diagram draws each of those as a little heat map
(TensorFlow Playground's picture of a network).

A `ParamRef` names one weight or bias; `set_parameter` changes it in place, and
`parse_weight` turns a student's typed text into a value or refuses it with a code (the
page says why in words). Typed text is only ever matched against a number's pattern and
converted with `float`, never evaluated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import torch

from core.logreg.model import PlaygroundNet
from core.runtime import one_thread

MAP_SIZE = 24  # grid points a side of each unit's map: 24 x 24 pixels, a few hundred bytes


@dataclass(frozen=True)
class Grid:
    """A size x size grid over the plane: `xs` (G,) along x1, `ys` (G,) along x2 and `points`
    (G*G, 2), row by row: point i * G + j is (xs[j], ys[i])."""

    xs: np.ndarray
    ys: np.ndarray
    points: torch.Tensor

    @property
    def size(self) -> int:
        return len(self.xs)


def plane_grid(bounds, size: int = MAP_SIZE) -> Grid:
    """The grid over `bounds` ((x_lo, x_hi), (y_lo, y_hi)) the unit maps are drawn on."""
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    xs = torch.linspace(x_lo, x_hi, size)
    ys = torch.linspace(y_lo, y_hi, size)
    g2, g1 = torch.meshgrid(ys, xs, indexing="ij")  # (G, G) each: rows along x2
    points = torch.stack([g1.reshape(-1), g2.reshape(-1)], dim=1)  # (G*G, 2)
    return Grid(xs.numpy(), ys.numpy(), points)


@dataclass(frozen=True)
class NetworkMaps:
    """Every unit of the network on a grid, each as a (G, G) map (row i is x2 = ys[i]).

    `features` (F, G, G): the inputs phi(x). `hidden`: one (n_l, G, G) array per hidden
    layer, after its activation. `output` (n_out, G, G): p(class 1) for two classes (one
    map), p(class k) for K.
    """

    features: np.ndarray
    hidden: list[np.ndarray]
    output: np.ndarray


def network_maps(model: PlaygroundNet, grid: Grid) -> NetworkMaps:
    """The whole network on `grid` in one forward pass that keeps each layer's output."""
    with one_thread(), torch.inference_mode():
        g = grid.size
        h = model.featurize(grid.points)  # (G*G, F)
        features = h
        hidden = []
        modules = list(model.net)
        for linear, activation in zip(modules[:-1:2], modules[1::2], strict=True):
            h = activation(linear(h))  # (G*G, n_l)
            hidden.append(h)
        logits = modules[-1](h)  # (G*G, n_out)
        probs = torch.sigmoid(logits) if model.binary else torch.softmax(logits, dim=1)

        def as_maps(t: torch.Tensor) -> np.ndarray:
            return t.T.reshape(-1, g, g).numpy().copy()  # (n, G, G)

        return NetworkMaps(as_maps(features), [as_maps(t) for t in hidden], as_maps(probs))


def unit_maps(model: PlaygroundNet, grid: Grid) -> list[np.ndarray]:
    """Each hidden layer's units over the grid: a list of (n_units, G, G), input side first."""
    return network_maps(model, grid).hidden


@dataclass(frozen=True, order=True)
class ParamRef:
    """One parameter of the network: in `model.linears[layer]` (0 = the first layer after
    the inputs, the last = the output layer), the weight from input unit `source` to unit
    `unit`, or that unit's bias when `source` is None."""

    layer: int
    unit: int
    source: int | None = None

    @property
    def is_bias(self) -> bool:
        return self.source is None


def weight_refs(model: PlaygroundNet) -> list[ParamRef]:
    """Every weight (every link of the diagram), layer by layer, unit by unit."""
    return [
        ParamRef(i, unit, source)
        for i, layer in enumerate(model.linears)
        for unit in range(layer.out_features)
        for source in range(layer.in_features)
    ]


def bias_refs(model: PlaygroundNet) -> list[ParamRef]:
    """Every bias (one a unit, hidden and output), layer by layer."""
    return [
        ParamRef(i, unit)
        for i, layer in enumerate(model.linears)
        for unit in range(layer.out_features)
    ]


def _slot(model: PlaygroundNet, ref: ParamRef) -> tuple[torch.Tensor, tuple[int, ...]]:
    """The tensor that holds `ref` and its index there; IndexError if the net has no such."""
    layers = model.linears
    if not 0 <= ref.layer < len(layers):
        raise IndexError(f"the network has no layer {ref.layer}")
    layer = layers[ref.layer]
    if not 0 <= ref.unit < layer.out_features:
        raise IndexError(f"layer {ref.layer} has no unit {ref.unit}")
    if ref.is_bias:
        return layer.bias, (ref.unit,)
    if not 0 <= ref.source < layer.in_features:
        raise IndexError(f"layer {ref.layer} has no input {ref.source}")
    return layer.weight, (ref.unit, ref.source)


def parameter_value(model: PlaygroundNet, ref: ParamRef) -> float:
    tensor, index = _slot(model, ref)
    return float(tensor.detach()[index])


def set_parameter(model: PlaygroundNet, ref: ParamRef, value: float) -> None:
    """Set one weight or bias in place (the optimizer keeps training the same tensor)."""
    tensor, index = _slot(model, ref)
    with torch.no_grad():
        tensor[index] = float(value)


MAX_WEIGHT = 100.0  # |value| a hand-set weight may have: tanh and the sigmoid saturate long before


MAX_WEIGHT_CHARS = 40


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class WeightRefused(ValueError):
    """Typed text that is not an acceptable weight. `reason`: "empty", "not_a_number" (text,
    or a number written in a way we do not read, like 1,5), "not_finite" (NaN, infinity) or
    "out_of_range" (|value| above MAX_WEIGHT, 1e300 included)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parse_weight(text: str) -> float:
    """A typed weight -> float in [-MAX_WEIGHT, MAX_WEIGHT], or `WeightRefused`.

    Plain decimal or scientific notation only (Python's `float` would also take "nan",
    "inf" and "1_0"); a typographic minus sign counts as one.
    """
    raw = str(text).strip().replace("\u2212", "-")
    if not raw:
        raise WeightRefused("empty")
    if raw.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise WeightRefused("not_finite")
    if len(raw) > MAX_WEIGHT_CHARS or not _NUMBER.fullmatch(raw):
        raise WeightRefused("not_a_number")
    value = float(raw)  # the pattern holds: a finite literal or one too large (inf)
    if not math.isfinite(value) or abs(value) > MAX_WEIGHT:
        raise WeightRefused("out_of_range")
    return value + 0.0  # -0.0 is 0
