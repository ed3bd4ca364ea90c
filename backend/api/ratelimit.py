"""Token buckets per client, in process. Enough to stop a stuck kiosk or a scripted guesser;
a hospital running several processes gets one bucket per process, which is still bounded."""
import threading
import time


class RateLimiter:
    def __init__(self, max_keys: int = 50_000):
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._max_keys = max_keys

    def allow(self, bucket: str, client: str, rate: float, burst: int) -> tuple[bool, float]:
        """Returns (allowed, seconds until the next token)."""
        now = time.monotonic()
        key = (bucket, client)
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - stamp) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                allowed, wait = True, 0.0
            else:
                self._buckets[key] = (tokens, now)
                allowed, wait = False, (1.0 - tokens) / rate
            if len(self._buckets) > self._max_keys:
                self._buckets.clear()  # memory bound under a flood of spoofed keys
        return allowed, wait
