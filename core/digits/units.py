"""What one unit of a digit model responds to: its weights, and the images that excite it most.

A *unit* is one class score of the linear model, one hidden unit of an MLP or one feature
map of a CNN, named by the layer `core.digits.activations.layer_activations` shows it in
(`Group`) and its position there. Two views of it, as CNN Explainer and Olah et al.'s
feature-visualisation essays show them:

- `unit_weights`: what it computes from its input, as a picture. The linear model's class
  and an MLP's first hidden unit weigh the 784 pixels (a 28x28 map); a deeper dense unit
  weighs the previous layer's units (a strip); a CNN feature map is one convolution's
  output channel, so its weights are that channel's filters, one per input channel. A
  pooling or activation layer has no weights: its unit c is the preceding layer's unit c.
- `strongest_images`: which images give it its largest value (for a map, how much it
  fires: `core.digits.activations.map_firing`), found in one batched pass over the
  images for every unit of every layer at once, keeping only the top k of each.

`strongest_images` with the shipped CNN over all 10,000 test images took 4.2 s on one core
of a busy 2-core machine (0.7 s for 2,000; the MLP 0.12 s, the linear model 0.01 s for all
10,000), so the pages read a fixed, seeded subset of `PROBE_IMAGES` test images
(`probe_indices`), once per model.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.digits.activations import LINEAR_SCORES, WEIGHTED, Call, map_firing, traced_outputs
from core.digits.pipeline import SIDE, ModelMismatch, linear_weights

PROBE_IMAGES = 2000  # test images read to find each unit's strongest (see the module notes)
STRONGEST = 8  # images shown per unit
BATCH = 500  # images per forward pass: a CNN's first maps for 500 images are ~50 MB


@dataclass(frozen=True)
class Group:
    """A layer whose units can be explored, named as `layer_activations` names it."""

    name: str
    units: int
    word: str  # what one unit is called: "class", "unit" or "feature map"
    maps: bool  # whether its units are (H, W) maps (ranked by how much they fire)


@dataclass(frozen=True)
class Weights:
    """One unit's incoming weights, shaped to be read as a picture.

    kind: "pixels" (28, 28), one weight per input pixel; "filters" (C_in, k, k), a
    convolution channel's kernel for each input channel; "maps" (C, H, W), a dense unit's
    weights on the feature maps it reads; "vector" (n,), a dense unit's weights on the
    previous layer's units.
    """

    values: np.ndarray
    bias: float
    kind: str
    source: str  # the layer the weights belong to, e.g. "conv2"


@dataclass(frozen=True)
class Strongest:
    """For every unit of one layer, its strongest images: position in the images read, best first.

    Ties (say, a silent ReLU unit at 0 on many images) go to the earlier image.
    """

    indices: np.ndarray  # (units, k) int64
    values: np.ndarray  # (units, k) float32: the unit's value, or how much its map fires


def probe_indices(total: int, n: int = PROBE_IMAGES, seed: int = 0) -> torch.Tensor:
    """A fixed random subset of `n` of `total` images (seeded), in increasing order (n,)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randperm(total, generator=g)[: min(n, total)].sort().values


def _trace(model: nn.Module) -> tuple[list[tuple[Call, tuple[int, ...]]], torch.Tensor]:
    """Each shown layer's call with its output shape (one image, no batch axis), on a blank."""
    calls: list[tuple[Call, tuple[int, ...]]] = []
    output = traced_outputs(
        model,
        torch.zeros(1, 1, SIDE, SIDE),
        lambda call, out: calls.append((call, tuple(out.shape[1:]))),
    )
    return calls, output


# model -> its groups: they depend on its layers' shapes only, and finding them runs the
# model once (a drawing's every stroke asked twice, with "Inside the model" open)
_GROUPS: weakref.WeakKeyDictionary[nn.Module, tuple[Group, ...]] = weakref.WeakKeyDictionary()


def unit_groups(model: nn.Module) -> list[Group]:
    """The layers whose units can be explored, in call order.

    For the linear model: its ten class scores. For other models: every layer that
    `layer_activations` shows, the output layer's units called classes. Found once per model.
    """
    groups = _GROUPS.get(model)
    if groups is None:
        groups = _GROUPS[model] = tuple(_find_groups(model))
    return list(groups)


def _find_groups(model: nn.Module) -> list[Group]:
    if linear_weights(model) is not None:
        return [Group(LINEAR_SCORES, 10, "class", False)]
    calls, output = _trace(model)
    groups = []
    for i, (call, shape) in enumerate(calls):
        last = i == len(calls) - 1 and shape == tuple(output.shape[1:])
        word = "feature map" if len(shape) == 3 else "class" if last else "unit"
        groups.append(Group(call.label, shape[0], word, len(shape) == 3))
    return groups


def unit_weights(model: nn.Module, group: str, unit: int) -> Weights | None:
    """The weights of unit `unit` of layer `group`; None for a layer that has none before it.

    Raises `ValueError` for a layer or unit the model does not have.
    """
    wb = linear_weights(model)
    if wb is not None:
        if group != LINEAR_SCORES or not 0 <= unit < 10:
            raise ValueError(f"the linear model has classes 0 to 9 in {LINEAR_SCORES!r}")
        w, b = wb
        return Weights(
            w[unit].reshape(SIDE, SIDE).float().numpy(), float(b[unit]), "pixels", "linear"
        )
    calls, _ = _trace(model)
    at = next((i for i, (call, _) in enumerate(calls) if call.label == group), None)
    if at is None:
        raise ValueError(f"this model has no layer {group!r}")
    call, shape = calls[at]
    if not 0 <= unit < shape[0]:
        raise ValueError(f"{group} has units 0 to {shape[0] - 1}, not {unit}")
    if call.source is None:
        return None
    layer = model.get_submodule(call.source)
    if not isinstance(layer, WEIGHTED) or layer.weight.shape[0] != shape[0]:
        raise ModelMismatch(f"{group}'s units are not those of {call.source}")
    w = layer.weight.detach()[unit].float()  # conv: (C_in, k, k); dense: (inputs,)
    bias = float(layer.bias.detach()[unit]) if layer.bias is not None else 0.0
    if isinstance(layer, nn.Conv2d):
        return Weights(w.numpy(), bias, "filters", call.source)
    values, kind = _dense_picture(w, calls, call.source)
    return Weights(values, bias, kind, call.source)


def _dense_picture(w: torch.Tensor, calls, source: str) -> tuple[np.ndarray, str]:
    """A dense unit's weights (inputs,) as the picture of what it reads, and that kind."""
    first = next(i for i, (call, _) in enumerate(calls) if call.label.startswith(f"{source} ("))
    if first == 0 and len(w) == SIDE * SIDE:  # it reads the pixels
        return w.reshape(SIDE, SIDE).numpy(), "pixels"
    before = calls[first - 1][1] if first > 0 else ()
    if len(before) == 3 and int(np.prod(before)) == len(w):  # it reads flattened feature maps
        return w.reshape(before).numpy(), "maps"
    return w.numpy(), "vector"


def _unit_values(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every explorable layer's unit values for the batch `x`: {layer name: (N, units)}."""
    if linear_weights(model) is not None:
        with torch.inference_mode():
            return {LINEAR_SCORES: model(x).float()}
    found: dict[str, torch.Tensor] = {}

    def keep(call: Call, out: torch.Tensor) -> None:
        # (N, C, H, W) maps -> how much each fires (N, C); dense (N, units) as they are
        found[call.label] = (map_firing(out) if out.ndim == 4 else out).float()

    traced_outputs(model, x, keep)
    return found


def strongest_images(
    model: nn.Module, x: torch.Tensor, k: int = STRONGEST, batch: int = BATCH
) -> dict[str, Strongest]:
    """The `k` images of `x` (N, 1, 28, 28) that each unit of each layer responds to most.

    {layer name: Strongest}, the layers of `unit_groups`. One pass over `x` in batches:
    each batch's values are merged into the running top k (a stable sort, so ties keep
    the earlier image), never holding more than one batch's activations.
    """
    k = min(k, len(x))
    best: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    for start in range(0, len(x), batch):
        for name, values in _unit_values(model, x[start : start + batch]).items():
            positions = torch.arange(start, start + len(values))[:, None].expand_as(values)
            if name in best:  # the running best first: among equal values it wins
                values = torch.cat([best[name][0], values])
                positions = torch.cat([best[name][1], positions])
            order = values.sort(dim=0, descending=True, stable=True).indices[:k]  # (k, units)
            best[name] = (values.gather(0, order), positions.gather(0, order))
    return {
        name: Strongest(positions.T.numpy().astype(np.int64), values.T.numpy())
        for name, (values, positions) in best.items()
    }
