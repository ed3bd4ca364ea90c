"""Fan-out of live events: N lobby displays connected to /display over websocket, 20 call-nexts
over HTTP, and for every display the delay from the call's HTTP response to its `ticket.called`.
Run against one `tiepdon serve`, then against two joined by Redis with the displays split between
them and the calls made on the first.

The clients speak Engine.IO 4 / Socket.IO 5 directly over aiohttp websockets in one event loop, so
on a small machine the bench costs little next to the server it measures; its own CPU use is
printed. A delay is counted from the moment the response was read (on a thread of its own); an
event that arrived earlier counts as 0. The first call at each point warms up and is not counted.

    python bench/fanout.py [--clients 500] [--calls 20]
"""
import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import aiohttp
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _server import BenchServer  # noqa: E402

PASSWORD = "mat-khau-do-hieu-nang"
POINTS = ("P101", "P102", "P103")  # three rooms calling in turn, all in display area KHU-KHAM


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Redis:
    """redis-server on a free loopback port, no persistence."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="tiepdon-bench-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Client:
    """One Socket.IO client: connect to a namespace, answer pings, time the events it waits for."""

    def __init__(self, namespace: str, auth: dict, event: str):
        self.namespace = namespace
        self.auth = auth
        self.event = event
        self.prefix = f"42{namespace},"
        self.heard: dict[str, float] = {}  # display_number → perf_counter when heard
        self.ready = asyncio.Event()
        self.task = None

    async def run(self, session: aiohttp.ClientSession, url: str):
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        async with session.ws_connect(ws_url, max_msg_size=0, autoping=False) as ws:
            opening = await ws.receive_str()
            assert opening.startswith("0"), opening
            await ws.send_str(f"40{self.namespace}," + json.dumps(self.auth))
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                data = msg.data
                if data == "2":
                    await ws.send_str("3")
                elif data.startswith(self.prefix):
                    now = time.perf_counter()
                    name, body = json.loads(data[len(self.prefix):])[:2]
                    if name == self.event:
                        self.heard.setdefault(body["display_number"], now)
                    elif name.endswith(".state"):
                        self.ready.set()
                elif data.startswith("44"):
                    raise RuntimeError("refused: " + data)


async def measure(label: str, calls: int, clients: list[Client], servers: list[str], http_url: str,
                  staff_cookie: dict, csrf: str) -> list[float]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for i, c in enumerate(clients):
            c.task = asyncio.create_task(c.run(session, servers[i % len(servers)]))
            if i % 50 == 49:
                await asyncio.sleep(0.05)  # a lobby's displays do not all switch on in one instant
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), timeout=120)
        crashed = [c.task for c in clients if c.task.done()]
        if crashed:
            await crashed[0]
        # Displays connect once in the morning and then listen all day: measure that, not the
        # tail of the connection storm (the server is still settling its new threads and objects).
        await asyncio.sleep(2.0)

        staff = requests.Session()
        staff.cookies.update(staff_cookie)
        staff.headers["X-CSRF-Token"] = csrf

        def call(point: str) -> tuple[dict, float]:
            # On its own thread, so the moment the answer is read is not delayed by the event loop
            # being busy with the displays.
            # The previous number never came in (nobody starts it here): marked a no-show, as staff
            # confirm in the room page.
            r = staff.post(f"{http_url}/api/v1/service-points/{point}/call-next", json={"current": "no_show"},
                           timeout=10)
            answered = time.perf_counter()
            assert r.status_code == 200, r.text
            return r.json(), answered

        async def one_call(point: str) -> tuple[list[float], int]:
            body, answered = await asyncio.to_thread(call, point)
            number = body["display_number"]
            deadline = answered + 10
            while time.perf_counter() < deadline and any(number not in c.heard for c in clients):
                await asyncio.sleep(0.002)
            heard = [c.heard[number] for c in clients if number in c.heard]
            await asyncio.sleep(0.05)
            return [max(0.0, (at - answered) * 1000) for at in heard], len(clients) - len(heard)

        for point in POINTS:  # first call at each point: code paths and caches warm up, not counted
            await one_call(point)

        cpu0, wall0 = cpu_s(), time.perf_counter()
        delays: list[float] = []
        per_call: list[float] = []
        missing = 0
        for k in range(calls):
            these, lost = await one_call(POINTS[k % len(POINTS)])
            delays += these
            missing += lost
            per_call.append(max(these, default=float("nan")))
        cpu = cpu_s() - cpu0
        wall = time.perf_counter() - wall0
        for c in clients:
            c.task.cancel()
        await asyncio.gather(*(c.task for c in clients), return_exceptions=True)
    print(f"  {label}: {len(delays)} deliveries, {missing} missing, p50 {pct(delays, 0.5):.1f} ms, "
          f"p99 {pct(delays, 0.99):.1f} ms, max {max(delays, default=float('nan')):.1f} ms; "
          f"bench CPU {cpu:.2f} s over {wall:.1f} s ({100 * cpu / wall:.0f}% of one core)")
    print("    slowest delivery per call (ms): " + " ".join(f"{v:.0f}" for v in per_call))
    return delays


def login(url: str) -> tuple[dict, str]:
    s = requests.Session()
    r = s.post(url + "/api/v1/auth/login", json={"username": "bench-le-tan", "password": PASSWORD})
    r.raise_for_status()
    return dict(s.cookies), r.json()["csrf_token"]


def make_clients(n: int) -> list[Client]:
    return [Client("/display", {"display": "KHU-KHAM"}, "ticket.called") for _ in range(n)]


# Every display here connects from 127.0.0.1, where a lobby's TVs each have their own address: lift
# the per-address connection cap for the bench (bench/connections.py spreads its clients instead).
ONE_ADDRESS = {"TIEPDON_MAX_CONNECTIONS_PER_CLIENT": "100000"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--calls", type=int, default=20)
    args = ap.parse_args()

    print(f"fanout: {args.clients} /display clients, {args.calls} call-nexts, {os.cpu_count()} cores")
    single = BenchServer(extra_env=ONE_ADDRESS).start()
    try:
        prepare_server(single, args.calls + len(POINTS) + 5)
        cookie, csrf = login(single.url)
        delays = asyncio.run(measure("single process", args.calls,
                                     make_clients(args.clients), [single.url],
                                     single.url, cookie, csrf))
        single_p50, single_p99 = pct(delays, 0.5), pct(delays, 0.99)
        rss = single.rss_mb()
        print(f"  server RSS with {args.clients} clients: {rss:.0f} MB")
    finally:
        single.stop()

    redis = Redis()
    a = b = None
    try:
        a = BenchServer(extra_env={"REDIS_URL": redis.url, **ONE_ADDRESS})
        b = BenchServer(db_url=a.db_url, extra_env={"REDIS_URL": redis.url, **ONE_ADDRESS})
        for key in ("SECRET_KEY", "TIEPDON_PII_KEY"):
            b.env[key] = a.env[key]
        a.start()
        b.start()
        prepare_server(a, args.calls + len(POINTS) + 5)
        cookie, csrf = login(a.url)
        delays = asyncio.run(measure("two processes through Redis (calls on A, clients on A and B)",
                                     args.calls, make_clients(args.clients),
                                     [a.url, b.url], a.url, cookie, csrf))
        redis_p50, redis_p99 = pct(delays, 0.5), pct(delays, 0.99)
    finally:
        for s in (a, b):
            if s is not None and s.proc is not None:
                s.stop()
        redis.stop()

    print(f"fanout: n={args.clients} single_p50_ms={single_p50:.1f} single_p99_ms={single_p99:.1f} "
          f"redis_p50_ms={redis_p50:.1f} redis_p99_ms={redis_p99:.1f} server_rss_mb={rss:.0f}")


def prepare_server(server: BenchServer, tickets: int) -> None:
    server.env["BENCH_PASSWORD"] = PASSWORD
    server.cli("staff", "add", "bench-le-tan", "--name", "Lễ tân đo hiệu năng", "--role", "reception",
               "--password-env", "BENCH_PASSWORD")
    device_token = server.cli("device", "add", "bench-kiosk")
    for _ in range(tickets):
        r = requests.post(server.url + "/api/v1/tickets",
                          json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                          headers={"Authorization": f"Bearer {device_token}"}, timeout=10)
        r.raise_for_status()


if __name__ == "__main__":
    main()
