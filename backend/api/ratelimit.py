"""Rate limits shared by every process: the `limits` library's moving window, in Redis when
REDIS_URL is set (one budget for all processes), in memory otherwise.

A setting "rate/burst" (TIEPDON_RATE_*) allows `burst` requests in any window of burst/rate seconds
(rounded to a whole second, at least one; when that is under a second, `rate` per second): the same
burst a token bucket allows, and on average the same rate.

`limits` has no fallback of its own (Flask-Limiter's in-memory fallback lives in its decorator path,
which our per-identity calls do not use), so it is here: when Redis fails, each process limits in its
memory, logs the fault once, and pings Redis at most every RETRY_SHARED_S until it answers again.
A request is never failed for the limiter's sake.

The memory storage of limits 5.8 trims expired hits but keeps every identity's emptied list for
good, and sweeps all of them every 10 ms: without `_forget_idle` a day of distinct client
addresses would grow both the memory and that sweep without bound.
"""
import hashlib
import logging
import math
import threading
import time

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("tiepdon.ratelimit")

RETRY_SHARED_S = 2.0
FORGET_IDLE_EVERY_S = 30.0
REDIS_TIMEOUT_S = 0.5  # a stuck Redis must not hold requests: fall back instead


def limit_item(rate: float, burst: int) -> RateLimitItemPerSecond:
    window = max(1, round(burst / rate))
    return RateLimitItemPerSecond(max(burst, math.ceil(rate * window)), window)


def _key(identity: str) -> str:
    """Keys of one short length whatever the identity (an address, a 64-character username…), and
    no username or address written in clear into Redis."""
    return hashlib.sha256(identity.encode()).hexdigest()[:32]


class SharedLimiter:
    def __init__(self, redis_url: str | None = None, retry_shared_s: float = RETRY_SHARED_S,
                 prune_every_s: float = FORGET_IDLE_EVERY_S):
        self._retry_shared_s = retry_shared_s
        self._prune_every_s = prune_every_s
        self._next_prune = 0.0
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared = None
        self._faults: tuple[type[Exception], ...] = (StorageError, OSError)
        if redis_url:
            # lazy: redis, only with REDIS_URL (one process needs no shared store)
            from redis.backoff import NoBackoff
            from redis.exceptions import RedisError
            from redis.retry import Retry

            self._faults = (StorageError, RedisError, OSError)
            storage = RedisStorage(redis_url, key_prefix="tiepdon-limits", wrap_exceptions=True,
                                   socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S,
                                   retry=Retry(NoBackoff(), 0))
            self._shared = MovingWindowRateLimiter(storage)
        self._lock = threading.Lock()
        self._shared_down = False
        self._next_try = 0.0

    def hit(self, bucket: str, identity: str, rate: float, burst: int) -> int | None:
        """Counts one request; None when allowed, else the seconds to wait (≥ 1)."""
        item = limit_item(rate, burst)
        key = _key(identity)
        limiter = self._healthy_shared()
        if limiter is not None:
            try:
                return None if limiter.hit(item, bucket, key) else self._wait(limiter, item, bucket, key)
            except self._faults as exc:
                self._lost(exc)
        self._forget_idle()
        return None if self._memory.hit(item, bucket, key) else self._wait(self._memory, item, bucket, key)

    def _wait(self, limiter, item, bucket: str, key: str) -> int:
        try:
            reset_at = limiter.get_window_stats(item, bucket, key).reset_time
        except self._faults:
            return item.get_expiry()
        return max(1, math.ceil(reset_at - time.time()))

    def _forget_idle(self) -> None:
        """Drops identities with no hit left in their window (under the key's lock, as the
        storage's own sweep does), at most once per interval."""
        now = time.monotonic()
        with self._lock:
            if now < self._next_prune:
                return
            self._next_prune = now + self._prune_every_s
        storage = self._memory.storage
        for key in list(storage.events):
            with storage.locks[key]:
                if not storage.events.get(key):
                    storage.events.pop(key, None)
                    storage.locks.pop(key, None)

    def _healthy_shared(self):
        if self._shared is None or not self._shared_down:
            return self._shared
        with self._lock:
            now = time.monotonic()
            if now < self._next_try:
                return None
            self._next_try = now + self._retry_shared_s  # one ping per interval, whatever the traffic
        if not self._shared.storage.check():
            return None
        with self._lock:
            if self._shared_down:
                self._shared_down = False
                log.warning("rate-limit storage (Redis) is back: limits are shared again")
        return self._shared

    def _lost(self, exc: Exception) -> None:
        with self._lock:
            if self._shared_down:
                return
            self._shared_down = True
            self._next_try = time.monotonic() + self._retry_shared_s
        log.error("rate-limit storage (Redis) failed (%s): limiting in this process's memory until it "
                  "answers again", type(exc).__name__)
