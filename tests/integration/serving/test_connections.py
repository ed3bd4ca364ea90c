"""Issue 14: connections are not threads. One process holds thousands of idle connections, caps
what one client address may hold, and answers everyone else promptly."""
import asyncio
import threading

import requests

from tests.integration.serving.conftest import WS_UPGRADE, open_raw
from tests.support.app import PASSWORD

CAP = 64  # the default per-address cap (TIEPDON_MAX_CONNECTIONS_PER_CLIENT)


def _run(coro):
    """On a thread of its own: an earlier test in the session may have left a loop on this one."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_a_flooding_address_is_capped_and_everyone_else_is_served(serve):
    s = serve()
    http = s.http()

    async def scenario():
        held = []
        # 1,000 bare websockets from one address: the cap's worth are upgraded, every other one
        # is refused at once with 429, none hangs.
        flood = await asyncio.gather(*[open_raw(s.port, "127.0.0.2", WS_UPGRADE, True) for _ in range(1000)],
                                     return_exceptions=True)
        statuses = [r[0] if not isinstance(r, BaseException) else repr(r) for r in flood]
        held += [r for r in flood if not isinstance(r, BaseException)]
        # 450 slowloris connections from another address: headers started, never finished.
        slow = await asyncio.gather(*[open_raw(s.port, "127.0.0.3", "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n",
                                               False) for _ in range(450)], return_exceptions=True)
        held += [r for r in slow if not isinstance(r, BaseException)]
        # 1,000 websockets spread over 20 addresses, each under the cap: all held at once.
        spread = await asyncio.gather(*[open_raw(s.port, f"127.0.1.{1 + i % 20}", WS_UPGRADE, True)
                                        for i in range(1000)], return_exceptions=True)
        held += [r for r in spread if not isinstance(r, BaseException)]
        spread_statuses = [r[0] if not isinstance(r, BaseException) else repr(r) for r in spread]
        # Everyone else, from 127.0.0.1, while all that is open:
        loop = asyncio.get_running_loop()
        health = await loop.run_in_executor(None, lambda: requests.get(s.url + "/api/v1/health", timeout=10))
        ticket = await loop.run_in_executor(None, lambda: http.issue(timeout=10))
        # The slowloris address's own extra connections are refused too.
        extra_slow = await open_raw(s.port, "127.0.0.3", "GET /api/v1/health HTTP/1.1\r\n\r\n", True)
        for _status, _reader, writer in held + [extra_slow]:
            writer.close()
        return statuses, spread_statuses, health, ticket, extra_slow[0]

    statuses, spread_statuses, health, ticket, extra_slow = _run(scenario())
    assert statuses.count(101) == CAP, statuses[:5]
    assert statuses.count(429) == 1000 - CAP, [x for x in statuses if x not in (101, 429)][:5]
    assert spread_statuses.count(101) == 1000, [x for x in spread_statuses if x != 101][:5]
    assert health.status_code == 200
    assert ticket["display_number"].startswith("N")
    assert extra_slow == 429


def test_a_refusal_is_a_translatable_problem(serve):
    s = serve(TIEPDON_MAX_CONNECTIONS_PER_CLIENT="2")

    async def scenario():
        a = await open_raw(s.port, "127.0.0.4", WS_UPGRADE, True)
        b = await open_raw(s.port, "127.0.0.4", WS_UPGRADE, True)
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port, local_addr=("127.0.0.4", 0))
        writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(), 10)
        for _st, _r, w in (a, b):
            w.close()
        writer.close()
        return a[0], b[0], raw

    first, second, raw = _run(scenario())
    assert (first, second) == (101, 101)
    head, body = raw.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 429")
    assert b"Retry-After:" in head and b"application/problem+json" in head
    assert b'"code": "TOO_MANY_CONNECTIONS"' in body
    assert "Quá nhiều kết nối".encode() in body and b"Too many open connections" in body


def test_slow_headers_and_slow_bodies_are_cut_off(serve):
    s = serve(TIEPDON_HEADER_TIMEOUT_S="2", TIEPDON_BODY_TIMEOUT_S="2")

    async def scenario():
        # headers never finished: the server closes the connection after the header timeout
        _st, reader, writer = await open_raw(s.port, "127.0.0.5", "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n",
                                            False)
        closed = await asyncio.wait_for(reader.read(), 15)
        writer.close()
        # a body trickled a byte a second: 408 once the body timeout has passed
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port, local_addr=("127.0.0.5", 0))
        body = b'{"username": "le-tan", "password": "x"}'
        writer.write(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Accept-Language: en\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        answer = b""
        for byte in body:
            writer.write(bytes([byte]))
            try:
                await writer.drain()
                answer = await asyncio.wait_for(reader.read(4096), 1.0)
            except (asyncio.TimeoutError, ConnectionError):
                continue
            if answer:
                break
        while answer and not answer.rstrip().endswith(b"}"):  # the rest of the problem document
            more = await asyncio.wait_for(reader.read(4096), 5)
            if not more:
                break
            answer += more
        writer.close()
        return closed, answer

    closed, answer = _run(scenario())
    assert closed == b""  # closed without an answer: nothing was asked
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"REQUEST_TIMEOUT" in answer and b"sent too slowly" in answer


def test_a_ticket_is_answered_while_twenty_logins_hash(serve):
    """Password hashing runs in a thread pool, off the event loop: a ticket issued while 20 logins
    are hashing comes back before they are all done."""
    s = serve()
    http = s.http()
    done: list[str] = []
    lock = threading.Lock()
    started = threading.Barrier(21)

    def login(i):
        started.wait()
        requests.post(s.url + "/api/v1/auth/login", json={"username": "le-tan", "password": f"wrong-{i}"},
                      timeout=60)
        with lock:
            done.append("login")

    threads = [threading.Thread(target=login, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    started.wait()
    import time
    time.sleep(0.05)  # the logins are on the wire first
    http.issue(timeout=60)
    with lock:
        done.append("ticket")
    for t in threads:
        t.join()
    assert done.index("ticket") < 19, done
    ok = requests.post(s.url + "/api/v1/auth/login", json={"username": "le-tan", "password": PASSWORD}, timeout=10)
    assert ok.status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_is_capped_on_its_own(serve):
    """Every connection comes from the proxy's address: the cap counts the forwarded client."""
    s = serve(TIEPDON_TRUSTED_PROXIES="127.0.0.6", TIEPDON_MAX_CONNECTIONS_PER_CLIENT="5")

    def upgrade_from(client: str) -> str:
        return WS_UPGRADE.replace("Host: 127.0.0.1\r\n", f"Host: 127.0.0.1\r\nX-Forwarded-For: {client}\r\n")

    async def scenario():
        one = await asyncio.gather(*[open_raw(s.port, "127.0.0.6", upgrade_from("203.0.113.7"), True)
                                     for _ in range(8)])
        other = await asyncio.gather(*[open_raw(s.port, "127.0.0.6", upgrade_from("203.0.113.8"), True)
                                       for _ in range(5)])
        # an untrusted peer's X-Forwarded-For changes nothing: it is capped as itself
        spoofed = await asyncio.gather(*[open_raw(s.port, "127.0.0.7", upgrade_from(f"198.51.100.{i}"), True)
                                         for i in range(8)])
        for _st, _r, w in one + other + spoofed:
            w.close()
        return [x[0] for x in one], [x[0] for x in other], [x[0] for x in spoofed]

    one, other, spoofed = _run(scenario())
    assert sorted(one) == [101] * 5 + [429] * 3
    assert other == [101] * 5
    assert sorted(spoofed) == [101] * 5 + [429] * 3
