"""Every layer of a digit model, in the order the input meets them, for one drawing.

Forward hooks on the model's layers (convolutions, pooling, dense layers and module
activations) record what each one outputs while the model reads the drawing once. A linear
model (one 784 -> 10 layer) has no hidden layers, so what it shows instead is each class's
w * x map: the ten images whose sums, with the biases, are the ten scores.

The same hooks read a batch (`traced_outputs`): `core.digits.units` runs them over test
images to find what each unit responds to. The MNIST lab's models and the Draw page's
shipped ones are the same classes (`core.mnist.models`), so both pages use this module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.digits.pipeline import ModelMismatch, class_contributions, linear_weights

# The layers worth a picture: what the chapter's models are made of.
SHOWN = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Linear, nn.ReLU, nn.Tanh, nn.Sigmoid)
WEIGHTED = (nn.Conv2d, nn.Linear)
LINEAR_MAPS, LINEAR_SCORES = "w * x per class", "scores (logits)"


@dataclass(frozen=True)
class Layer:
    """One layer's output for the drawing: `values` is (C, H, W) maps or (units,)."""

    name: str  # e.g. "conv1 (Conv2d)", "net.1 (ReLU)", "pool (MaxPool2d), 2nd call"
    values: np.ndarray

    @property
    def is_maps(self) -> bool:
        return self.values.ndim == 3

    def unit_value(self, unit: int) -> float:
        """What `core.digits.units` ranks images by: a dense unit's value, or how much a map
        fires (`map_firing`)."""
        v = self.values[unit]
        return float(np.maximum(v, 0).mean()) if self.is_maps else float(v)


def map_firing(maps: torch.Tensor) -> torch.Tensor:
    """How much each map fires: the mean of its positive part, (N, C, H, W) -> (N, C).

    The positive part is what the ReLU after a convolution passes on (a pooled map after a
    ReLU is all positive already); a plain mean would mostly measure the blank background.
    """
    return maps.clamp(min=0).flatten(2).mean(2)


@dataclass(frozen=True)
class Call:
    """One call of a shown layer during a forward pass."""

    label: str  # the `Layer.name` it gets
    module: nn.Module
    source: str | None  # the weighted layer (conv or dense) whose units these are, if any


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def traced_outputs(
    model: nn.Module, x: torch.Tensor, keep: Callable[[Call, torch.Tensor], None]
) -> torch.Tensor:
    """Run `model` on the batch `x` (N, 1, 28, 28), handing each shown layer's output to `keep`.

    Calls come in call order, labelled as `layer_activations` names them; a layer called
    twice (one pooling module after each convolution) is handed over twice. A call's
    `source` is the last convolution or dense layer called up to it: pooling and
    activations keep their input's channels, so their unit c is that layer's unit c.
    Returns the model's output. Raises `ModelMismatch` for a model that cannot read `x`.

    The hooks hear only this thread's pass: a shipped model is shared by every session of
    the process, and while they are on it another student's forward pass (on another
    server thread) runs through them too.
    """
    calls: dict[str, int] = {}
    source: list[str | None] = [None]
    mine = threading.get_ident()

    def record(name: str):
        def hook(module, args, output):
            if threading.get_ident() != mine:
                return
            if not isinstance(output, torch.Tensor) or output.shape[0] != x.shape[0]:
                return
            calls[name] = calls.get(name, 0) + 1
            label = f"{name} ({type(module).__name__})"
            if calls[name] > 1:
                label += f", {_ordinal(calls[name])} call"
            if isinstance(module, WEIGHTED):
                source[0] = name
            keep(Call(label, module, source[0]), output.detach())

        return hook

    hooks = [
        m.register_forward_hook(record(name))
        for name, m in model.named_modules()
        if isinstance(m, SHOWN)
    ]
    try:
        with torch.inference_mode():
            return model(x)
    except (RuntimeError, ValueError, TypeError, IndexError) as err:
        raise ModelMismatch(
            f"cannot run this model on a 28x28 digit image ({str(err)[:200]})"
        ) from None
    finally:
        for h in hooks:
            h.remove()


def layer_activations(model: nn.Module, x: torch.Tensor) -> list[Layer]:
    """Each shown layer's output for one input `x` (1, 1, 28, 28), in call order.

    A layer called twice (one pooling module after each convolution) appears twice. For a
    single linear layer: the ten w * x maps (10, 28, 28), then the ten scores.
    """
    if x.shape[0] != 1:
        raise ValueError(f"one drawing at a time, got a batch of {x.shape[0]}")
    maps = class_contributions(model, x)  # (10, 28, 28) for a single linear layer
    if maps is not None:
        scores = maps.sum((1, 2)) + linear_weights(model)[1]
        return [
            Layer(LINEAR_MAPS, maps.numpy().astype(np.float32)),
            Layer(LINEAR_SCORES, scores.numpy().astype(np.float32)),
        ]
    found: list[Layer] = []

    def keep(call: Call, output: torch.Tensor) -> None:
        found.append(Layer(call.label, output[0].float().numpy().copy()))

    traced_outputs(model, x, keep)
    return found
