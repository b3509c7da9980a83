"""Process-wide torch settings, decided once and on purpose.

Thread count: this explorer runs on small servers (2 cores) shared by a class.
Intra-op threads = the cores we are allowed (`EXPLORER_TORCH_THREADS`, default
all cores) keeps one training fast; inter-op threads = 1 because our graphs are
sequential and extra inter-op pools only add idle threads per process.
"""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def one_thread():
    """Run torch ops on this thread alone, restoring the previous count afterwards.

    The labs' tensors are tiny (a few thousand rows, a handful of columns), so a
    parallel team costs more in fork/join than it saves; on a shared 2-core
    server, whose other core is busy, a 2-thread team waits for it at every op
    (measured: 500 logistic steps went from 0.17 s to over 5 s). With torch's OpenMP
    backend the setting is per thread, so other sessions keep theirs.
    """
    import torch

    before = torch.get_num_threads()
    if before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
