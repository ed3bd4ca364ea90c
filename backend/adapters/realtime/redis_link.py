"""The one Redis connection pool of a process, with a breaker.

Redis only carries live events: when it is gone, tickets, calls and payments must go on at full
speed. Every command therefore has short timeouts and no retry loop, and after a failure the link
stays "down" for a short, growing pause during which callers fail at once instead of each paying a
connect timeout. `generation` grows every time Redis comes back, so whoever keeps state in Redis
(listener sets) knows to write it again: a Redis restarted without persistence remembers nothing.
"""
import logging
import threading
import time
from typing import Callable, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from .faults import FaultLog

log = logging.getLogger("tiepdon.realtime.redis")

T = TypeVar("T")

TIMEOUT_S = 0.5
PAUSE_MIN_S = 0.25
PAUSE_MAX_S = 2.0


class RedisUnavailable(Exception):
    pass


def connect(url: str, **extra) -> redis.Redis:
    options = dict(socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S,
                   retry=Retry(NoBackoff(), 0), socket_keepalive=True)
    options.update(extra)
    return redis.Redis.from_url(url, **options)


class RedisLink:
    def __init__(self, url: str, faults: FaultLog | None = None):
        self.url = url
        self.client = connect(url)
        self.faults = faults or FaultLog(log)
        self._lock = threading.Lock()
        self._up = True
        self._pause = PAUSE_MIN_S
        self._retry_at = 0.0
        self.generation = 0

    @property
    def up(self) -> bool:
        return self._up

    def available(self) -> bool:
        return self._up or time.monotonic() >= self._retry_at

    def run(self, fn: Callable[[redis.Redis], T], force: bool = False) -> T:
        if not force and not self.available():
            raise RedisUnavailable("paused after a failure")
        try:
            result = fn(self.client)
        except (RedisError, OSError) as exc:
            self.mark_down(exc)
            raise RedisUnavailable(str(exc)) from exc
        self.mark_up()
        return result

    def mark_down(self, exc: BaseException) -> None:
        with self._lock:
            first = self._up
            self._up = False
            self._pause = PAUSE_MIN_S if first else min(self._pause * 2, PAUSE_MAX_S)
            self._retry_at = time.monotonic() + self._pause
        if first:
            self.faults.fault(
                "redis",
                f"Redis không kết nối được / Redis unreachable at {_safe(self.url)}: live events "
                "to other processes are paused; requests go on",
                exc,
            )

    def mark_up(self) -> None:
        if self._up:
            return
        with self._lock:
            if self._up:
                return
            self._up = True
            self._pause = PAUSE_MIN_S
            self.generation += 1
        self.faults.ok("redis")

    def probe(self) -> dict:
        """For /api/v1/health: always asks Redis (bounded by the short timeouts)."""
        started = time.perf_counter()
        try:
            self.run(lambda c: c.ping(), force=True)
        except RedisUnavailable as exc:
            cause = exc.__cause__
            return {"status": "down", "error": type(cause).__name__ if cause else "unavailable"}
        return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def _safe(url: str) -> str:
    """The URL without a password, for logs."""
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
