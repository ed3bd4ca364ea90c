"""FifoLock: one holder at a time, and waiters served in the order they queued."""
import threading
import time

import pytest

from backend.adapters.db.engine import WriteGate
from backend.adapters.db.fifo_lock import FifoLock


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.001)


def test_one_holder_at_a_time():
    lock = FifoLock()
    inside, overlaps, total = [0], [0], [0]

    def work():
        for _ in range(300):
            with lock:
                inside[0] += 1
                if inside[0] > 1:
                    overlaps[0] += 1
                time.sleep(0)  # give every other thread the chance to barge in
                total[0] += 1
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert overlaps[0] == 0
    assert total[0] == 8 * 300


def queue_in_order(acquire, queued, n):
    """Start n threads one after another, each queued before the next starts; return their order."""
    order, threads = [], []
    for i in range(n):
        def run(i=i):
            acquire(i)
            order.append(i)
        t = threading.Thread(target=run)
        t.start()
        threads.append(t)
        wait_for(lambda: queued() == i + 1)
    return order, threads


def test_waiters_get_the_lock_in_the_order_they_asked():
    lock = FifoLock()
    lock.acquire()

    def take(_i):
        lock.acquire()
        lock.release()

    order, threads = queue_in_order(take, lock.queued, 12)
    lock.release()
    for t in threads:
        t.join(5)
    assert order == list(range(12))
    # Free again: a new comer takes it at once.
    lock.acquire()
    lock.release()


def test_write_gate_lets_writers_through_in_arrival_order(tmp_path):
    gate = WriteGate(str(tmp_path / "db.writelock"))
    held = threading.Event()
    leave = threading.Event()

    def first():
        with gate.hold():
            held.set()
            leave.wait(5)

    holder = threading.Thread(target=first)
    holder.start()
    assert held.wait(5)

    def writer(_i):
        with gate.hold():
            pass

    order, threads = queue_in_order(writer, gate._lock.queued, 10)
    leave.set()
    holder.join(5)
    for t in threads:
        t.join(5)
    assert order == list(range(10))


def test_an_interrupted_wait_does_not_wedge_the_lock():
    lock = FifoLock()
    lock.acquire()
    calls = {"n": 0}
    real_lock = threading.Lock

    class InterruptedTurn:
        """A waiter's turn whose wait is interrupted, as KeyboardInterrupt would."""

        def __init__(self):
            self._inner = real_lock()

        def acquire(self, *a):
            calls["n"] += 1
            if calls["n"] == 2:  # the blocking wait, after the set-up acquire
                raise KeyboardInterrupt
            return self._inner.acquire(*a)

        def release(self):
            self._inner.release()

    threading.Lock, saved = InterruptedTurn, threading.Lock
    try:
        with pytest.raises(KeyboardInterrupt):
            lock.acquire()
    finally:
        threading.Lock = saved
    assert lock.queued() == 0
    lock.release()
    assert lock._held is False
    lock.acquire()  # still usable
    lock.release()


def test_releasing_an_unheld_lock_is_an_error():
    with pytest.raises(RuntimeError):
        FifoLock().release()
