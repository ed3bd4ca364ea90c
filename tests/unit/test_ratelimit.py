"""The shared limiter: rate/burst settings as limits, a Redis fault limited in memory and healed."""
import logging

import pytest
import redis

from backend.api.ratelimit import SharedLimiter, limit_item
from tests.integration.realtime.live import RedisServer, wait_until


@pytest.mark.parametrize("rate, burst, amount, window", [
    (10.0, 40, 40, 4), (30.0, 60, 60, 2), (0.2, 10, 10, 50), (0.05, 5, 5, 100), (5.0, 30, 30, 6),
    (100000.0, 100000, 100000, 1), (10.0, 5, 10, 1), (0.3, 1, 1, 3),
])
def test_rate_and_burst_become_burst_hits_per_burst_over_rate_seconds(rate, burst, amount, window):
    item = limit_item(rate, burst)
    assert (item.amount, item.get_expiry()) == (amount, window)


def test_the_wait_is_until_the_oldest_hit_leaves_the_window():
    limiter = SharedLimiter()
    assert [limiter.hit("login", "198.51.100.7", 0.01, 2) for _ in range(2)] == [None, None]
    wait = limiter.hit("login", "198.51.100.7", 0.01, 2)
    assert 190 <= wait <= 200
    assert limiter.hit("login", "198.51.100.8", 0.01, 2) is None  # someone else
    assert limiter.hit("otp", "198.51.100.7", 0.01, 2) is None  # another bucket


def test_memory_forgets_clients_whose_window_has_passed():
    limiter = SharedLimiter(prune_every_s=0)
    for i in range(500):
        limiter.hit("public", f"203.0.113.{i}", 1.0, 1)
    events = limiter._memory.storage.events
    assert len(events) >= 500
    wait_until(lambda: limiter.hit("public", "192.0.2.1", 1000.0, 1000) is None and len(events) <= 2, timeout=10)


def test_a_redis_fault_is_limited_in_memory_logged_once_and_heals(caplog):
    caplog.set_level(logging.INFO, logger="tiepdon.ratelimit")
    server = RedisServer()  # its port is chosen, nothing listens yet
    limiter = SharedLimiter(server.url, retry_shared_s=0.1)
    try:
        answers = [limiter.hit("login", "198.51.100.7", 0.01, 3) for _ in range(5)]
        assert answers[:3] == [None] * 3 and all(w >= 1 for w in answers[3:])
        faults = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(faults) == 1 and "memory" in faults[0].getMessage()

        server.start()
        store = redis.Redis(port=server.port)
        wait_until(lambda: limiter.hit("login", "198.51.100.9", 0.01, 3) is None and store.dbsize() > 0)
        assert any("back" in r.getMessage() for r in caplog.records)
        assert [limiter.hit("public", "198.51.100.7", 0.01, 2) for _ in range(3)][2] is not None
    finally:
        server.cleanup()
