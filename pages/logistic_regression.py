"""Logistic regression lab: a 2D playground where decision boundaries form as you watch.

Thin page: widgets (all URL state) -> `core.logreg` -> figures. Training state
(`core.logreg.Run`) lives in this user's session. Play trains a chunk of steps on the
server in one click, then the browser replays them (`ui.playback`, `ui.logreg_replay`).
"""

import streamlit as st

import ui
from core import csvio, logreg, optim
from core.csvio import CsvError
from core.logreg import data as ld
from core.logreg import figures as lf
from core.metrics import confusion_matrix
from core.runtime import configure_torch
from ui import clicks, explain, logreg_network, logreg_panels, logreg_replay, logreg_touch, playback
from ui.exercises import exercise_section

PLAY_HELP = "Train the chosen number of steps, then replay them in your browser"
configure_torch()
# Whole numbers as ints: the URL then reads lr_lr=10, not 10.0.
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
L2_VALUES = (0, 0.0001, 0.001, 0.01, 0.1, 1)
PLAY_STEPS = (20, 50, 100, 200, 500, 1000)  # what one press of Play trains
RUN, RUN_KEY = "lr_run", "lr_run_key"
PLAYER = playback.Player(
    "lr", RUN, (playback.Step("Step", 1, ":material/skip_next:"),), logreg_replay.KEY, (1.8, 1, 1.2)
)

st.title("Logistic regression: watch a decision boundary form")
ui.lesson(
    "From a weighted sum to a probability",
    "Logistic regression computes a **logit** z = w·x + b and squashes it with the **sigmoid** "
    "into a probability. Training lowers the **binary cross-entropy** by gradient descent. The "
    "decision boundary p = 0.5 is where z = 0: a straight line, with **w** at right angles to it. "
    "With K classes, `nn.Linear(2, K)` gives K logits and **softmax** turns them into "
    "probabilities. A line cannot separate XOR, but a new feature (x1·x2) or a hidden layer bends "
    "the boundary.",
    formulas=[
        r"p(y=1\mid x)=\sigma(w^\top x+b)=\frac{1}{1+e^{-(w^\top x+b)}}",
        r"L=-\frac1N\sum_i\big[y_i\log p_i+(1-y_i)\log(1-p_i)\big]+\lambda\sum w^2",
        r"w_1x_1+w_2x_2+b=0\iff x_2=-\frac{w_1x_1+b}{w_2}",
    ],
    try_this=[
        "Train **XOR** with two hidden layers, then open **Inside the network**: which unit's map "
        "looks most like x1·x2? Set the widest link to 0 and predict what the surface will do.",
    ],
)
exercise_section("logistic_regression")


def data_controls():
    """The data widgets -> (Dataset or None, a key saying which data it is)."""
    kind = ui.selectbox("Data set", "lr_data", ld.KINDS, "blobs", format_func=ld.TITLES.get)
    upload = None
    if kind == "csv":
        upload = st.file_uploader(
            "CSV with columns x1, x2, label",
            type=["csv", "txt"],
            key="lr_csv",
            max_upload_size=csvio.MAX_BYTES // 2**20,
        )
    else:
        n = ui.slider("Points", "lr_n", ld.MIN_POINTS, ld.MAX_POINTS, 200, step=10)
        noise = ui.slider("Noise", "lr_noise", 0.0, 1.0, 0.1, step=0.05)
        overlap = ui.slider(
            "Class overlap",
            "lr_overlap",
            0.0,
            1.0,
            0.0,
            step=0.05,
            disabled=kind not in ("blobs", "multiblobs"),
        )
        classes = ui.slider("Classes", "lr_k", 3, 5, 3) if kind == "multiblobs" else 3
    test = ui.slider("Test fraction", "lr_test", 0.0, ld.MAX_TEST_FRACTION, 0.3, step=0.05)
    seed = ui.number_input("Seed (same seed, same points)", "lr_seed", 0, 9999, 0, step=1)
    st.button(
        "New data (next seed)",
        icon=":material/refresh:",
        key="lr_regen",
        width="stretch",
        on_click=lambda: st.session_state.update(lr_seed=(int(seed) + 1) % 10_000),
    )
    if kind != "csv":
        spec = ld.DataSpec(kind, n, noise, overlap, classes, test, seed)
        return ld.make_dataset(spec), spec
    if upload is None:
        st.info(
            "Upload a CSV file: one row per point, columns x1, x2 and an integer label.",
            icon=":material/upload_file:",
        )
        return None, None
    try:
        data = ld.dataset_from_csv(upload.getvalue(), test, seed, name=upload.name)
    except CsvError as err:
        st.error(f"Cannot use this file: {ui.text(err)}", icon=":material/error:")
        return None, None
    for note in data.notes:
        st.warning(ui.text(note), icon=":material/info:")
    return data, ("csv", upload.file_id, test, seed)


def model_controls(n_classes: int) -> logreg.LogRegConfig:
    st.subheader("Model")
    labels = logreg.FEATURE_LABELS
    features = ui.multiselect(
        "Extra input features",
        "lr_feat",
        logreg.EXTRA_FEATURES,
        format_func=labels.get,
        placeholder="none: x1 and x2 only",
    )
    hidden, activation = logreg_network.hidden_controls()
    rate = ui.select_slider("Learning rate (log scale)", "lr_lr", LEARNING_RATES, 0.1)
    if advice := explain.learning_rate_advice(rate):
        getattr(st, advice[0])(advice[1], icon=":material/speed:")
    optimizer, l2 = "sgd", 0
    if ui.advanced():
        optimizer = ui.selectbox(
            "Optimizer",
            "lr_opt",
            tuple(logreg.OPTIMIZERS),
            "sgd",
            format_func=optim.OPTIMIZERS.get,
        )
        l2 = ui.select_slider("L2 penalty λ", "lr_l2", L2_VALUES, 0)
    kind = "logistic" if n_classes == 2 else f"softmax ({n_classes} classes)"
    inputs = ", ".join(labels[f] for f in logreg.feature_names(features))
    layers = logreg_network.describe_hidden(hidden, activation)
    st.caption(
        f"{kind.capitalize()} regression on {inputs}{layers}. A new learning rate, optimizer or "
        "penalty carries the run on; any other change restarts it."
    )
    return logreg.LogRegConfig(tuple(features), hidden, activation, l2, optimizer, rate, seed=0)


def current_run(data, data_key, config) -> logreg.Run:
    """This user's run: new when the data or the model changes; a new learning rate,
    optimizer or L2 penalty carries the trained run on (`Run.retune`)."""
    run, key = st.session_state.get(RUN), (data_key, config)
    if run is not None and st.session_state.get(RUN_KEY) != key:
        if st.session_state[RUN_KEY][0] == data_key and run.step and run.can_retune(config):
            run.retune(config)
            st.session_state[RUN_KEY] = key
    if st.session_state.get(RUN_KEY) != key or run is None:
        st.session_state.update({RUN: logreg.Run(data, config), RUN_KEY: key})
    return st.session_state[RUN]


def restart() -> None:
    """Reset: the same data and settings, fresh weights."""
    old = st.session_state[RUN]
    st.session_state[RUN] = logreg.Run(old.data, old.config)


def play_steps() -> int:
    return ui.select_slider("Steps each Play trains", "lr_play_steps", PLAY_STEPS, 200)


def training_view(run: logreg.Run):
    """The run as it stands: metrics, the surface, the curves, the confusion matrix."""
    for col, (label, value) in zip(st.columns(4), explain.logreg_metrics(run).items(), strict=True):
        col.metric(label, value)
    if run.diverged:
        st.error(
            explain.logreg_divergence(run.diverged, run.config.lr), icon=":material/trending_up:"
        )
    elif run.completed:
        st.info(f"Reached the limit of {logreg.MAX_STEPS:,} steps. Press Reset to start again.")
    t1, t2, t3 = st.columns(3)
    with t1:
        discretise = ui.toggle(
            "Discretise", "lr_disc", False, help="Show only the predicted class."
        )
    with t2:
        show_test = ui.toggle("Show test points", "lr_showtest", True, help="Hollow markers.")
    with t3:
        normal = ui.toggle(
            "Show w",
            "lr_normal",
            True,
            help="The weight vector, normal to the line (plain linear model).",
            disabled=logreg.linear_boundary(run.model) is None,
        )
    ui.plotly(
        lf.surface_figure(
            run.model, run.data, discretise=discretise, show_test=show_test, show_normal=normal
        ),
        key="lr_surface",
    )
    if run.step:
        ui.plotly(
            lf.curves_figure(run.history, **logreg_panels.pinned_curves(run)), key="lr_curves"
        )
    else:
        st.caption("Loss and accuracy curves appear here once training starts: press Play or Step.")
    left, right = st.columns([2, 3])
    with left:
        ui.plotly(
            lf.confusion_figure(
                confusion_matrix(
                    run.data.y_train, run.model.predict(run.data.x_train), run.data.n_classes
                ).numpy(),
                run.data.class_names,
                "Confusion matrix (train)",
            ),
            key="lr_confusion",
        )
    with right:
        st.markdown("**The model with its current weights**")
        for line in logreg.equation_latex(run.model, run.data.class_names):
            st.latex(line)


controls, view = st.columns([1, 2.3], gap="large")
with controls:
    st.subheader("Data")
    base, base_key = data_controls()
    data, data_key, edit_error = logreg_touch.touched(base, base_key)
    config = model_controls(data.n_classes) if data is not None else None
run = current_run(data, data_key, config) if data is not None else None
with view:
    if run is None:
        st.info(
            "Choose a data set (or upload a valid CSV) to start.", icon=":material/scatter_plot:"
        )
    else:
        logreg_panels.run_notes(run)
        PLAYER.controls(run, restart, play_steps, PLAY_HELP)
        logreg_replay.replay_section(run)
        training_view(run)
logreg_touch.touch_section(base, base_key, run, edit_error)  # full width, like the next one
if run is not None:  # a deep network is wide
    logreg_network.network_section(run)
logreg_panels.sigmoid_and_cross_entropy(run)
if run is not None:
    logreg_panels.code_section(run)
clicks.page_complete()  # last: lets the next click act (see clicks.once)
