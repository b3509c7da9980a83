"""Process-wide torch settings, decided once and on purpose.

Thread count: this explorer runs on small servers (2 cores) shared by a class.
Intra-op threads = the cores we are allowed (`EXPLORER_TORCH_THREADS`, default
all cores) keeps one training fast; inter-op threads = 1 because our graphs are
sequential and extra inter-op pools only add idle threads per process.
"""

from __future__ import annotations

import os

_configured = False


def torch_threads() -> int:
    """Intra-op thread count: `EXPLORER_TORCH_THREADS` if set and valid, else all cores."""
    raw = os.environ.get("EXPLORER_TORCH_THREADS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, os.cpu_count() or 1)


def configure_torch() -> None:
    """Set torch's thread pools once per process (later calls are no-ops)."""
    global _configured
    if _configured:
        return
    import torch

    torch.set_num_threads(torch_threads())
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # inter-op pool already started by earlier parallel work: keep it
    _configured = True


def device():
    """The device trainings use: CUDA when present, else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
