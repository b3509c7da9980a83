"""Linear regression lab: training speed, cost of one training chunk, what Play asks of the server.

    uv run python -m benchmarks.linreg [--repeats 5] [--json PATH] [--no-browser] [--watch-s 8]

Training: 1,000 full-batch epochs on 1,000 points (medians), for each trainer alone
(all steps recorded, as the page records them), for both in lockstep as the page runs
them, and a bare by-hand loop that records nothing as the baseline.
Target: each trainer < 1 s; the page's lockstep run of both trainers (2 x 1,000 epochs)
< 2 s. CPU time is printed beside the wall clock: on a shared machine the wall clock
also counts the time other processes held the cores.

Chunk: what one step-button click of 30 steps costs the server (train, build the four
figures, serialise them).

Play (a real Streamlit server and Chromium): Play trains a long run (1,000 epochs of
mini-batches of 8, cut at the click's 1.5 s budget) in one server run, then the browser
replays it. While the replay plays, the page must send nothing to the server and the
step counter must not move (target 0 and 0): a playing student costs the server nothing.
Then three presses of Play on the page as a student first opens it (100 epochs, 100 points):
the seconds from the click to the replay on screen.
"""

from __future__ import annotations

import statistics
import time

import torch

from benchmarks.common import finish, median_seconds, parser, play_once, print_table
from core import linreg, theme
from core.linreg import HandConfig, LabRun, TorchConfig
from core.linreg import figures as linreg_figures
from core.linreg.data import SyntheticConfig, synthetic
from core.runtime import configure_torch
from ui.registry import PAGES

TARGET_S = 1.0
EPOCHS, POINTS = 1000, 1000


def problem():
    return linreg.make_problem(synthetic(SyntheticConfig(n=POINTS, noise=1.0)), 1, standardise=True)


def bare_loop(p) -> None:
    """The by-hand loop with nothing recorded: the floor for any recording trainer."""
    X, y = p.X_train, p.y_train
    w = torch.zeros(1, requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    for _ in range(EPOCHS):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad.zero_()
        b.grad.zero_()


def training_rows(repeats: int) -> list[dict]:
    """Each case timed `repeats` times, round-robin so a burst of load hits every case alike.

    Wall time is the target; CPU time (this process) is printed beside it because on a
    shared machine the wall clock also counts the time other processes held the cores.
    """
    p = problem()
    cfg = dict(lr=0.1, epochs=EPOCHS)
    cases = {
        "bare by-hand loop (baseline, records nothing)": lambda: bare_loop(p),
        "by hand (generator, every step recorded)": lambda: list(
            linreg.train_by_hand(p, HandConfig(**cfg))
        ),
        "PyTorch SGD (generator)": lambda: list(linreg.train_pytorch(p, TorchConfig(**cfg))),
        "PyTorch Adam (generator)": lambda: list(
            linreg.train_pytorch(p, TorchConfig(**cfg, optimizer="adam"))
        ),
        "page's LabRun: both trainers in lockstep (2 x 1,000 epochs, target 2 s)": lambda: LabRun(
            p, HandConfig(**cfg), TorchConfig(**cfg)
        ).advance(EPOCHS),
    }
    for fn in cases.values():  # warm-up: imports, first-call allocations
        fn()
    wall: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            w, c = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    base = statistics.median(wall[next(iter(cases))])
    rows = []
    for name in cases:
        t = statistics.median(wall[name])
        limit = 2 * TARGET_S if "lockstep" in name else TARGET_S  # the target is per trainer
        target = "" if "baseline" in name else ("PASS" if t < limit else "FAIL")
        rows.append(
            {
                "case": name,
                "median_s": t,
                "min_s": min(wall[name]),
                "cpu_median_s": statistics.median(cpu[name]),
                "steps_per_s": EPOCHS / t,
                "x_baseline": t / base,
                "target_<1s": target,
            }
        )
    return rows


def tick_cost(repeats: int) -> dict:
    """Server time of one animation tick: 30 steps of both trainers + 4 figures as JSON."""
    p = problem()
    run = LabRun(p, HandConfig(lr=0.01, epochs=EPOCHS), TorchConfig(lr=0.01, epochs=EPOCHS))
    run.advance(300)  # mid-run: histories of realistic length

    def tick():
        run.advance(30)
        for fig in linreg_figures.lab_figures(run, log_y=False).values():
            theme.style(fig).to_json()

    t = median_seconds(tick, repeats=repeats)
    sizes = {k: len(theme.style(f).to_json()) for k, f in linreg_figures.lab_figures(run).items()}
    return {"tick_median_s": t, "figure_json_bytes": sizes, "total_bytes": sum(sizes.values())}


REPLAY = ".st-key-lin_replay_chart"


def play(watch_s: float) -> dict:
    """What pressing Play on a long run asks of the server, in Chromium."""
    from tests.support import browser

    with browser.running_server() as url, browser.launched_chromium() as chrome:
        page = chrome.new_page(viewport={"width": 1400, "height": 1400})
        url_path = next(p[4] for p in PAGES if p[1] == "pages/linear_regression.py")
        query = f"lin_epochs={EPOCHS}&lin_n={POINTS}&lin_batch=Mini-batch&lin_bs=8"
        stats = play_once(page, url, url_path, query, REPLAY, watch_s)
        browser.screenshot(page, "linreg-bench-playing")
        stats["click_to_replay_at_defaults_s"] = [  # the page as a student first opens it
            play_once(chrome.new_page(), url, url_path, "", REPLAY, 0.5)["click_to_replay_s"]
            for _ in range(3)
        ]
    return stats


def main() -> None:
    args = parser(__doc__.splitlines()[0], watch=True).parse_args()
    configure_torch()
    rows = training_rows(args.repeats)
    print_table(
        rows,
        f"{EPOCHS} full-batch epochs on {POINTS} points (median of {args.repeats}, "
        f"{torch.get_num_threads()} torch thread(s))",
    )
    tick = tick_cost(args.repeats)
    print(
        f"\nOne chunk (30 steps of both trainers + 4 figures to JSON): "
        f"{tick['tick_median_s'] * 1000:.0f} ms median; "
        f"{tick['total_bytes'] / 1024:.0f} KiB of figures "
        f"{tick['figure_json_bytes']}"
    )
    result = {"training": rows, "tick": tick}
    ok = all(r["target_<1s"] != "FAIL" for r in rows)
    played = None if args.no_browser else play(args.watch_s)
    finish(result, ok, played, "Play on a 125,000-step run, then watching it (Chromium)", args.json)


if __name__ == "__main__":
    main()
