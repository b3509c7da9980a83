"""MNIST training speed and accuracy: `uv run python -m benchmarks.mnist [--json PATH]`.

Trains each model (softmax regression, MLP, small CNN) with its recipe from
`core.mnist.train.RECIPES` on all 60,000 training images through the fast
in-memory path, evaluates it on the 10,000 test images, and in the same run
times one epoch of the book's path for the softmax model:
`torchvision.datasets.MNIST` with `ToTensor()` + `Normalize()` applied per
sample, through a `DataLoader` with batch 64.

Targets (median over repeats, each repeat a different seed):
  softmax >= 92.0% within 3 s, and an epoch >= 10x faster than the DataLoader epoch;
  MLP >= 97.5% within 15 s; CNN >= 99.0% within 60 s.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace

import torch

from benchmarks.common import parser, print_table, write_json
from core.mnist.data import MNIST_MEAN, MNIST_STD, data_dir, load_mnist
from core.mnist.evaluate import evaluate
from core.mnist.train import RECIPES, device_label, pick_device, train

TARGETS = {
    "linear": (0.920, 3.0),
    "mlp": (0.975, 15.0),
    "cnn": (0.990, 60.0),
}  # (accuracy, seconds)
MIN_SPEEDUP = 10.0


def book_dataloader_epoch(seed: int = 0) -> float:
    """Seconds for one epoch of the chapter's softmax model through the book's DataLoader path."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    from core.mnist.models import SoftmaxRegression

    transform = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))]
    )
    dataset = datasets.MNIST(str(data_dir()), train=True, download=False, transform=transform)
    torch.manual_seed(seed)
    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    model = SoftmaxRegression()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    start = time.perf_counter()
    for images, labels in loader:  # images: (64, 1, 28, 28) built one sample at a time
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def bench_model(kind: str, data, repeats: int, device) -> dict:
    """Train `kind` `repeats` times (seeds 0..repeats-1); medians of accuracy and training time."""
    recipe = RECIPES[kind]
    accs, secs = [], []
    for seed in range(repeats):
        torch.manual_seed(seed)  # dropout draws from the global generator
        trainer = train(replace(recipe, seed=seed), data.train_x, data.train_y, device=device)
        accs.append(evaluate(trainer.model, data.test_x, data.test_y).accuracy)
        secs.append(trainer.train_seconds)
        print(
            f"  {kind} seed {seed}: {accs[-1]:.2%} in {secs[-1]:.2f} s", file=sys.stderr, flush=True
        )
    acc, sec = statistics.median(accs), statistics.median(secs)
    return {
        "test_accuracy": acc,
        "train_seconds": sec,
        "epochs": recipe.epochs,
        "seconds_per_epoch": sec / recipe.epochs,
    }


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(repeats=3)
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (default 1: on a shared 2-core machine a second "
        "thread that waits for a busy core makes small operations 10x slower)",
    )
    p.add_argument("--models", default="linear,mlp,cnn", help="comma-separated subset to run")
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    torch.set_num_interop_threads(1)
    device = pick_device()
    data = load_mnist()
    print(
        f"Training on {device_label(device)}; {args.repeats} repeat(s) per model (median reported)"
    )

    models = {}
    for kind in [k.strip() for k in args.models.split(",") if k.strip()]:
        if kind not in RECIPES:
            p.error(f"unknown model {kind!r}; choose from {', '.join(RECIPES)}")
        models[kind] = bench_model(kind, data, args.repeats, device)
    baseline = book_dataloader_epoch()
    print(f"  book DataLoader epoch (softmax, batch 64): {baseline:.2f} s", file=sys.stderr)

    rows, ok = [], True
    for kind, r in models.items():
        target_acc, target_s = TARGETS[kind]
        passed = r["test_accuracy"] >= target_acc and r["train_seconds"] <= target_s
        row = {
            "model": kind,
            "test acc": f"{r['test_accuracy']:.2%}",
            "train s": r["train_seconds"],
            "epochs": r["epochs"],
            "s/epoch": r["seconds_per_epoch"],
            "target": f">= {target_acc:.1%} in <= {target_s:g} s",
            "pass": passed,
        }
        if kind == "linear":
            speedup = baseline / r["seconds_per_epoch"]
            row["vs book epoch"] = f"{speedup:.0f}x (>= {MIN_SPEEDUP:g}x)"
            row["pass"] = passed = passed and speedup >= MIN_SPEEDUP
        rows.append(row)
        ok &= passed
    for row in rows:
        row.setdefault("vs book epoch", "")
    print_table(
        rows,
        f"MNIST, full training set, 10,000 test images (book DataLoader epoch: {baseline:.2f} s)",
    )
    for kind in models:
        print(f"  {kind}: {RECIPES[kind].describe()}")
    print("\nALL TARGETS PASS" if ok else "\nSOME TARGETS FAIL")
    write_json(args.json, {"models": models, "baseline_dataloader_epoch_seconds": baseline})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
