"""Thirty students on one server: errors, response times and memory under a class's load.

    uv run python -m benchmarks.classroom [--sessions 30] [--json PATH]
    uv run python -m benchmarks.classroom --url http://127.0.0.1:8080 [--server-pids PID ...]

Starts `streamlit run app.py` on a free 127.0.0.1 port (XSRF protection on, as
configured), warms it up as the teacher would (one visit to the lab and the
canvas: torch, MNIST and the shipped model load once per process), then lets
N students loose on it, each over Streamlit's own websocket protocol
(`benchmarks.st_client`: the server does the same work as for a browser; the
client costs a few protobuf parses instead of a Chromium each). Every student:

1. opens the teacher's shared link to the MNIST lab (a short linear run:
   `?mn_epochs=1&mn_n=5000`),
2. presses Train and waits for the test accuracy,
3. goes to Draw a digit and draws DIGITS digits stroke by stroke (the canvas
   sends its drawing after every stroke, as streamlit-drawable-canvas does),
   checking each time that a Prediction is shown, then resets the canvas.

Students arrive spread over `--ramp` seconds (default 30: a class opening the
link the teacher shared), read the page 2-5 s between actions and take 0.5-1.5 s
per stroke (`--burst`: all at once, no pauses: the worst case). A response time is the time from the
action's message leaving the client to the end of the script run that
answers it (`script_finished`): what a student waits before the page settles.
Memory is the RSS of the server process and its children, sampled every
0.2 s; the peak is reported. Targets (issue 18): 0 errors; p95 at most 1 s for every action
but training; a training's first progress bar within 1 s and the run finished within 5 s
(p95); at most 1.5 GB per server process tree.

Before the class, one student makes the same visit alone, without pauses, five
times (`--solo-visits`), and the server CPU of each of its actions (mean: the
kernel counts in 10 ms ticks) and the bytes it was sent are printed and checked
against issue 18's budgets (a stroke 40 ms, opening a page 60 ms, the linear
training 0.25 s; opening the lab 250 kB, a finished training 400 kB): figures that
do not depend on how busy the machine is, unlike the response times (the server
also reports how many cores it actually got, and the load average says how
much else was running). `--torch-threads` sets the server's
EXPLORER_TORCH_THREADS (default 1, the README's classroom setting).

`--url` drives a deployment that is already running instead (e.g. replicas behind
HAProxy, `scripts.serve_replicas`): this run did not start its processes, so it
measures their memory and CPU only for the process ids given with `--server-pids`
(each with its children, e.g. every replica's; their sum is "the server"); without
them the memory target and the lone student's CPU are not measured, and the lone
student is skipped.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import re
import resource
import statistics
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import parse_qs

from benchmarks.classroom_drawings import canvas_states, cleared_state
from benchmarks.common import parser, print_table, write_json
from benchmarks.st_client import RunResult, StreamlitSession, json_value
from tests.support import browser

ROOT = Path(__file__).resolve().parent.parent
TEACHER_LINK = "mn_epochs=1&mn_n=5000"  # the lab's linear model, one short epoch
LAB, DRAW = "mnist", "draw"
TRAIN_KEY = "mn_train"  # the canvas is found by its kind: the draw page has one
MODEL_PICKER_KEY, OWN_MODEL_PREFIX = (
    "draw_model",
    "Yours: ",
)  # models a session trained are listed so
# A person: reads the page for 2-5 s before the next click; draws one stroke in 0.5-1.5 s.
THINK_S, STROKE_S = (2.0, 5.0), (0.5, 1.5)
# Issue 18's targets: every action but training answered within 1 s (p95); a training shows
# its first progress within 1 s and the teacher's short run ends within 5 s; 1.5 GB a server.
TARGET_ERRORS, TARGET_P95_S, TARGET_MEMORY_GB = 0, 1.0, 1.5
TARGET_FIRST_PROGRESS_S, TARGET_TRAINING_S = 1.0, 5.0
TRAINING = "train linear model"
OPEN_LAB, OPEN_DRAW, STROKE = "open lab (shared link)", "open Draw a digit", "draw a stroke"
# Issue 18's budgets for one student alone: server CPU per action, and bytes sent.
BUDGET_CPU_S = {STROKE: 0.040, OPEN_LAB: 0.060, OPEN_DRAW: 0.060, TRAINING: 0.25}
BUDGET_KB = {OPEN_LAB: 250, TRAINING: 400}
SOLO_VISITS = 5  # the lone student's visits: 5 trainings, 5 x DIGITS digits' strokes
PREDICTION = re.compile(r"predict", re.I)
ACCURACY = re.compile(r"accura", re.I)


# ---- the server and its memory ------------------------------------------------


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def _tree_sum(pid: int, read_one) -> float:
    """Sum `read_one(p)` over `pid` and all its descendants (processes gone meanwhile count 0)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += read_one(p)
        except OSError:
            continue
        todo += _children(p)
    return total


def _rss_bytes(p: int) -> int:
    with open(f"/proc/{p}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _cpu_seconds(p: int) -> float:
    with open(f"/proc/{p}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and all its descendants (sum of RSS, as `ps` would add them up)."""
    return int(_tree_sum(pid, _rss_bytes))


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) used so far by `pid` and its descendants."""
    return float(_tree_sum(pid, _cpu_seconds))


class MemoryWatch:
    """Samples the RSS of the server trees (`pids`: one server, or every replica) on a thread;
    `.peak` and `.samples` (seconds, bytes) of their sum, `.peaks` per pid. No pids: nothing."""

    def __init__(self, *pids: int, every: float = 0.2):
        self.pids, self.every = pids, every
        self.samples: list[tuple[float, int]] = []
        self.peaks: dict[int, int] = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            each = {pid: tree_rss_bytes(pid) for pid in self.pids}
            for pid, rss in each.items():
                self.peaks[pid] = max(self.peaks[pid], rss)
            self.samples.append((time.perf_counter() - self._t0, sum(each.values())))
            self._stop.wait(self.every)

    def __enter__(self) -> MemoryWatch:
        if self.pids:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.pids:
            self._thread.join()

    @property
    def peak(self) -> int:
        return max((b for _, b in self.samples), default=0)


class Server:
    """`streamlit run app.py` on a free localhost port.

    Its log goes to a file, see tests/support/browser.py.
    """

    def __init__(self, torch_threads: int):
        env = {
            "EXPLORER_DATA_DIR": os.environ.get(
                "EXPLORER_DATA_DIR", str(ROOT.parent / "shared" / "data")
            ),
            "EXPLORER_TORCH_THREADS": str(torch_threads),
        }
        self.proc, self.url = browser.start_server("app.py", env=env)
        self._final_tail: list[str] | None = None

    @property
    def stderr_tail(self) -> list[str]:
        """The last lines of the server's log (kept when the server stops)."""
        if self._final_tail is not None:
            return self._final_tail
        try:
            text = Path(self.proc.log_path).read_text(errors="replace")
        except OSError:
            return []
        return text.splitlines()[-200:]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        tail = self.stderr_tail
        browser.stop_server(self.proc)
        self._final_tail = tail


# ---- one student ----------------------------------------------------------------


@dataclass
class Action:
    session: int
    action: str
    seconds: float
    ok: bool
    bytes: int
    detail: str = ""
    server_cpu_s: float | None = None  # measured only for the lone calibration student
    first_progress_s: float | None = None  # a training: when its progress bar first showed


class Student:
    """One student's visit: shared link -> train -> draw digits. Records every action.

    With `server_cpu` (a function returning the server's CPU seconds so far),
    each action also records the server CPU it cost: meaningful only for a
    student alone on the server (the calibration run).
    """

    def __init__(
        self,
        index: int,
        url: str,
        digits: int,
        ramp: float,
        think: tuple[float, float],
        stroke: tuple[float, float],
        records: list[Action],
        errors: list[str],
        seed: int,
        server_cpu=None,
    ):
        self.index, self.url, self.digits = index, url, digits
        self.rng = random.Random(seed * 1000 + index)
        self.ramp, self.think_range, self.stroke_range = ramp, think, stroke
        self.records, self.errors = records, errors
        self.server_cpu = server_cpu
        self.predictions: list[tuple[int, str]] = []
        self.accuracies: list[str] = []

    async def think(self, between: tuple[float, float] | None = None) -> None:
        lo, hi = between or self.think_range
        if hi > 0:
            await asyncio.sleep(self.rng.uniform(lo, hi))

    async def act(self, action: str, s: StreamlitSession, send, check=None, what: str = "") -> bool:
        """Do one action, check what the page then shows, record it.

        `send()` returns the action's RunResult.
        """
        cpu0 = self.server_cpu() if self.server_cpu else 0.0
        result: RunResult = await send()
        cpu = self.server_cpu() - cpu0 if self.server_cpu else None
        problems = list(result.exceptions)
        if result.status not in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"):
            problems.append(f"script ended {result.status}")
        problems += [f"st.error: {a[:160]}" for a in s.alerts("ERROR")]
        if check is not None and not problems and not check(s):
            problems.append(f"{what} not shown")
        detail = "; ".join(problems)
        self.records.append(
            Action(
                self.index,
                action,
                result.seconds,
                not problems,
                result.bytes,
                detail,
                cpu,
                result.first_progress_s,
            )
        )
        if problems:
            self.errors.append(f"student {self.index}, {action}: {detail}")
        return not problems

    async def run(self) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.ramp))
        async with StreamlitSession(self.url) as s:
            await self.act(OPEN_LAB, s, lambda: s.open(LAB, TEACHER_LINK))
            await self.think()
            if await self.act(
                "train linear model",
                s,
                lambda: s.click(s.widget(key=TRAIN_KEY)),
                check=accuracy_shown,
                what="test accuracy",
            ):
                self.accuracies.append(accuracy(s))
            if self.digits:
                await self.think()
                await self.draw(s)
            if s.protocol_errors:
                self.errors.append(f"student {self.index}: {'; '.join(s.protocol_errors)}")

    async def draw(self, s: StreamlitSession) -> None:
        await self.act(
            OPEN_DRAW,
            s,
            lambda: s.switch_page(DRAW),
            check=own_model_listed_once,
            what="exactly one model of this student's own in the model list",
        )
        if (
            self.rng.random() < 0.5
        ):  # half the class reads their drawings with the model they trained
            await self.think()
            picker = s.widget(key=MODEL_PICKER_KEY)
            mine = next(o for o in picker.proto.options if o.startswith(OWN_MODEL_PREFIX))
            await self.act(
                "pick my own model",
                s,
                lambda: s.set_value(picker, string_value=mine),
                check=lambda s: parse_qs(s.query_string).get(MODEL_PICKER_KEY) == [mine],
                what="own model in the URL",
            )
        for n in range(self.digits):
            digit = self.rng.randrange(10)
            canvas = json.loads(s.widget(kind="bidi_component").proto.json or "{}")
            states = canvas_states(digit, canvas, self.rng)
            for k, state in enumerate(states):
                await self.think(self.stroke_range)  # drawing the stroke takes a moment
                last = k == len(states) - 1

                def send(state=state):
                    return s.set_value(
                        s.widget(kind="bidi_component"),
                        json_value=json_value(state),
                    )

                if (
                    await self.act(
                        STROKE,
                        s,
                        send,
                        check=prediction_shown if last else None,
                        what="Prediction",
                    )
                    and last
                ):
                    self.predictions.append((digit, prediction(s)))
            await self.think()
            if n < self.digits - 1:
                reset = json_value(cleared_state(canvas))
                await self.act(
                    "reset the canvas",
                    s,
                    lambda reset=reset: s.set_value(
                        s.widget(kind="bidi_component"), json_value=reset
                    ),
                )


def own_model_listed_once(s: StreamlitSession) -> bool:
    """The draw page lists exactly one model of this session's own (it trained once).

    No one else's.
    """
    options = s.widget(key=MODEL_PICKER_KEY).proto.options
    return sum(o.startswith(OWN_MODEL_PREFIX) for o in options) == 1


def prediction(s: StreamlitSession) -> str:
    """The value of the first metric labelled like 'Prediction' ('' if none)."""
    return next((v for k, v in s.metrics().items() if PREDICTION.search(k)), "")


def prediction_shown(s: StreamlitSession) -> bool:
    return bool(prediction(s))


def accuracy(s: StreamlitSession) -> str:
    """The value of the first accuracy metric showing a percentage, e.g. '91.23%' ('' if none)."""
    return next((v for k, v in s.metrics().items() if ACCURACY.search(k) and "%" in v), "")


def accuracy_shown(s: StreamlitSession) -> bool:
    return bool(accuracy(s))


# ---- the run ----------------------------------------------------------------------


async def warm_up(url: str, pages: list[str], fresh: bool = True) -> list[dict]:
    """The teacher's visit before class: loads torch, MNIST and the shipped model once per process.

    The first session of a fresh server pays for the imports; it runs the app's own
    navigation like every later one (`ui.server` turns Streamlit's legacy pages/ mode off at
    start-up).
    """
    rows = []
    async with StreamlitSession(url, timeout=300) as first:
        result = await first.open("", "")
        rows.append(
            {
                "warm-up step": "first run of a fresh server" if fresh else "first run",
                "seconds": result.seconds,
                "ok": result.ok,
            }
        )
    async with StreamlitSession(url, timeout=300) as s:
        result = await s.open("", "")
        rows.append({"warm-up step": "home", "seconds": result.seconds, "ok": result.ok})
        missing = [p for p in pages if p not in s.pages]
        if missing:
            raise SystemExit(
                f"FAIL: page(s) {missing} not in the app's navigation (have {sorted(s.pages)})"
            )
        for page in pages:
            result = await s.switch_page(page)
            rows.append({"warm-up step": page, "seconds": result.seconds, "ok": result.ok})
    return rows


async def calibrate(
    url: str, digits: int, seed: int, server_cpu, visits: int = 1
) -> tuple[list[Action], list[str]]:
    """One student alone (no pauses) after the warm-up: response time and server CPU per action.

    The student makes `visits` visits in a row, each a new session, so each action is
    measured several times: the kernel counts CPU in 10 ms ticks, too coarse for one stroke.
    """
    records: list[Action] = []
    errors: list[str] = []
    for visit in range(visits):
        alone = Student(
            -1 - visit,
            url,
            digits,
            0.0,
            (0.0, 0.0),
            (0.0, 0.0),
            records,
            errors,
            seed + visit,
            server_cpu,
        )
        try:
            await alone.run()
        except Exception as err:
            errors.append(f"calibration student: {type(err).__name__}: {err}"[:400])
    return records, errors


async def classroom(
    url: str,
    sessions: int,
    digits: int,
    ramp: float,
    think: tuple[float, float],
    stroke: tuple[float, float],
    seed: int,
    deadline: float,
) -> tuple[list[Action], list[str], list[Student], float]:
    records: list[Action] = []
    errors: list[str] = []
    students = [
        Student(i, url, digits, ramp, think, stroke, records, errors, seed) for i in range(sessions)
    ]

    async def guarded(student: Student) -> None:
        try:
            await student.run()
        except Exception as err:  # any failure of one student is an error of the run, not a crash
            errors.append(f"student {student.index}: {type(err).__name__}: {err}"[:400])

    t0 = time.perf_counter()
    tasks = [asyncio.create_task(guarded(s)) for s in students]
    done, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    if pending:
        errors.append(f"{len(pending)} students not finished after {deadline:.0f} s (cancelled)")
        await asyncio.gather(*pending, return_exceptions=True)
    return records, errors, students, time.perf_counter() - t0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def solo_table(records: list[Action]) -> list[dict]:
    """Per action of the lone student: response, server CPU (mean: ticks are 10 ms), bytes."""
    by_action: dict[str, list[Action]] = {}
    for r in records:
        by_action.setdefault(r.action, []).append(r)
    return [
        {
            "action": name,
            "n": len(g),
            "median_s": statistics.median(r.seconds for r in g),
            "server_cpu_ms_each": 1000 * statistics.mean(r.server_cpu_s or 0.0 for r in g),
            "kB_each": statistics.median(r.bytes for r in g) / 1000,
        }
        for name, g in by_action.items()
    ]


def budget_checks(solo_rows: list[dict]) -> dict[str, tuple[bool, str]]:
    """Issue 18's per-action budgets, checked on the lone student's table."""
    rows = {r["action"]: r for r in solo_rows}
    checks = {}
    for action, budget_s in BUDGET_CPU_S.items():
        row = rows.get(action)
        ms = row["server_cpu_ms_each"] if row else math.inf
        checks[f"server CPU, {action} (alone)"] = (
            ms <= 1000 * budget_s,
            f"{ms:.0f} ms (target <= {1000 * budget_s:.0f} ms)",
        )
    for action, budget_kb in BUDGET_KB.items():
        row = rows.get(action)
        kb = row["kB_each"] if row else math.inf
        checks[f"bytes sent, {action}"] = (
            kb <= budget_kb,
            f"{kb:.0f} kB (target <= {budget_kb} kB)",
        )
    return checks


def summary_rows(records: list[Action]) -> list[dict]:
    by_action: dict[str, list[Action]] = {}
    for r in records:
        by_action.setdefault(r.action, []).append(r)
    rows = []
    trainings = by_action.get(TRAINING, [])
    first = [r for r in trainings if r.first_progress_s is not None]
    groups = [
        *by_action.items(),
        ("ALL ACTIONS", records),
        ("ALL BUT TRAINING", [r for r in records if r.action != TRAINING]),
    ]
    for name, group in groups:
        times = [r.seconds for r in group]
        rows.append(
            {
                "action": name,
                "n": len(group),
                "errors": sum(not r.ok for r in group),
                "p50_s": percentile(times, 50),
                "p95_s": percentile(times, 95),
                "max_s": max(times, default=float("nan")),
                "kB_per_run": statistics.mean(r.bytes for r in group) / 1024 if group else 0.0,
            }
        )
    if first:
        times = [r.first_progress_s for r in first]
        rows.append(
            {
                "action": "training: first progress shown",
                "n": len(first),
                "errors": len(trainings) - len(first),  # a training that never showed a bar
                "p50_s": percentile(times, 50),
                "p95_s": percentile(times, 95),
                "max_s": max(times),
                "kB_per_run": 0.0,
            }
        )
    return rows


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=30, help="students (websocket sessions)")
    p.add_argument(
        "--digits", type=int, default=3, help="digits each student draws (0: train only)"
    )
    p.add_argument(
        "--ramp", type=float, default=30.0, help="students arrive over this many seconds"
    )
    p.add_argument("--burst", action="store_true", help="everyone at once, no thinking time")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--solo-visits",
        type=int,
        default=SOLO_VISITS,
        help="visits of the lone student whose server CPU per action is checked",
    )
    p.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="the server's EXPLORER_TORCH_THREADS (1: the README's classroom-server setting; "
        "not with --url, where the deployment has its own)",
    )
    p.add_argument(
        "--url",
        help="drive this running deployment (e.g. the balancer of scripts.serve_replicas) "
        "instead of starting a server",
    )
    p.add_argument(
        "--server-pids",
        type=int,
        nargs="+",
        default=[],
        help="with --url: the server processes (e.g. each replica) whose memory and CPU to read",
    )
    p.add_argument(
        "--max-seconds", type=float, default=300.0, help="hard limit for the students' part"
    )
    args = p.parse_args()
    if args.server_pids and not args.url:
        p.error("--server-pids goes with --url (without it the benchmark starts its own server)")
    if gone := [pid for pid in args.server_pids if not os.path.exists(f"/proc/{pid}")]:
        p.error(f"no process {gone} on this machine: memory and CPU are read from /proc")
    ramp, think, stroke = (
        (0.0, (0.0, 0.0), (0.0, 0.0)) if args.burst else (args.ramp, THINK_S, STROKE_S)
    )
    os.environ.setdefault("EXPLORER_DATA_DIR", str(ROOT.parent / "shared" / "data"))

    load_before = os.getloadavg()
    # Without --url: our own server. With it: someone else's, measured only through the pids given.
    server = None if args.url else Server(args.torch_threads)
    url = args.url.rstrip("/") if args.url else server.url
    pids = args.server_pids if args.url else [server.proc.pid]

    def all_server_cpu() -> float:
        return sum(tree_cpu_seconds(pid) for pid in pids)

    try:
        with MemoryWatch(*pids) as memory:
            warm_rows = asyncio.run(
                warm_up(url, [LAB, DRAW] if args.digits else [LAB], fresh=server is not None)
            )
            after_warm_up = sum(tree_rss_bytes(pid) for pid in pids)
            solo, solo_errors = (
                asyncio.run(
                    calibrate(url, args.digits, args.seed, all_server_cpu, args.solo_visits)
                )
                if pids
                else ([], [])  # its figure is server CPU, which we cannot read
            )
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            server_cpu0 = all_server_cpu()
            records, errors, students, wall = asyncio.run(
                classroom(
                    url,
                    args.sessions,
                    args.digits,
                    ramp,
                    think,
                    stroke,
                    args.seed,
                    args.max_seconds,
                )
            )
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            server_cpu = all_server_cpu() - server_cpu0 if pids else None
        if server is not None and not server.alive():
            errors.append(f"the server died (exit {server.proc.returncode})")
    finally:
        if server is not None:
            server.stop()
    load_after = os.getloadavg()

    print_table(
        warm_rows,
        "Warm-up (the first visitor after the server starts; not in the figures below)"
        if server is not None
        else "Warm-up (two visits through the URL, on the replicas they reach; not in the figures)",
    )
    solo_rows = solo_table(solo)
    if pids:
        print_table(
            solo_rows,
            f"One student alone after the warm-up ({args.solo_visits} visits, no pauses): "
            "response, server CPU and bytes per action",
        )
    else:
        print("\nOne student alone: skipped (its figure is server CPU; give --server-pids)")
    solo_cpu = sum(r.server_cpu_s or 0.0 for r in solo)
    errors = solo_errors + errors
    rows = summary_rows(records)
    print_table(
        rows,
        f"{args.sessions} students, {'burst' if args.burst else f'arriving over {ramp:g} s'}: "
        "seconds from action sent to its script run finished",
    )
    drawn = [(d, p) for s in students for d, p in s.predictions]
    correct = sum(str(d) == p.strip().split()[0] for d, p in drawn if p.strip())
    client_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    threads = "as the deployment sets them" if args.url else args.torch_threads
    cpu_text = (
        f"server CPU {server_cpu:.1f} s ({server_cpu / wall:.2f} cores on average, "
        f"torch threads {threads})"
        if server_cpu is not None
        else "server CPU not measured (--url without --server-pids)"
    )
    print(
        f"\nwall {wall:.1f} s; {cpu_text}; benchmark client CPU {client_cpu:.1f} s (same machine)"
    )
    if args.url:
        print(f"driven: {url} (a running deployment, not started by this run)")
    print(
        f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
        f"on {os.cpu_count()} cores "
        "(anything above the server's share is other work on this machine)"
    )
    if pids:
        print(
            f"one student's visit alone costs the server {solo_cpu / args.solo_visits:.2f} "
            f"CPU-s; the class used "
            f"{server_cpu / max(args.sessions, 1):.1f} CPU-s per student"
        )
        print(
            f"server memory (RSS, server + children): after warm-up {after_warm_up / 2**30:.2f} "
            f"GB, peak {memory.peak / 2**30:.2f} GB"
        )
        if args.url:
            print(
                "  peak per process tree: "
                + ", ".join(f"pid {pid} {b / 2**30:.2f} GB" for pid, b in memory.peaks.items())
            )
    else:
        print(
            "server memory and CPU not measured: this run did not start the server "
            "(give --server-pids to read them from /proc)"
        )
    accs = [float(a.rstrip("%")) for student in students for a in student.accuracies]
    if accs:
        print(
            f"test accuracy shown after training: {min(accs):.1f}-{max(accs):.1f}% "
            f"over {len(accs)} runs"
        )
    if drawn:
        print(
            f"predictions shown for {len(drawn)} digits; "
            f"{correct} read as the digit drawn (information only)"
        )
    for kind, n in Counter(e.split(": ", 1)[-1][:120] for e in errors).most_common(8):
        print(f"  error x{n}: {kind}")

    n_errors = len(errors)
    p95 = percentile([r.seconds for r in records if r.action != TRAINING], 95)
    train_p95 = percentile([r.seconds for r in records if r.action == TRAINING], 95)
    first = [r.first_progress_s for r in records if r.action == TRAINING]
    first_p95 = percentile([f for f in first if f is not None], 95) if all(first) else math.inf
    checks = {
        "errors": (n_errors == TARGET_ERRORS, f"{n_errors} (target {TARGET_ERRORS})"),
        "p95 response, all but training": (
            p95 <= TARGET_P95_S,
            f"{p95:.2f} s (target <= {TARGET_P95_S} s)",
        ),
        "training: first progress p95": (
            first_p95 <= TARGET_FIRST_PROGRESS_S,
            f"{first_p95:.2f} s (target <= {TARGET_FIRST_PROGRESS_S} s)",
        ),
        "training: finished p95": (
            train_p95 <= TARGET_TRAINING_S,
            f"{train_p95:.2f} s (target <= {TARGET_TRAINING_S} s)",
        ),
    }
    if server is not None:  # the budgets are one server's; see the note printed below
        checks.update(budget_checks(solo_rows))
        worst = max(memory.peaks.values(), default=memory.peak)
        checks["server memory, largest process tree"] = (
            worst <= TARGET_MEMORY_GB * 2**30,
            f"{worst / 2**30:.2f} GB (target <= {TARGET_MEMORY_GB} GB a server)",
        )
    print()
    if server is None and solo_rows:
        print(
            "per-action budgets: checked only on a server this benchmark starts (through a "
            "balancer, the lone student's visits may be a replica's first, which pay its "
            "lazy imports)"
        )
    for name, (ok, text) in checks.items():
        print(f"{name}: {text}: {'PASS' if ok else 'FAIL'}")
    if errors and server is not None and server.stderr_tail:
        print("\nlast server log lines:\n  " + "\n  ".join(server.stderr_tail[-15:]))
    write_json(
        args.json,
        {
            "sessions": args.sessions,
            "digits": args.digits,
            "ramp_s": ramp,
            "think_s": think,
            "stroke_s": stroke,
            "burst": args.burst,
            "wall_s": wall,
            "client_cpu_s": client_cpu,
            "server_cpu_s": server_cpu,
            "torch_threads": None if args.url else args.torch_threads,
            "url": args.url,
            "server_pids": pids,
            "memory_peak_per_pid": memory.peaks,
            "load_before": load_before,
            "load_after": load_after,
            "warm_up": warm_rows,
            "solo": solo_rows,
            "solo_visits": args.solo_visits,
            "solo_server_cpu_s": solo_cpu,
            "rows": rows,
            "errors": errors,
            "memory_peak_bytes": memory.peak if pids else None,
            "memory_after_warm_up_bytes": after_warm_up if pids else None,
            "memory_samples": memory.samples[::5],
            "predictions": drawn,
            "accuracies": accs,
            "actions": [asdict(r) for r in records],
            "checks": {k: {"pass": ok, "value": text} for k, (ok, text) in checks.items()},
            "pass": all(ok for ok, _ in checks.values()),
        },
    )


if __name__ == "__main__":
    main()
