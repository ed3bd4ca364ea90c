"""Cashless payment against a real `tiepdon serve`: 1,000 invoices paid through the VNPay simulator's
IPN with 16 callbacks in flight, and 1,000 through signed bank-transfer webhooks; then every callback
is replayed once and the database is checked for money credited twice.

The simulators run in this process and deliver their callbacks over HTTP, exactly as in the demo;
their HTTP session is wrapped to time each callback from request to answer.

The first two rounds of callbacks to finish (2 × concurrency) are the warm-up: the first callback
on each connection opens it and meets first-use statement compilation in the server (40–120 ms here), and
the round after it queues behind those. The load runs on without a break; the warm-up callbacks are
paid, replayed and checked like the rest and printed on their own line, but left out of the
percentiles and the rate, which counts from the moment the last warm-up callback was answered.

    python bench/payments.py [--db postgresql+psycopg://…] [--n 1000] [--concurrency 16] [--warm-up 32]
"""
import argparse
import asyncio
import logging
import os
import secrets
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, parse_qsl, urlsplit

import aiohttp
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import create_engine, text
from werkzeug.datastructures import MultiDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _server import BenchServer, machine_speed_line  # noqa: E402

from backend.simulators.bank import create_bank_simulator, simulator_of as bank_of  # noqa: E402
from backend.simulators.vnpay import (  # noqa: E402
    SimConfig,
    create_vnpay_simulator,
    make_simulator_server,
    simulator_of as vnpay_of,
)

TMN_CODE = "BENCH001"
ACCOUNT = "1012345678"  # [payments] account in config/hospital.toml


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class TimedSession(requests.Session):
    """The simulators' HTTP session: records how long each callback took and what we answered."""

    def __init__(self, pool: int):
        super().__init__()
        self.trust_env = False  # loopback only: no proxy or .netrc look-ups on every callback
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool)
        self.mount("http://", adapter)
        self.lock = threading.Lock()
        self.reset()

    def _record(self, started, response, key):
        ended = time.perf_counter()
        elapsed = (ended - started) * 1000
        try:
            body = response.json()
        except ValueError:
            body = {}
        answer = body.get("RspCode") or body.get("decision") or f"http{response.status_code}"
        with self.lock:
            if self.warm_up_left > 0:
                self.warm_up_left -= 1
                self.warm_up_ms.append(elapsed)
                self.counting_since = ended
            else:
                self.latencies_ms.append(elapsed)
                self.answers[answer] += 1
                self.last_answer_at = ended
            event = self.done.get(key)
        if event is not None:
            event.set()

    def get(self, url, **kw):  # VNPay's IPN call
        started = time.perf_counter()
        response = super().get(url, **kw)
        self._record(started, response, parse_qs(urlsplit(url).query).get("vnp_TxnRef", [""])[0])
        return response

    def post(self, url, data=None, **kw):  # the bank's webhook call
        started = time.perf_counter()
        response = super().post(url, data=data, **kw)
        self._record(started, response, "")
        return response

    def reset(self, warm_up: int = 0):
        """Start counting again; the first `warm_up` callbacks answered are kept apart."""
        with self.lock:
            self.latencies_ms, self.answers, self.done = [], Counter(), {}
            self.warm_up_left, self.warm_up_ms = warm_up, []
            self.counting_since = self.last_answer_at = time.perf_counter()

    def rate(self) -> float:
        """Counted callbacks per second, from the last warm-up answer to the last answer."""
        return len(self.latencies_ms) / max(self.last_answer_at - self.counting_since, 1e-9)


def serve(app) -> str:
    server = make_simulator_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


async def issue_tickets(url, token, n, concurrency):
    headers = {"Authorization": f"Bearer {token}"}
    body = {"service_code": "KHAM-NOI", "coverage": "self_pay"}
    out = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        sem = asyncio.Semaphore(concurrency)

        async def one(_):
            async with sem:
                async with session.post(url + "/api/v1/tickets", json=body, headers=headers) as r:
                    assert r.status == 201, await r.text()
                    out.append(await r.json())

        await asyncio.gather(*(one(i) for i in range(n)))
    return out


async def start_payments(url, token, invoice_ids, kind, concurrency):
    headers = {"Authorization": f"Bearer {token}"}
    out = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        sem = asyncio.Semaphore(concurrency)

        async def one(invoice_id):
            async with sem:
                async with session.post(f"{url}/api/v1/invoices/{invoice_id}/{kind}", json={},
                                        headers=headers) as r:
                    assert r.status == 200, await r.text()
                    out[invoice_id] = await r.json()

        await asyncio.gather(*(one(i) for i in invoice_ids))
    return out


def ipn_phase(vnpay_sim, session, starts, concurrency):
    """Each worker: the patient pays at the simulator (what its /_sim/pay button does, without the
    extra HTTP hop), the simulator calls our IPN; the worker moves on once we answered."""

    def pay(start):
        event = threading.Event()
        with session.lock:
            session.done[start["txn_ref"]] = event
        query = MultiDict(parse_qsl(urlsplit(start["payment_url"]).query, keep_blank_values=True))
        txn_ref = vnpay_sim.open_payment(query).txn_ref
        vnpay_sim.settle(txn_ref, "00")
        vnpay_sim.start_ipn(txn_ref)
        if not event.wait(30):
            raise RuntimeError(f"no IPN answer for {txn_ref}")

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(pay, starts))


def replay_ipns(vnpay_sim, session, starts, concurrency):
    """Every IPN once more, as VNPay does when it is unsure of our answer: none may credit again."""

    def replay(start):
        event = threading.Event()
        with session.lock:
            session.done[start["txn_ref"]] = event
        vnpay_sim.start_ipn(start["txn_ref"], replay=True)
        if not event.wait(30):
            raise RuntimeError(f"no answer to the replay of {start['txn_ref']}")

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(replay, starts))


def webhook_phase(bank_sim, qrs, concurrency) -> dict:
    """Each worker: one patient's transfer, the bank calls our webhook; next once it answered."""
    transfers, lock = {}, threading.Lock()

    def send(qr):
        transfer = bank_sim.create_transfer({"amount": qr["amount"], "decorate": True,
                                             "content": f"{qr['reference']} thanh toan vien phi"})
        with lock:
            transfers[qr["reference"]] = transfer
        assert bank_sim.deliver(transfer).http_status == 200

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, qrs))
    return transfers


def replay_webhooks(bank_sim, transfers, concurrency):
    """Every transfer delivered again, byte for byte: the bank retrying after a lost answer."""
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(bank_sim.deliver, transfers.values()))


def double_credits(db_url) -> tuple[int, int]:
    """(credits beyond the first per invoice, invoices left unpaid) straight from the tables."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        settlements = conn.execute(text(
            "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT invoice_id, COUNT(*) AS c FROM ("
            " SELECT invoice_id FROM payment_attempts WHERE status = 'paid'"
            " UNION ALL SELECT invoice_id FROM bank_transfers WHERE decision = 'settle') AS s"
            " GROUP BY invoice_id) AS g WHERE c > 1")).scalar_one()
        paid_events = conn.execute(text(
            "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT invoice_id, COUNT(*) AS c FROM invoice_events"
            " WHERE action = 'paid' GROUP BY invoice_id) AS g WHERE c > 1")).scalar_one()
        unpaid = conn.execute(text("SELECT COUNT(*) FROM invoices WHERE status <> 'paid'")).scalar_one()
    engine.dispose()
    return int(settlements) + int(paid_events), int(unpaid)


def main():
    # The simulators' own access lines would drown the figures.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="DATABASE_URL (default: a scratch SQLite file)")
    ap.add_argument("--n", type=int, default=1000, help="invoices per provider")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--warm-up", type=int, help="uncounted callbacks per provider (default: 2 × concurrency)")
    args = ap.parse_args()
    n, conc = args.n, args.concurrency
    warm = 2 * conc if args.warm_up is None else args.warm_up

    vnpay_secret, bank_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    server = BenchServer(args.db)
    ipn_url = f"{server.url}/api/v1/payments/vnpay/ipn"
    vnpay_app = create_vnpay_simulator(TMN_CODE, vnpay_secret, ipn_url,
                                       config=SimConfig(ipn_max_attempts=1, ipn_timeout_s=30))
    sim_url = serve(vnpay_app)
    bank_app = create_bank_simulator(f"{server.url}/api/v1/payments/bank-webhook", bank_secret, ACCOUNT,
                                     timeout_s=30)
    vnpay_sim, bank_sim = vnpay_of(vnpay_app), bank_of(bank_app)
    vnpay_sim._http = ipn_session = TimedSession(conc * 2)
    bank_sim._http = bank_session = TimedSession(conc * 2)
    server.env.update(VNPAY_TMN_CODE=TMN_CODE, VNPAY_HASH_SECRET=vnpay_secret,
                      VNPAY_PAYMENT_URL=f"{sim_url}/paymentv2/vpcpay.html",
                      VNPAY_API_URL=f"{sim_url}/merchant_webapi/api/transaction", BANK_WEBHOOK_SECRET=bank_secret)
    server.start()
    try:
        print(machine_speed_line())
        token = server.cli("device", "add", "bench-kiosk")
        print(f"server: tiepdon serve at {server.url}, db={server.db_url.split(':')[0]}, "
              f"{n} + {n} invoices, {conc} callbacks in flight")
        t0 = time.perf_counter()
        each = n + warm
        tickets = asyncio.run(issue_tickets(server.url, token, 2 * each, conc))
        invoice_ids = [t["invoice"]["id"] for t in tickets]
        starts = list(asyncio.run(start_payments(server.url, token, invoice_ids[:each], "vnpay", conc)).values())
        qrs = list(asyncio.run(start_payments(server.url, token, invoice_ids[each:], "vietqr", conc)).values())
        print(f"setup: {2 * each} self-pay tickets with invoices, {each} VNPay URLs, {each} VietQRs "
              f"in {time.perf_counter() - t0:.1f} s")

        ipn_session.reset(warm_up=warm)
        ipn_phase(vnpay_sim, ipn_session, starts, conc)
        ipn_rps, ipn_lat, ipn_answers = ipn_session.rate(), list(ipn_session.latencies_ms), dict(ipn_session.answers)
        print(f"vnpay ipn: {len(ipn_lat)} callbacks {ipn_rps:.0f}/s p50={pct(ipn_lat, .5):.1f} ms "
              f"p99={pct(ipn_lat, .99):.1f} ms max={max(ipn_lat):.1f} ms answers={ipn_answers}")

        bank_session.reset(warm_up=warm)
        transfers = webhook_phase(bank_sim, qrs, conc)
        hook_lat, hook_answers = list(bank_session.latencies_ms), dict(bank_session.answers)
        print(f"bank webhook: {len(hook_lat)} callbacks {bank_session.rate():.0f}/s "
              f"p50={pct(hook_lat, .5):.1f} ms p99={pct(hook_lat, .99):.1f} ms answers={hook_answers}")
        if warm:
            print(f"warm-up, not counted: {warm} IPNs max={max(ipn_session.warm_up_ms):.1f} ms, "
                  f"{warm} webhooks max={max(bank_session.warm_up_ms):.1f} ms")

        ipn_session.reset()
        bank_session.reset()
        replay_ipns(vnpay_sim, ipn_session, starts, conc)
        replay_webhooks(bank_sim, transfers, conc)
        replay_ipn, replay_hook = dict(ipn_session.answers), dict(bank_session.answers)
        print(f"replays: ipn={replay_ipn} webhook={replay_hook}")

        in_db, unpaid = double_credits(server.db_url)
        # A replay answered as a fresh success would be a second credit at the provider's end.
        doubles = in_db + replay_ipn.get("00", 0) + replay_hook.get("settle", 0)
        if unpaid or ipn_answers.get("00", 0) != n or hook_answers.get("settle", 0) != n:
            print(f"WARNING: unpaid invoices={unpaid}")
        print(f"payments: ipn_rps={ipn_rps:.0f} ipn_p99_ms={pct(ipn_lat, .99):.1f} "
              f"webhook_p99_ms={pct(hook_lat, .99):.1f} double_credits={doubles}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
