"""The playground's network: input features phi(x), up to four hidden layers, the output.

    two classes:  p(y=1 | x) = sigmoid(w . h(x) + b)     ... nn.Linear(n, 1) + BCEWithLogitsLoss
    K classes:    p(y=k | x) = softmax(W h(x) + b)_k     ... nn.Linear(n, K) + CrossEntropyLoss

where phi(x) = (x1, x2, chosen extra features such as x1*x2) and h(x) is phi(x) passed
through the hidden layers, each `nn.Linear` then the network's one activation (h = phi
when there are none: plain logistic regression).

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


# "linear" is no activation at all: stacked linear layers are still one linear map.
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


OPTIMIZERS = ("sgd", "momentum", "adam")  # ids in core.optim


MAX_LAYERS = 4  # hidden layers


MAX_UNITS = 8  # units a hidden layer may have on the page: each is drawn in the network diagram


MAX_HIDDEN = 64  # the widest layer a config accepts (scripts and benchmarks train wider ones)


def hidden_widths(hidden) -> tuple[int, ...]:
    """A config's hidden layers as widths: an int n is one layer of n units (0: none)."""
    if isinstance(hidden, bool):
        raise ValueError("hidden layers are given as widths")
    if isinstance(hidden, int):
        return (hidden,) if hidden else ()
    return tuple(int(w) for w in hidden)


@dataclass(frozen=True)
class LogRegConfig:
    """Everything that decides a training run besides the data."""

    features: tuple[str, ...] = ()  # extras beyond x1, x2 (see EXTRA_FEATURES)
    # widths of the hidden layers, input side first; () = none (plain logistic regression).
    # An int n is read as (n,): one layer, as links and scripts from before deep nets wrote it.
    hidden: tuple[int, ...] = ()
    activation: str = "tanh"
    l2: float = 0.0  # lambda of the penalty lambda * sum(w^2)
    optimizer: str = "sgd"
    lr: float = 0.1
    seed: int = 0  # initial weights

    def __post_init__(self):
        object.__setattr__(self, "features", tuple(f for f in EXTRA_FEATURES if f in self.features))
        object.__setattr__(self, "lr", float(self.lr))  # a URL's "10" and 10.0 are one setting
        object.__setattr__(self, "l2", float(self.l2))
        object.__setattr__(self, "hidden", hidden_widths(self.hidden))
        if len(self.hidden) > MAX_LAYERS:
            raise ValueError(f"at most {MAX_LAYERS} hidden layers")
        if not all(1 <= w <= MAX_HIDDEN for w in self.hidden):
            raise ValueError(f"a hidden layer has 1 to {MAX_HIDDEN} units")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 100):
            raise ValueError("the learning rate must be a number in (0, 100]")
        if not (math.isfinite(self.l2) and 0 <= self.l2 <= 10):
            raise ValueError("the L2 penalty must be between 0 and 10")


class PlaygroundNet(nn.Module):
    """phi(x) -> [Linear -> activation] x layers -> Linear -> logits (N,) for 2 classes, (N, K)
    for K. `self.net` is that nn.Sequential: Linear, activation, ..., Linear."""

    def __init__(
        self,
        n_classes: int,
        features: tuple[str, ...] = (),
        hidden: tuple[int, ...] | int = (),
        activation: str = "tanh",
        seed: int = 0,
    ):
        super().__init__()
        self.n_classes = n_classes
        self.features = tuple(features)
        self.activation = activation
        widths = (len(feature_names(self.features)), *hidden_widths(hidden))
        n_out = 1 if n_classes == 2 else n_classes
        # skip_init: build without drawing from the global RNG; init_weights seeds them below.
        layers: list[nn.Module] = []
        for n_in, n_units in zip(widths, widths[1:], strict=False):
            layers += [nn.utils.skip_init(nn.Linear, n_in, n_units), ACTIVATIONS[activation]()]
        layers.append(nn.utils.skip_init(nn.Linear, widths[-1], n_out))
        self.net = nn.Sequential(*layers)
        init_weights(self, seed)

    @property
    def binary(self) -> bool:
        return self.n_classes == 2

    @property
    def output(self) -> nn.Linear:
        return self.net[-1]

    @property
    def linears(self) -> list[nn.Linear]:
        """Every nn.Linear, input side first: the hidden layers, then the output layer."""
        return [m for m in self.net if isinstance(m, nn.Linear)]

    @property
    def hidden_layers(self) -> list[nn.Linear]:
        return self.linears[:-1]

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
