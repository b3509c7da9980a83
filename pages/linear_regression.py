"""Linear regression lab: gradient descent by hand beside nn.Linear + torch.optim, on the same data.

Thin page: data, trainers, figures and exports live in `core.linreg`. The run (both trainers,
their histories) is this user's, in session state. Play trains it to the end on the server in
one click, then the browser replays what was recorded (`ui.playback`, `ui.linreg_replay`).
"""

import streamlit as st

import ui
from core import linreg, optim
from core.linreg import data as linreg_data
from core.linreg import export as linreg_export
from core.linreg import figures
from core.runtime import configure_torch
from ui import clicks, csv_upload, exercises, explain, linreg_run, linreg_touch, playback
from ui.linreg_bughunt import bug_hunt_section
from ui.linreg_replay import KEY, replay_section

RUN = linreg_run.RUN
PLAYER = playback.Player(
    "lin", RUN, tuple(playback.Step(f"+{k}", k) for k in (1, 10, 100)), KEY, (1.8, 1, 1, 1, 1.3)
)

configure_torch()
st.title("Linear regression: by hand and the PyTorch way")
ui.lesson(
    "Two ways to fit a line, one answer",
    "A line $\\hat y = w x + b$ fits the data when its mean squared error is small. Gradient "
    "descent lowers that error a step at a time: compute the loss, let autograd find its gradient "
    "with `backward()`, move each parameter a little *against* its gradient. The **by hand** "
    "trainer writes that loop out; **the PyTorch way** packs the same steps into `nn.Linear`, "
    "`nn.MSELoss` and `torch.optim`. The dashed black line is the exact least-squares answer "
    "(`torch.linalg.lstsq`), for comparison.",
    formulas=[
        r"L(w, b) = \frac{1}{N}\sum_{i=1}^{N} (w x_i + b - y_i)^2",
        r"w \leftarrow w - \eta\,\frac{\partial L}{\partial w}, \qquad b \leftarrow b - "
        r"\eta\,\frac{\partial L}{\partial b}",
    ],
    try_this=[
        "Pick the curved data: what does a straight line miss? Raise the degree to 3, then 5, and "
        "watch the test loss.",
    ],
)
exercises.exercise_section("linear_regression")


def regenerate():
    st.session_state["lin_seed"] = (st.session_state.get("lin_seed", 0) + 1) % 10_000


data_box, train_box = st.columns(2, border=True)
with data_box:
    preset = linreg_data.PRESETS[ui.selectbox("Data", "lin_data", list(linreg_data.PRESETS))]
    if preset == "csv":
        base = csv_upload.uploaded_dataset()
    else:
        left, right = st.columns(2)
        with left:
            slope = ui.slider("True slope", "lin_slope", -5.0, 5.0, 2.0, 0.1)
            noise = ui.slider("Noise (std)", "lin_noise", 0.0, 5.0, 1.0, 0.1)
            seed = ui.number_input("Seed", "lin_seed", 0, 9999, 0, 1)
        with right:
            intercept = ui.slider("True intercept", "lin_icpt", -10.0, 10.0, 1.0, 0.5)
            n = ui.slider("Points", "lin_n", 10, 1000, 100, 10)
            st.button(
                "New sample",
                icon=":material/casino:",
                on_click=clicks.once(regenerate),
                width="stretch",
            )
        base = linreg_data.synthetic(
            linreg_data.SyntheticConfig(preset, slope, intercept, noise, n, seed)
        )
    degree = (
        ui.slider("Polynomial degree", "lin_deg", 1, linreg.MAX_DEGREE, 1)
        if preset in ("curve", "csv")
        else 1
    )

with train_box:
    lr = ui.select_slider(
        "Learning rate (log scale)",
        "lin_lr",
        linreg.LEARNING_RATES,
        0.1,
        format_func=lambda v: f"{v:g}",
    )
    epochs = ui.slider("Epochs", "lin_epochs", 1, 1000, 100)
    left, right = st.columns(2)
    with left:
        choices = optim.labels(linreg.OPTIMIZERS)  # label -> id
        optimizer = choices[ui.selectbox("PyTorch optimizer", "lin_opt", list(choices))]
        standardise = ui.toggle(
            "Standardise features",
            "lin_std",
            True,
            help="Shift and scale each feature to mean 0, standard deviation 1.",
        )
    with right:
        mini = (
            ui.radio("Batches", "lin_batch", ["Full batch", "Mini-batch"], horizontal=True)
            == "Mini-batch"
        )
        batch_size = (
            ui.select_slider("Batch size", "lin_bs", [4, 8, 16, 32, 64, 128], 16) if mini else None
        )
    init_w, init_b = 0.0, 0.0
    if ui.advanced():
        with st.expander("Starting point", icon=":material/tune:"):
            init_w = ui.slider("Start w", "lin_w0", -10.0, 10.0, 0.0, 0.5)
            init_b = ui.slider("Start b", "lin_b0", -10.0, 10.0, 0.0, 0.5)


def reset():
    st.session_state.pop(RUN, None)
    st.session_state.pop(linreg_touch.START, None)


try:
    dataset = linreg_touch.touched_dataset(base)
except linreg_data.LinRegDataError as err:  # the edits left nothing to fit: say so, keep the editor
    linreg_touch.touch_section(base, None, None, None, reset, error=str(err))
    st.stop()
problem = linreg.make_problem(dataset, degree, standardise)
restart_key = (dataset.key, degree, standardise, init_w, init_b)
start = linreg_touch.start_for(restart_key)
train_box.caption(
    f"On this data, full-batch gradient descent is stable for learning rates below about "
    f"**{linreg.max_stable_lr(problem):.3g}**."
)
hand_cfg = linreg.HandConfig(lr, epochs, batch_size, 0, init_w, init_b, start=start)
torch_cfg = linreg.TorchConfig(lr, epochs, batch_size, 0, init_w, init_b, optimizer, start=start)
run = linreg_run.current_run(problem, hand_cfg, torch_cfg, restart_key)
run.set_epochs(epochs)
linreg_touch.touch_section(base, dataset, run, restart_key, lambda: st.session_state.pop(RUN, None))

remaining = 0 if run.stopped else run.target_steps - run.step
PLAYER.controls(
    run,
    reset,
    remaining,
    f"Train the {remaining:,} steps left, then replay the run in your browser"
    if remaining
    else "Replay the run in your browser",
)
if run.stopped and not (run.hand.diverged and run.torch.diverged):
    st.caption("Finished: Replay plays it again; raise the epochs to train on, or Reset.")
linreg_run.run_note(run)
linreg_run.pin_controls(run)
replay_section(run)
log_y = ui.toggle("Log scale for the loss", "lin_logy", False)
pinned = linreg_run.pinned_figure_arg(run)


def run_view():
    """Metrics and charts of the run as it stands."""
    s = linreg.summary(run)
    cols = st.columns(5)
    epoch = f"{s['epoch']:,.0f}" if float(s["epoch"]).is_integer() else f"{s['epoch']:,.1f}"
    cols[0].metric(f"Step of {run.target_steps:,} · epoch {epoch}", f"{s['step']:,}")
    cols[1].metric("Loss by hand", f"{s['hand_loss']:.4g}")
    cols[2].metric("Loss, PyTorch", f"{s['torch_loss']:.4g}")
    test_r2 = s["r2_test_text"] and f"test {s['r2_test_text']}"
    cols[3].metric("R² PyTorch", s["r2_train_text"], test_r2, delta_color="off", delta_arrow="off")
    cols[4].metric("Distance to lstsq", f"{s['distance']:.3g}")
    for names, diagnosis in linreg.divergences(run):
        text = explain.linreg_divergence(diagnosis)
        st.error(f"**{' and '.join(names)}:** {text}", icon=":material/warning:")
    figs = figures.lab_figures(run, log_y=log_y, pinned=pinned)
    top, bottom = st.columns(2), st.columns(2)
    for col, name in zip((*top, *bottom), ("fit", "landscape", "loss", "residuals"), strict=True):
        with col:
            ui.plotly(figs[name], key=f"lin_fig_{name}")


run_view()

st.subheader("The code of each trainer")
st.caption("What runs above, step for step. Both read the same settings and the same batches:")
st.code(linreg_export.settings_code(run), language="python")
hand_col, torch_col = st.columns(2)
hand_col.markdown("**By hand** (autograd does the calculus, we do the update)")
hand_col.code(linreg_export.hand_code(), language="python")
torch_col.markdown("**The PyTorch way** (`nn.Linear`, `nn.MSELoss`, `torch.optim`)")
torch_col.code(linreg_export.pytorch_code(run.torch_cfg), language="python")
bug_hunt_section(problem, hand_cfg)

st.subheader("Take the run with you")
DOWNLOADS = (  # label, what it holds, file name, MIME type, icon
    (
        "Learned parameters (JSON)",
        linreg_export.parameters_json,
        "linear_regression_run.json",
        "application/json",
        ":material/data_object:",
    ),
    (
        "Script that reproduces this run",
        linreg_export.reproduction_script,
        "linear_regression_run.py",
        "text/x-python",
        ":material/code:",
    ),
)
for col, (label, make, name, mime, icon) in zip(st.columns(2), DOWNLOADS, strict=True):
    col.download_button(
        label,
        lambda r=run, make=make: make(r),
        file_name=name,
        mime=mime,
        icon=icon,
        on_click="ignore",
        width="stretch",
    )
clicks.page_complete()  # last: lets the next click act (see clicks.once)
