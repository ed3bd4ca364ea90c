"""gunicorn's threaded worker, with kept-alive connections served on the thread that answered them.

In gthread every request on a kept-alive connection makes three thread hand-offs: the worker thread
passes the connection back to the main thread (a queue and a pipe), the main thread re-registers it
with epoll, and when the next request arrives it hands the connection to the pool again. Kiosks,
staff screens and payment callbacks keep their connections open and send request after request, so
here the thread that answered waits up to `linger_s` for the next request itself. At most half the
pool lingers at a time, so a new connection always finds a thread; on shutdown nothing lingers.
"""
import os
import select
import threading

from gunicorn.workers.gthread import ThreadWorker

DEFAULT_LINGER_S = 1.0
# A lingering thread looks up this often whether the worker is stopping.
_WAKE_S = 0.25


def linger_seconds() -> float:
    return float(os.environ.get("TIEPDON_KEEPALIVE_LINGER_S", DEFAULT_LINGER_S))


class KeepAliveThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.linger_s = linger_seconds()
        self._busy = 0
        self._busy_lock = threading.Lock()

    def handle(self, conn):
        with self._busy_lock:
            self._busy += 1
        try:
            keep = super().handle(conn)
            while keep is True and self._may_linger() and self._next_request_arrives(conn):
                keep = super().handle(conn)
            return keep
        finally:
            with self._busy_lock:
                self._busy -= 1

    def _may_linger(self) -> bool:
        return self.alive and self.linger_s > 0 and self._busy <= self.cfg.threads // 2

    def _next_request_arrives(self, conn) -> bool:
        """True once the connection is readable (a request, or the client closing it) within linger_s;
        False when that time passes or the worker starts to stop."""
        if conn.parser.unreader.buf.getvalue():
            return True  # the client sent it along with the last one
        poller = select.poll()
        poller.register(conn.sock, select.POLLIN)
        left = self.linger_s
        while left > 0 and self.alive:
            wait = min(left, _WAKE_S)
            if poller.poll(wait * 1000):
                return True
            left -= wait
        return False
