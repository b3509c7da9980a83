"""Train the shipped linear, MLP and CNN models and write them to assets/models/.

    uv run python -m scripts.train_pretrained            # all three, a few minutes on 2 cores
    uv run python -m scripts.train_pretrained --only cnn --out /tmp/models

MNIST train, with drawing-like augmentation (pretrain.augment), seeded; the
CNN also learns from digits written from hand-authored pen templates in people's
stroke orders (pretrain.strokes), never from any handwriting data set.
Each file (core.mnist.models.save_model) records in its metadata how it was trained,
its MNIST test accuracy, and its accuracy on the validation sets of
pretrain.validation (digits typeset in this machine's fonts; MNIST test
redrawn with thin pens, distorted beyond the training ranges, recorded as a
sparse 8-point pen trajectory, stretched into square 16x16 and 32x32 bitmaps;
the canvas drawings varied as many writers would and recorded as a sparse
trajectory or a square bitmap): the checks that chose the augmentation, the
CNN's size and how many template digits it adds. A model that misreads one of
the canvas drawings the browser test draws (a 1 with a flag, a 0, a 7, each at
three pen widths) is not written, and the script exits 1.
The handwriting evaluation sets are never used here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from core.mnist.data import load_mnist
from core.mnist.models import ASSETS, ModelSpec, SavedModel, save_model
from pretrain.augment import AugmentConfig
from pretrain.training import PretrainConfig, train_for_drawing
from pretrain.validation import (
    ValidationDigits,
    box_filled_digits,
    misread_strokes,
    over_distorted_digits,
    pen_drawn_digits,
    sparse_pen_digits,
    tablet_box_digits,
    tablet_digits,
    typeset_digits,
)
from pretrain.validation import accuracy as validation_accuracy

# A single linear layer has one template per class: distortions only blur its
# templates. On the typeset-digit validation it read 75% plain, 68% with thicker
# and thinner strokes, 60% with mild rotation and shear too. So: MNIST as it is.
NO_AUGMENT = AugmentConfig(
    max_rotation_deg=0.0,
    max_shear=0.0,
    aspect=(1.0, 1.0),
    centre_jitter_px=0.0,
    thicken_prob=0.0,
    thin_prob=0.0,
    solid_prob=0.0,
)
CONFIGS = {
    "linear": PretrainConfig(
        ModelSpec("linear"), epochs=3, lr=3e-3, weight_decay=0.0, augment=NO_AUGMENT
    ),
    "mlp": PretrainConfig(ModelSpec("mlp", hidden=(128,)), epochs=5),
    # Chosen on validation only (see the table below): canvas-like pen strokes, some
    # straightened, some reduced to a sparse pen trajectory; some stretched to a square;
    # plus digits written from pen templates in people's stroke orders (pretrain.strokes).
    "cnn": PretrainConfig(
        ModelSpec("cnn", channels=(32, 64), fc=128),
        epochs=12,
        stroke_digits=30_000,
        augment=AugmentConfig(
            pen_prob=0.6, straight_prob=0.3, sparse_prob=0.5, fill_prob=0.25, aspect=(0.7, 1.45)
        ),
    ),
}
# CNNs tried, on validation only, one thread each. Columns: MNIST test / typeset digits /
# MNIST test redrawn with thin pens / distorted beyond the training ranges / as a sparse
# 8-point pen trajectory / stretched into square bitmaps / the canvas drawings varied and
# recorded as an 8-point trajectory / the same stretched into a square 16x16 bitmap, in %
# ("-": not measured; the last two sets came in Nov 2026); then how the canvas gate's
# drawings read (pretrain.validation.misread_strokes; "1 -> 7": the flagged 1 at pen 20).
#   conv16-32-fc64, 6 epochs, default augmentation (shipped until Nov 2026)
#       99.20 / 99.9 / 97.6 / 75.7 / 87.6 / 94.5 /  -   /  -    all read
#   the same + uniform-pen redrawing (pen_prob=0.5)
#       99.16 / 97.9 / 97.9 / 75.3 / 89.0 / 93.3 /  -   /  -    all read
#   conv32-64-fc128, 10 epochs, + pen
#       99.45 / 100  / 98.4 / 76.1 / 88.5 / 95.6 /  -   /  -    all read
#   ... + wider rotation, shear and aspect
#       99.31 / 100  / 98.4 / 78.0 / 88.5 / 96.1 /  -   /  -    all read
#   ... + pen + 1 px elastic wobble (5x5 grid)
#       99.17 / 99.1 / 98.2 / 87.5 / 88.2 / 94.2 /  -   /  -    all read
#   conv32-64-fc128, 12 epochs, pen + 0.7 px wobble
#       99.53 / 100  / 98.5 / 84.3 / 88.6 / 94.7 /  -   /  -    1 -> 7
#   ... + straight segments, aspect 0.7..1.45
#       99.54 / 99.9 / 98.6 / 85.5 / 88.7 / 96.8 /  -   /  -    1 -> 7
#   conv16-32-fc64, 6 epochs, pen 0.5, sparse 0.4, fill 0.15
#       99.11 / 97.0 / 98.0 / 74.9 / 92.7 / 96.7 /  -   /  -    all read
#   conv32-64-fc128, 10 epochs, the same + aspect 0.7..1.45
#       99.38 / 100  / 98.2 / 76.6 / 93.5 / 97.3 /  -   /  -    all read
#   ... 12 epochs, pen 0.6, straight 0.3, sparse 0.5, fill 0.25 (shipped until late Nov 2026)
#       99.35 / 100  / 98.2 / 75.9 / 94.1 / 97.9 / 93.3 / 91.7  all read
#   ... the same without straight segments
#       99.27 / 100  / 98.3 / 75.4 / 94.3 / 97.8 /  -   /  -    all read
#   ... shipped-until-late-Nov + 10,000 digits written from pen templates
#       99.21 / 99.6 / 98.3 / 75.6 / 93.8 / 98.5 / 98.0 / 95.4  all read
#   ... + 20,000 template digits
#       99.22 / 99.9 / 98.3 / 75.2 / 94.1 / 97.9 / 98.5 / 96.3  all read
#   ... + 20,000 template digits, 14 epochs
#       99.29 / 99.9 / 98.2 / 75.4 / 94.1 / 98.4 / 98.9 / 96.3  all read
#   ... + 30,000 template digits (SHIPPED)
#       99.26 / 99.9 / 98.3 / 75.6 / 93.8 / 98.6 / 99.1 / 96.2  all read
# Rule: every canvas drawing read, MNIST >= 99.2 and typeset >= 99.5, then the best mean of
# the other columns. The elastic wobble bends MNIST's plain ones towards sevens (a model that
# misreads a European 1 is worse on the page than a few points on a benchmark), so the
# two that read the flagged 1 as a 7 were never candidates.


def validation_sets(data) -> dict[str, ValidationDigits]:
    """Every validation set, by the metadata key its accuracy is recorded under.

    About a minute to build.
    """
    return {
        "typeset_accuracy": typeset_digits(),
        "pen_drawn_accuracy": pen_drawn_digits(data.test_images, data.test_y),
        "over_distorted_accuracy": over_distorted_digits(data.test_images, data.test_y),
        "sparse_pen_accuracy": sparse_pen_digits(data.test_images, data.test_y),
        "box_filled_accuracy": box_filled_digits(data.test_images, data.test_y),
        "tablet_accuracy": tablet_digits(),
        "tablet_box_accuracy": tablet_box_digits(),
    }


def train_one(name: str, data, sets: dict[str, ValidationDigits]) -> SavedModel:
    """Train CONFIGS[name], printing progress; record its validation accuracies in its metadata."""
    cfg = CONFIGS[name]
    print(f"{name}: {cfg.spec.describe()}, {cfg.epochs} epochs, seed {cfg.seed}")
    run = train_for_drawing(cfg, data)
    while True:
        try:
            step = next(run)
        except StopIteration as done:
            saved = done.value
            break
        print(
            f"  epoch {step.epoch}/{step.epochs}  loss {step.train_loss:.4f}  "
            f"test accuracy {step.test_accuracy:.2%}  ({step.seconds:.0f} s)"
        )
    for key, digits in sets.items():
        saved.meta[key] = validation_accuracy(saved.model, digits)
    saved.meta["typeset_fonts"] = sets["typeset_accuracy"].fonts
    saved.meta["misread_canvas_drawings"] = misread_strokes(saved.model)
    return saved


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    p.add_argument(
        "--out", type=Path, default=ASSETS, help=f"folder for the .pt files (default {ASSETS})"
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help=(
            "torch threads (default 1: on a shared 2-core server, 2 threads contend and run slower)"
        ),
    )
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    data = load_mnist(progress=lambda f, msg: print(f"  {msg}", end="\r"))
    args.out.mkdir(parents=True, exist_ok=True)
    sets = validation_sets(data)
    failed = []
    for name in args.only:
        saved = train_one(name, data, sets)
        figures = ", ".join(
            f"{key.removesuffix('_accuracy').replace('_', '-')} "
            + ("n/a" if saved.meta[key] is None else f"{saved.meta[key]:.1%}")
            for key in sets
        )
        print(
            f"  test accuracy {saved.meta['test_accuracy']:.2%}, "
            f"augmented {saved.meta['augmented_test_accuracy']:.2%}, {figures}"
        )
        if saved.meta[
            "misread_canvas_drawings"
        ]:  # the gate: never ship a model that misreads these
            print(
                "  NOT WRITTEN: it misreads canvas drawings: "
                f"{', '.join(saved.meta['misread_canvas_drawings'])}"
            )
            failed.append(name)
            continue
        path = args.out / f"{name}.pt"
        path.write_bytes(save_model(saved.model, saved.spec, saved.meta))
        print(f"  wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
