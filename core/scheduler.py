"""One scheduler for every training on the server: a slot per core, first come first served.

Thirty laptops on one 2-core server: if thirty students press Train at once, thirty
trainings share two cores, all of them crawl and every page waits behind them. Every
training (the MNIST lab's, and each chunk the regression labs train while playing)
therefore takes a slot here first: at most `limit` run at once (one per core, each on
one torch thread), the others wait in line and see their position, like a ticket at a
counter. Long trainings (`heavy=True`: the CNN, big MLPs) may hold at most
`heavy_limit` slots, so one slot stays free for the short ones even while CNNs train.

A `Ticket` is taken with `join()`, becomes active when it is the first in line that may
run and a slot is free, and is given back with `leave()` (`slot()` does both). A holder
that crashed without leaving is evicted once it has not been seen for `lease_seconds`,
so a lost ticket cannot block a classroom forever. Pure `threading`: no torch, no
streamlit.
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


@dataclass(eq=False)
class Ticket:
    """One request for a slot; compare by identity."""

    number: int
    owner: str = ""
    heavy: bool = False
    joined: float = field(default_factory=time.monotonic)
    last_seen: float = field(default_factory=time.monotonic)
    started: float | None = None  # when it got its slot (time.monotonic)


@dataclass(frozen=True)
class Snapshot:
    """The line right now: trainings running (heavy among them) and people waiting."""

    active: int
    heavy: int
    waiting: int


class QueueClosed(RuntimeError):
    """The ticket is no longer in the line (it left, or was evicted as stale)."""


class TrainingScheduler:
    """At most `limit` tickets active, `heavy_limit` of them heavy; the rest wait, FIFO."""

    def __init__(self, limit: int = 1, heavy_limit: int | None = None, lease_seconds=600.0):
        if not isinstance(limit, int) or limit < 1:
            raise ValueError("the limit must be a whole number of at least 1")
        heavy_limit = limit if heavy_limit is None else heavy_limit
        if not isinstance(heavy_limit, int) or not 1 <= heavy_limit <= limit:
            raise ValueError("the heavy limit must be a whole number from 1 to the limit")
        self.limit, self.heavy_limit = limit, heavy_limit
        self.lease_seconds = lease_seconds
        self._cond = threading.Condition()
        self._active: list[Ticket] = []
        self._waiting: deque[Ticket] = deque()
        self._numbers = itertools.count(1)

    # -- internals (call with the lock held) ---------------------------------------

    def _evict_stale(self) -> None:
        now = time.monotonic()
        for line in (self._active, self._waiting):
            for t in [t for t in line if now - t.last_seen > self.lease_seconds]:
                line.remove(t)

    def _may_start(self, ticket: Ticket) -> bool:
        if len(self._active) >= self.limit:
            return False
        return not ticket.heavy or sum(t.heavy for t in self._active) < self.heavy_limit

    def _promote(self) -> None:
        """Start waiting tickets in order of arrival; a heavy one that must wait for a heavy
        slot lets the short ones behind it pass (it could not use the free slot anyway)."""
        self._evict_stale()
        for ticket in list(self._waiting):
            if len(self._active) >= self.limit:
                break
            if self._may_start(ticket):
                self._waiting.remove(ticket)
                self._active.append(ticket)
                ticket.started = time.monotonic()
        self._cond.notify_all()

    # -- public API -----------------------------------------------------------------

    def join(self, owner: str = "", heavy: bool = False) -> Ticket:
        """Take a ticket: active at once if it may start now, else at the back of the line."""
        with self._cond:
            ticket = Ticket(next(self._numbers), owner, heavy)
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
                raise QueueClosed("this ticket is no longer in the line") from None

    def heartbeat(self, ticket: Ticket) -> None:
        """Tell the scheduler the holder is alive (a waiting page polls, a training reports)."""
        with self._cond:
            ticket.last_seen = time.monotonic()

    def wait(self, ticket: Ticket, timeout: float | None = None) -> bool:
        """Block until `ticket` is active (True) or `timeout` seconds pass (False)."""
        with self._cond:
            ticket.last_seen = time.monotonic()
            deadline = None if timeout is None else time.monotonic() + timeout
            while ticket not in self._active:
                if ticket not in self._waiting:
                    raise QueueClosed("this ticket is no longer in the line")
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

    def snapshot(self) -> Snapshot:
        with self._cond:
            self._promote()
            heavy = sum(t.heavy for t in self._active)
            return Snapshot(len(self._active), heavy, len(self._waiting))

    @contextmanager
    def slot(
        self,
        owner: str = "",
        heavy: bool = False,
        on_wait: Callable[[int], None] | None = None,
        poll: float = 0.5,
    ) -> Iterator[Ticket]:
        """Hold a slot for the `with` body; while waiting call `on_wait(position)` every `poll` s.

        `on_wait` may raise (the page was closed, the student pressed Stop): the ticket is
        then given back and the exception propagates. So does any error of the body: a
        training that crashes frees its slot.
        """
        ticket = self.join(owner, heavy)
        try:
            while not self.wait(ticket, poll):
                if on_wait is not None:
                    on_wait(self.position(ticket))
            yield ticket
        finally:
            self.leave(ticket)


def _positive_int(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def default_limits() -> tuple[int, int]:
    """(slots, heavy slots) for this server.

    Slots: `EXPLORER_TRAINING_SLOTS`, else one per core. Heavy slots:
    `EXPLORER_HEAVY_TRAININGS`, else all but one slot (at least one), never above the slots.
    """
    slots = _positive_int("EXPLORER_TRAINING_SLOTS") or max(1, os.cpu_count() or 1)
    heavy = _positive_int("EXPLORER_HEAVY_TRAININGS") or max(1, slots - 1)
    return slots, min(heavy, slots)


_scheduler: TrainingScheduler | None = None
_scheduler_lock = threading.Lock()


def trainings() -> TrainingScheduler:
    """The one scheduler every training in this process goes through."""
    global _scheduler
    with _scheduler_lock:
        if _scheduler is None:
            _scheduler = TrainingScheduler(*default_limits())
        return _scheduler
