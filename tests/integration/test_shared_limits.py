"""Rate limits on real `tiepdon serve` processes: one budget shared through Redis by every process,
counted for the client behind a trusted proxy only, and still enforced (per process) while Redis is away."""
import itertools

import pytest
import redis
import requests

from backend.adapters.db.migrate import upgrade
from tests.integration.realtime.live import RedisServer, wait_until
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow

BUDGET = 6  # login attempts per client address (TIEPDON_RATE_LOGIN_IP=0.01/6: 6 per 600 s)


def attempt(server: ServerProcess, client: str | None = None, username: str = "khong-co-ai") -> int:
    headers = {"X-Forwarded-For": client} if client else {}
    return requests.post(server.url + "/api/v1/auth/login", headers=headers, timeout=30,
                         json={"username": username, "password": "doan-bua-di"}).status_code


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.cleanup()


def test_two_processes_share_one_login_limit_through_redis_and_outlive_it(sqlite_url, redis_server):
    upgrade(sqlite_url)
    env = {"REDIS_URL": redis_server.url, "TIEPDON_TRUSTED_PROXIES": "127.0.0.1, ::1",
           "TIEPDON_RATE_LOGIN_IP": f"0.01/{BUDGET}", "TIEPDON_RATE_LOGIN": "1000/1000"}
    a = ServerProcess(sqlite_url, **env).start()
    b = ServerProcess(sqlite_url, **env).start()
    try:
        # N attempts split over both processes (different usernames): the next one is refused by either
        codes = [attempt(s, "203.0.113.1", f"nguoi-{i}") for i, s in zip(range(BUDGET), itertools.cycle([a, b]))]
        assert codes == [401] * BUDGET
        assert attempt(a, "203.0.113.1") == 429 and attempt(b, "203.0.113.1") == 429
        # another phone behind the same trusted proxy has its own budget
        assert attempt(b, "203.0.113.2") == 401

        redis_server.stop()  # Redis goes away mid-run: answered, and limited in each process's memory
        for s in (a, b):
            assert [attempt(s, "203.0.113.3") for _ in range(BUDGET + 1)] == [401] * BUDGET + [429]

        redis_server.start()  # it comes back on the same port: each process returns to it by itself
        store = redis.Redis(port=redis_server.port)
        fresh = (f"198.51.100.{i}" for i in itertools.count(1))
        for s in (a, b):
            def writes_to_redis(s=s):
                before = store.dbsize()
                return attempt(s, next(fresh)) == 401 and store.dbsize() > before

            wait_until(writes_to_redis, timeout=30, every=0.2)
        codes = [attempt(s, "203.0.113.4", f"nguoi-{i}") for i, s in zip(range(BUDGET), itertools.cycle([b, a]))]
        assert codes == [401] * BUDGET
        assert attempt(a, "203.0.113.4") == 429 and attempt(b, "203.0.113.4") == 429
    finally:
        a.stop()
        b.stop()


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(sqlite_url):
    upgrade(sqlite_url)
    server = ServerProcess(sqlite_url, TIEPDON_TRUSTED_PROXIES="10.0.0.0/8", TIEPDON_RATE_LOGIN_IP="0.01/4",
                           TIEPDON_RATE_LOGIN="1000/1000").start()
    try:
        codes = [attempt(server, f"203.0.113.{i}", f"nguoi-{i}") for i in range(6)]
        assert codes == [401] * 4 + [429] * 2
    finally:
        server.stop()
