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

    `watch` adds those of a page watched playing (`play_once`).
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement")
    if watch:
        p.add_argument(
            "--no-browser", action="store_true", help="skip the Chromium Play measurement"
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


def play_once(page, base_url: str, url_path: str, query: str, replay: str, watch_s: float) -> dict:
    """Open a lab page with `query`, press its Play ("Train & play"), and watch.

    Play trains on the server in one click, then the replay at CSS `replay` plays in the
    browser. Returns the seconds from the click to the replay on the page, and, over the
    `watch_s` seconds after that click's rerun, the messages the page sent to the server
    and the changes of the step counter (both must be 0: playing is the browser's job).
    """
    from tests.support import browser

    sent = []  # every websocket message from the page to the server
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    browser.open_page(page, base_url, url_path, query, 180)
    page.locator(".js-plotly-plot").first.wait_for(timeout=180_000)
    browser.wait_idle(page, 120)
    page.evaluate(OBSERVER_JS)
    t = time.perf_counter()
    page.get_by_role("button", name="Train & play").click()
    page.locator(replay).first.wait_for(timeout=120_000)
    click_to_replay = time.perf_counter() - t
    browser.wait_idle(page, 120)
    before, t0 = len(sent), page.evaluate("performance.now()")
    step_after_play = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    time.sleep(watch_s)
    ticks = [v for at, v in page.evaluate("window.__ticks") if at >= t0]
    return {
        "watched_s": watch_s,
        "click_to_replay_s": click_to_replay,
        "step_after_play": step_after_play,
        "messages_while_playing": len(sent) - before,
        "step_changes_while_playing": len(ticks),
    }


def finish(result: dict, ok: bool, play: dict | None, title: str, json_path: Path | None) -> None:
    """Report what pressing Play did (if measured), the verdict over all targets, the JSON."""
    if play is not None:
        result["play"] = play
        print_table([play], title)
        play_ok = play["messages_while_playing"] == 0 and play["step_changes_while_playing"] == 0
        print(
            "\nwhile the replay plays: messages to the server and server-side step changes "
            f"(target 0 and 0): {'PASS' if play_ok else 'FAIL'}"
        )
        ok = ok and play_ok
    print(f"\nall targets: {'PASS' if ok else 'FAIL'}")
    result["pass"] = ok
    write_json(json_path, result)
