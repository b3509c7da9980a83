"""Evaluating a model on a labelled set: probabilities, accuracy, the confusion matrix,
the most confident examples per cell, and what a model learned, as plain tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.metrics import accuracy, confusion_matrix, per_class_accuracy
from core.mnist.models import ModelFileError

NUM_CLASSES = 10


@torch.no_grad()
def predict_proba(
    model: nn.Module, x: torch.Tensor, batch: int = 2000, device: torch.device | str | None = None
) -> torch.Tensor:
    """Class probabilities (N, 10) on the CPU for images `x` (N, 1, 28, 28), in float32."""
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    model_dev = next(model.parameters()).device
    model.to(dev)
    out = [
        torch.softmax(model(x[i : i + batch].to(dev)).float(), 1).cpu()
        for i in range(0, len(x), batch)
    ]
    model.to(model_dev).train(was_training)
    return torch.cat(out) if out else torch.empty(0, NUM_CLASSES)


def top_k(probs: torch.Tensor, k: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """The k most probable classes per row: (probabilities (N, k), classes (N, k)), best first."""
    values, classes = probs.topk(min(k, probs.shape[1]), dim=1)
    return values, classes


@dataclass(frozen=True)
class Evaluation:
    """A model's predictions on a labelled set, and everything the results view needs."""

    probs: torch.Tensor  # (N, 10) float32
    labels: torch.Tensor  # (N,) int64

    @property
    def preds(self) -> torch.Tensor:  # (N,)
        return self.probs.argmax(1)

    @property
    def accuracy(self) -> float:
        return accuracy(self.preds, self.labels)

    @property
    def confusion(self) -> torch.Tensor:  # (10, 10)
        return confusion_matrix(self.labels, self.preds, NUM_CLASSES)

    @property
    def per_class(self) -> torch.Tensor:  # (10,)
        return per_class_accuracy(self.confusion)

    def top3(self, indices: torch.Tensor | list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Top-3 (probabilities, classes) of the examples at `indices`, each (len, 3)."""
        return top_k(self.probs[torch.as_tensor(indices, dtype=torch.long)], 3)

    def cell(self, true_class: int, predicted: int, limit: int = 24) -> torch.Tensor:
        """Indices of the examples of `true_class` predicted as `predicted`.

        The most confident come first.
        """
        if not (0 <= true_class < NUM_CLASSES and 0 <= predicted < NUM_CLASSES):
            raise ValueError("classes are 0 to 9")
        hit = ((self.labels == true_class) & (self.preds == predicted)).nonzero().flatten()
        order = self.probs[hit, predicted].argsort(descending=True)
        return hit[order][:limit]


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device=None) -> Evaluation:
    """Predict every image of `x` (N, 1, 28, 28) and keep the probabilities with the labels `y`."""
    return Evaluation(predict_proba(model, x, device=device), y.cpu().long())


def linear_templates(model: nn.Module) -> torch.Tensor:
    """The softmax model's ten weight vectors as images (10, 28, 28)."""
    layer = getattr(model, "linear", None)
    if not isinstance(layer, nn.Linear) or layer.weight.shape != (NUM_CLASSES, 28 * 28):
        raise ModelFileError("weight templates exist only for the 784-10 softmax model")
    return layer.weight.detach().float().cpu().reshape(NUM_CLASSES, 28, 28)


def first_layer_filters(model: nn.Module) -> torch.Tensor:
    """The CNN's first convolution kernels (C, k, k) (one input channel)."""
    conv = getattr(model, "conv1", None)
    if not isinstance(conv, nn.Conv2d):
        raise ModelFileError("first-layer filters exist only for the CNN")
    return conv.weight.detach().float().cpu()[:, 0]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def examples_per_class(labels: torch.Tensor, per_class: int, seed: int = 0) -> torch.Tensor:
    """Indices (10 * per_class,) of random examples, `per_class` of each digit.

    They come in digit-major order.
    """
    g = torch.Generator().manual_seed(seed)
    picks = []
    for d in range(NUM_CLASSES):
        idx = (labels == d).nonzero().flatten()
        picks.append(idx[torch.randperm(len(idx), generator=g)[:per_class]])
    return torch.cat(picks)
