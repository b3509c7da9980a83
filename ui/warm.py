"""A warm server: torch, MNIST and the shipped models load in the background, once per process,
as soon as the server has served its first page.

Without it the teacher's first click on a lab page pays for importing torch, decoding MNIST
and loading three models while the class waits. The warm-up starts after the first page run
(not at start-up) so that it never delays the first page itself, and fills the very caches
the pages read (`ui.shared`), so a page opened meanwhile waits for the value in progress
instead of computing it twice.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time

from ui import shared

LOG = logging.getLogger("explorer.warm")  # shown in the server log (`ui.server`)
_started = threading.Event()


def enabled() -> bool:
    """`EXPLORER_WARM_UP=0` turns the warm-up off (the benchmark's baseline)."""
    return os.environ.get("EXPLORER_WARM_UP", "1").strip() != "0"


def after_page() -> None:
    """Called after every page run; the first call starts the warm-up thread."""
    if _started.is_set():
        return
    _started.set()
    threading.Thread(target=warm_up, name="explorer-warm-up", daemon=True).start()


def warm_up() -> None:
    """Import torch and the labs' modules, load MNIST (if on disk) and the shipped models."""
    t0 = time.perf_counter()
    loaded = []
    try:
        from core.runtime import configure_torch

        configure_torch()
        import core.autograd.graph  # noqa: F401  (torchviz and the graph code)
        import core.mnist.figures  # noqa: F401
        from core.mnist.data import missing_mnist_files
        from core.mnist.models import KINDS

        if not missing_mnist_files():  # never download unasked: the page shows that progress
            shared._mnist_cached()
            loaded.append("MNIST")
        for name in KINDS:  # every shipped model
            shared.pretrained(name)
            loaded.append(f"the shipped {name} model")
    except Exception:  # a warm-up problem must not take the server down; pages report it
        LOG.exception("warm-up stopped early")
    finally:
        freeze_heap()
        LOG.info(
            "warm-up done in %.1f s: %s", time.perf_counter() - t0, ", ".join(loaded) or "nothing"
        )


def freeze_heap() -> None:
    """Take what the process has loaded so far out of the garbage collector's full passes.

    Torch, plotly, Streamlit and the models leave ~300,000 tracked objects that live as long
    as the process; CPython's occasional full collection walks all of them (160 ms measured
    on this 2-core machine), paid by whichever student's stroke triggers it: about 5 ms a
    stroke on average. `gc.freeze` moves them to a generation no collection visits; one
    collection first so the cycles already garbage are freed, not frozen.
    """
    gc.collect()
    gc.freeze()
