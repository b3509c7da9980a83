"""core.scheduler: at most `limit` trainings at once (fewer of them heavy), first come first
served, visible positions, thread-safe.
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest

from core import scheduler as mq
from core.mnist.models import ModelSpec


def test_positions_and_promotion_in_order():
    q = mq.TrainingScheduler(limit=1)
    a, b, c = q.join("a"), q.join("b"), q.join("c")
    assert [q.position(t) for t in (a, b, c)] == [0, 1, 2]
    assert q.snapshot() == mq.Snapshot(1, 0, 2)
    q.leave(a)
    assert [q.position(t) for t in (b, c)] == [0, 1]
    q.leave(c)  # stepping out of the line
    assert q.snapshot() == mq.Snapshot(1, 0, 0)
    q.leave(b)
    q.leave(b)  # twice is harmless
    assert q.snapshot() == mq.Snapshot(0, 0, 0)
    with pytest.raises(mq.QueueClosed):
        q.position(b)
    with pytest.raises(mq.QueueClosed):
        q.wait(b, 0.01)


def test_limit_two_admits_two_at_once():
    q = mq.TrainingScheduler(limit=2)
    tickets = [q.join() for _ in range(4)]
    assert [q.position(t) for t in tickets] == [0, 0, 1, 2]
    assert q.wait(tickets[1], 0) and not q.wait(tickets[2], 0.05)


@pytest.mark.parametrize("limit", [1, 2])
def test_threads_are_served_first_come_first_served_and_never_over_the_limit(limit):
    q = mq.TrainingScheduler(limit=limit)
    order, lock = [], threading.Lock()
    running = {"now": 0, "max": 0}
    tickets = [q.join(str(i)) for i in range(8)]  # join order is fixed before the threads start

    def worker(ticket):
        assert q.wait(ticket, timeout=20)
        with lock:
            order.append(int(ticket.owner))
            running["now"] += 1
            running["max"] = max(running["max"], running["now"])
        time.sleep(0.02)
        with lock:
            running["now"] -= 1
        q.leave(ticket)

    threads = [threading.Thread(target=worker, args=(t,)) for t in reversed(tickets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert running["max"] <= limit
    if limit == 1:  # one at a time: each starts in its place in line
        assert order == list(range(8))
    else:  # the first two start together; two finishing at once may record either order
        assert sorted(order[:2]) == [0, 1] and sorted(order) == list(range(8))
    assert q.snapshot() == mq.Snapshot(0, 0, 0)


def test_slot_context_manager_under_contention():
    q = mq.TrainingScheduler(limit=1)
    inside, peak, done = [0], [0], []
    lock = threading.Lock()
    seen_positions: dict[int, list[int]] = {}

    def worker(i):
        seen_positions[i] = []
        with q.slot(str(i), on_wait=seen_positions[i].append, poll=0.01):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.01)
            with lock:
                inside[0] -= 1
        done.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(done) == list(range(12)) and peak[0] == 1
    for positions in seen_positions.values():  # a waiting page sees its number go down, never up
        assert positions == sorted(positions, reverse=True) and all(p >= 1 for p in positions)
    assert any(seen_positions.values())


def test_an_error_while_waiting_gives_the_ticket_back():
    q = mq.TrainingScheduler(limit=1)
    holder = q.join()

    class Stopped(Exception):
        pass

    def stop_now(position):
        assert position == 1
        raise Stopped  # e.g. Streamlit's rerun when the student presses Stop

    with pytest.raises(Stopped), q.slot(on_wait=stop_now, poll=0.01):
        pass
    assert q.snapshot() == mq.Snapshot(1, 0, 0)
    q.leave(holder)
    with q.slot() as t:
        assert q.position(t) == 0
    assert q.snapshot() == mq.Snapshot(0, 0, 0)


def test_a_holder_that_vanished_is_evicted_after_its_lease():
    q = mq.TrainingScheduler(limit=1, lease_seconds=0.2)
    lost = q.join("crashed without leaving")
    waiting = q.join("next")
    assert q.position(waiting) == 1
    assert q.wait(waiting, timeout=5)  # promoted once the lost holder's lease ran out
    with pytest.raises(mq.QueueClosed):
        q.position(lost)


def test_heartbeats_keep_a_long_training_alive():
    q = mq.TrainingScheduler(limit=1, lease_seconds=0.15)
    holder, waiting = q.join(), q.join()
    for _ in range(5):
        time.sleep(0.05)
        q.heartbeat(holder)
        q.heartbeat(waiting)
        assert q.position(holder) == 0 and q.position(waiting) == 1


def test_which_trainings_are_heavy():
    assert ModelSpec("cnn").heavy
    assert not ModelSpec("linear").heavy
    assert not ModelSpec("mlp", hidden=(256,)).heavy
    assert ModelSpec("mlp", hidden=(1024, 1024)).heavy


def test_heavy_trainings_keep_a_slot_free_for_short_ones():
    q = mq.TrainingScheduler(limit=2, heavy_limit=1)
    cnn = q.join("cnn 1", heavy=True)
    cnn2 = q.join("cnn 2", heavy=True)  # waits: the one heavy slot is taken
    short = q.join("linear", heavy=False)  # passes the waiting CNN: the free slot is not for it
    assert [q.position(t) for t in (cnn, cnn2, short)] == [0, 1, 0]
    assert q.snapshot() == mq.Snapshot(active=2, heavy=1, waiting=1)
    later = q.join("linear 2")  # both slots taken: waits behind the CNN, in order
    assert [q.position(t) for t in (cnn2, later)] == [1, 2]
    q.leave(cnn)  # a heavy slot and a slot free up: the CNN first in line gets them
    assert [q.position(t) for t in (cnn2, later)] == [0, 1]
    q.leave(short)
    assert q.position(later) == 0


def test_a_crashed_training_frees_its_slot():
    q = mq.TrainingScheduler(limit=1)

    def training_that_crashes():
        with q.slot("crash"):
            raise ZeroDivisionError("a bug in the middle of training")

    with pytest.raises(ZeroDivisionError):
        training_that_crashes()
    assert q.snapshot() == mq.Snapshot(0, 0, 0)
    with q.slot("next") as t:
        assert q.position(t) == 0


def test_fifty_requests_are_served_fairly():
    """50 simulated students (a tenth of them CNNs) press Train at random moments: never more
    than the slots (or heavy slots) at once, and nobody is passed by a later request of their
    own kind (a short one may pass a CNN only while the CNN cannot start anyway)."""
    rng = random.Random(3)
    q = mq.TrainingScheduler(limit=2, heavy_limit=1)
    lock, served = threading.Lock(), []
    running, peak = {"all": 0, "heavy": 0}, {"all": 0, "heavy": 0}

    def student(heavy: bool, delay: float) -> None:
        time.sleep(delay)
        with q.slot(heavy=heavy, poll=0.005) as ticket:
            with lock:
                served.append(ticket)
                running["all"] += 1
                running["heavy"] += heavy
                peak["all"] = max(peak["all"], running["all"])
                peak["heavy"] = max(peak["heavy"], running["heavy"])
            time.sleep(0.03 if heavy else 0.01)
            with lock:
                running["all"] -= 1
                running["heavy"] -= heavy

    kinds = [i % 10 == 0 for i in range(50)]
    threads = [
        threading.Thread(target=student, args=(heavy, rng.uniform(0, 0.05))) for heavy in kinds
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(served) == 50 and q.snapshot() == mq.Snapshot(0, 0, 0)
    assert peak == {"all": 2, "heavy": 1}
    for heavy in (False, True):
        in_line = sorted((t for t in served if t.heavy == heavy), key=lambda t: t.number)
        starts = [t.started for t in in_line]
        assert starts == sorted(starts), "a later request of the same kind started first"
    short_waits = [t.started - t.joined for t in served if not t.heavy]
    assert max(short_waits) < 5  # a CNN never blocked the short trainings behind it


def test_limits_from_the_environment(monkeypatch):
    monkeypatch.setenv("EXPLORER_TRAINING_SLOTS", "3")
    monkeypatch.delenv("EXPLORER_HEAVY_TRAININGS", raising=False)
    assert mq.default_limits() == (3, 2)
    monkeypatch.setenv("EXPLORER_HEAVY_TRAININGS", "9")
    assert mq.default_limits() == (3, 3)  # never more heavy slots than slots
    for bad in ("0", "-2", "many", ""):
        monkeypatch.setenv("EXPLORER_TRAINING_SLOTS", bad)
        monkeypatch.setenv("EXPLORER_HEAVY_TRAININGS", bad)
        slots, heavy = mq.default_limits()
        assert slots == max(1, os.cpu_count() or 1) and 1 <= heavy <= slots
    with pytest.raises(ValueError):
        mq.TrainingScheduler(limit=0)
    with pytest.raises(ValueError):
        mq.TrainingScheduler(limit=2, heavy_limit=3)
    assert mq.trainings() is mq.trainings()
