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


def parser(description: str, watch: bool = False) -> argparse.ArgumentParser:
    """The benchmarks' common options.

    `watch` adds those of a page watched playing (`play_and_watch`).
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement")
    if watch:
        p.add_argument(
            "--no-browser", action="store_true", help="skip the Chromium throttling measurement"
        )
        p.add_argument("--watch-s", type=float, default=8.0, help="seconds to watch a playing run")
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


# Records every change of the first metric (the step counter), with its time.
OBSERVER_JS = """
() => {
  window.__ticks = [];
  const read = () => {
    const el = document.querySelector('[data-testid="stMetricValue"]');
    return el ? el.innerText : null;
  };
  let last = read();
  new MutationObserver(() => {
    const now = read();
    if (now !== null && now !== last) { last = now; window.__ticks.push([performance.now(), now]); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""


def tick_stats(ticks: list, t0: float, watch_s: float) -> dict:
    """Summarise the metric changes OBSERVER_JS recorded ([ms, text] pairs) after `t0` ms."""
    inside = [(t, v) for t, v in ticks if t >= t0]
    steps = [int(v.replace(",", "")) for _, v in inside]
    gaps = [(b - a) / 1000 for (a, _), (b, _) in zip(inside, inside[1:], strict=False)]
    step_jumps = [b - a for a, b in zip(steps, steps[1:], strict=False)]
    return {
        "watched_s": watch_s,
        "chart_updates": len(inside),
        "updates_per_s": len(inside) / watch_s,
        "training_steps_per_s": (steps[-1] - steps[0]) / watch_s if len(steps) > 1 else 0.0,
        "steps_per_update_median": statistics.median(step_jumps) if step_jumps else 0,
        "min_gap_s": min(gaps) if gaps else None,
        "median_gap_s": statistics.median(gaps) if gaps else None,
    }


def play_and_watch(page, base_url: str, url_path: str, query: str, watch_s: float) -> dict:
    """Open a lab page with `query`, press Play, watch its step metric for `watch_s` seconds.

    Returns `tick_stats` of what the browser showed; the page is left playing,
    for the caller to look at or pause.
    """
    from tests.support import browser

    browser.open_page(page, base_url, url_path, query, 180)
    page.locator(".js-plotly-plot").first.wait_for(timeout=180_000)
    browser.wait_idle(page, 120)
    page.evaluate(OBSERVER_JS)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("window.__ticks.length > 0", timeout=60_000)
    t0 = page.evaluate("performance.now()")
    time.sleep(watch_s)
    return tick_stats(page.evaluate("window.__ticks"), t0, watch_s)


# Chart updates a playing page may push to the browser: "a few per second at most".
TARGET_UPDATES_PER_S = 4.0


def finish(
    result: dict, ok: bool, throttle: dict | None, title: str, json_path: Path | None
) -> None:
    """Report a playing page's chart-update rate (if measured), the verdict and the JSON.

    The verdict is the overall one, over all targets.
    """
    if throttle is not None:
        result["throttle"] = throttle
        print_table([throttle], title)
        th_ok = 0 < throttle["updates_per_s"] <= TARGET_UPDATES_PER_S
        print(
            f"\nupdates per second {throttle['updates_per_s']:.2f} "
            f"(target <= {TARGET_UPDATES_PER_S}, > 0): {'PASS' if th_ok else 'FAIL'}"
        )
        ok = ok and th_ok
    print(f"\nall targets: {'PASS' if ok else 'FAIL'}")
    result["pass"] = ok
    write_json(json_path, result)
