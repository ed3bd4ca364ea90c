"""Idle live connections at hospital scale: N Socket.IO clients — lobby TVs on /display and phones on
/patient following real tickets — held open against one `tiepdon serve` (SQLite), and at each N
(500, 2,000, 5,000, 10,000 by default) a light steady load from another address measures:

- `/api/v1/health` latency and ticket issue latency (POST /api/v1/tickets with a kiosk token), each
  timed from the moment the request was due (open loop: a stalled server cannot hide its queue);
- call→display: a staff call-next at P101–P103 (area KHU-KHAM), timed from the moment the request
  was sent until every KHU-KHAM display client has received its `ticket.called`;
- the server's resident memory (VmRSS of the gunicorn master and its workers).

A request or delivery that does not arrive within its timeout counts as infinitely slow, so a p99
is `inf` once more than 1% of them failed: a server that stops answering is reported as such, and
every loop here is bounded in count and time. The run stops after the first N at which the server
failed (client connects or requests refused or timed out beyond 1%) and reports that N last.

Clients are spread over loopback source addresses, `--per-address` (50) per address from 127.0.0.2
on, as phones in a lobby each have their own address (a server may cap connections per address);
the load comes from 127.0.0.1. Traffic goes to 127.0.0.0/8 only.

The clients are one asyncio loop of aiohttp websockets speaking Engine.IO 4 / Socket.IO 5 directly,
so 10,000 of them fit in this process (no thread per client); its CPU use and event-loop lag are
printed, because a client delivery is timed when this loop reads it. Protocol, as used here:

    GET /socket.io/?EIO=4&transport=websocket  → websocket
    server: 0{"sid": …, "pingInterval": 25000, "pingTimeout": 20000, …}    Engine.IO open
    client: 40/display,{"display": "KHU-KHAM"}                             Socket.IO connect + auth
    server: 42/display,["display.state", {…}] and 40/display,{"sid": …}    state, then connect ack
            44/display,{"message": "…", "data": {…}}                       connect refused
    server: 2 → client: 3                                                 ping → pong
    server: 42/display,["ticket.called", {…}]                             an event

The open-file limit of this process is raised to its hard limit, and the server inherits it; with
a lower hard limit raise it first (`ulimit -n 20000`). Against the threaded server, the thread pool
is the server's default (`TIEPDON_THREADS` in the environment changes it).

    python bench/connections.py [--steps 500,2000,5000,10000] [--max-n N] [--seconds 20]
"""
import argparse
import asyncio
import errno
import gc
import glob
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter

import aiohttp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _server import BenchServer, machine_speed_line  # noqa: E402

PASSWORD = "mat-khau-do-hieu-nang"
LOAD_ADDRESS = "127.0.0.1"
CALL_POINTS = ("P101", "P102", "P103")  # KHAM-NOI rooms, display area KHU-KHAM
CALL_AREA = "KHU-KHAM"
LOAD_SERVICE = "KHAM-NOI"  # the steady load's tickets: the queue the calls take from
# Displays: half in the called area, the rest elsewhere (they hear nothing of these calls).
DISPLAY_AREAS = ("KHU-KHAM", "SANH-A", "KHU-KHAM", "CLS")
# Patients follow tickets spread over the kiosk services, as a morning's crowd would.
PATIENT_SERVICES = ("TD-DV", "KHAM-NOI", "KHAM-NGOAI", "KHAM-SAN", "KHAM-NHI", "KHAM-MAT",
                    "KHAM-TMH", "KHAM-RHM", "KHAM-DL", "KHAM-YHCT")
INF = float("inf")


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def raise_open_files() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def failure_kind(exc: BaseException) -> str:
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"http {exc.status}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "refused" if exc.os_error.errno == errno.ECONNREFUSED else f"connect {exc.os_error.errno}"
    if isinstance(exc, (aiohttp.ServerDisconnectedError, ConnectionResetError)):
        return "reset"
    if isinstance(exc, Refused):
        return f"sio {exc}"
    if isinstance(exc, GaveUp):
        return "not tried"
    return type(exc).__name__


class Refused(Exception):
    """The server answered the namespace connect with CONNECT_ERROR (44)."""


class GaveUp(Exception):
    """Not tried: this step already met enough failed connects to show the server cannot hold N."""


class Client:
    """One idle Socket.IO client on one namespace: connect, answer pings, note the calls it hears."""

    __slots__ = ("namespace", "auth", "area", "ready", "failure", "closed", "events", "task")

    def __init__(self, namespace: str, auth: dict, area: str | None = None):
        self.namespace = namespace
        self.auth = auth
        self.area = area
        self.ready = False      # connected and its state received
        self.failure = None     # why it never became ready
        self.closed = False     # was ready, then the connection ended
        self.events = 0
        self.task = None

    async def run(self, session: aiohttp.ClientSession, fleet: "Fleet"):
        state_prefix = f'42{self.namespace},["{self.namespace[1:]}.state"'
        event_prefix = f"42{self.namespace},"
        called_prefix = f'42{self.namespace},["ticket.called"'
        ws = None
        try:
            async with fleet.opened:  # bounded handshakes in flight: the listen backlog never overflows
                if fleet.failed_opening >= fleet.give_up_after:
                    raise GaveUp()
                async with asyncio.timeout(fleet.open_timeout):
                    ws = await session.ws_connect(fleet.ws_url, autoping=False, max_msg_size=0,
                                                  timeout=aiohttp.ClientWSTimeout(ws_close=2))
                    opening = await ws.receive_str()
                    if not opening.startswith("0"):
                        raise RuntimeError("no Engine.IO open packet")
                    await ws.send_str(f"40{self.namespace}," + json.dumps(self.auth))
                    while not self.ready:
                        data = await ws.receive_str()
                        if data.startswith(state_prefix):
                            self.ready = True
                        elif data.startswith("44"):
                            raise Refused(json.loads(data.split(",", 1)[1]).get("message"))
                        elif data == "2":
                            await ws.send_str("3")
        except Exception as exc:  # noqa: BLE001 — every failure is counted by kind
            self.failure = failure_kind(exc)
            if not isinstance(exc, GaveUp):
                fleet.failed_opening += 1
            if ws is not None:
                await ws.close()
            return
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                data = msg.data
                if data == "2":
                    await ws.send_str("3")
                elif data.startswith(event_prefix):
                    self.events += 1
                    if data.startswith(called_prefix):
                        now = time.perf_counter()
                        number = json.loads(data[len(event_prefix):])[1]["display_number"]
                        fleet.heard.setdefault((self.area, number), []).append(now)
        except Exception:  # noqa: BLE001 — a dropped connection is counted by `closed`
            pass
        finally:
            self.closed = True
            await ws.close()


class Fleet:
    """The idle clients, grown step by step; one aiohttp session per source address."""

    def __init__(self, url: str, per_address: int, display_share: float, open_timeout: float,
                 concurrency: int):
        self.ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.per_address = per_address
        self.display_share = display_share
        self.open_timeout = open_timeout
        self.clients: list[Client] = []
        self.sessions: list[aiohttp.ClientSession] = []
        self.heard: dict = {}  # (area, display number) → [perf_counter of each display's delivery]
        self.concurrency = concurrency
        self.opened = asyncio.Semaphore(concurrency)
        # Once this many connects of a step have failed, the rest of the step is not tried: against
        # a server that holds a thread per connection, 10,000 timeouts would take half an hour.
        self.give_up_after = max(2 * concurrency, 200)
        self.failed_opening = 0

    def session_for(self, index: int) -> aiohttp.ClientSession:
        k = index // self.per_address
        while len(self.sessions) <= k:
            ip = f"127.0.{(len(self.sessions) + 2) // 256}.{(len(self.sessions) + 2) % 256}"
            self.sessions.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(
                local_addr=(ip, 0), limit=0, force_close=True)))
        return self.sessions[k]

    def addresses(self) -> int:
        return len(self.sessions)

    async def grow(self, n: int, tickets: list[dict]) -> tuple[int, Counter, float]:
        """Adds clients up to n (displays and patients interleaved); returns (ready, failures, seconds)."""
        started = time.perf_counter()
        self.failed_opening = 0
        new: list[Client] = []
        displays = sum(1 for c in self.clients if c.namespace == "/display")
        while len(self.clients) < n:
            i = len(self.clients)
            if displays < round((i + 1) * self.display_share) or not tickets:
                area = DISPLAY_AREAS[displays % len(DISPLAY_AREAS)]
                c = Client("/display", {"display": area}, area)
                displays += 1
            else:
                t = tickets.pop()
                c = Client("/patient", {"ticket": t["id"], "token": t["track_token"]})
            c.task = asyncio.create_task(c.run(self.session_for(i), self))
            self.clients.append(c)
            new.append(c)
        # Each client is ready or failed within its open timeout once it holds the semaphore.
        deadline = time.perf_counter() + self.open_timeout * (len(new) / self.concurrency + 2) + 10
        while time.perf_counter() < deadline and any(not c.ready and c.failure is None for c in new):
            await asyncio.sleep(0.1)
        failures = Counter(c.failure or "still opening" for c in new if not c.ready)
        return sum(c.ready for c in new), failures, time.perf_counter() - started

    def patients_needed(self, n: int) -> int:
        displays = sum(1 for c in self.clients if c.namespace == "/display")
        return (n - len(self.clients)) - (round(n * self.display_share) - displays)

    def live(self, namespace: str | None = None, area: str | None = None) -> list[Client]:
        return [c for c in self.clients if c.ready and not c.closed
                and (namespace is None or c.namespace == namespace) and (area is None or c.area == area)]

    async def close(self):
        for c in self.clients:
            c.task.cancel()
        await asyncio.gather(*(c.task for c in self.clients), return_exceptions=True)
        for s in self.sessions:
            await s.close()


class Load:
    """The steady light load from LOAD_ADDRESS: health checks, kiosk tickets, staff call-nexts."""

    def __init__(self, url: str, kiosk_token: str, timeout: float):
        self.url = url
        self.kiosk = {"Authorization": f"Bearer {kiosk_token}"}
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(local_addr=(LOAD_ADDRESS, 0), limit=32),
            cookie_jar=aiohttp.CookieJar(unsafe=True))  # keep the staff cookie for 127.0.0.1
        self.csrf = None

    async def login(self):
        async with self.session.post(self.url + "/api/v1/auth/login", timeout=self.timeout,
                                     json={"username": "bench-le-tan", "password": PASSWORD}) as r:
            r.raise_for_status()
            self.csrf = (await r.json())["csrf_token"]

    async def issue(self, service: str) -> dict:
        async with self.session.post(self.url + "/api/v1/tickets", headers=self.kiosk, timeout=self.timeout,
                                     json={"service_code": service, "coverage": "self_pay"}) as r:
            if r.status != 201:
                raise RuntimeError(f"ticket: HTTP {r.status} {await r.text()}")
            return await r.json()

    async def issue_many(self, n: int, concurrency: int = 8) -> list[dict]:
        out: list[dict] = []

        async def worker(k):
            for i in range(k, n, concurrency):
                out.append(await self.issue(PATIENT_SERVICES[i % len(PATIENT_SERVICES)]))
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        return out

    async def open_loop(self, rate: float, seconds: float, request) -> list[float]:
        """`request()` at `rate` per second for `seconds`; latency from each request's due time, inf
        for a failure or timeout."""
        start = time.perf_counter() + 0.05

        async def one(k):
            due = start + k / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            try:
                await request()
                return (time.perf_counter() - due) * 1000
            except Exception:  # noqa: BLE001 — counted as a failure
                return INF
        return list(await asyncio.gather(*(one(k) for k in range(int(rate * seconds)))))

    async def health(self):
        async with self.session.get(self.url + "/api/v1/health", timeout=self.timeout) as r:
            await r.read()
            if r.status != 200:
                raise RuntimeError(r.status)

    async def ticket(self):
        await self.issue(LOAD_SERVICE)

    async def calls(self, fleet: Fleet, rate: float, seconds: float, wait_s: float) -> tuple[list, list, Counter]:
        """Call-nexts at CALL_POINTS in turn; for each, the delay until each CALL_AREA display heard it."""
        delays, slowest, outcome = [], [], Counter()
        start = time.perf_counter() + 0.05

        async def one(k):
            await asyncio.sleep(max(0.0, start + k / rate - time.perf_counter()))
            displays = len(fleet.live("/display", CALL_AREA))
            sent = time.perf_counter()
            try:
                # The previous number is never started here: confirmed a no-show, as the room page does.
                async with self.session.post(f"{self.url}/api/v1/service-points/{CALL_POINTS[k % 3]}/call-next",
                                             json={"current": "no_show"},
                                             headers={"X-CSRF-Token": self.csrf}, timeout=self.timeout) as r:
                    outcome[f"http {r.status}"] += 1
                    if r.status == 204:  # nobody waiting: nothing to announce
                        return
                    if r.status != 200:
                        raise RuntimeError(r.status)
                    body = await r.json(content_type=None)
            except Exception as exc:  # noqa: BLE001 — the call failed: every display misses it
                if not isinstance(exc, RuntimeError):
                    outcome[failure_kind(exc)] += 1
                delays.extend([INF] * max(displays, 1))
                slowest.append(INF)
                return
            key = (CALL_AREA, body["display_number"])
            deadline = sent + wait_s
            while time.perf_counter() < deadline and len(fleet.heard.get(key, ())) < displays:
                await asyncio.sleep(0.005)
            these = [(at - sent) * 1000 for at in fleet.heard.get(key, ())][:displays]
            these += [INF] * (displays - len(these))
            delays.extend(these)
            slowest.append(max(these, default=float("nan")))
        await asyncio.gather(*(one(k) for k in range(max(1, int(rate * seconds)))))
        return delays, slowest, outcome

    async def close(self):
        await self.session.close()


async def loop_lag(stop: asyncio.Event, lags: list[float]):
    """How late this process's event loop wakes up: the share of any client-side delay."""
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(0.05)
        lags.append((time.perf_counter() - t - 0.05) * 1000)


def fmt(v: float) -> str:
    return "inf" if v == INF else ("nan" if v != v else f"{v:.1f}")


def failed_share(values: list[float]) -> float:
    return sum(v == INF for v in values) / max(1, len(values))


async def run(args, server: BenchServer, kiosk_token: str, steps: list[int], nofile: int) -> dict | None:
    fleet = Fleet(server.url, args.per_address, args.display_share, args.open_timeout, args.open_concurrency)
    load = Load(server.url, kiosk_token, args.request_timeout)
    last = None
    try:
        await load.login()
        # Warm-up, not counted: first use of each code path (a ticket, a call, health).
        await load.health()
        await load.ticket()
        await load.issue_many(len(CALL_POINTS))
        for n in steps:
            if n + 100 > nofile:
                print(f"  N={n}: not tried: this process may open {nofile} files (ulimit -n); "
                      "the client side can go no further")
                break
            t0 = time.perf_counter()
            needed = fleet.patients_needed(n)
            try:
                tickets = await asyncio.wait_for(load.issue_many(needed), timeout=60 + needed * 0.05)
            except Exception as exc:  # noqa: BLE001
                print(f"  N={n}: could not issue the {needed} tickets the patients follow "
                      f"({failure_kind(exc)}); stopping")
                break
            issued_s = time.perf_counter() - t0
            ready, failures, open_s = await fleet.grow(n, tickets)
            # The clients live until the end: keep them out of this process's full garbage
            # collections, which would otherwise stall every client's reads for tens of ms at 10,000.
            gc.collect()
            gc.freeze()
            await asyncio.sleep(args.settle)

            stop, lags = asyncio.Event(), []
            lag_task = asyncio.create_task(loop_lag(stop, lags))
            cpu0, wall0 = cpu_s(), time.perf_counter()
            events0 = sum(c.events for c in fleet.clients)
            health, ticket, (deliveries, slowest, call_outcome) = await asyncio.gather(
                load.open_loop(args.health_rate, args.seconds, load.health),
                load.open_loop(args.ticket_rate, args.seconds, load.ticket),
                load.calls(fleet, args.call_rate, args.seconds, args.event_timeout))
            stop.set()
            await lag_task
            cpu, wall = cpu_s() - cpu0, time.perf_counter() - wall0
            events = sum(c.events for c in fleet.clients) - events0
            rss = server.rss_mb()
            held = len(fleet.live())
            dropped = sum(c.closed for c in fleet.clients)
            last = {"n": n, "health": pct(health, .99), "ticket": pct(ticket, .99),
                    "call": pct(deliveries, .99), "rss": rss}
            print(f"  N={n}: {held} held ({len(fleet.live('/display'))} /display, "
                  f"{len(fleet.live('/patient'))} /patient, {fleet.addresses()} source addresses); "
                  f"{needed} tickets issued in {issued_s:.1f} s, {ready}/{ready + sum(failures.values())} "
                  f"new clients opened in {open_s:.1f} s, failures {dict(failures) or 0}, dropped {dropped}")
            print(f"    health p50 {fmt(pct(health, .5))} p99 {fmt(pct(health, .99))} ms "
                  f"({sum(v == INF for v in health)}/{len(health)} failed); "
                  f"ticket p50 {fmt(pct(ticket, .5))} p99 {fmt(pct(ticket, .99))} ms "
                  f"({sum(v == INF for v in ticket)}/{len(ticket)} failed)")
            print(f"    call→display: {len(slowest)} calls {dict(call_outcome)}, {len(deliveries)} deliveries "
                  f"to {CALL_AREA} displays, {sum(v == INF for v in deliveries)} missing; "
                  f"p50 {fmt(pct(deliveries, .5))} p99 {fmt(pct(deliveries, .99))} ms; slowest per call "
                  + " ".join(fmt(v) for v in slowest))
            print(f"    server RSS {rss:.0f} MB; {events} events to clients in {wall:.1f} s; bench CPU "
                  f"{cpu:.1f} s ({100 * cpu / wall:.0f}% of one core), loop lag p99 {fmt(pct(lags, .99))} ms")
            unopened = sum(failures.values()) / max(1, ready + sum(failures.values()))
            lost = dropped / n
            if max(unopened, lost, failed_share(health), failed_share(ticket)) > 0.01:
                print(f"  stopped at N={n}: the server refused or did not answer "
                      f"({100 * unopened:.0f}% of new clients, {100 * lost:.0f}% dropped, "
                      f"{100 * failed_share(health):.0f}% of health checks, "
                      f"{100 * failed_share(ticket):.0f}% of tickets)")
                break
    finally:
        await fleet.close()
        await load.close()
    return last


def server_pids(server: BenchServer) -> list[int]:
    pids = []
    for path in glob.glob(f"/proc/{server.proc.pid}/task/*/children"):
        try:
            with open(path) as fh:
                pids += [int(p) for p in fh.read().split()]
        except FileNotFoundError:
            pass
    return pids


def stop_server(server: BenchServer) -> None:
    """Stop the server this bench started; kill it (and its workers) if it does not stop in time."""
    if server.proc is None:
        return
    children = server_pids(server)
    try:
        server.stop()
    except subprocess.TimeoutExpired:
        for pid in children + [server.proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        server.proc.wait(timeout=10)
    shutil.rmtree(server.tmp, ignore_errors=True)


def main():
    # The bench's own 10,000 clients are as many long-lived objects as the server's connections:
    # a large young generation (as the server has, backend/serving/gunicorn_app.py) keeps the
    # client's own full passes rare, so they do not show up as server latency.
    gc.set_threshold(50_000, 5, 10)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", default="500,2000,5000,10000", help="client counts, comma-separated")
    ap.add_argument("--max-n", type=int, help="stop after this many clients (also tried as a step)")
    ap.add_argument("--seconds", type=float, default=20, help="measuring time at each step")
    ap.add_argument("--display-share", type=float, default=0.2, help="share of /display clients")
    ap.add_argument("--per-address", type=int, default=50, help="clients per source address")
    ap.add_argument("--health-rate", type=float, default=5, help="health checks per second")
    ap.add_argument("--ticket-rate", type=float, default=5, help="tickets issued per second")
    ap.add_argument("--call-rate", type=float, default=1, help="call-nexts per second")
    ap.add_argument("--request-timeout", type=float, default=5, help="seconds before a request counts as failed")
    ap.add_argument("--event-timeout", type=float, default=5, help="seconds before a delivery counts as missing")
    ap.add_argument("--open-timeout", type=float, default=10, help="seconds for a client to connect")
    ap.add_argument("--open-concurrency", type=int, default=100, help="client handshakes in flight")
    ap.add_argument("--settle", type=float, default=2, help="seconds between opening and measuring")
    args = ap.parse_args()
    steps = sorted({int(s) for s in args.steps.split(",") if s.strip()})
    if args.max_n is not None:
        steps = [s for s in steps if s <= args.max_n] + ([args.max_n] if args.max_n not in steps else [])

    nofile = raise_open_files()  # before the server starts: it inherits the limit
    print(machine_speed_line())
    server = BenchServer()
    try:
        server.start()
        server.env["BENCH_PASSWORD"] = PASSWORD
        server.cli("staff", "add", "bench-le-tan", "--name", "Lễ tân đo hiệu năng", "--role", "reception",
                   "--password-env", "BENCH_PASSWORD")
        kiosk_token = server.cli("device", "add", "bench-kiosk")
        print(f"connections: tiepdon serve at {server.url} (SQLite, one process), steps {steps}, "
              f"{args.seconds:g} s each; {int(100 * args.display_share)}% /display; {args.per_address} "
              f"clients per source address; load from {LOAD_ADDRESS}: {args.health_rate:g} health/s, "
              f"{args.ticket_rate:g} tickets/s, {args.call_rate:g} calls/s; open files {nofile}; "
              f"{os.cpu_count()} cores")
        last = asyncio.run(run(args, server, kiosk_token, steps, nofile))
    finally:
        stop_server(server)
    if last is None:
        print("connections: no step measured")
        sys.exit(1)
    print(f"connections: max_n={last['n']} health_p99_ms={fmt(last['health'])} "
          f"ticket_p99_ms={fmt(last['ticket'])} call_to_display_p99_ms={fmt(last['call'])} "
          f"rss_mb={last['rss']:.0f}")


if __name__ == "__main__":
    main()
