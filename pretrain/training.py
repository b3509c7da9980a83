"""Training the shipped models for the draw-a-digit page: MNIST with drawing-like augmentation.

`train_for_drawing` is a generator: it yields a `PretrainProgress` after each
epoch (the script prints them; a page could draw them) and finally returns the
trained model with its metadata. Deterministic for a given seed on one
machine (seeded generators for shuffling, initialisation and augmentation).
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.mnist.data import MnistTensors, normalise
from core.mnist.models import ModelSpec, SavedModel, build_model
from pretrain.augment import AugmentConfig, augment_batch, training_lines
from pretrain.strokes import stroke_digits


@dataclass(frozen=True)
class PretrainConfig:
    """One shipped model's training: architecture, schedule, augmentation, seed."""

    spec: ModelSpec
    epochs: int = 4
    batch_size: int = 128
    lr: float = 3e-3  # peak of the one-cycle schedule (Adam)
    weight_decay: float = 1e-4
    seed: int = 0
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    # Extra training digits written from pen templates in people's stroke orders
    # (pretrain.strokes.stroke_digits), added to MNIST train. Off by default.
    stroke_digits: int = 0


@dataclass(frozen=True)
class PretrainProgress:
    epoch: int
    epochs: int
    train_loss: float
    test_accuracy: float
    seconds: float


@torch.no_grad()
def accuracy(
    model: torch.nn.Module, pixels: torch.Tensor, labels: torch.Tensor, batch: int = 2000
) -> float:
    """Share of `pixels` (N, 1, 28, 28) in [0, 1] that `model` labels correctly."""
    model.eval()
    correct = 0
    for i in range(0, len(labels), batch):
        logits = model(normalise(pixels[i : i + batch]))  # (B, 10)
        correct += int((logits.argmax(1) == labels[i : i + batch]).sum())
    return correct / len(labels)


def train_for_drawing(
    cfg: PretrainConfig, data: MnistTensors
) -> Generator[PretrainProgress, None, SavedModel]:
    """Train `cfg.spec` on MNIST train with augmentation.

    Yield progress per epoch; return the model.
    """
    torch.manual_seed(cfg.seed)  # initialisation and dropout
    g = torch.Generator().manual_seed(cfg.seed)  # shuffling and augmentation
    model = build_model(cfg.spec)
    train_px = data.train_images.float().div(255).unsqueeze(1)  # (60000, 1, 28, 28)
    train_y = data.train_y
    if cfg.stroke_digits:
        extra_px, extra_y = stroke_digits(
            cfg.stroke_digits, seed=cfg.seed + 3
        )  # (S, 1, 28, 28), (S,)
        train_px, train_y = torch.cat([train_px, extra_px]), torch.cat([train_y, extra_y])
    test_px = data.test_images.float().div(255).unsqueeze(1)  # (10000, 1, 28, 28)
    lines = training_lines(
        train_px, cfg.augment, torch.Generator().manual_seed(cfg.seed + 2)
    )  # (N, 1|2, 56, 56)
    steps_per_epoch = (len(train_px) + cfg.batch_size - 1) // cfg.batch_size
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch
    )
    start = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = torch.randperm(len(train_px), generator=g)
        total = 0.0
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            batch_lines = None if lines is None else lines[idx]
            x = normalise(
                augment_batch(train_px[idx], cfg.augment, g, batch_lines)
            )  # (B, 1, 28, 28)
            loss = F.cross_entropy(model(x), train_y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        yield PretrainProgress(
            epoch,
            cfg.epochs,
            total / len(order),
            accuracy(model, test_px, data.test_y),
            time.perf_counter() - start,
        )
    model.eval()
    meta = {
        "description": cfg.spec.describe(),
        "trained_on": "MNIST train (60,000 images) with drawing-like augmentation"
        + (
            f", plus {cfg.stroke_digits:,} digits written from pen templates"
            if cfg.stroke_digits
            else ""
        ),
        "test_accuracy": accuracy(model, test_px, data.test_y),
        "augmented_test_accuracy": _augmented_accuracy(model, test_px, data.test_y, cfg),
        "epochs": cfg.epochs,
        "batch_size": cfg.batch_size,
        "lr": cfg.lr,
        "weight_decay": cfg.weight_decay,
        "seed": cfg.seed,
        "augmentation": cfg.augment.to_dict(),
        "train_seconds": round(time.perf_counter() - start, 1),
        "torch": str(torch.__version__),
    }
    if cfg.stroke_digits:
        meta["stroke_digits"] = cfg.stroke_digits
    return SavedModel(model, cfg.spec, meta)


def _augmented_accuracy(model, test_px, test_y, cfg: PretrainConfig) -> float:
    """Accuracy on MNIST test distorted like the training data (one fixed draw): robustness."""
    g = torch.Generator().manual_seed(cfg.seed + 1)
    return accuracy(model, augment_batch(test_px, cfg.augment, g), test_y)
