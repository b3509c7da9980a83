"""Cold start: seconds from `streamlit run` to a page rendered in Chromium.

    uv run python -m benchmarks.cold_start [--repeats 5] [--json PATH]

Measures, in the same run and alternating so noise hits all alike:
- a one-line Streamlit app (the baseline: Streamlit + the browser, nothing of ours),
- this app's home page,
- this app's first page that needs torch (opened fresh after a cold start),
- the teacher's first lab page (the MNIST lab) opened after the home page, once the server
  has warmed up (`ui.warm`), against the same server with `EXPLORER_WARM_UP=0` after the
  same wait (the baseline).
Targets: home <= 1.3 x the one-line app; the warm lab page <= 3 s (medians).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import parser, print_table, write_json
from tests.support import browser
from ui.registry import PAGES

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.3
TORCH_PAGES = [p for p in PAGES if p[4] != "home"]


def first_torch_page() -> tuple[str, str] | None:
    """(url path, title) of the first built page that needs torch."""
    for _, path, title, _, url in TORCH_PAGES:
        if (ROOT / path).exists():
            return url, title
    return None


def time_to_render(chrome, script: str, cwd: Path, url_path: str, selector: str) -> float:
    """Start a server for `script`, open `url_path`, return seconds until `selector` is visible."""
    t0 = time.perf_counter()
    proc, base = browser.start_server(script, cwd=cwd)
    try:
        page = chrome.new_page()
        page.goto(f"{base}/{url_path}")
        page.wait_for_selector(selector, timeout=120_000)
        seconds = time.perf_counter() - t0
        page.close()
        return seconds
    finally:
        browser.stop_server(proc)


WARM_TARGET_S = 3.0


def time_lab_after_home(chrome, warm: bool, wait_s: float | None = None) -> tuple[float, float]:
    """(seconds the home page stayed open before the click, seconds to the lab's Train button).

    With `warm`, the click comes once the server log says the warm-up is done; without, after
    `wait_s` seconds (the warm run's wait, so both servers had the same idle time)."""
    env = {"EXPLORER_WARM_UP": "1" if warm else "0"}
    proc, base = browser.start_server("app.py", env=env)
    try:
        page = chrome.new_page()
        browser.open_page(page, base)
        t0 = time.perf_counter()
        if warm:
            log = Path(proc.log_path)
            browser.wait_until(
                lambda: "warm-up done" in log.read_text(errors="replace"), 300, "the warm-up"
            )
        else:
            time.sleep(wait_s or 0.0)
        waited = time.perf_counter() - t0
        t1 = time.perf_counter()
        page.goto(f"{base}/mnist")
        page.get_by_role("button", name="Train").wait_for(timeout=120_000)
        seconds = time.perf_counter() - t1
        page.close()
        return waited, seconds
    finally:
        browser.stop_server(proc)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    torch_page = first_torch_page()
    with tempfile.TemporaryDirectory() as tmp:
        one_line = Path(tmp) / "one_line.py"
        one_line.write_text('import streamlit as st\nst.title("Hello")\n')
        cases = {
            "one-line app": (str(one_line), Path(tmp), "", "h1:has-text('Hello')"),
            "home page": ("app.py", ROOT, "", "h1:has-text('PyTorch Linear Models Explorer')"),
        }
        if torch_page:
            url, title = torch_page
            cases[f"first torch page ({url})"] = (
                "app.py",
                ROOT,
                url,
                f"h1:has-text('{title.split(' ')[0]}')",
            )
        times: dict[str, list[float]] = {k: [] for k in cases}
        lab = {"teacher's first lab page, warm server": [], "same, EXPLORER_WARM_UP=0": []}
        with browser.launched_chromium() as chrome:
            for _ in range(args.repeats):
                for name, case in cases.items():
                    times[name].append(time_to_render(chrome, *case))
                waited, warm_s = time_lab_after_home(chrome, warm=True)
                _, cold_s = time_lab_after_home(chrome, warm=False, wait_s=waited)
                lab["teacher's first lab page, warm server"].append(warm_s)
                lab["same, EXPLORER_WARM_UP=0"].append(cold_s)
    base = statistics.median(times["one-line app"])
    rows = [
        {
            "case": k,
            "median_s": statistics.median(v),
            "min_s": min(v),
            "max_s": max(v),
            "ratio_to_one_line": statistics.median(v) / base,
        }
        for k, v in times.items()
    ]
    print_table(
        rows, f"Cold start, {args.repeats} runs each (server start -> page rendered in Chromium)"
    )
    lab_rows = [
        {"case": k, "median_s": statistics.median(v), "min_s": min(v), "max_s": max(v)}
        for k, v in lab.items()
    ]
    print_table(lab_rows, "\nThe MNIST lab opened after the home page (page open -> Train shown)")
    warm_median = lab_rows[0]["median_s"]
    print(
        f"warm lab page {warm_median:.2f} s (target <= {WARM_TARGET_S:g} s): "
        f"{'PASS' if warm_median <= WARM_TARGET_S else 'FAIL'}; "
        f"{lab_rows[1]['median_s'] / warm_median:.1f}x faster than without the warm-up"
    )
    home_ratio = statistics.median(times["home page"]) / base
    ok = home_ratio <= TARGET_RATIO
    print(
        f"\nhome / one-line = {home_ratio:.2f} (target <= {TARGET_RATIO}): "
        f"{'PASS' if ok else 'FAIL'}"
    )
    write_json(
        args.json,
        {
            "runs": times,
            "rows": rows,
            "home_ratio": home_ratio,
            "target": TARGET_RATIO,
            "pass": ok,
            "lab_after_home": lab,
            "lab_rows": lab_rows,
            "warm_target_s": WARM_TARGET_S,
        },
    )


if __name__ == "__main__":
    main()
