"""core.mnist.queue: at most `limit` heavy trainings at once, FIFO, visible positions,
thread-safe.
"""

from __future__ import annotations

import threading
import time

import pytest

from core.mnist import queue as mq
from core.mnist.models import ModelSpec


def test_positions_and_promotion_in_order():
    q = mq.TrainingQueue(limit=1)
    a, b, c = q.join("a"), q.join("b"), q.join("c")
    assert [q.position(t) for t in (a, b, c)] == [0, 1, 2]
    assert q.snapshot() == (1, 2)
    q.leave(a)
    assert [q.position(t) for t in (b, c)] == [0, 1]
    q.leave(c)  # stepping out of the line
    assert q.snapshot() == (1, 0)
    q.leave(b)
    q.leave(b)  # twice is harmless
    assert q.snapshot() == (0, 0)
    with pytest.raises(mq.QueueClosed):
        q.position(b)
    with pytest.raises(mq.QueueClosed):
        q.wait(b, 0.01)


def test_limit_two_admits_two_at_once():
    q = mq.TrainingQueue(limit=2)
    tickets = [q.join() for _ in range(4)]
    assert [q.position(t) for t in tickets] == [0, 0, 1, 2]
    assert q.wait(tickets[1], 0) and not q.wait(tickets[2], 0.05)


@pytest.mark.parametrize("limit", [1, 2])
def test_threads_are_served_first_come_first_served_and_never_over_the_limit(limit):
    q = mq.TrainingQueue(limit=limit)
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
    assert q.snapshot() == (0, 0)


def test_slot_context_manager_under_contention():
    q = mq.TrainingQueue(limit=1)
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
    q = mq.TrainingQueue(limit=1)
    holder = q.join()

    class Stopped(Exception):
        pass

    def stop_now(position):
        assert position == 1
        raise Stopped  # e.g. Streamlit's rerun when the student presses Stop

    with pytest.raises(Stopped), q.slot(on_wait=stop_now, poll=0.01):
        pass
    assert q.snapshot() == (1, 0)
    q.leave(holder)
    with q.slot() as t:
        assert q.position(t) == 0
    assert q.snapshot() == (0, 0)


def test_a_holder_that_vanished_is_evicted_after_its_lease():
    q = mq.TrainingQueue(limit=1, lease_seconds=0.2)
    lost = q.join("crashed without leaving")
    waiting = q.join("next")
    assert q.position(waiting) == 1
    assert q.wait(waiting, timeout=5)  # promoted once the lost holder's lease ran out
    with pytest.raises(mq.QueueClosed):
        q.position(lost)


def test_heartbeats_keep_a_long_training_alive():
    q = mq.TrainingQueue(limit=1, lease_seconds=0.15)
    holder, waiting = q.join(), q.join()
    for _ in range(5):
        time.sleep(0.05)
        q.heartbeat(holder)
        q.heartbeat(waiting)
        assert q.position(holder) == 0 and q.position(waiting) == 1


def test_which_trainings_are_heavy():
    assert mq.is_heavy(ModelSpec("cnn"))
    assert not mq.is_heavy(ModelSpec("linear"))
    assert not mq.is_heavy(ModelSpec("mlp", hidden=(256,)))
    assert mq.is_heavy(ModelSpec("mlp", hidden=(1024, 1024)))


def test_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("EXPLORER_HEAVY_TRAININGS", "3")
    assert mq.default_limit() == 3
    for bad in ("0", "-2", "many", ""):
        monkeypatch.setenv("EXPLORER_HEAVY_TRAININGS", bad)
        assert mq.default_limit() >= 1
    with pytest.raises(ValueError):
        mq.TrainingQueue(limit=0)
    assert mq.heavy_trainings() is mq.heavy_trainings()
