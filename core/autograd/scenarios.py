"""What the autograd page starts from: the chapter's example, other expressions, and model losses.

A `Scenario` is something to differentiate that can be rebuilt from scratch (fresh leaves,
empty `.grad`): `make_inputs()` then `forward(inputs)`, with the PyTorch code of both. The
page, the lessons and the gradient check all work on scenarios, so an expression typed by a
student and the loss of an `nn.Linear` model are explained the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call

from core.autograd.graph import Computation, OpInfo, from_evaluation
from core.autograd.leaves import leaves_code, make_leaves, parse_leaves
from core.autograd.ops import OPS
from core.autograd.program import parse_program


@dataclass(frozen=True)
class Scenario:
    """A forward pass that can be run again on fresh inputs, and the code that does the same."""

    make_inputs: Callable[[], dict[str, torch.Tensor]]
    forward: Callable[[dict[str, torch.Tensor]], Computation]
    setup_code: tuple[str, ...]  # imports excluded: creating the inputs (and the model)
    forward_code: tuple[str, ...]  # the forward pass, ending in the output's assignment
    output_name: str
    imports: tuple[str, ...] = ("import torch", "import torch.nn.functional as F")

    def build(self) -> Computation:
        return self.forward(self.make_inputs())


# ---- the page's words ---------------------------------------------------------------------

LESSON = (
    "Every operation on a tensor with `requires_grad=True` is recorded as a node of a "
    "**computational graph**: the result keeps a `grad_fn`, the backward function that knows "
    "the operation's local derivative. `out.backward()` walks that graph from the output back "
    "to the leaves; at each node it multiplies the gradient arriving from above (*upstream*) "
    "by the local derivative -- the **chain rule** -- and adds the result into each leaf's "
    "`.grad`. Below: the chapter's 2×3 example, its graph as autograd recorded it (drawn by "
    "torchviz), every value and gradient, and the backward pass one node at a time."
)
FORMULAS = (
    r"\frac{\partial\,out}{\partial x}=\frac{\partial\,out}{\partial z}\cdot"
    r"\frac{\partial z}{\partial y}\cdot\frac{\partial y}{\partial x}",
    r"out=\tfrac{1}{6}\sum 3(x+2)^2\;\Rightarrow\;\frac{\partial\,out}{\partial x}"
    r"=\tfrac{6(x+2)}{6}=x+2",
)
SYNTAX_HELP = (
    "Leaves: `torch.tensor`, `randn`, `rand`, `randint`, `zeros`, `ones`, with "
    "`requires_grad=`, `dtype=` and `seed=` (this page's shorthand for `torch.manual_seed`). "
    "Operations: `+ - * / ** @`, `x.T`, indexing, and "
    + ", ".join(sorted(n for n, op in OPS.items()))
    + " (as functions, `torch.`/`F.` functions "
    "or methods)."
)


# ---- expressions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """A ready-made expression: leaves, program, and what to notice."""

    leaves: str
    program: str
    note: str


CHAPTER_LEAVES = (
    "x = torch.tensor([[1., 2., 3.], [4., 5., 6.]], dtype=torch.float, requires_grad=True)"
)
CHAPTER_PROGRAM = "y = x + 2\nz = y * y * 3\nout = z.mean()"

EXAMPLES: dict[str, Example] = {
    "The chapter's example: mean of 3(x + 2)²": Example(
        CHAPTER_LEAVES,
        CHAPTER_PROGRAM,
        "By hand: out = (1/6) Σ 3(x + 2)², so d out/dx = 6(x + 2)/6 = x + 2, which is "
        "[[3, 4, 5], [6, 7, 8]]; out = (27 + 48 + 75 + 108 + 147 + 192)/6 = 99.5.",
    ),
    "One value used twice: gradients add up": Example(
        "a = torch.tensor(2.0, requires_grad=True)\nb = torch.tensor(3.0, requires_grad=True)",
        "c = a * b\nout = c + a ** 2",
        "a reaches out along two paths (through c and through a²), so its gradient is the sum: "
        "d out/da = b + 2a = 7, while d out/db = a = 2.",
    ),
    "Non-scalar output: what should backward() do?": Example(
        "x = torch.tensor([1., 2., 3.], requires_grad=True)",
        "y = x ** 2",
        "y has three numbers. backward() needs one; choose .sum(), .mean() or a gradient= "
        "vector below and compare the gradients.",
    ),
    "Matrix product, softmax, cross-entropy": Example(
        "X = torch.randn(4, 3, seed=0)\nW = torch.randn(3, 5, seed=1, requires_grad=True)\n"
        "b = torch.zeros(5, requires_grad=True)\nt = torch.randint(0, 5, (4,), seed=2)",
        "logits = X @ W + b\nloss = cross_entropy(logits, t)",
        "A 3 -> 5 linear classifier on 4 samples. d loss/d logits = (softmax - one_hot(t)) / 4: "
        "see it arrive at the + node, then split into W's and b's gradients.",
    ),
    "ReLU: gradient only where x > 0": Example(
        "x = torch.tensor([-2., -0.5, 0.5, 2.], requires_grad=True)",
        "h = relu(x)\nout = (h * h).sum()",
        "d out/dx = 2 relu(x) where x > 0 and 0 elsewhere: a negative input gets no gradient.",
    ),
    "detach(): stop the gradient": Example(
        "x = torch.tensor([1., 2., 3.], requires_grad=True)",
        "y = x * x.detach()\nout = y.sum()",
        "x.detach() is the same numbers without a graph, treated as a constant: the gradient "
        "is x (from the tracked factor only), not 2x.",
    ),
}
DEFAULT_EXAMPLE = next(iter(EXAMPLES))


def expression_scenario(leaves_text: str, program_text: str) -> Scenario:
    """Parse both boxes into a scenario; refusals raise `ExpressionError`."""
    specs = parse_leaves(leaves_text)
    program = parse_program(program_text, [s.name for s in specs])
    names = [s.name for s in specs]

    def forward(inputs):
        return from_evaluation(program.evaluate(inputs), names)

    return Scenario(
        lambda: make_leaves(specs),
        forward,
        tuple(leaves_code(specs)),
        tuple(program.code()),
        program.output_name,
    )


# ---- model losses --------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelPreset:
    """A model from the other pages whose loss graph we show, and what to notice in it."""

    note: str
    make: Callable[..., Scenario]  # make(n, seed, **data)
    default_n: int
    uses_mnist: bool = False  # make() takes images=, labels= (real digits) when available


def _model_scenario(
    model_lines: list[str],
    data: Callable[[], dict[str, torch.Tensor]],
    model: nn.Module,
    forward_lines: list[str],
    run,
    seed: int,
) -> Scenario:
    """Shared shape of the three model scenarios: data and model made under one seed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        fixed = data()
        module = model()
    params = {f"model.{k}": v.detach() for k, v in module.named_parameters()}

    def make_inputs():
        fresh = {k: v.clone() for k, v in fixed.items()}
        fresh.update({k: v.clone().requires_grad_(True) for k, v in params.items()})
        return fresh

    def forward(inputs):
        weights = {k.removeprefix("model."): v for k, v in inputs.items() if k.startswith("model.")}
        return run(module, weights, inputs)

    return Scenario(
        make_inputs,
        forward,
        (f"torch.manual_seed({seed})", *model_lines),
        tuple(forward_lines),
        "loss",
        ("import torch", "import torch.nn.functional as F", "from torch import nn"),
    )


def _finish(
    inputs,
    named: dict[str, torch.Tensor],
    texts: dict[str, str],
    output: str,
    roles: dict[str, str],
) -> Computation:
    tensors = {**{k: v for k, v in inputs.items()}, **named}
    ops = {t.grad_fn: OpInfo(texts[n], t, n) for n, t in named.items() if t.grad_fn is not None}
    all_roles = {
        k: roles.get(k, "parameter" if k.startswith("model.") else "input") for k in inputs
    }
    all_roles.update({n: "output" if n == output else "intermediate" for n in named})
    return Computation(named[output], output, tensors, all_roles, ops)


def linear_regression(n: int = 8, seed: int = 0) -> Scenario:
    """`nn.Linear(1, 1)` + `nn.MSELoss()` on n points near the line y = 1 + 2x."""

    def data():
        X = torch.rand(n, 1) * 2  # (n, 1) inputs in [0, 2)
        y = 1 + 2 * X + 0.1 * torch.randn(n, 1)  # (n, 1) the line 1 + 2x, plus noise
        return {"X": X, "y": y}

    def run(module, weights, inputs):
        yhat = functional_call(module, weights, (inputs["X"],))  # (n, 1)
        loss = nn.MSELoss()(yhat, inputs["y"])  # ()
        return _finish(
            inputs,
            {"yhat": yhat, "loss": loss},
            {"yhat": "model(X)", "loss": "loss_fn(yhat, y)"},
            "loss",
            {"y": "target"},
        )

    return _model_scenario(
        [
            f"X = torch.rand({n}, 1) * 2                    # ({n}, 1) inputs in [0, 2)",
            f"y = 1 + 2 * X + 0.1 * torch.randn({n}, 1)     # the line 1 + 2x, plus noise",
            "model = nn.Linear(1, 1)                      # parameters model.weight, model.bias",
            "loss_fn = nn.MSELoss()",
        ],
        data,
        lambda: nn.Linear(1, 1),
        ["yhat = model(X)", "loss = loss_fn(yhat, y)"],
        run,
        seed,
    )


def logistic_regression(n: int = 8, seed: int = 0) -> Scenario:
    """`nn.Linear(2, 1)`, a sigmoid and `nn.BCELoss()` on n points labelled by a line."""

    def data():
        X = torch.randn(n, 2)  # (n, 2) points
        y = (X[:, 0] + X[:, 1] > 0).float().unsqueeze(1)  # (n, 1) 1 above the line x1 + x2 = 0
        return {"X": X, "y": y}

    def run(module, weights, inputs):
        z = functional_call(module, weights, (inputs["X"],))  # (n, 1) logits
        p = torch.sigmoid(z)  # (n, 1) probabilities
        loss = nn.BCELoss()(p, inputs["y"])  # ()
        return _finish(
            inputs,
            {"z": z, "p": p, "loss": loss},
            {"z": "model(X)", "p": "torch.sigmoid(z)", "loss": "loss_fn(p, y)"},
            "loss",
            {"y": "target"},
        )

    return _model_scenario(
        [
            f"X = torch.randn({n}, 2)                               # ({n}, 2) points",
            "y = (X[:, 0] + X[:, 1] > 0).float().unsqueeze(1)   # 1 above the line x1 + x2 = 0",
            "model = nn.Linear(2, 1)",
            "loss_fn = nn.BCELoss()",
        ],
        data,
        lambda: nn.Linear(2, 1),
        ["z = model(X)", "p = torch.sigmoid(z)", "loss = loss_fn(p, y)"],
        run,
        seed,
    )


def mnist_classifier(
    n: int = 4,
    seed: int = 0,
    images: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
) -> Scenario:
    """The chapter's 784 -> 10 softmax classifier: `nn.Linear(784, 10)` + `nn.CrossEntropyLoss()`.

    `images` (N, 1, 28, 28), normalised, and `labels` (N,) are real MNIST test digits when the
    page has them (the first n are used); without them, seeded noise stands in and the code
    panel says so.
    """
    real = images is not None and labels is not None

    def data():
        if real:
            return {"images": images[:n].clone(), "labels": labels[:n].clone()}
        return {
            "images": torch.randn(n, 1, 28, 28),  # (n, 1, 28, 28) stand-ins for digits
            "labels": torch.randint(0, 10, (n,)),
        }  # (n,) classes 0..9

    def run(module, weights, inputs):
        x = inputs["images"].reshape(n, 784)  # (n, 784) each image as one row
        logits = functional_call(module, weights, (x,))  # (n, 10)
        loss = nn.CrossEntropyLoss()(logits, inputs["labels"])  # (): log-softmax + NLL
        return _finish(
            inputs,
            {"logits": logits, "loss": loss},
            {"logits": "model(x)", "loss": "loss_fn(logits, labels)"},
            "loss",
            {"labels": "target"},
        )

    if real:
        data_lines = [
            "from torchvision import datasets, transforms",
            "to_tensor = transforms.Compose([transforms.ToTensor(), "
            "transforms.Normalize((0.1307,), (0.3081,))])",
            "test = datasets.MNIST('data', train=False, download=True, transform=to_tensor)",
            f"images = torch.stack([test[i][0] for i in range({n})])    # ({n}, 1, 28, 28)",
            f"labels = torch.tensor([test[i][1] for i in range({n})])   # ({n},)",
        ]
    else:
        data_lines = [
            f"images = torch.randn({n}, 1, 28, 28)     # stand-ins: MNIST is not on this server",
            f"labels = torch.randint(0, 10, ({n},))",
        ]
    return _model_scenario(
        [
            *data_lines,
            "model = nn.Linear(784, 10)   # model.weight (10, 784), model.bias (10,)",
            "loss_fn = nn.CrossEntropyLoss()",
        ],
        data,
        lambda: nn.Linear(784, 10),
        [f"x = images.reshape({n}, 784)", "logits = model(x)", "loss = loss_fn(logits, labels)"],
        run,
        seed,
    )


MODELS: dict[str, ModelPreset] = {
    "Linear regression: nn.Linear + MSELoss": ModelPreset(
        "The linear regression page's model. AddmmBackward0 is nn.Linear (b + X Wᵀ); "
        "TBackward0 is the transpose of model.weight inside it.",
        linear_regression,
        8,
    ),
    "Logistic regression: nn.Linear + sigmoid + BCELoss": ModelPreset(
        "The logistic regression page's model: the same linear layer, then a sigmoid turns "
        "scores into probabilities and binary cross-entropy compares them with the labels.",
        logistic_regression,
        8,
    ),
    "MNIST: 784 -> 10 softmax classifier + CrossEntropyLoss": ModelPreset(
        "The MNIST page's softmax regression: 7,850 parameters. CrossEntropyLoss is two "
        "nodes, LogSoftmaxBackward0 and NllLossBackward0.",
        mnist_classifier,
        4,
        uses_mnist=True,
    ),
}
