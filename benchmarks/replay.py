"""The linear regression replay in Chromium: frame rate, scrubbing latency, server messages.

    uv run python -m benchmarks.replay [--repeats 5] [--epochs 200] [--json PATH]

Starts the app, trains a full-batch run of `--epochs` steps (+100 until the end), opens
"Replay the run in your browser" and, `--repeats` times: plays the run from step 0 to its
end (frames counted in the page on plotly.js's `plotly_animatingframe` event), then drags
the scrubber to five places (latency from plotly.js's `plotly_sliderchange` to its
`plotly_animated` and the next paint). Every websocket message from the page to the
server is counted while it plays and scrubs. Issue 14's targets: at least 30 frames a
second, the chosen step shown within 50 ms of the scrubber moving, and no message to the
server. Headless Chromium draws in software on this machine: a laptop's GPU draws faster.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.common import parser, print_table, write_json

TARGET_FPS, TARGET_SCRUB_MS = 30.0, 50.0
REPLAY = ".st-key-lin_replay_chart .js-plotly-plot"
LISTEN_JS = """gd => {
  gd._bench = {frames: [], changes: [], shown: []};
  gd.on('plotly_animatingframe', () => gd._bench.frames.push(performance.now()));
  gd.on('plotly_sliderchange', () => gd._bench.changes.push(performance.now()));
  gd.on('plotly_animated', () => requestAnimationFrame(
    () => gd._bench.shown.push(performance.now())));
}"""


def current_step(page) -> int:
    return int(page.locator(f"{REPLAY} .slider-group > .slider-label").text_content().split()[-1])


def open_replay(page, url: str, epochs: int) -> None:
    from tests.support import browser
    from ui.registry import PAGES

    path = next(p[4] for p in PAGES if p[1] == "pages/linear_regression.py")
    browser.open_page(page, url, path, f"lin_epochs={epochs}", timeout=180)
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    browser.wait_idle(page, 120)
    metric = page.locator('[data-testid="stMetricValue"] >> nth=0')
    while metric.inner_text() != f"{epochs:,}":
        page.get_by_role("button", name="+100").click()
        browser.wait_idle(page, 60)
    page.get_by_text("Replay the run in your browser").click()
    page.locator(REPLAY).wait_for(timeout=60_000)
    browser.wait_idle(page, 60)
    page.locator(REPLAY).evaluate(LISTEN_JS)


def play_once(page, last: int) -> float:
    """Play from step 0 to the end; frames per second as the page drew them."""
    from tests.support import browser

    page.locator(REPLAY).evaluate("gd => { gd._bench.frames = []; }")
    page.locator(f"{REPLAY} .updatemenu-button", has_text="Play").first.click()
    browser.wait_until(lambda: current_step(page) == last, 60, "the end of the replay")
    frames = page.locator(REPLAY).evaluate("gd => gd._bench.frames")
    return 1000 * (len(frames) - 1) / (frames[-1] - frames[0])


def scrub(page, fractions=(0.1, 0.35, 0.6, 0.85, 0.2)) -> list[float]:
    """Drag the grip to each place; ms from the slider's last change to that frame painted."""
    rail = page.locator(f"{REPLAY} .slider-rail-rect")
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    y = box["y"] + box["height"] / 2
    latencies = []
    for f in fractions:
        page.locator(REPLAY).evaluate("gd => { gd._bench.changes = []; gd._bench.shown = []; }")
        grip = page.locator(f"{REPLAY} .slider-grip-rect").bounding_box()
        page.mouse.move(grip["x"] + grip["width"] / 2, y)
        page.mouse.down()
        page.mouse.move(box["x"] + f * box["width"], y, steps=4)
        page.mouse.up()
        time.sleep(0.3)  # the last change's frame is painted by then
        b = page.locator(REPLAY).evaluate("gd => gd._bench")
        if b["changes"] and b["shown"]:  # the grip moved (it may already be there)
            latencies.append(b["shown"][-1] - b["changes"][-1])
    return latencies


def measure(repeats: int, epochs: int) -> dict:
    from tests.support import browser

    sent: list = []
    with browser.running_server() as url, browser.launched_chromium() as chromium:
        page = chromium.new_context(viewport={"width": 1400, "height": 1400}).new_page()
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
        open_replay(page, url, epochs)
        before = len(sent)
        fps, scrub_ms = [], []
        for _ in range(repeats):
            page.locator(f"{REPLAY} .updatemenu-button", has_text="Pause").first.click()
            scrub_ms += scrub(page, fractions=(0.0,))  # back to step 0
            fps.append(play_once(page, epochs))
            scrub_ms += scrub(page)
        time.sleep(0.5)
        frames = page.locator(REPLAY).evaluate("gd => (gd._transitionData._frames || []).length")
        return {
            "fps": fps,
            "scrub_ms": scrub_ms,
            "frames": frames,
            "messages_to_server": len(sent) - before,
        }


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=200, help="steps of the replayed run")
    args = p.parse_args(argv)
    result = measure(args.repeats, args.epochs)
    fps = statistics.median(result["fps"])
    scrub_ms = statistics.median(result["scrub_ms"])
    rows = [
        {
            "measure": f"playing: frames drawn per second ({result['frames']} frames, median)",
            "value": fps,
            "range": f"{min(result['fps']):.1f}-{max(result['fps']):.1f}",
            "target": f">= {TARGET_FPS:g}",
            "pass": fps >= TARGET_FPS,
        },
        {
            "measure": f"scrubbing: slider moved -> step painted, ms ({len(result['scrub_ms'])})",
            "value": scrub_ms,
            "range": f"{min(result['scrub_ms']):.1f}-{max(result['scrub_ms']):.1f}",
            "target": f"<= {TARGET_SCRUB_MS:g}",
            "pass": scrub_ms <= TARGET_SCRUB_MS,
        },
        {
            "measure": "messages from the page to the server while playing and scrubbing",
            "value": result["messages_to_server"],
            "range": "",
            "target": "0",
            "pass": result["messages_to_server"] == 0,
        },
    ]
    print_table(rows, "Linear regression replay in headless Chromium")
    ok = all(r["pass"] for r in rows)
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    write_json(args.json, {"rows": rows, **result})
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
