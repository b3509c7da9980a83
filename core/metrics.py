"""Classification metrics every lab shares: accuracy, the confusion matrix, recall per class."""

from __future__ import annotations

import torch


def accuracy(preds: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of `preds` (N,) equal to `labels` (N,); NaN for an empty set."""
    if len(labels) == 0:
        return float("nan")
    return (preds.cpu() == labels.cpu()).float().mean().item()


def confusion_matrix(labels: torch.Tensor, preds: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts (num_classes, num_classes) int64: row = true class, column = predicted class."""
    labels, preds = labels.cpu().long(), preds.cpu().long()
    flat = labels * num_classes + preds
    counts = torch.bincount(flat, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def per_class_accuracy(confusion: torch.Tensor) -> torch.Tensor:
    """Recall per true class (num_classes,): the diagonal over each row's total (NaN if empty)."""
    totals = confusion.sum(1).double()
    return confusion.diag().double() / totals.where(totals > 0, torch.tensor(float("nan")).double())
