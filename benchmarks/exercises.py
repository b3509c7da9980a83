"""What pressing Check costs the server: each shipped exercise's experiment, timed.

    uv run python -m benchmarks.exercises [--repeats 3] [--json PATH]

Every exercise in `core/exercises/catalog.toml` is graded against a run made with its own
settings (`core.exercises.read_outcome`), on one torch thread as the page runs it (the page
holds a training slot meanwhile). MNIST and the shipped models are loaded first, once, as the
server holds them; a session runs each experiment once (its result is kept), so this is the
cost of a first Check. Target: each under 3 s (the MNIST ones included), the slowest thing a
student waits for after committing a prediction.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.common import parser, print_table, write_json
from core.exercises import Resources, catalog, read_outcome
from core.mnist.data import load_mnist
from core.mnist.models import load_pretrained_saved
from core.runtime import configure_torch, one_thread

TARGET_S = 3.0


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    configure_torch()
    data = load_mnist()
    resources = Resources(lambda: data, load_pretrained_saved)
    rows = []
    for ex in catalog():
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            with one_thread():
                outcome = read_outcome(ex, resources)
            times.append(time.perf_counter() - t)
        median = statistics.median(times)
        rows.append(
            {
                "page": ex.page,
                "exercise": ex.id,
                "truth": str(outcome.truth)[:24],
                "median_s": median,
                "max_s": max(times),
                f"target_<{TARGET_S:g}s": "PASS" if median < TARGET_S else "FAIL",
            }
        )
    print_table(rows, f"One Check per exercise (median of {args.repeats}, one torch thread)")
    ok = all(r[f"target_<{TARGET_S:g}s"] == "PASS" for r in rows)
    print(f"\nall targets: {'PASS' if ok else 'FAIL'}")
    write_json(args.json, {"rows": rows, "pass": ok})


if __name__ == "__main__":
    main()
