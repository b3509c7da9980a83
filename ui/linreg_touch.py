"""The linear regression lab's touchable data: drag, add or erase points, fit a line by hand.

The editor (`ui.components.points`) runs in the browser; this module turns its finished
edits into the data the lab trains on. Edits are kept per base data set (a preset with its
sliders, or an upload) in the session, so moving a slider away and back brings them back;
the window they live in is the base data's, so it does not drift as points move.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from core import linreg
from core.linreg import data as linreg_data
from core.linreg.handfit import hand_line, parse_line, start_from_line
from ui import clicks
from ui.components.points import EditorData, editor_mode, editor_state, points_editor
from ui.presenter_mode import presenter
from ui.touch import edit_messages, take_edits, touch_box

KEY = "lin_touch"  # the editor's state: {"edit": .., "line": .., "mode": ..}
SECTION = "lin_touch_open"
EDITS = "lin_edits"  # base data key -> {"seq", "points" (EditedPoints or None), "codes"}
LINES = "lin_hand_lines"  # base data key -> (w, b) of the line placed by hand
START = "lin_start"  # (restart key, (w1..wd, b)): where the next run starts

CODE_WORDS = {
    "truncated": f"At most {linreg_data.MAX_EDITED_POINTS} points: the extra ones were not added.",
    "dropped": "Some points were not numbers and were left out.",
    "clamped": "Points dragged off the plot were kept at its edge.",
}
LABELS = {
    "modes": [
        ("move", "✥ Move"),
        ("add", "＋ Add"),
        ("erase", "⌫ Erase"),
        ("fit", "╱ Fit it yourself"),
        ("clear", "Clear all"),
    ],
    "aria": "Data points: drag to move, or add, erase, or fit a line by hand",
    "lstsq": "Least squares",
    "degree": "polynomial of degree",
    "points": "points",
    "your_line": "Your line",
    "loss": "loss (MSE)",
    "too_few": "Add at least two points (with different x) for a line to fit.",
    "edge": "kept at the edge of the plot",
    "full": f"full: at most {linreg_data.MAX_EDITED_POINTS} points",
}


def touched_dataset(base: linreg_data.Dataset) -> linreg_data.Dataset:
    """`base` with the student's edits applied (the newest edit first taken in).

    Raises `LinRegDataError` when the edits leave nothing a line can fit (the page says so
    and still shows the editor, so points can be added back).
    """
    bounds = linreg_data.plot_bounds(base)
    entry = take_edits(KEY, EDITS, base.key, lambda raw: linreg_data.clean_points(raw, bounds))
    if entry.get("points") is None:
        return base
    return linreg_data.edited(base, entry["points"])


def hand_placed_line(base_key: str, data: linreg_data.Dataset) -> tuple[float, float]:
    """The student's line over base data `base_key` (the newest the editor sent, kept while
    points are edited), or a flat line at `data`'s mean y."""
    lines = st.session_state.setdefault(LINES, {})
    sent = editor_state(KEY).get("line")
    if isinstance(sent, dict) and sent.get("base") == base_key:
        parsed = parse_line(sent)
        if parsed is not None:
            lines[base_key] = parsed
    return lines.get(base_key, (0.0, float(data.y_train.mean())))


def start_for(restart_key) -> tuple[float, ...] | None:
    """Where a run with `restart_key` starts when the student placed the line, else None."""
    chosen = st.session_state.get(START)
    return chosen[1] if chosen is not None and chosen[0] == restart_key else None


def _continue_from_line(problem: linreg.Problem, restart_key, line, reset) -> None:
    st.session_state[START] = (restart_key, start_from_line(problem, *line))
    reset()


def _model_curve(run, bounds) -> list[list[float]]:
    if run is None or run.step == 0:
        return []
    s = run.torch.last
    grid = np.linspace(bounds.x_lo, bounds.x_hi, 100)
    fit = linreg.predict(run.problem, s.weights, s.bias, torch.from_numpy(grid))
    keep = np.isfinite(fit)
    return np.stack([grid[keep], fit[keep]], axis=1).round(6).tolist()


def _editor_data(base, data, run, mode: str) -> EditorData:
    bounds = linreg_data.plot_bounds(base)
    shown = data if data is not None else base
    entry = st.session_state.get(EDITS, {}).get(base.key, {})
    points = entry.get("points")
    if points is not None:
        xy = np.stack([points.x, points.y], axis=1)
    else:
        xy = np.stack([base.x_train.numpy(), base.y_train.numpy()], axis=1)
    test = np.stack([base.x_test.numpy(), base.y_test.numpy()], axis=1)
    degree = run.problem.degree if run is not None else 1
    return EditorData(
        base=base.key,
        seq=entry.get("seq", 0),
        points=xy.round(6).tolist(),
        test=test.round(6).tolist(),
        bounds=(bounds.x_lo, bounds.x_hi, bounds.y_lo, bounds.y_hi),
        degree=degree,
        model=_model_curve(run, bounds),
        line=hand_placed_line(base.key, shown) if mode == "fit" else None,
        mode=mode,
        max_points=linreg_data.MAX_EDITED_POINTS,
        x_name=shown.x_name,
        y_name=shown.y_name,
        labels=LABELS,
        big=presenter(),
        height=520 if presenter() else 420,
    )


def touch_section(base, data, run, restart_key, reset, error: str | None = None) -> None:
    """The editor in an expander (built only while open), its messages, and fit-it-yourself.

    `data` is the edited data set (None when the edits leave nothing to fit, `error` says
    why); `run` the lab's run on it (None then); `reset` starts a fresh run.
    """
    box = touch_box(
        "Touch the data: drag, add or erase points, or fit the line yourself",
        SECTION,
        len(base.x_train),
        linreg_data.MAX_EDITED_POINTS,
    )
    if box is None:
        return
    with box:
        mode = editor_mode(KEY)
        st.caption(
            "Drag a point and the dashed least-squares line refits as you move; the grey "
            "lines are the residuals. **Add** and **Erase** change the data; **Fit it "
            "yourself** gives you a line with two handles and draws each squared residual."
        )
        points_editor(KEY, _editor_data(base, data, run, mode))
        entry = st.session_state.get(EDITS, {}).get(base.key, {})
        edit_messages(entry, CODE_WORDS, error, EDITS, base.key)
        if mode == "fit" and data is not None and run is not None:
            _fit_it_yourself(base.key, data, run, restart_key, reset)


def _fit_it_yourself(base_key, data, run, restart_key, reset) -> None:
    line = hand_placed_line(base_key, data)
    got = hand_line(data, *line)
    cols = st.columns(5)
    cols[0].metric("Your w (slope)", f"{got.w:.3g}")
    cols[1].metric("Your b (intercept)", f"{got.b:.3g}")
    cols[2].metric("Loss (MSE)", f"{got.loss:.4g}")
    cols[3].metric("∂L/∂w", f"{got.grad_w:.3g}")
    cols[4].metric("∂L/∂b", f"{got.grad_b:.3g}")
    st.caption(
        "The loss is the mean of the orange squares' areas (in the data's units). The gradient, "
        "from `loss.backward()`, points uphill: move each handle the way that makes it smaller."
    )
    if run.problem.degree != 1:
        st.info("Fitting by hand works with a straight line: set the degree to 1.")
        return
    st.button(
        "Let gradient descent continue from your line",
        icon=":material/play_arrow:",
        on_click=clicks.once(_continue_from_line),
        args=(run.problem, restart_key, line, reset),
        type="primary",
    )
