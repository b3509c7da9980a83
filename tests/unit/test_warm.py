"""ui.warm: the background warm-up ends by freezing the heap it loaded."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT
from ui import warm


def test_freeze_heap_takes_what_is_loaded_out_of_the_collector():
    code = (
        "import gc, torch\n"
        "from ui import warm\n"
        "before = gc.get_freeze_count()\n"
        "warm.freeze_heap()\n"
        "print(before, gc.get_freeze_count())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    before, after = map(int, out.stdout.split())
    assert before == 0 and after > 100_000  # torch alone leaves over 100,000 objects


def test_the_warm_up_freezes_even_when_it_stops_early(monkeypatch):
    frozen = []
    monkeypatch.setattr(warm, "freeze_heap", lambda: frozen.append(True))

    def broken():
        raise OSError("disk gone")

    monkeypatch.setattr(warm.shared, "pretrained", lambda name: broken())
    monkeypatch.setattr("core.mnist.data.missing_mnist_files", lambda: ["train-images"])
    warm.warm_up()  # logs the problem, never raises
    assert frozen == [True]
