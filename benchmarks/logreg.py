"""Logistic regression lab: probability surface, training speed, one chunk, what Play asks.

    uv run python -m benchmarks.logreg [--repeats 5] [--json PATH] [--no-browser] [--watch-s 8]

Surface: the model evaluated on a 200 x 200 grid in one vectorised call (what the
heat map needs), for the plain two-class model, softmax over five classes, and the
heaviest model the page offers (all five extra features, 32 hidden units).
Target: < 20 ms each (median).

Training: 500 full-batch epochs on 1,000 points through the page's `Run` (every step's
train and test metrics recorded), against a bare loop that records nothing.
Target: < 1 s for the chapter's model (plain logistic regression); the other models
are reported against the same second.

Chunk: server time of 20 steps with the three figures built and serialised. Play
(Chromium on a real server): one click trains 1,000 steps, then the browser replays
them; while it plays, no message to the server and no server-side step (target 0, 0).
Then three presses on the page at its defaults (200 steps): click -> replay on screen.
"""

from __future__ import annotations

import torch

from benchmarks.common import finish, median_seconds, parser, play_once, print_table
from core import logreg, theme
from core.logreg import figures as lf
from core.logreg.data import DataSpec, make_dataset
from core.metrics import confusion_matrix
from core.runtime import configure_torch, one_thread
from ui.registry import PAGES

SURFACE_TARGET_S = 0.020
TRAIN_TARGET_S = 1.0
GRID = 200
EPOCHS, POINTS = 500, 1000
ALL_FEATURES = logreg.EXTRA_FEATURES


def data(kind: str = "xor", classes: int = 3):
    # All points in training (test_fraction 0) so "1,000 points" is what each step sees.
    return make_dataset(DataSpec(kind, n_points=POINTS, n_classes=classes, test_fraction=0.0))


CASES = {  # name -> (data set, config); the first is the chapter's model and the target
    "logistic regression (x1, x2)": (lambda: data(), logreg.LogRegConfig(lr=0.1)),
    "softmax regression, 5 classes": (lambda: data("multiblobs", 5), logreg.LogRegConfig(lr=0.1)),
    "all 5 extra features + 32 tanh units, Adam": (
        lambda: data(),
        logreg.LogRegConfig(features=ALL_FEATURES, hidden=32, optimizer="adam", lr=0.01),
    ),
}


def surface_rows(repeats: int) -> list[dict]:
    rows = []
    for name, (make, config) in CASES.items():
        d = make()
        model = logreg.build_model(d.n_classes, config)
        bounds = d.bounds()
        t = median_seconds(
            lambda m=model, b=bounds: logreg.probability_surface(m, b, GRID),
            repeats=max(repeats, 20),
        )
        rows.append(
            {
                "model": name,
                "grid": f"{GRID}x{GRID}",
                "median_ms": t * 1000,
                "target_<20ms": "PASS" if t < SURFACE_TARGET_S else "FAIL",
            }
        )
    return rows


def bare_loop(d) -> None:
    """nn.Linear(2, 1) + BCEWithLogitsLoss + SGD with nothing recorded: the floor."""
    with one_thread():
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        y = d.y_train.float()
        for _ in range(EPOCHS):
            loss = loss_fn(model(d.x_train).squeeze(1), y)
            opt.zero_grad()
            loss.backward()
            opt.step()


def training_rows(repeats: int) -> list[dict]:
    base_data = data()
    base = median_seconds(lambda: bare_loop(base_data), repeats=repeats)
    rows = [
        {
            "case": "bare loop (baseline, records nothing)",
            "median_s": base,
            "epochs_per_s": EPOCHS / base,
            "x_baseline": 1.0,
            "target_<1s": "",
        }
    ]
    for name, (make, config) in CASES.items():
        d = make()
        t = median_seconds(lambda d=d, c=config: logreg.Run(d, c).advance(EPOCHS), repeats=repeats)
        rows.append(
            {
                "case": f"Run: {name}",
                "median_s": t,
                "epochs_per_s": EPOCHS / t,
                "x_baseline": t / base,
                "target_<1s": "PASS" if t < TRAIN_TARGET_S else "FAIL",
            }
        )
    return rows


def tick_cost(repeats: int) -> dict:
    """One animation tick: 20 steps, then the surface, curves and confusion figures as JSON."""
    d = make_dataset(DataSpec("moons", n_points=POINTS))
    run = logreg.Run(d, logreg.LogRegConfig(features=("x1*x2",), hidden=8, lr=0.1))
    run.advance(500)  # mid-run: a realistic history length

    def figures():
        cm = confusion_matrix(d.y_train, run.model.predict(d.x_train), d.n_classes).numpy()
        return [
            lf.surface_figure(run.model, d),
            lf.curves_figure(run.history),
            lf.confusion_figure(cm, d.class_names, "Confusion matrix"),
        ]

    def tick():
        run.advance(20)
        for fig in figures():
            theme.style(fig).to_json()

    t = median_seconds(tick, repeats=repeats)
    sizes = [len(theme.style(f).to_json()) for f in figures()]
    return {"tick_median_s": t, "figure_json_bytes": sizes, "total_bytes": sum(sizes)}


REPLAY = ".st-key-lr_replay_player .rp-root"


def play(watch_s: float) -> dict:
    """What pressing Play asks of the server, in Chromium."""
    from tests.support import browser

    url_path = next(p[4] for p in PAGES if p[1] == "pages/logistic_regression.py")
    query = f"lr_play_steps=1000&lr_n={POINTS}&lr_data=moons&lr_layers=1&lr_units1=8"
    with browser.running_server() as url, browser.launched_chromium() as chrome:
        page = chrome.new_page(viewport={"width": 1400, "height": 1400})
        stats = play_once(page, url, url_path, query, REPLAY, watch_s)
        stats["click_to_replay_at_defaults_s"] = [  # the page as a student first opens it
            play_once(chrome.new_page(), url, url_path, "", REPLAY, 0.5)["click_to_replay_s"]
            for _ in range(3)
        ]
    return stats


def main() -> None:
    args = parser(__doc__.splitlines()[0], watch=True).parse_args()
    configure_torch()
    surfaces = surface_rows(args.repeats)
    print_table(surfaces, "Probability surface, one vectorised call (median; torch on one thread)")
    training = training_rows(args.repeats)
    print_table(
        training, f"{EPOCHS} full-batch epochs on {POINTS} points (median of {args.repeats})"
    )
    tick = tick_cost(args.repeats)
    print(
        f"\nOne chunk (20 steps + 3 figures to JSON): "
        f"{tick['tick_median_s'] * 1000:.0f} ms median; "
        f"{tick['total_bytes'] / 1024:.0f} KiB of figures {tick['figure_json_bytes']}"
    )
    result = {"surface": surfaces, "training": training, "tick": tick}
    ok = all(r["target_<20ms"] == "PASS" for r in surfaces) and all(
        r["target_<1s"] != "FAIL" for r in training
    )
    played = None if args.no_browser else play(args.watch_s)
    finish(result, ok, played, "Play on 1,000 steps, then watching it (Chromium)", args.json)


if __name__ == "__main__":
    main()
