"""CPU-heavy work (password hashing, QR images) off the event loop.

Under the server's event loop one request that computes for 50 ms stalls every other connection of
the process for those 50 ms. Such work runs here instead, on a few real threads: hashlib's scrypt
releases the interpreter lock while it works, and pure-Python rendering at least shares it, so the
loop keeps answering. The pool is small on purpose: it also bounds the memory a flood of logins can
take (each scrypt hash holds 16 MB while it runs). Without the event loop (CLI commands, the test
client) the work simply runs in the caller.
"""
import os
from typing import Callable, TypeVar

T = TypeVar("T")


def event_loop_active() -> bool:
    """True in a process that gevent has monkey-patched (the server's worker)."""
    try:
        from gevent import monkey  # lazy: asks whether gevent patched this process; never patches
    except ImportError:  # pragma: no cover - gevent is a backend dependency
        return False
    return monkey.is_module_patched("socket")


class CpuPool:
    def __init__(self, threads: int | None = None):
        self.threads = threads or max(2, os.cpu_count() or 2)
        self._pool = None

    def run(self, fn: Callable[..., T], *args) -> T:
        if not event_loop_active():
            return fn(*args)
        if self._pool is None:
            from gevent.threadpool import ThreadPool  # lazy: gevent only in a patched (served) process

            self._pool = ThreadPool(self.threads)
        done, value = self._pool.apply(_outcome, (fn, args))
        if not done:
            raise value
        return value


def _outcome(fn, args):
    """The work's result or its exception, handed back to the caller to raise there: an exception
    left to escape on the pool's thread is printed by gevent as a traceback (a read-only disk under
    the WAL checkpoint did that every half second) and still reaches the caller."""
    try:
        return True, fn(*args)
    except Exception as exc:
        return False, exc


def run_inline(fn: Callable[..., T], *args) -> T:
    return fn(*args)
