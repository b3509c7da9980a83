"""Small shared pieces for the benchmarks: timing medians, a printed table, JSON output.

Every benchmark is run as `uv run python -m benchmarks.NAME [--json PATH]`, prints
a table, and measures its targets as ratios against a baseline in the same run
where the target is relative. The machine is shared and noisy: we report medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement")
    return p


def median_seconds(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """Median wall-clock seconds of `fn()` over `repeats` runs after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def print_table(rows: list[dict], title: str = "") -> None:
    """Print rows (dicts with the same keys) as an aligned text table."""
    if title:
        print(f"\n{title}")
    if not rows:
        print("(no rows)")
        return
    keys = list(rows[0])
    cells = [[_fmt(r.get(k)) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    print("  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    return str(v)


def write_json(path: Path | None, data: dict) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))
        print(f"\nwrote {path}")
