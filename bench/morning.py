"""A district hospital's morning, compressed: 4,000 patients check in at 30 kiosks between 6:30 and
10:30, 20 rooms call and serve them, half the waiting patients follow their ticket on their phone,
10 lobby TVs show the calls, self-pay patients pay by QR (a bank transfer, the bank's webhook).

Against a real `tiepdon serve` (or `--workers 2`: two, on PostgreSQL and Redis), with the BHXH
simulator answering card checks in 1–2 s, the HIS simulator in 300 ms, and the bank simulator
calling the webhook. Arrivals follow a morning's curve (a peak from 7:00 to 8:00); `--compression
10` plays 4 hours in 24 minutes; a patient spends 30 s (compressed) reading the kiosk's screens
before the scan, a room 0.85 of its share of the morning on each patient.

Figures:
  scan_to_ticket  the kiosk's scan (POST /kiosk/identify, the BHXH check inside) to its ticket (201)
  call_to_tv      a room's call-next answered to `ticket.called` on each lobby TV of its area
  phone           a room's call-next answered to `ticket.updated` ("called") on the phone of the
                  patient it called (their place changing on the way is counted, not timed: a call
                  in one lane need not move a ticket in another)
  pay             the bank posting the transfer to the webhook's answer (the invoice paid)
  errors          failed requests, refused sockets, calls a TV never showed, phone updates never
                  heard within 10 s, payments not settled
Every client speaks from one event loop (aiohttp; Socket.IO over raw websockets as bench/fanout.py);
a delay is counted from the moment the HTTP answer was read, an event that came first counts as 0.

    python bench/morning.py --quick                      # 300 patients in about 2 minutes
    python bench/morning.py [--patients 4000] [--compression 10]
    python bench/morning.py --workers 2 --db postgresql+psycopg://…   (starts its own redis-server)
"""
import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import random
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date

import aiohttp
from werkzeug.serving import make_server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _server import ROOT, BenchServer, free_port, machine_speed_line  # noqa: E402
from fanout import Redis  # noqa: E402

from backend.bootstrap import build_container  # noqa: E402
from backend.services.auth import add_device, add_staff  # noqa: E402
from backend.settings import Settings  # noqa: E402
from backend.simulators.bank import create_bank_simulator, simulator_of as bank_of  # noqa: E402
from backend.simulators.bhxh import QuietRequestHandler, create_bhxh_simulator  # noqa: E402
from backend.simulators.bhxh_data import (DEFAULT_ACCOUNT, DEFAULT_STAFF_CCCD,  # noqa: E402
                                          DEFAULT_STAFF_NAME, SimCard)
from backend.simulators.his import create_his_simulator, make_his_simulator_server  # noqa: E402
from tests.support.cards import cccd_qr, synthetic_cccd  # noqa: E402

MORNING_MIN = 240  # 6:30 to 10:30
# share of the morning's patients arriving in each half hour from 6:30
ARRIVALS = (12, 20, 20, 16, 12, 9, 7, 4)
# clinic → share of patients; rooms: the 11 of config/hospital.toml plus 9 written here
SERVICES = {"KHAM-NOI": 35, "KHAM-NGOAI": 15, "KHAM-NHI": 10, "KHAM-SAN": 5, "KHAM-MAT": 7,
            "KHAM-TMH": 8, "KHAM-RHM": 6, "KHAM-DL": 5, "KHAM-YHCT": 9}
ROOMS = {"P101": "KHAM-NOI", "P102": "KHAM-NOI", "P103": "KHAM-NOI", "P104": "KHAM-NGOAI",
         "P105": "KHAM-SAN", "P106": "KHAM-NHI", "P201": "KHAM-MAT", "P202": "KHAM-TMH",
         "P203": "KHAM-RHM", "P204": "KHAM-DL", "P205": "KHAM-YHCT",
         "P107": "KHAM-NOI", "P108": "KHAM-NOI", "P109": "KHAM-NOI", "P110": "KHAM-NGOAI",
         "P111": "KHAM-NGOAI", "P112": "KHAM-NHI", "P206": "KHAM-TMH", "P207": "KHAM-YHCT",
         "P208": "KHAM-MAT"}
EXTRA_ROOMS = [code for code in ROOMS if code >= "P107" and code not in ("P201", "P202", "P203", "P204", "P205")]
TVS = ["KHU-KHAM"] * 6 + ["SANH-A"] * 2 + ["CLS"] * 2  # every room above calls to KHU-KHAM
KIOSKS = 30
INSURED_SHARE = 0.6  # the others pay the clinic's fee by QR
PASSWORD = "mat-khau-buoi-sang"
PHONE_TIMEOUT_S = 10.0


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def hospital_file(directory: str) -> str:
    """config/hospital.toml with nine more clinic rooms: twenty rooms calling in KHU-KHAM."""
    with open(os.path.join(ROOT, "config", "hospital.toml"), encoding="utf-8") as fh:
        text = fh.read()
    for code in EXTRA_ROOMS:
        text += (f'\n[[points]]\ncode = "{code}"\nname_vi = "Phòng khám {code[1:]}"\n'
                 f'name_en = "Room {code[1:]}"\nservices = ["{ROOMS[code]}"]\ndisplay = "KHU-KHAM"\n')
    path = os.path.join(directory, "hospital.toml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def arrival_times(n: int, duration_s: float, rng: random.Random) -> list[float]:
    slot_s = duration_s / len(ARRIVALS)
    total = sum(ARRIVALS)
    times = []
    for k, share in enumerate(ARRIVALS):
        count = round(n * sum(ARRIVALS[:k + 1]) / total) - len(times)
        times += sorted(k * slot_s + rng.random() * slot_s for _ in range(count))
    return times


class BhxhLatency:
    """WSGI: the gateway answers in 1–2 s like the real one in the morning (under our 2 s timeout)."""

    def __init__(self, app, rng: random.Random):
        self.app, self.rng = app, rng

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith("/_sim"):
            time.sleep(self.rng.uniform(1.0, 1.9))
        return self.app(environ, start_response)


class Socket:
    """One Socket.IO client over a raw websocket (Engine.IO 4): connect to a namespace, answer pings,
    hand every event to `on_event(name, body, at)`."""

    def __init__(self, namespace: str, auth: dict, on_event):
        self.namespace, self.auth, self.on_event = namespace, auth, on_event
        self.prefix = f"42{namespace},"
        self.ready = asyncio.Event()
        self.failed: str | None = None
        self.task: asyncio.Task | None = None

    def start(self, session: aiohttp.ClientSession, url: str) -> "Socket":
        self.task = asyncio.create_task(self._run(session, url))
        return self

    async def _run(self, session, url):
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        try:
            async with session.ws_connect(ws_url, max_msg_size=0, autoping=False) as ws:
                if not (await ws.receive_str()).startswith("0"):
                    raise RuntimeError("no Engine.IO open")
                await ws.send_str(f"40{self.namespace}," + json.dumps(self.auth))
                async for msg in ws:
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        break
                    data = msg.data
                    if data == "2":
                        await ws.send_str("3")
                    elif data.startswith(self.prefix):
                        at = time.perf_counter()
                        name, body = json.loads(data[len(self.prefix):])[:2]
                        if name.endswith(".state"):
                            self.ready.set()
                        self.on_event(name, body, at)
                    elif data.startswith("44"):
                        raise RuntimeError("refused")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # counted as an error by whoever waited for it
            self.failed = type(exc).__name__
            self.ready.set()

    async def close(self):
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


class Phone:
    """A patient following a waiting ticket: hears its place change and, at last, its call."""

    def __init__(self, ticket: dict):
        self.ticket = ticket
        self.updates = 0
        self.called_at: float | None = None  # when the phone heard "called"
        self.called_before_connect = False
        self.done = asyncio.Event()
        self.socket = Socket("/patient", {"ticket": ticket["id"], "token": ticket["track_token"]}, self.heard)

    def heard(self, name: str, body: dict, at: float):
        if name == "patient.state" and body.get("status") != "waiting":
            self.called_before_connect = True  # called while the phone was connecting: not timed
            self.done.set()
        if name != "ticket.updated":
            return
        self.updates += 1
        if body.get("status") != "waiting" and self.called_at is None:
            self.called_at = at
            self.done.set()


class Morning:
    def __init__(self, args, urls: list[str], kiosk_tokens: list[str], bank_sim, rng: random.Random):
        self.args, self.urls, self.kiosk_tokens, self.bank, self.rng = args, urls, kiosk_tokens, bank_sim, rng
        self.duration_s = MORNING_MIN * 60 / args.compression
        self.scan_ms: list[float] = []
        self.tv_ms: list[float] = []
        self.phone_ms: list[float] = []
        self.pay_ms: list[float] = []
        self.errors: Counter = Counter()
        self.calls: list[tuple[str, float]] = []  # (display number, call answered)
        self.answered: dict[str, float] = {}  # ticket id → its call answered
        self.tv_heard: list[dict[str, float]] = []
        self.phones: list[Phone] = []
        self.issued = self.called = 0
        self.arrivals_done = False
        self.tasks: list[asyncio.Task] = []
        self.lags_ms: list[float] = []  # how late the bench's own loop wakes: its figures are that uncertain

    def url(self, i: int) -> str:
        return self.urls[i % len(self.urls)]

    def s(self, real_seconds: float) -> float:
        """A stretch of the real morning, compressed."""
        return real_seconds / self.args.compression

    async def run(self, session: aiohttp.ClientSession):
        tvs = []
        for i, area in enumerate(TVS):
            heard: dict[str, float] = {}
            if area == "KHU-KHAM":
                self.tv_heard.append(heard)
            tvs.append(Socket("/display", {"display": area}, self._tv(heard)).start(session, self.url(i)))
        await asyncio.wait_for(asyncio.gather(*(tv.ready.wait() for tv in tvs)), 60)
        self.errors["tv_refused"] += sum(1 for tv in tvs if tv.failed)
        rooms = [await self._login(session, code, i) for i, code in enumerate(ROOMS)]
        queues = [asyncio.Queue() for _ in range(KIOSKS)]
        kiosks = [asyncio.create_task(self._kiosk(session, k, queues[k])) for k in range(KIOSKS)]
        room_tasks = [asyncio.create_task(self._room(*room)) for room in rooms]
        lag = asyncio.create_task(self._loop_lag())
        started = time.perf_counter()
        for i, at in enumerate(arrival_times(self.args.patients, self.duration_s, self.rng)):
            await asyncio.sleep(max(0.0, started + at - time.perf_counter()))
            min(queues, key=lambda q: q.qsize()).put_nowait(i)  # the shortest line
        for q in queues:
            q.put_nowait(None)
        await asyncio.gather(*kiosks)
        self.arrivals_done = True
        await asyncio.gather(*room_tasks)
        done, late = await asyncio.wait(self.tasks, timeout=60)  # payments and phones still out
        for task in late:
            task.cancel()
        self.errors["unfinished_at_the_end"] += len(late)
        await asyncio.sleep(1.0)  # the last calls reach the TVs
        lag.cancel()
        for tv in tvs:
            await tv.close()
        self._count_tvs()
        self._count_phones()
        return time.perf_counter() - started

    def _tv(self, heard: dict):
        def on_event(name, body, at):
            if name == "ticket.called":
                heard.setdefault(body["display_number"], at)
        return on_event

    def _count_tvs(self):
        for number, answered in self.calls:
            for heard in self.tv_heard:
                if number in heard:
                    self.tv_ms.append(max(0.0, (heard[number] - answered) * 1000))
                else:
                    self.errors["tv_call_missing"] += 1

    def _count_phones(self):
        for phone in self.phones:
            answered = self.answered.get(phone.ticket["id"])
            if answered is None or phone.called_before_connect:
                continue  # never called (a failed call is counted where it failed), or before the phone listened
            if phone.called_at is None or phone.called_at - answered > PHONE_TIMEOUT_S:
                self.errors["phone_call_missing"] += 1
            else:
                self.phone_ms.append(max(0.0, (phone.called_at - answered) * 1000))

    async def _login(self, session, point: str, i: int):
        url = self.url(i)
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address
        # kept-alive connections are dropped before the server's 10 s idle limit would close them
        staff = aiohttp.ClientSession(cookie_jar=jar, connector=aiohttp.TCPConnector(limit=2, keepalive_timeout=5))
        async with staff.post(url + "/api/v1/auth/login",
                              json={"username": f"bs-{point.lower()}", "password": PASSWORD}) as r:
            assert r.status == 200, await r.text()
            staff.headers["X-CSRF-Token"] = (await r.json())["csrf_token"]
        return staff, url, point

    async def _kiosk(self, session, k: int, line: asyncio.Queue):
        url, headers = self.url(k), {"Authorization": f"Bearer {self.kiosk_tokens[k]}"}
        while (i := await line.get()) is not None:
            await asyncio.sleep(self.s(self.rng.uniform(20, 40)))  # reading, choosing, consenting
            insured = self.rng.random() < INSURED_SHARE
            service = self.rng.choices(list(SERVICES), weights=list(SERVICES.values()))[0]
            scan, number = self.args.patients_qr[i]
            t0 = time.perf_counter()
            try:
                async with session.post(url + "/api/v1/kiosk/identify", headers=headers,
                                        json={"scan": scan, "consent": {"accepted": True}}) as r:
                    body = await r.json()
                    if r.status != 200:
                        self.errors[f"identify_{r.status}"] += 1
                        continue
                check = (body.get("bhyt_check") or {}).get("status")
                coverage = "bhyt" if insured and check in ("ok", "flagged", "pending") else "self_pay"
                async with session.post(url + "/api/v1/tickets",
                                        headers={**headers, "Idempotency-Key": f"m{i}"},
                                        json={"identify_token": body["identify_token"], "service_code": service,
                                              "coverage": coverage}) as r:
                    ticket = await r.json()
                    if r.status != 201:
                        self.errors[f"ticket_{r.status}"] += 1
                        continue
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                self.errors[type(exc).__name__] += 1
                continue
            self.scan_ms.append((time.perf_counter() - t0) * 1000)
            self.issued += 1
            if i % 2 == 0:
                self.tasks.append(asyncio.create_task(self._follow(session, ticket, i)))
            if ticket.get("invoice"):
                self.tasks.append(asyncio.create_task(self._pay(session, url, headers, ticket["invoice"]["id"])))

    async def _follow(self, session, ticket: dict, i: int):
        phone = Phone(ticket)
        phone.socket.start(session, self.url(i))
        await phone.socket.ready.wait()
        if phone.socket.failed:
            self.errors["phone_refused"] += 1
            return
        self.phones.append(phone)
        try:
            await phone.done.wait()
            await asyncio.sleep(self.s(30))  # walks in; the phone goes back in the pocket
        finally:
            await phone.socket.close()

    async def _loop_lag(self):
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.05)
            self.lags_ms.append(max(0.0, (time.perf_counter() - before - 0.05) * 1000))

    async def _pay(self, session, url, headers, invoice_id: str):
        try:
            async with session.post(f"{url}/api/v1/invoices/{invoice_id}/vietqr", json={}, headers=headers) as r:
                if r.status != 200:
                    self.errors[f"vietqr_{r.status}"] += 1
                    return
                qr = await r.json()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            self.errors[type(exc).__name__] += 1
            return
        await asyncio.sleep(self.s(self.rng.uniform(20, 90)))  # opens the bank app, scans, confirms
        transfer = self.bank.create_transfer({"amount": qr["amount"], "decorate": True,
                                              "content": f"{qr['reference']} thanh toan vien phi"})
        t0 = time.perf_counter()
        delivery = await asyncio.to_thread(self.bank.deliver, transfer)
        elapsed = (time.perf_counter() - t0) * 1000
        if delivery.http_status == 200:
            self.pay_ms.append(elapsed)
        else:
            self.errors[f"webhook_{delivery.http_status}"] += 1

    async def _room(self, staff: aiohttp.ClientSession, url: str, point: str):
        service = ROOMS[point]
        rooms_for = sum(1 for s in ROOMS.values() if s == service)
        share = self.args.patients * SERVICES[service] / sum(SERVICES.values()) / rooms_for
        per_patient_s = 0.85 * self.duration_s / max(share, 1)
        try:
            while True:
                try:
                    async with staff.post(f"{url}/api/v1/service-points/{point}/call-next") as r:
                        answered = time.perf_counter()
                        body = await r.json() if r.status == 200 else None
                        status = r.status
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    self.errors[type(exc).__name__] += 1
                    status, body = 0, None
                if status == 200:
                    self.called += 1
                    self.calls.append((body["display_number"], answered))
                    self.answered[body["id"]] = answered
                    # The patient walks in and the doctor presses Start; the next call-next finishes them.
                    try:
                        async with staff.post(f"{url}/api/v1/tickets/{body['id']}/start") as r:
                            if r.status != 200:
                                self.errors[f"start_{r.status}"] += 1
                    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                        self.errors[type(exc).__name__] += 1
                    await asyncio.sleep(per_patient_s * self.rng.uniform(0.7, 1.3))
                    continue
                if status != 204:
                    self.errors[f"call_{status}"] += 1
                if self.arrivals_done and self.called >= self.issued:
                    return
                await asyncio.sleep(0.5)
        finally:
            await staff.close()


class CpuClock:
    """CPU seconds and resident memory of the servers' processes (gunicorn masters and workers)."""

    def __init__(self, servers):
        self.servers = servers
        self.peak_rss = 0.0

    def pids(self) -> list[int]:
        out = []
        for server in self.servers:
            out.append(server.proc.pid)
            try:
                with open(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children") as fh:
                    out += [int(p) for p in fh.read().split()]
            except FileNotFoundError:
                pass
        return out

    def cpu_s(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except FileNotFoundError:
                pass
        return total / os.sysconf("SC_CLK_TCK")

    async def sample(self):
        while True:
            self.peak_rss = max(self.peak_rss, sum(s.rss_mb() for s in self.servers))
            await asyncio.sleep(2.0)


def prepare(server: BenchServer) -> list[str]:
    container = build_container(Settings.from_env(env=server.env))
    try:
        tokens = [add_device(container.deps, f"kiosk-{k:02d}")[1] for k in range(KIOSKS)]
        for point in ROOMS:
            add_staff(container.deps, f"bs-{point.lower()}", f"Bác sĩ {point}", "room", PASSWORD, [point])
    finally:
        container.engine.dispose()
    return tokens


def patients(n: int, rng: random.Random) -> tuple[list[tuple[str, str]], list[SimCard]]:
    """CCCD QR texts, and the cards of the insured ones (most), for the BHXH simulator."""
    out, cards = [], []
    for i in range(n):
        year = 1940 + i % 70
        number = synthetic_cccd(300000 + i, year=year, female=bool(i % 2))
        dob = date(year, 1 + i % 12, 1 + i % 27)
        name = "Nguyễn Thị Lan" if i % 2 else "Trần Văn Minh"
        if rng.random() < 0.9:
            cards.append(SimCard(ma_the=f"HT2019{number[-9:]}", ho_ten=name,
                                        ngay_sinh=f"{dob:%d/%m/%Y}", gioi_tinh="Nữ" if i % 2 else "Nam",
                                        cccd=number, result_code="000"))
        out.append((cccd_qr(number, name, dob, "Nữ" if i % 2 else "Nam"), number))
    return out, cards


def run_simulators(cards: list[SimCard], bhxh_port: int, his_port: int, seed: int) -> None:
    """In a process of its own: BHXH (1–2 s) and HIS (300 ms) simulators, so their threads do not
    compete with the bench's event loop for one interpreter."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    bhxh_app = create_bhxh_simulator(seed=cards, latency_ms=0)
    bhxh_app.wsgi_app = BhxhLatency(bhxh_app.wsgi_app, random.Random(seed))
    his = make_his_simulator_server(create_his_simulator(latency_ms=300), "127.0.0.1", his_port)
    threading.Thread(target=his.serve_forever, daemon=True).start()
    make_server("127.0.0.1", bhxh_port, bhxh_app, threaded=True,
                request_handler=QuietRequestHandler).serve_forever()


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def main():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=4000)
    ap.add_argument("--compression", type=float, default=10.0, help="real minutes per bench minute")
    ap.add_argument("--quick", action="store_true", help="300 patients, the morning in 2 minutes")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--db", help="DATABASE_URL (default: a scratch SQLite file; PostgreSQL for --workers 2)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if args.quick:
        args.patients, args.compression = 300, MORNING_MIN / 2
    if args.workers > 1 and not (args.db or "").startswith("postgresql"):
        ap.error("--workers > 1 needs --db postgresql+psycopg://… (one SQLite file is one process's)")
    rng = random.Random(args.seed)

    work = tempfile.mkdtemp(prefix="tiepdon-morning-")
    args.patients_qr, cards = patients(args.patients, rng)
    bhxh_port, his_port = free_port(), free_port()
    simulators = multiprocessing.get_context("fork").Process(
        target=run_simulators, args=(cards, bhxh_port, his_port, args.seed + 1), daemon=True)
    simulators.start()
    wait_for_port(bhxh_port)
    wait_for_port(his_port)
    bank_secret = secrets.token_urlsafe(32)
    redis = Redis() if args.workers > 1 else None
    env = {"BHXH_URL": f"http://127.0.0.1:{bhxh_port}", "BHXH_USERNAME": DEFAULT_ACCOUNT.username,
           "BHXH_PASSWORD": DEFAULT_ACCOUNT.password, "BHXH_STAFF_NAME": DEFAULT_STAFF_NAME,
           "BHXH_STAFF_CCCD": DEFAULT_STAFF_CCCD, "HIS_FHIR_URL": f"http://127.0.0.1:{his_port}",
           "BANK_WEBHOOK_SECRET": bank_secret,
           # every client of the bench speaks from 127.0.0.1, where a hospital's are many addresses
           "TIEPDON_MAX_CONNECTIONS_PER_CLIENT": "100000", "TIEPDON_RATE_LOGIN_IP": "100/100",
           "TIEPDON_METRICS_TOKEN": "bench-metrics-" + secrets.token_hex(8)}
    if redis:
        env["REDIS_URL"] = redis.url
    servers = [BenchServer(args.db, extra_env=env)]
    for _ in range(args.workers - 1):
        other = BenchServer(servers[0].db_url, extra_env=env)
        for key in ("SECRET_KEY", "TIEPDON_PII_KEY"):
            other.env[key] = servers[0].env[key]
        servers.append(other)
    config = hospital_file(work)
    for server in servers:
        server.env["TIEPDON_CONFIG"] = config
    bank_app = create_bank_simulator(f"{servers[0].url}/api/v1/payments/bank-webhook", bank_secret,
                                     "1012345678", timeout_s=30)
    bank_sim = bank_of(bank_app)
    try:
        for server in servers:
            server.start()
        print(machine_speed_line())
        tokens = prepare(servers[0])
        duration = MORNING_MIN * 60 / args.compression
        print(f"morning: {args.patients} patients over {duration / 60:.1f} min ({args.compression:g}× compressed), "
              f"{KIOSKS} kiosks, {len(ROOMS)} rooms, {len(TVS)} TVs, {len(servers)} process(es), "
              f"db={servers[0].db_url.split(':')[0]}; BHXH 1–2 s, HIS 300 ms")
        clock = CpuClock(servers)
        cpu0, bench_cpu0 = clock.cpu_s(), time.process_time()
        morning = Morning(args, [s.url for s in servers], tokens, bank_sim, rng)

        async def play():
            sampler = asyncio.create_task(clock.sample())
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=5),
                                             timeout=aiohttp.ClientTimeout(total=30)) as session:
                wall = await morning.run(session)
            sampler.cancel()
            return wall

        wall = asyncio.run(play())
        cpu, bench_cpu = clock.cpu_s() - cpu0, time.process_time() - bench_cpu0
        m = morning
        print(f"played in {wall:.0f} s: tickets={m.issued} calls={m.called} phones_followed={len(range(0, args.patients, 2))} "
              f"payments={len(m.pay_ms)}")
        print(f"scan→ticket p50={pct(m.scan_ms, .5):.0f} p95={pct(m.scan_ms, .95):.0f} max={max(m.scan_ms, default=0):.0f} ms")
        print(f"call→TV ({len(m.tv_ms)} deliveries) p50={pct(m.tv_ms, .5):.1f} p99={pct(m.tv_ms, .99):.1f} ms")
        print(f"phones: {sum(p.updates for p in m.phones)} updates heard; \"your turn\" ({len(m.phone_ms)}) p50={pct(m.phone_ms, .5):.1f} p99={pct(m.phone_ms, .99):.1f} ms")
        print(f"payment→paid ({len(m.pay_ms)}) p50={pct(m.pay_ms, .5):.1f} p95={pct(m.pay_ms, .95):.1f} ms")
        print(f"server: CPU {cpu:.0f} s over {wall:.0f} s ({100 * cpu / wall:.0f}% of one core), "
              f"peak RSS {clock.peak_rss:.0f} MB; errors: {dict(+m.errors) or 'none'}")
        print(f"bench: CPU {bench_cpu:.0f} s ({100 * bench_cpu / wall:.0f}% of one core), its event loop late "
              f"p50={pct(m.lags_ms, .5):.1f} p99={pct(m.lags_ms, .99):.1f} max={max(m.lags_ms, default=0):.0f} ms")
        errors = sum(m.errors.values())
        print(f"morning: patients={args.patients} scan_to_ticket_p95_ms={pct(m.scan_ms, .95):.0f} "
              f"call_to_tv_p99_ms={pct(m.tv_ms, .99):.0f} phone_p99_ms={pct(m.phone_ms, .99):.0f} "
              f"pay_p95_ms={pct(m.pay_ms, .95):.0f} errors={errors} rss_mb={clock.peak_rss:.0f}")
    finally:
        for server in servers:
            if server.proc is not None:
                server.stop()
        if redis:
            redis.stop()
        simulators.terminate()
        simulators.join(10)


if __name__ == "__main__":
    main()
