"""The playground's network: input features phi(x), an optional hidden layer, the output.

    two classes:  p(y=1 | x) = sigmoid(w . phi(x) + b)     nn.Linear(F, 1) + BCEWithLogitsLoss
    K classes:    p(y=k | x) = softmax(W phi(x) + b)_k     nn.Linear(F, K) + CrossEntropyLoss

where phi(x) = (x1, x2, chosen extra features such as x1*x2).

`LogRegConfig` holds everything that decides a run besides the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

BASE_FEATURES = ("x1", "x2")


EXTRA_FEATURES = ("x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")


FEATURE_LATEX = {
    "x1": "x_1",
    "x2": "x_2",
    "x1^2": "x_1^2",
    "x2^2": "x_2^2",
    "x1*x2": "x_1 x_2",
    "sin(x1)": r"\sin x_1",
    "sin(x2)": r"\sin x_2",
}


FEATURE_LABELS = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1²",
    "x2^2": "x2²",
    "x1*x2": "x1·x2",
    "sin(x1)": "sin(x1)",
    "sin(x2)": "sin(x2)",
}


# The same features as PyTorch source text, for the exported script (kept equal by a test).
FEATURE_CODE = {
    "x1": "x[:, 0]",
    "x2": "x[:, 1]",
    "x1^2": "x[:, 0] ** 2",
    "x2^2": "x[:, 1] ** 2",
    "x1*x2": "x[:, 0] * x[:, 1]",
    "sin(x1)": "torch.sin(x[:, 0])",
    "sin(x2)": "torch.sin(x[:, 1])",
}


_FEATURE_FUNCS = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1**2,
    "x2^2": lambda x1, x2: x2**2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: torch.sin(x1),
    "sin(x2)": lambda x1, x2: torch.sin(x2),
}


def feature_names(extra: tuple[str, ...]) -> tuple[str, ...]:
    """x1, x2, then the chosen extras in the fixed catalogue order."""
    return BASE_FEATURES + tuple(f for f in EXTRA_FEATURES if f in extra)


def feature_matrix(x: torch.Tensor, extra: tuple[str, ...]) -> torch.Tensor:
    """phi(x): (N, 2) points -> (N, F) features, F = 2 + number of extras."""
    x1, x2 = x[:, 0], x[:, 1]  # (N,), (N,)
    return torch.stack([_FEATURE_FUNCS[f](x1, x2) for f in feature_names(extra)], dim=1)  # (N, F)


ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


OPTIMIZERS = ("sgd", "momentum", "adam")  # ids in core.optim


MAX_HIDDEN = 64


@dataclass(frozen=True)
class LogRegConfig:
    """Everything that decides a training run besides the data."""

    features: tuple[str, ...] = ()  # extras beyond x1, x2 (see EXTRA_FEATURES)
    hidden: int = 0  # width of the optional hidden layer; 0 = none (plain logistic regression)
    activation: str = "tanh"
    l2: float = 0.0  # lambda of the penalty lambda * sum(w^2)
    optimizer: str = "sgd"
    lr: float = 0.1
    seed: int = 0  # initial weights

    def __post_init__(self):
        object.__setattr__(self, "features", tuple(f for f in EXTRA_FEATURES if f in self.features))
        object.__setattr__(self, "lr", float(self.lr))  # a URL's "10" and 10.0 are one setting
        object.__setattr__(self, "l2", float(self.l2))
        if not 0 <= self.hidden <= MAX_HIDDEN:
            raise ValueError(f"the hidden layer has 0 to {MAX_HIDDEN} units")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 100):
            raise ValueError("the learning rate must be a number in (0, 100]")
        if not (math.isfinite(self.l2) and 0 <= self.l2 <= 10):
            raise ValueError("the L2 penalty must be between 0 and 10")


class PlaygroundNet(nn.Module):
    """phi(x) -> [Linear -> activation] -> Linear -> logits (N,) for 2 classes, (N, K) for K."""

    def __init__(
        self,
        n_classes: int,
        features: tuple[str, ...] = (),
        hidden: int = 0,
        activation: str = "tanh",
        seed: int = 0,
    ):
        super().__init__()
        self.n_classes = n_classes
        self.features = tuple(features)
        n_in = len(feature_names(self.features))
        n_out = 1 if n_classes == 2 else n_classes
        # skip_init: build without drawing from the global RNG; init_weights seeds them below.
        layers: list[nn.Module] = []
        if hidden:
            layers += [nn.utils.skip_init(nn.Linear, n_in, hidden), ACTIVATIONS[activation]()]
        layers.append(nn.utils.skip_init(nn.Linear, hidden or n_in, n_out))
        self.net = nn.Sequential(*layers)
        init_weights(self, seed)

    @property
    def binary(self) -> bool:
        return self.n_classes == 2

    @property
    def output(self) -> nn.Linear:
        return self.net[-1]

    @property
    def hidden_layer(self) -> nn.Linear | None:
        return self.net[0] if len(self.net) > 1 else None

    def featurize(self, x: torch.Tensor) -> torch.Tensor:
        return feature_matrix(x, self.features)  # (N, 2) -> (N, F)

    def logits_from_features(self, phi: torch.Tensor) -> torch.Tensor:
        out = self.net(phi)  # (N, 1) or (N, K)
        return out.squeeze(1) if self.binary else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits_from_features(self.featurize(x))

    @torch.inference_mode()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """p(class 1) shaped (N,) for two classes; softmax shaped (N, K) for K."""
        logits = self(x)
        return torch.sigmoid(logits) if self.binary else torch.softmax(logits, dim=1)

    @torch.inference_mode()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted classes (N,) int64."""
        logits = self(x)
        return (logits > 0).long() if self.binary else logits.argmax(dim=1)


def init_weights(model: nn.Module, seed: int) -> None:
    """PyTorch's default nn.Linear ranges, U(-1/sqrt(fan_in), +), from a private seeded generator.

    A private generator keeps runs reproducible without touching the global RNG
    that other users' sessions share.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                bound = 1.0 / math.sqrt(layer.in_features)
                nn.init.uniform_(layer.weight, -bound, bound, generator=gen)
                nn.init.uniform_(layer.bias, -bound, bound, generator=gen)


def build_model(n_classes: int, config: LogRegConfig) -> PlaygroundNet:
    return PlaygroundNet(n_classes, config.features, config.hidden, config.activation, config.seed)


def l2_penalty(model: nn.Module) -> torch.Tensor:
    """sum of squared weights over every weight matrix (biases are not penalised)."""
    return sum((m.weight**2).sum() for m in model.modules() if isinstance(m, nn.Linear))
