"""Sections of the MNIST lab page: data browser, live figures, results, model files.

Rendering only: every computation is in `core.mnist.train` and every figure in
`core.mnist.figures`. Not a page of its own (the navigation lists pages/mnist.py). The
galleries of test images can be clicked: the image clicked opens in the look inside the
model (`ui.mnist_inside`).
"""

from __future__ import annotations

import time

import streamlit as st
import torch

import ui
from core import optim
from core.mnist import evaluate as mev
from core.mnist import figures as figs
from core.mnist import train as mt
from core.mnist.models import ModelFileError, SavedModel, load_model, save_model
from ui import mnist_inside

MODELS = {
    "Softmax regression 784 -> 10 (the chapter's)": "linear",
    "MLP (hidden layers)": "mlp",
    "Small CNN (two conv layers)": "cnn",
}
OPTIMIZERS = optim.labels(mt.OPTIMIZERS)  # label -> id
SCHEDULES = {"One-cycle (warm up, then anneal)": "onecycle", "Constant": "constant"}
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 5e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
BATCHES = [16, 32, 64, 128, 256, 512, 1024]
UNITS = [16, 32, 64, 128, 256, 512, 1024]
SIZES = [1000, 5000, 10000, 30000, 60000]
MAX_KEPT = 5  # models this page keeps per session (a CNN is ~0.5 MB)


def _label(options: dict, value) -> str:
    return next(k for k, v in options.items() if v == value)


def apply_recipe(kind: str) -> None:
    """Button callback: set the widgets to the benchmark's recipe for `kind` (before rendering)."""
    r = mt.RECIPES[kind]
    st.session_state.update(
        {
            "mn_opt": _label(OPTIMIZERS, r.optimizer),
            "mn_lr": r.lr,
            "mn_bs": r.batch_size,
            "mn_epochs": r.epochs,
            "mn_sched": _label(SCHEDULES, r.schedule),
            "mn_n": r.train_size,
            "mn_seed": r.seed,
            "mn_bf16": r.mixed_precision or kind != "cnn",
        }
    )
    if kind == "mlp":
        st.session_state.update(
            {"mn_layers": len(r.spec.hidden)}
            | {f"mn_h{i + 1}": h for i, h in enumerate(r.spec.hidden)}
        )


def data_browser(data) -> None:
    """Examples of each digit and the class counts, from the training or the test set.

    Built only while the expander is open (it reruns the page when opened or closed): closed,
    its 120 images would still cost every rerun of the lab ~170 kB and ~30 ms of server time.
    A link that names a split opens it.
    """
    browse = st.expander(
        "Browse the data set: 60,000 training and 10,000 test images",
        icon=":material/photo_library:",
        key="mn_browse",
        on_change="rerun",
        expanded="mn_split" in st.query_params,
    )
    if not browse.open:
        return
    with browse:
        split = ui.radio(
            "Show images from", "mn_split", ["training set", "test set"], horizontal=True
        )
        images, labels = (
            (data.train_images, data.train_y)
            if split == "training set"
            else (data.test_images, data.test_y)
        )
        shuffle = st.session_state.get("mn_shuffle", 0)
        left, right = st.columns([3, 2])
        with left:
            idx = mev.examples_per_class(labels, 12, seed=shuffle)
            if split == "test set":  # a click picks a test image to look inside the model
                grid = figs.example_grid(images[idx], 12, indices=idx)
                ui.plotly(grid, **mnist_inside.pick_on_click("mn_pick_browse", idx))
            else:
                ui.plotly(figs.example_grid(images[idx], 12))
            if st.button("Show other examples", icon=":material/shuffle:", key="mn_shuffle_btn"):
                st.session_state["mn_shuffle"] = shuffle + 1
                st.rerun()
        with right:
            ui.plotly(
                figs.class_counts(
                    torch.bincount(data.train_y, minlength=10),
                    torch.bincount(data.test_y, minlength=10),
                )
            )
            st.markdown(
                "Each image: 28x28 grey levels 0-255. The model sees them scaled to [0, 1] and "
                "**normalised** with the training set's mean 0.1307 and standard deviation "
                "0.3081, once for the whole set -- not image by image in the training loop."
            )


def live_figures(curves, pictures, trainer: mt.Trainer, n: int) -> None:
    """Redraw the curves (and the softmax model's templates) inside their placeholders."""
    fig = figs.training_curves(trainer.history, len(trainer.x))
    curves.plotly_chart(ui.style(fig), width="stretch", key=f"mn_live_curves_{n}")
    if trainer.config.spec.kind == "linear":
        fig = figs.weight_templates(mev.linear_templates(trainer.model), width_px=940)
        pictures.plotly_chart(ui.style(fig), width="stretch", key=f"mn_live_templates_{n}")


def keep_model(run: mt.TrainedRun) -> None:
    """Offer `run`'s model on the draw-a-digit page (this session only); keep the newest few."""
    name = f"{run.spec.describe()} · {run.evaluation.accuracy:.1%} · {time.strftime('%H:%M:%S')}"
    kept = st.session_state.setdefault("mn_kept", [])
    models = ui.user_models()
    models[name] = SavedModel(run.model, run.spec, run.meta())
    kept.append(name)
    while len(kept) > MAX_KEPT:
        models.pop(kept.pop(0), None)


def _predictions(run: mt.TrainedRun, data, idx, title: str, width_px: int, key: str, **kw) -> None:
    """Test images `idx` with their labels and the model's top-3 probabilities; a click on
    one picks it for the look inside the model (`ui.mnist_inside`)."""
    probs, classes = run.evaluation.top3(idx)
    ui.plotly(
        figs.predictions(
            data.test_images[idx],
            run.evaluation.labels[idx],
            probs,
            classes,
            title=title,
            width_px=width_px,
            indices=idx,
            **kw,
        ),
        **mnist_inside.pick_on_click(key, idx),
    )


def _drilldown(run: mt.TrainedRun, data, cell: tuple[int, int] | None) -> None:
    ev = run.evaluation
    if cell is None:  # nothing clicked yet: start with the most frequent mistake
        off = ev.confusion.clone().fill_diagonal_(-1)
        cell = divmod(int(off.argmax()), 10)
        st.caption("Showing the most frequent mistake. Click any cell of the matrix to choose.")
    true, pred = cell
    idx = ev.cell(true, pred, limit=20)
    total = int(ev.confusion[true, pred])
    what = f"{true}s classified correctly" if true == pred else f"{true}s taken for {pred}s"
    st.subheader(f"{total:,} {what}")
    if len(idx) == 0:
        st.info("No test image falls in this cell.", icon=":material/info:")
        return
    shown = f"the {len(idx)} most confident" if total > len(idx) else "all"
    title = f"{shown.capitalize()} of them, with the top-3 probabilities (click one)"
    _predictions(run, data, idx, title, 460, "mn_pick_cell", cols=5)


def results(run: mt.TrainedRun, data) -> None:
    """Accuracy, curves, confusion matrix with drill-down, what the model learned, predictions."""
    ev = run.evaluation
    st.header("Results", divider="gray")
    if run.interrupted:
        st.warning(
            f"Training was stopped after {run.epochs_done:.2f} epochs: these are the results of "
            "the model as it was then.",
            icon=":material/stop_circle:",
        )
    cols = st.columns(4)
    cols[0].metric(
        "Test accuracy", f"{ev.accuracy:.2%}", help=f"on all {len(ev.labels):,} test images"
    )
    cols[1].metric("Training time", f"{run.train_seconds:.1f} s", help=f"on {run.device}")
    cols[2].metric("Epochs", f"{run.epochs_done:.2f}")
    cols[3].metric("Parameters", f"{mev.parameter_count(run.model):,}")
    st.caption(
        f"{ui.text(run.source.capitalize())}: "
        + (run.config.describe() if run.config else run.spec.describe())
    )
    if run.history:
        ui.plotly(figs.training_curves(run.history, run.config.train_size))
    left, right = st.columns([1, 1])
    with left:
        event = st.plotly_chart(
            ui.style(figs.confusion_figure(ev.confusion)),
            width="stretch",
            on_select="rerun",
            selection_mode="points",
            key="mn_cm",
        )
    with right:
        _drilldown(run, data, figs.selected_cell(event.selection.points if event else []))
    left, right = st.columns([1, 2])
    with left:
        ui.plotly(figs.per_class_accuracy(ev.per_class))
    with right:
        if run.spec.kind == "linear":
            ui.plotly(figs.weight_templates(mev.linear_templates(run.model)))
            st.caption(
                "Row k of the weight matrix as a picture: orange pixels raise digit k's score, "
                "blue pixels lower it. Each template is scaled to its own largest weight."
            )
        elif run.spec.kind == "cnn":
            ui.plotly(figs.conv_filters(mev.first_layer_filters(run.model)))
            st.caption(
                "Each 3x3 filter slides over the image; many become edge or stroke detectors."
            )
        else:
            st.info(
                "An MLP's hidden units mix many pixels: no single picture per digit any more. "
                "Compare its confusion matrix with the softmax model's.",
                icon=":material/hub:",
            )
    mistakes = ui.toggle("Show only mistakes", "mn_mistakes", False)
    pool = (ev.preds != ev.labels).nonzero().flatten() if mistakes else torch.arange(len(ev.labels))
    if len(pool):
        g = torch.Generator().manual_seed(st.session_state.get("mn_shuffle", 0))
        idx = pool[torch.randperm(len(pool), generator=g)[:16]]
        title = (
            "Sample test predictions with the top-3 probabilities (blue: right, orange: wrong); "
            "click one to look inside the model"
        )
        _predictions(run, data, idx, title, 940, "mn_pick_sample")


def model_files(data, run: mt.TrainedRun | None) -> None:
    """Download the current model; upload one saved here (validated, never unpickled)."""
    st.header("Keep your model", divider="gray")
    kept = [n for n in st.session_state.get("mn_kept", []) if n in ui.user_models()]
    if kept:
        st.markdown(
            "Offered on the **Draw a digit** page for this session: "
            + ", ".join(f"`{n}`" for n in kept)
        )
    left, right = st.columns(2)
    if run is not None:
        left.download_button(
            "Download this model (.pt)",
            save_model(run.model, run.spec, run.meta()),
            file_name=f"mnist-{run.spec.kind}.pt",
            mime="application/octet-stream",
            icon=":material/download:",
            key="mn_download",
        )
        left.caption(
            "Weights plus an architecture description; read back with `torch.load(..., "
            "weights_only=True)`."
        )
    upload = right.file_uploader(
        "Upload a model saved by this explorer",
        key="mn_upload",
        help="Any other file is refused; nothing in it is executed.",
    )
    if upload is None:
        return
    if st.session_state.get("mn_upload_seen") != upload.file_id:
        st.session_state["mn_upload_seen"] = upload.file_id
        try:
            saved = load_model(upload.getvalue())
        except ModelFileError as err:
            st.session_state["mn_upload_msg"] = (
                f"{ui.text(upload.name)} was refused: {ui.text(err)}."
            )
        else:
            st.session_state["mn_upload_msg"] = ""
            st.session_state["mn_run"] = mt.run_from_model(
                saved.model, saved.spec, data.test_x, data.test_y, f"uploaded from {upload.name}"
            )
            keep_model(st.session_state["mn_run"])
            st.rerun()
    if st.session_state.get("mn_upload_msg"):
        right.error(st.session_state["mn_upload_msg"], icon=":material/gpp_bad:")
    else:
        right.success(
            f"Loaded {ui.text(upload.name)}: its results are shown above.",
            icon=":material/check_circle:",
        )
