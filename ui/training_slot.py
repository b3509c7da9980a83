"""Every training a page starts goes through `core.scheduler`: the words while it waits.

The MNIST lab shows its place in line in its progress bar (`waiting_text`). The regression
labs train in small chunks (a Step or a Play click); `lab_chunk` holds a slot
for one chunk, on one torch thread, and while the chunk waits it says so where it stands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core import scheduler
from core.runtime import one_thread


def waiting_text(position: int, line: scheduler.Snapshot) -> str:
    """What a training that waits for a slot tells its student."""
    running = f"{line.active} training{'s' * (line.active != 1)} running on this server"
    if line.heavy:
        running += f", {line.heavy} of them long"
    return (
        f":material/hourglass_top: Waiting for a free training slot: you are number {position} "
        f"in line ({running}, {line.waiting} waiting). Stop leaves the line."
    )


@contextmanager
def lab_chunk(owner: str, show_wait: bool = True) -> Iterator[None]:
    """Hold a training slot (one torch thread) for one chunk of a regression lab's training.

    `show_wait`: while waiting, a caption at this point of the page says where the chunk
    is in line (a click callback, which cannot draw, passes False and just waits).
    """
    queue = scheduler.trainings()
    notice = None

    def waiting(position: int) -> None:
        nonlocal notice
        if show_wait:
            notice = notice or st.empty()
            notice.caption(waiting_text(position, queue.snapshot()))

    try:
        with queue.slot(owner=owner, on_wait=waiting, poll=0.25), one_thread():
            yield
    finally:
        if notice is not None:
            notice.empty()
