"""A lock handed to its waiters in the order they asked for it.

`threading.Lock` lets a thread that arrives just as the lock is released take it ahead of threads
that have been waiting; under the interpreter lock that happens all the time. Behind the write
gate it meant a payment callback could wait three times longer than the one that came after it.
Here a release gives the lock straight to the oldest waiter, so a writer waits for exactly the
writers that came before it.
"""
import threading
from collections import deque


class FifoLock:
    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        try:
            turn.acquire()  # released by whoever hands us the lock
        except BaseException:
            self._give_up(turn)
            raise

    def release(self) -> None:
        with self._mutex:
            if not self._held:
                raise RuntimeError("release of an unheld FifoLock")
            if self._waiters:
                self._waiters.popleft().release()  # ownership passes on; _held stays True
            else:
                self._held = False

    def _give_up(self, turn: threading.Lock) -> None:
        """An exception interrupted the wait: leave the queue, or pass on a turn already given."""
        with self._mutex:
            try:
                self._waiters.remove(turn)
                return
            except ValueError:
                pass  # our turn came as we were interrupted: the lock is ours to hand on
        self.release()

    def queued(self) -> int:
        """Threads waiting for the lock (for tests and diagnostics)."""
        with self._mutex:
            return len(self._waiters)

    def __enter__(self) -> "FifoLock":
        self.acquire()
        return self

    def __exit__(self, *_exc) -> None:
        self.release()
