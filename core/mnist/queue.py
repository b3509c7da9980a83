"""A process-wide limit on simultaneous heavy trainings, with a first-come first-served queue.

Thirty laptops on one 2-core server: if every student starts a CNN at once,
thirty trainings share two cores and all of them crawl (and the pages of
everyone else freeze). Instead at most `limit` heavy trainings run at once;
the others wait in line and see their position, like a ticket at a counter.

A `Ticket` is taken with `join()`, becomes active when it reaches the front
and a slot is free, and must be given back with `leave()` (the `slot()`
context manager does both). A holder that crashed without leaving is evicted
once it has not called `heartbeat()` for `lease_seconds`, so a lost ticket
cannot block a classroom forever. Pure `threading`: no torch, no streamlit.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# An MLP counts as heavy from this many weights on (the CNN always does):
# 1M weights is about 6 GFLOP per 1,000 training images.
HEAVY_PARAMETERS = 1_000_000


def is_heavy(spec) -> bool:
    """Whether training a model of `spec` must queue for a slot.

    `spec` is a `core.mnist.models.ModelSpec`.
    """
    if spec.kind == "cnn":
        return True
    if spec.kind == "mlp":
        sizes = (28 * 28, *spec.hidden, 10)
        weights = sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))
        return weights >= HEAVY_PARAMETERS
    return False


@dataclass(eq=False)
class Ticket:
    """One request for a slot; compare by identity."""

    number: int
    owner: str = ""
    joined: float = field(default_factory=time.monotonic)
    last_seen: float = field(default_factory=time.monotonic)


class QueueClosed(RuntimeError):
    """The ticket is no longer in the queue (it left, or was evicted as stale)."""


class TrainingQueue:
    """At most `limit` tickets active at once; the rest wait in FIFO order. Thread-safe."""

    def __init__(self, limit: int = 1, lease_seconds: float = 600.0):
        if not isinstance(limit, int) or limit < 1:
            raise ValueError("the limit must be a whole number of at least 1")
        self.limit = limit
        self.lease_seconds = lease_seconds
        self._cond = threading.Condition()
        self._active: list[Ticket] = []
        self._waiting: deque[Ticket] = deque()
        self._numbers = itertools.count(1)

    # -- internals (call with the lock held) ---------------------------------------

    def _evict_stale(self) -> None:
        now = time.monotonic()
        for queue in (self._active, self._waiting):
            for t in [t for t in queue if now - t.last_seen > self.lease_seconds]:
                queue.remove(t)

    def _promote(self) -> None:
        self._evict_stale()
        while self._waiting and len(self._active) < self.limit:
            self._active.append(self._waiting.popleft())
        self._cond.notify_all()

    # -- public API -----------------------------------------------------------------

    def join(self, owner: str = "") -> Ticket:
        """Take a ticket, active at once or at the back of the line.

        It is active at once if a slot is free and nobody waits.
        """
        with self._cond:
            ticket = Ticket(next(self._numbers), owner)
            self._waiting.append(ticket)
            self._promote()
            return ticket

    def position(self, ticket: Ticket) -> int:
        """0 while `ticket` is active, k when k-th in line; raises `QueueClosed` if it is gone."""
        with self._cond:
            self._promote()
            if ticket in self._active:
                return 0
            try:
                return self._waiting.index(ticket) + 1
            except ValueError:
                raise QueueClosed("this ticket is no longer in the queue") from None

    def heartbeat(self, ticket: Ticket) -> None:
        """Tell the queue the holder is alive (a waiting page polls, a training reports)."""
        with self._cond:
            ticket.last_seen = time.monotonic()

    def wait(self, ticket: Ticket, timeout: float | None = None) -> bool:
        """Block until `ticket` is active (True) or `timeout` seconds pass (False)."""
        with self._cond:
            ticket.last_seen = time.monotonic()
            deadline = None if timeout is None else time.monotonic() + timeout
            while ticket not in self._active:
                if ticket not in self._waiting:
                    raise QueueClosed("this ticket is no longer in the queue")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(1.0 if left is None else min(left, 1.0))
                ticket.last_seen = time.monotonic()  # waiting here is a sign of life
                self._promote()  # stale holders expire with time, not only on events
            return True

    def leave(self, ticket: Ticket) -> None:
        """Give the slot back, or step out of the line. Safe to call twice."""
        with self._cond:
            if ticket in self._active:
                self._active.remove(ticket)
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            self._promote()

    def snapshot(self) -> tuple[int, int]:
        """(active trainings, people waiting) right now."""
        with self._cond:
            self._promote()
            return len(self._active), len(self._waiting)

    @contextmanager
    def slot(
        self, owner: str = "", on_wait: Callable[[int], None] | None = None, poll: float = 0.5
    ) -> Iterator[Ticket]:
        """Hold a slot for the `with` body; while waiting call `on_wait(position)` every `poll` s.

        `on_wait` may raise (e.g. the page was closed or the user pressed Stop):
        the ticket is then given back and the exception propagates.
        """
        ticket = self.join(owner)
        try:
            while not self.wait(ticket, poll):
                if on_wait is not None:
                    on_wait(self.position(ticket))
            yield ticket
        finally:
            self.leave(ticket)


def default_limit() -> int:
    """`EXPLORER_HEAVY_TRAININGS` if set to a positive integer, else 1 per 2 cores (at least 1)."""
    raw = os.environ.get("EXPLORER_HEAVY_TRAININGS", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, (os.cpu_count() or 1) // 2)


_queue: TrainingQueue | None = None
_queue_lock = threading.Lock()


def heavy_trainings() -> TrainingQueue:
    """The one queue this process's heavy trainings share."""
    global _queue
    with _queue_lock:
        if _queue is None:
            _queue = TrainingQueue(default_limit())
        return _queue
