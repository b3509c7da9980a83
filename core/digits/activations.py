"""Every layer of a digit model, in the order the input meets them, for one drawing.

Forward hooks on the model's layers (convolutions, pooling, dense layers and module
activations) record what each one outputs while the model reads the drawing once. A linear
model (one 784 -> 10 layer) has no hidden layers, so what it shows instead is each class's
w * x map: the ten images whose sums, with the biases, are the ten scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.digits.pipeline import ModelMismatch, class_contributions, linear_weights

# The layers worth a picture: what the chapter's models are made of.
SHOWN = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Linear, nn.ReLU, nn.Tanh, nn.Sigmoid)


@dataclass(frozen=True)
class Layer:
    """One layer's output for the drawing: `values` is (C, H, W) maps or (units,)."""

    name: str  # e.g. "conv1 (Conv2d)", "net.1 (ReLU)", "pool (MaxPool2d), 2nd call"
    values: np.ndarray

    @property
    def is_maps(self) -> bool:
        return self.values.ndim == 3


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


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
            Layer("w * x per class", maps.numpy().astype(np.float32)),
            Layer("scores (logits)", scores.numpy().astype(np.float32)),
        ]
    found: list[Layer] = []
    calls: dict[str, int] = {}

    def record(name: str):
        def hook(module, args, output):
            if isinstance(output, torch.Tensor) and output.shape[0] == 1:
                calls[name] = calls.get(name, 0) + 1
                label = f"{name} ({type(module).__name__})"
                if calls[name] > 1:
                    label += f", {_ordinal(calls[name])} call"
                found.append(Layer(label, output[0].detach().float().numpy().copy()))

        return hook

    hooks = [
        m.register_forward_hook(record(name))
        for name, m in model.named_modules()
        if isinstance(m, SHOWN)
    ]
    try:
        with torch.inference_mode():
            model(x)
    except (RuntimeError, ValueError, TypeError, IndexError) as err:
        raise ModelMismatch(f"cannot run this model on a drawing ({str(err)[:200]})") from None
    finally:
        for h in hooks:
            h.remove()
    return found
