"""MNIST lab: the chapter's 784 -> 10 softmax model trained live, then an MLP and a small CNN."""

import time
from contextlib import closing

import streamlit as st

import ui
from core import scheduler
from core.mnist import train as mt
from core.mnist.models import ModelSpec
from core.runtime import configure_torch, one_thread
from ui import clicks, exercises, mnist_inside, training_slot
from ui import mnist_panels as panels

MODELS, OPTIMIZERS, SCHEDULES = panels.MODELS, panels.OPTIMIZERS, panels.SCHEDULES
D = mt.TrainConfig()  # the defaults

st.title("MNIST lab: ten classes, one linear layer")
ui.lesson(
    "From 784 pixels to 10 probabilities",
    "Each 28x28 image is flattened into **784 numbers**. The chapter's model is one "
    "`nn.Linear(784, 10)`: ten weighted sums, one score (logit) per digit. **Softmax** turns the "
    "scores into probabilities and **cross-entropy** punishes a low probability for the true "
    "digit. Each row of the weight matrix is a 28x28 *template*: watch them form below. Then an "
    "MLP adds hidden layers and a CNN adds convolutions, which look at small neighbourhoods of "
    "pixels; that is how MNIST gets near 100%.",
    formulas=[
        r"z = W x + b,\quad W \in \mathbb{R}^{10\times 784}",
        r"p_k = \operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}},\qquad \mathcal{L} = "
        r"-\log p_{y}",
    ],
)
exercises.exercise_section("mnist")  # the prompts to predict, checked (core/exercises)

configure_torch()
data = ui.mnist()
panels.data_browser(data)

st.header("Train", divider="gray")
left, right = st.columns(2)
with left:
    kind = MODELS[ui.selectbox("Model", "mn_model", list(MODELS))]
    hidden: tuple[int, ...] = ()
    if kind == "mlp":
        layers = ui.slider("Hidden layers", "mn_layers", 1, 3, 1)
        hidden = tuple(
            ui.select_slider(
                f"Units in hidden layer {i + 1}", f"mn_h{i + 1}", panels.UNITS, 128 >> i
            )
            for i in range(layers)
        )
    optimizer = OPTIMIZERS[ui.selectbox("Optimizer", "mn_opt", list(OPTIMIZERS))]
    lr = ui.select_slider("Learning rate (peak, for one-cycle)", "mn_lr", panels.LRS, D.lr)
with right:
    batch = ui.select_slider("Batch size", "mn_bs", panels.BATCHES, D.batch_size)
    epochs = ui.slider("Epochs", "mn_epochs", 1, 20, D.epochs)
    extra, bf16 = {}, True
    if ui.advanced():
        with st.expander("More settings", icon=":material/tune:"):
            extra["schedule"] = SCHEDULES[
                ui.selectbox("Learning-rate schedule", "mn_sched", list(SCHEDULES))
            ]
            extra["train_size"] = ui.select_slider(
                "Training images", "mn_n", panels.SIZES, D.train_size
            )
            extra["seed"] = int(ui.number_input("Seed", "mn_seed", 0, mt.SEED_RANGE[1], D.seed))
            bf16 = ui.toggle(
                "bfloat16 mixed precision for the CNN",
                "mn_bf16",
                True,
                help="Faster convolutions on CPUs with AVX-512 BF16 and on GPUs; "
                "the weights stay float32.",
            )

try:
    spec = ModelSpec(kind=kind, hidden=hidden)
    config = mt.TrainConfig(
        spec, optimizer, lr, batch, epochs, mixed_precision=bf16 and kind == "cnn", **extra
    )
except ValueError as err:  # ConfigError / ModelFileError: bounds the widgets should already keep
    st.error(f"These settings cannot be trained: {err}", icon=":material/error:")
    st.stop()

device = mt.pick_device()
st.caption(f":material/memory: Trains on **{mt.device_label(device)}** · {config.describe()}")
b1, b2, b3 = st.columns([1, 1, 2])
train = b1.button(
    "Train", type="primary", icon=":material/play_arrow:", key="mn_train", width="stretch"
)
b2.button(
    "Stop",
    icon=":material/stop:",
    key="mn_stop",
    width="stretch",
    help="Stops after the current batch and keeps the model as it is.",
)
b3.button(
    "Use the benchmark recipe for this model",
    icon=":material/auto_fix_high:",
    key="mn_recipe",
    on_click=panels.apply_recipe,
    args=(kind,),
    help="Settings that reach the benchmark targets (92% / 97.5% / 99%) on 60,000 images.",
)

live = st.session_state.pop("mn_live", None)
if live is not None and live.history:  # a training cut short by Stop (or any other click)
    st.session_state["mn_run"] = mt.finish_run(live, data.test_x, data.test_y)
    panels.keep_model(st.session_state["mn_run"])


def train_live(config: mt.TrainConfig) -> None:
    """Train with a progress bar, throttled live curves (and templates); Stop reruns the page."""
    bar = st.progress(0.0, text="Starting...")
    curves, pictures = st.empty(), st.empty()
    queue = scheduler.trainings()

    def waiting(position: int) -> None:
        bar.progress(0.0, text=training_slot.waiting_text(position, queue.snapshot()))

    slot = queue.slot(owner="mnist lab", heavy=spec.heavy, on_wait=waiting)
    with slot as ticket, one_thread():
        # Made once the slot is ours: a trainer holds its copy of the training images
        # (16 MB for 5,000), and a class waiting in line must not hold thirty of them.
        trainer = mt.Trainer(
            config, data.train_x, data.train_y, data.test_x, data.test_y, device=device
        )
        st.session_state["mn_live"] = trainer
        drawn, draws = time.monotonic(), 0  # a run shorter than a second shows results only
        with closing(trainer.run()) as reports:
            for p in reports:
                queue.heartbeat(ticket)
                bar.progress(
                    p.fraction,
                    text=f"Epoch {p.epoch}/{p.epochs} · step {p.step:,}/{p.total_steps:,} · "
                    f"loss {p.loss:.3f} · accuracy {p.accuracy:.1%} · "
                    f"{p.examples_per_s:,.0f} examples/s",
                )
                last = p.stopped or (p.epoch_end and p.epoch == p.epochs)  # results follow
                if not last and (time.monotonic() - drawn > 1.0 or p.epoch_end):
                    drawn, draws = time.monotonic(), draws + 1
                    panels.live_figures(curves, pictures, trainer, draws)
    for placeholder in (bar, curves, pictures):  # the results below show the finished versions
        placeholder.empty()
    st.session_state.pop("mn_live", None)
    st.session_state["mn_run"] = mt.finish_run(trainer, data.test_x, data.test_y)
    panels.keep_model(st.session_state["mn_run"])


if train:
    train_live(config)

run = st.session_state.get("mn_run")
if run is not None:
    panels.results(run, data)
mnist_inside.test_image_section(run, data)
panels.model_files(data, run)
clicks.page_complete()  # last: lets the next click act (see clicks.once)
