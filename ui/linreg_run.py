"""The linear regression lab's run across setting changes, and the run pinned beside it.

Changing the data, the features or the start makes a new run. Changing the learning rate,
the optimizer or the batch size continues the current run from where each trainer stands
(`LabRun.continue_with`), and the page says so; a run whose parameters overflowed starts
again. A pinned run (`core.linreg.compare`) is drawn beside the current one.
"""

from __future__ import annotations

import streamlit as st

from core import linreg, optim
from core.linreg import figures
from core.linreg.compare import comparison, pin
from ui.pinning import other_data_note, pin_buttons

RUN, RESTART, SETTINGS, NOTE = "lin_run", "lin_restart_key", "lin_settings_key", "lin_run_note"
PINNED = "lin_pinned"  # (PinnedRun, its legend name)


def settings_key(cfg: linreg.TorchConfig):
    """What a run may change and go on: learning rate, optimizer, batch size."""
    return (cfg.lr, cfg.optimizer, cfg.batch_size)


def current_run(problem, hand_cfg, torch_cfg, restart_key) -> linreg.LabRun:
    """The session's run for these settings: kept, continued, or new."""
    run = st.session_state.get(RUN)
    if run is None or st.session_state.get(RESTART) != restart_key:
        return _new(problem, hand_cfg, torch_cfg, restart_key)
    if st.session_state.get(SETTINGS) != settings_key(torch_cfg):
        if run.step == 0:
            return _new(problem, hand_cfg, torch_cfg, restart_key)
        if not run.can_continue():
            _new(problem, hand_cfg, torch_cfg, restart_key)
            st.session_state[NOTE] = ("restarted", run.step)
            return st.session_state[RUN]
        run.continue_with(hand_cfg, torch_cfg)
        st.session_state[SETTINGS] = settings_key(torch_cfg)
        st.session_state[NOTE] = ("continued", run.step)
    return run


def _new(problem, hand_cfg, torch_cfg, restart_key) -> linreg.LabRun:
    run = linreg.LabRun(problem, hand_cfg, torch_cfg)
    st.session_state.update(
        {RUN: run, RESTART: restart_key, SETTINGS: settings_key(torch_cfg), NOTE: None}
    )
    return run


def run_note(run: linreg.LabRun) -> None:
    """Say how the run got here when its settings changed on the way."""
    note = st.session_state.get(NOTE)
    if note is None:
        return
    kind, step = note
    if kind == "restarted":
        st.warning(
            f"The run had blown up by step {step:,} (its parameters overflowed), so it starts "
            "again with the new settings.",
            icon=":material/restart_alt:",
        )
        return
    parts = [
        f"from step {s:,}: learning rate {lr:g}, {optim.OPTIMIZERS.get(o, o)}"
        for s, lr, o in run.segments
    ]
    st.info(
        "Settings changed mid-run: training **continues from the current parameters** "
        "(fresh optimizer state), it does not restart. "
        + "; ".join(parts)
        + ". Dashed lines on the loss chart mark the changes; Reset starts over.",
        icon=":material/moving:",
    )


def pinned_figure_arg(run: linreg.LabRun) -> figures.Pinned | None:
    """The pinned run as the figures take it, with a message when it cannot be compared."""
    held = st.session_state.get(PINNED)
    if held is None:
        return None
    pinned, name = held
    how = comparison(pinned, run)
    if how == "other data":
        other_data_note(name)
    elif how == "same data":
        st.caption(
            f"Dotted purple: {name}. Its fit and loss are drawn; its path on the landscape is "
            "not, because its features (degree or standardisation) differ."
        )
    else:
        st.caption(f"Dotted purple on the fit, the loss and the landscape: {name}.")
    return figures.Pinned(pinned, name, how)


def _pinned(run: linreg.LabRun) -> tuple:
    cfg = run.torch_cfg
    batch = "full batch" if cfg.batch_size is None else f"batch {cfg.batch_size}"
    scale = "standardised" if run.problem.standardise else "raw x"
    optimizer = optim.OPTIMIZERS.get(cfg.optimizer, cfg.optimizer)
    return pin(run), f"pinned: {optimizer}, lr {cfg.lr:g}, {scale}, {batch}"


def pin_controls(run: linreg.LabRun) -> None:
    """Pin the run as it stands (to start another beside it), or unpin."""
    pin_buttons(PINNED, lambda: _pinned(run), run.step > 0, "loss, path and fit")


__all__ = ["current_run", "pin_controls", "pinned_figure_arg", "run_note"]
