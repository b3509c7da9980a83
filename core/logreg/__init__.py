"""Logistic and softmax regression on 2D points, trained step by step.

The chapter's models, with the playground's extras:

    two classes:  p(y=1 | x) = sigmoid(w . phi(x) + b)     nn.Linear(F, 1) + BCEWithLogitsLoss
    K classes:    p(y=k | x) = softmax(W phi(x) + b)_k     nn.Linear(F, K) + CrossEntropyLoss

where phi(x) = (x1, x2, chosen extra features such as x1*x2). Up to four hidden
layers (widths, one activation) sit between phi and the output layer. The
loss adds an L2 penalty lambda * sum(w^2) over weight matrices (not biases).

`train_steps` is a generator: each `next()` is one full-batch gradient step and
yields that step's metrics, so a page can play, pause, single-step or reset by
deciding how often to call it. `Run` keeps one user's model, optimizer,
generator and history together. `probability_surface` evaluates the model on a
whole grid in one vectorised call for the heat map.

One idea a module: `data` (the point sets and CSV uploads), `model` (features, the network,
`LogRegConfig`), `train` (the step generator and `Run`), `surface` (looking at a model),
`network` (every unit over the plane, a weight set by hand), `equation`, `figures`, `diagram`
(the network drawn as TensorFlow Playground draws it), `export`. This package re-exports the
lab's API: `from core import logreg`.
"""

from core.logreg.equation import TERMS_PER_LINE, equation_latex
from core.logreg.model import (
    ACTIVATIONS,
    BASE_FEATURES,
    EXTRA_FEATURES,
    FEATURE_CODE,
    FEATURE_LABELS,
    FEATURE_LATEX,
    MAX_HIDDEN,
    MAX_LAYERS,
    MAX_UNITS,
    OPTIMIZERS,
    LogRegConfig,
    PlaygroundNet,
    build_model,
    feature_matrix,
    feature_names,
    hidden_widths,
    init_weights,
    l2_penalty,
)
from core.logreg.network import (
    MAX_WEIGHT,
    Grid,
    NetworkMaps,
    ParamRef,
    WeightRefused,
    bias_refs,
    network_maps,
    parameter_value,
    parse_weight,
    plane_grid,
    set_parameter,
    unit_maps,
    weight_refs,
)
from core.logreg.surface import Surface, boundary_line, linear_boundary, logits, probability_surface
from core.logreg.train import (
    DIVERGENCE_FACTOR,
    DIVERGENCE_PATIENCE,
    EXPLOSION_FACTOR,
    HISTORY_KEYS,
    MAX_STEPS,
    Divergence,
    Run,
    StepMetrics,
    WeightEdit,
    learning_rate_extreme,
    train_steps,
)

__all__ = [
    "BASE_FEATURES",
    "EXTRA_FEATURES",
    "FEATURE_LATEX",
    "FEATURE_LABELS",
    "FEATURE_CODE",
    "feature_names",
    "feature_matrix",
    "ACTIVATIONS",
    "OPTIMIZERS",
    "MAX_HIDDEN",
    "MAX_LAYERS",
    "MAX_UNITS",
    "hidden_widths",
    "LogRegConfig",
    "PlaygroundNet",
    "init_weights",
    "build_model",
    "l2_penalty",
    "MAX_STEPS",
    "DIVERGENCE_FACTOR",
    "DIVERGENCE_PATIENCE",
    "EXPLOSION_FACTOR",
    "Divergence",
    "StepMetrics",
    "train_steps",
    "HISTORY_KEYS",
    "Run",
    "WeightEdit",
    "MAX_WEIGHT",
    "Grid",
    "NetworkMaps",
    "ParamRef",
    "WeightRefused",
    "bias_refs",
    "network_maps",
    "parameter_value",
    "parse_weight",
    "plane_grid",
    "set_parameter",
    "unit_maps",
    "weight_refs",
    "learning_rate_extreme",
    "linear_boundary",
    "boundary_line",
    "Surface",
    "probability_surface",
    "logits",
    "TERMS_PER_LINE",
    "equation_latex",
]
