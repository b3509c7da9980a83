"""How well the shipped models read handwriting MNIST never saw, through the page's pipeline.

    uv run python -m benchmarks.handwriting [--json PATH] [--limit N] [--models-dir DIR]

Each digit of the evaluation-only sets (Semeion, optdigits, pendigits; see
pretrain.handwriting) is painted onto a 280x280 canvas, then classified twice in
the same run: through the MNIST pipeline the page uses (core.digits.pipeline.preprocess)
and through the naive pipeline most canvas demos use (resize the whole canvas
to 28x28). Targets for the shipped CNN: Semeion >= 90%, optdigits >= 96%,
pendigits >= 80% (MNIST pipeline). Nothing here trains or tunes anything.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import parser, print_table, write_json
from core.digits.pipeline import naive_pixels, normalise, preprocess, probabilities
from core.mnist.models import KINDS, load_model, load_pretrained_saved
from pretrain.handwriting import HandwritingSet, load_all

TARGETS = {"semeion": 0.90, "optdigits": 0.96, "pendigits": 0.80}  # shipped CNN, MNIST pipeline


def inputs(data: HandwritingSet) -> tuple[torch.Tensor, torch.Tensor]:
    """Both pipelines' inputs for every sample: two (N, 1, 28, 28) tensors."""
    ours, naive = [], []
    for canvas, _ in data:
        ours.append(preprocess(canvas).tensor)
        naive.append(normalise(naive_pixels(canvas)))
    return torch.cat(ours), torch.cat(naive)


def accuracy(model, x: torch.Tensor, labels: np.ndarray) -> float:
    preds = np.concatenate(
        [probabilities(model, x[i : i + 1000]).argmax(1) for i in range(0, len(x), 1000)]
    )
    return float((preds == labels).mean())


def load_models(models_dir: Path | None) -> dict:
    if models_dir is None:
        return {k: load_pretrained_saved(k) for k in KINDS}
    return {k: load_model((models_dir / f"{k}.pt").read_bytes()) for k in KINDS}


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--limit", type=int, default=0, help="use a seeded random subset of N digits per set"
    )
    p.add_argument(
        "--models-dir",
        type=Path,
        help="evaluate the .pt files in this folder instead of the shipped ones",
    )
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    models = load_models(args.models_dir)
    rows, results, ok = [], {}, True
    for name, data in load_all().items():
        if args.limit:
            data = data.subset(args.limit)
        t = time.perf_counter()
        x_ours, x_naive = inputs(data)
        prep_s = time.perf_counter() - t
        for kind, saved in models.items():
            ours = accuracy(saved.model, x_ours, data.labels)
            naive = accuracy(saved.model, x_naive, data.labels)
            target = TARGETS[name] if kind == "cnn" else None
            passed = None if target is None else ours >= target
            ok &= passed is not False
            rows.append(
                {
                    "set": name,
                    "n": len(data),
                    "model": kind,
                    "mnist_pipeline": ours,
                    "naive_resize": naive,
                    "gain": ours - naive,
                    "target": "" if target is None else f">= {target:.0%}",
                    "pass": "" if passed is None else passed,
                }
            )
            results[f"{name}/{kind}"] = {
                "n": len(data),
                "mnist_pipeline": ours,
                "naive_resize": naive,
                "target": target,
                "pass": passed,
            }
        results[f"{name}/preprocess_seconds"] = round(prep_s, 1)
    for r in rows:
        r["mnist_pipeline"] = f"{r['mnist_pipeline']:.1%}"
        r["naive_resize"] = f"{r['naive_resize']:.1%}"
        r["gain"] = f"{r['gain']:+.1%}"
    print_table(
        rows, "Accuracy on handwriting never seen in training (painted onto a 280x280 canvas)"
    )
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    write_json(
        args.json,
        {"results": results, "all_targets_met": ok, "meta": {k: v.meta for k, v in models.items()}},
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
