"""Train the shipped linear, MLP and CNN models and write them to assets/models/.

    uv run python -m scripts.train_pretrained            # all three, a few minutes on 2 cores
    uv run python -m scripts.train_pretrained --only cnn --out /tmp/models

MNIST train only, with drawing-like augmentation (core.digits_augment), seeded.
Each file (core.models.save_model) records in its metadata how it was trained,
its MNIST test accuracy, and its accuracy on the validation sets of
core.digits_validation (digits typeset in this machine's fonts; MNIST test
redrawn with thin pens, distorted beyond the training ranges, recorded as a
sparse 8-point pen trajectory, stretched into square 16x16 and 32x32 bitmaps):
the checks that chose the augmentation and the CNN's size. A model that
misreads one of the canvas drawings the browser test draws (a 1 with a flag,
a 0, a 7, each at three pen widths) is not written, and the script exits 1.
The handwriting evaluation sets are never used here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from core.data import load_mnist
from core.digits_augment import AugmentConfig
from core.digits_training import PretrainConfig, train_for_drawing
from core.digits_validation import (
    ValidationDigits,
    box_filled_digits,
    misread_strokes,
    over_distorted_digits,
    pen_drawn_digits,
    sparse_pen_digits,
    typeset_digits,
)
from core.digits_validation import accuracy as validation_accuracy
from core.models import ASSETS, ModelSpec, SavedModel, save_model

# A single linear layer has one template per class: distortions only blur its
# templates. On the typeset-digit validation it read 75% plain, 68% with thicker
# and thinner strokes, 60% with mild rotation and shear too. So: MNIST as it is.
NO_AUGMENT = AugmentConfig(max_rotation_deg=0.0, max_shear=0.0, aspect=(1.0, 1.0), centre_jitter_px=0.0,
                           thicken_prob=0.0, thin_prob=0.0, solid_prob=0.0)
CONFIGS = {
    "linear": PretrainConfig(ModelSpec("linear"), epochs=3, lr=3e-3, weight_decay=0.0, augment=NO_AUGMENT),
    "mlp": PretrainConfig(ModelSpec("mlp", hidden=(128,)), epochs=5),
    # Chosen on validation only (see the table below): canvas-like pen strokes, some
    # straightened, some reduced to a sparse pen trajectory; some stretched to a square.
    "cnn": PretrainConfig(ModelSpec("cnn", channels=(32, 64), fc=128), epochs=12, augment=AugmentConfig(
        pen_prob=0.6, straight_prob=0.3, sparse_prob=0.5, fill_prob=0.25, aspect=(0.7, 1.45))),
}
# Tried for the CNN and NOT shipped (validation only: MNIST test, typeset digits, MNIST test
# redrawn with thin pens, MNIST test distorted beyond every training range). One thread each
# (MNIST / typeset / pen-drawn / over-distorted; "1 flag" = how a mouse-drawn 1 with a flag,
# the browser test's, reads at pen width 20):
#   conv16-32-fc64, 6 epochs, this augmentation (SHIPPED)  99.20 / 99.9 / 97.6 / 75.7, 1 flag: 1 (99%)
#   the same + uniform-pen redrawing (pen_prob=0.5)        99.16 / 97.9 / 97.9 / 75.3, 1 (99%)
#   conv32-64-fc128, 10 epochs, + pen                      99.45 / 100  / 98.4 / 76.1, 1 (86%)
#   ... + wider rotation, shear and aspect                 99.31 / 100  / 98.4 / 78.0, 1 (73%)
#   ... + pen + 1 px elastic wobble (5x5 grid)             99.17 / 99.1 / 98.2 / 87.5, 1 (61%)
#   conv32-64-fc128, 12 epochs, pen + 0.7 px wobble (4x4)   99.53 / 100  / 98.5 / 84.3, 1 (69%)
#   ... + straight segments (straight_prob=0.5), aspect 0.7..1.45
#                                                          99.54 / 99.9 / 98.6 / 85.5, 7 (73%)
# The last one read the handwriting sets better (Semeion 88.6%, optdigits 96.7%,
# pendigits 71.9%, against 85.8 / 95.2 / 71.1 for the shipped CNN) but read a 1 with
# a flag as a 7: the elastic wobble bends MNIST's plain ones towards sevens. A model
# that misreads a European 1 is worse on the page than a few points on a benchmark.


def validation_sets(data) -> dict[str, ValidationDigits]:
    """Every validation set, by the metadata key its accuracy is recorded under (about a minute to build)."""
    return {
        "typeset_accuracy": typeset_digits(),
        "pen_drawn_accuracy": pen_drawn_digits(data.test_images, data.test_y),
        "over_distorted_accuracy": over_distorted_digits(data.test_images, data.test_y),
        "sparse_pen_accuracy": sparse_pen_digits(data.test_images, data.test_y),
        "box_filled_accuracy": box_filled_digits(data.test_images, data.test_y),
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
        print(f"  epoch {step.epoch}/{step.epochs}  loss {step.train_loss:.4f}  "
              f"test accuracy {step.test_accuracy:.2%}  ({step.seconds:.0f} s)")
    for key, digits in sets.items():
        saved.meta[key] = validation_accuracy(saved.model, digits)
    saved.meta["typeset_fonts"] = sets["typeset_accuracy"].fonts
    saved.meta["misread_canvas_drawings"] = misread_strokes(saved.model)
    return saved


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    p.add_argument("--out", type=Path, default=ASSETS, help=f"folder for the .pt files (default {ASSETS})")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: on a shared 2-core server, 2 threads contend and run slower)")
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    data = load_mnist(progress=lambda f, msg: print(f"  {msg}", end="\r"))
    args.out.mkdir(parents=True, exist_ok=True)
    sets = validation_sets(data)
    failed = []
    for name in args.only:
        saved = train_one(name, data, sets)
        figures = ", ".join(f"{key.removesuffix('_accuracy').replace('_', '-')} "
                            + ("n/a" if saved.meta[key] is None else f"{saved.meta[key]:.1%}") for key in sets)
        print(f"  test accuracy {saved.meta['test_accuracy']:.2%}, "
              f"augmented {saved.meta['augmented_test_accuracy']:.2%}, {figures}")
        if saved.meta["misread_canvas_drawings"]:  # the gate: never ship a model that misreads these
            print(f"  NOT WRITTEN: it misreads canvas drawings: {', '.join(saved.meta['misread_canvas_drawings'])}")
            failed.append(name)
            continue
        path = args.out / f"{name}.pt"
        path.write_bytes(save_model(saved.model, saved.spec, saved.meta))
        print(f"  wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
