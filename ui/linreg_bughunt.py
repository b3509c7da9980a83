"""The bug hunt on the linear regression page: a classic mistake, its real symptoms, the fix.

`bug_hunt_section(problem, hand_cfg)` lets the student pick one of the by-hand trainer's
classic mistakes (`core.linreg.bugs.Bug`), or a mystery bug picked at random; the loop runs
with that line wrong, for real (through the training scheduler, `ui.training_slot`), and
the section shows the symptoms: the loss beside the right loop's, the parameters and
`.grad` of every step, the autograd nodes kept alive, PyTorch's own error. In mystery mode
the student names the bug (graded, with a pointer to the symptom after a wrong guess);
then, or straight away for a chosen bug, the wrong line is shown next to the right one.
"""

from __future__ import annotations

import math
import secrets
import textwrap

import streamlit as st

from core.linreg import HandConfig, Problem
from core.linreg import bugs as B
from ui import clicks
from ui.presenter_mode import plotly
from ui.training_slot import lab_chunk
from ui.url_state import selectbox, slider

MYSTERY = "mystery"
PICK, STEPS, GUESS = "lin_bug", "lin_bug_steps", "lin_bug_guess"
BOX = "lin_bughunt"  # the section's expander
SEED = "_lin_bug_seed"  # session state: the mystery's seed
SOLVED = "_lin_bug_solved"  # session state: {seed: "right" | "shown"}, mysteries named or shown
WRONG = "_lin_bug_wrong"  # session state: {seed: [wrong guesses]}
RUNS = "_lin_bug_runs"  # session state: {settings: (buggy steps, right steps)}, a few kept
KEPT_RUNS = 6

LABELS = {
    B.Bug.NO_ZERO_GRAD: "Gradients never zeroed",
    B.Bug.NO_NO_GRAD: "Update recorded by autograd (not under torch.no_grad())",
    B.Bug.NON_SCALAR: "backward() on a loss that is not a single number",
    B.Bug.SIGN_FLIPPED: "The update's sign flipped",
    B.Bug.LR_TOO_LARGE: "A learning rate far too large",
    B.Bug.NO_DETACH: ".detach() forgotten in the loss history",
    B.Bug.SUM_NOT_MEAN: "Loss summed instead of averaged",
}
WHY = {
    B.Bug.NO_ZERO_GRAD: "`backward()` adds into `.grad`. Never zeroed, each step's gradient "
    "is the sum of all the gradients so far: at a learning rate of 0 it would be 2x, 3x, ... "
    "the first. The update keeps pushing in old directions and overshoots.",
    B.Bug.NO_NO_GRAD: "Outside `torch.no_grad()` autograd would record `w -= ...` as part of "
    "the graph, and changing a leaf that requires grad in place would corrupt what backward "
    "needs: PyTorch refuses before the first update.",
    B.Bug.NON_SCALAR: "Without `.mean()` the loss is one squared error per row. `backward()` "
    "computes the gradient of one number; for a vector it would need `gradient=` to say how to "
    "weigh the rows, so PyTorch refuses.",
    B.Bug.SIGN_FLIPPED: "`w += LR * w.grad` climbs the loss: gradient *ascent*. The loss rises "
    "every step, the gradient grows with it.",
    B.Bug.LR_TOO_LARGE: f"{B.TOO_LARGE_FACTOR:g} times the largest stable rate: each step "
    "jumps over the minimum to a point further away, so the loss explodes and the parameters "
    "flip sign as they grow.",
    B.Bug.NO_DETACH: "`losses.append(loss)` keeps each step's loss tensor with its `grad_fn`, "
    "so every step's graph stays in memory: the numbers look right, but the nodes kept alive "
    "grow by one graph a step (a memory leak). `loss.detach()` (or `loss.item()`) keeps only "
    "the number.",
    B.Bug.SUM_NOT_MEAN: "A sum over N rows is N times the mean, and so are its gradients: the "
    "step is as if the learning rate were N times larger, which diverges.",
}
LOOK_AT = {
    "error": "PyTorch's error message, and the line it points at",
    "gradients_accumulate": "the gradients: compare each step's `.grad` with the right loop's",
    "loss_rises": "which way the loss goes from the very first step",
    "diverges": "the loss at step 1 (normal?) and how fast it grows after",
    "graph_grows": "the autograd nodes kept alive, step by step",
    "gradients_n_times": "the size of the loss and the gradients at step 1, against the right "
    "loop's",
}


def _seed() -> int:
    if SEED not in st.session_state:
        st.session_state[SEED] = secrets.randbelow(1_000_000)
    return st.session_state[SEED]


def _new_mystery() -> None:
    st.session_state[SEED] = (_seed() + 1 + secrets.randbelow(1_000)) % 1_000_000
    st.session_state.pop(GUESS, None)


def _check_guess(seed: int, bug: B.Bug) -> None:
    guess = st.session_state.get(GUESS)
    if guess is None:
        return
    if guess == bug.value:
        st.session_state.setdefault(SOLVED, {})[seed] = "right"
    else:
        st.session_state.setdefault(WRONG, {}).setdefault(seed, []).append(guess)


def _show_mystery(seed: int) -> None:
    st.session_state.setdefault(SOLVED, {}).setdefault(seed, "shown")


def _runs(problem: Problem, cfg: B.BugHuntConfig) -> tuple[list[B.BugStep], list[B.BugStep]]:
    """The run with the bug and the right one, run once per settings (through the scheduler)."""
    key = (problem.data.key, problem.degree, problem.standardise, cfg)
    kept = st.session_state.setdefault(RUNS, {})
    if key not in kept:
        with lab_chunk("bughunt"):
            result = (
                B.run(problem, cfg),
                B.run(problem, B.BugHuntConfig(cfg.lr, cfg.steps, None, cfg.start)),
            )
        while len(kept) >= KEPT_RUNS:
            kept.pop(next(iter(kept)))
        kept[key] = result
    return kept[key]


def bug_hunt_section(problem: Problem, hand_cfg: HandConfig) -> None:
    """Pick a mistake (or a mystery), watch its real symptoms, then see the line at fault.

    Built only while its expander is open (a closed one costs a rerun nothing)."""
    box = st.expander(
        "Bug hunt: classic mistakes in the by-hand loop, run for real",
        icon=":material/bug_report:",
        key=BOX,
        on_change="rerun",
    )
    if box.open:
        with box:
            _section(problem, hand_cfg)


def _section(problem: Problem, hand_cfg: HandConfig) -> None:
    st.caption(
        "The by-hand trainer below, with one line written wrong, run for real in PyTorch on "
        "this page's data, from its start, at its learning rate unless the mistake is the rate "
        "(full batch). Watch what it does, then find the line."
    )
    options = [MYSTERY, *(b.value for b in B.Bug)]
    names = {MYSTERY: "A mystery bug (picked at random)", **{b.value: LABELS[b] for b in B.Bug}}
    left, right = st.columns([2, 1])
    with left:
        pick = selectbox("The mistake", PICK, options, format_func=names.get)
    with right:
        steps = slider("Steps", STEPS, 1, 100, 20)
    seed = _seed()
    bug = B.mystery(seed) if pick == MYSTERY else B.Bug(pick)
    w0, b0 = hand_cfg.start_tensors(problem.d)
    cfg = B.BugHuntConfig(hand_cfg.lr, steps, bug, (*w0.tolist(), b0.item()))
    buggy, right_run = _runs(problem, cfg)
    _symptoms(problem, cfg, buggy, right_run, hide_lr=pick == MYSTERY)
    if pick == MYSTERY:
        st.button(
            "New mystery bug",
            icon=":material/casino:",
            key="lin_bug_new",
            on_click=clicks.once(_new_mystery),
        )
        if not _guessing(seed, bug):
            return
    else:
        st.markdown(f"**What happened.** {WHY[bug]}")
    _the_line(problem, cfg, bug)


def _symptoms(
    problem: Problem,
    cfg: B.BugHuntConfig,
    buggy: list[B.BugStep],
    right: list[B.BugStep],
    hide_lr: bool,
) -> None:
    """What the student can watch: PyTorch's error, the loss curve, every step's numbers."""
    # A mystery's learning rate is not stated: for one of the bugs it is the answer.
    lr = "" if hide_lr else f" at learning rate {B.learning_rate(problem, cfg):g}"
    st.caption(f"{len(buggy)} step(s) run{lr}, on {problem.n} rows; the right loop dashed.")
    last = buggy[-1] if buggy else None
    if last is not None and last.error:
        st.error(
            f"**PyTorch raised at step {last.step}:** `{last.error_type}: {last.error}`",
            icon=":material/bug_report:",
        )
    elif last is not None and not last.finite:
        st.warning(
            f"Stopped at step {last.step}: the numbers are no longer finite.",
            icon=":material/warning:",
        )
    plotly(B.loss_figure(buggy, right), key="lin_bug_loss")
    st.dataframe(_rows(buggy, right), hide_index=True, width="stretch")


def _num(v: float | None) -> str:
    if v is None:
        return "None"
    return f"{v:.4g}" if math.isfinite(v) else str(v)


def _many(values: tuple[float, ...] | None) -> str:
    if values is None:
        return "None"
    return ", ".join(_num(v) for v in values[:4]) + (" ..." if len(values) > 4 else "")


def _rows(buggy: list[B.BugStep], right: list[B.BugStep]) -> list[dict]:
    rows = []
    for i, s in enumerate(buggy):
        fine = right[i] if i < len(right) else None
        rows.append(
            {
                "step": s.step,
                "loss (the code's)": _num(s.loss) if not s.loss_shape else f"shape {s.loss_shape}",
                "mean squared error": _num(s.mse),
                "w": _many(s.weights),
                "b": _num(s.bias),
                "w.grad": _many(s.grad_w),
                "b.grad": _num(s.grad_b),
                "w.grad, right loop": _many(fine.grad_w) if fine else "",
                "autograd nodes kept alive": s.kept_nodes,
                "PyTorch said": f"{s.error_type}: {s.error}" if s.error else "",
            }
        )
    return rows


def _guessing(seed: int, bug: B.Bug) -> bool:
    """The 'which bug is it?' question; True once it is answered or given up."""
    solved = st.session_state.get(SOLVED, {}).get(seed)
    wrong = st.session_state.get(WRONG, {}).get(seed, [])
    if solved == "right":
        st.success(f"Right: it is **{LABELS[bug]}**. {WHY[bug]}", icon=":material/check_circle:")
        return True
    if solved == "shown":
        st.info(f"It was **{LABELS[bug]}**. {WHY[bug]}", icon=":material/visibility:")
        return True
    st.radio(
        "Which bug is it?",
        [b.value for b in B.Bug],
        format_func=lambda v: LABELS[B.Bug(v)],
        index=None,
        key=GUESS,
    )
    if wrong:
        st.warning(
            f"Not “{LABELS[B.Bug(wrong[-1])]}” ({len(wrong)} wrong "
            f"guess{'es' * (len(wrong) != 1)}). Look at "
            f"{LOOK_AT[B.SYMPTOM[bug]]}.",
            icon=":material/search:",
        )
    clicks.check_and_show(
        "lin_bug", _check_guess, _show_mystery, (seed, bug), (seed,), "Check my guess"
    )
    return False


def _the_line(problem: Problem, cfg: B.BugHuntConfig, bug: B.Bug) -> None:
    too_large = B.learning_rate(problem, B.BugHuntConfig(cfg.lr, bug=B.Bug.LR_TOO_LARGE))
    wrong, right = B.mistake(bug, cfg.lr, too_large)
    bad, good = st.columns(2)
    bad.markdown(":red[**The wrong line**]")
    bad.code(textwrap.dedent(wrong).rstrip(), language="python")
    good.markdown(":green[**The right line**]")
    good.code(textwrap.dedent(right).rstrip(), language="python")
    with st.expander("The whole trainer, wrong and right"):
        bad, good = st.columns(2)
        bad.code(B.code(bug, cfg.lr, too_large), language="python")
        good.code(B.code(None, cfg.lr, too_large), language="python")
