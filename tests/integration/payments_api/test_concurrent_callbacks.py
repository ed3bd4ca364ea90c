"""Replayed callbacks racing each other against two real `tiepdon serve` processes on one database:
money is credited exactly once, on SQLite (file write lock) and PostgreSQL (row locks)."""
import threading
from collections import Counter

import pytest
import requests

from backend.adapters.db.migrate import upgrade
from backend.adapters.payments.vietqr.webhook import sign_webhook_body
from backend.bootstrap import build_container
from backend.services.auth import add_device
from backend.settings import Settings
from tests.integration.payments_api.conftest import (
    BANK_SECRET,
    FEE,
    TMN_CODE,
    VNPAY_SECRET,
    db_count,
    ipn_query,
    payment_config,
    payment_settings,
    webhook_body,
)
from tests.support.app import TEST_PII_KEY, TEST_SECRET
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def server(db_url, tmp_path):
    upgrade(db_url)
    config = payment_config(tmp_path)
    container = build_container(Settings.from_env({
        "database_url": db_url, "secret_key": TEST_SECRET, "pii_key": TEST_PII_KEY, "config_path": config}),
        payments=payment_settings())
    _, token = add_device(container.deps, "kiosk-race")
    container.engine.dispose()
    env = {"TIEPDON_CONFIG": config, "VNPAY_TMN_CODE": TMN_CODE, "VNPAY_HASH_SECRET": VNPAY_SECRET,
           "BANK_WEBHOOK_SECRET": BANK_SECRET}
    processes = [ServerProcess(db_url, **env).start() for _ in range(2)]
    yield processes, {"Authorization": f"Bearer {token}"}, db_url
    for process in processes:
        process.stop()


def race(n, call):
    """call(session, i) from n threads released at once; the answers."""
    results, lock, start = [], threading.Lock(), threading.Barrier(n)

    def worker(i):
        session = requests.Session()
        start.wait()
        answer = call(session, i)
        with lock:
            results.append(answer)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == n
    return results


def new_ticket(url, kiosk):
    r = requests.post(f"{url}/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                      headers=kiosk, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def test_50_concurrent_replays_of_a_successful_ipn_pay_exactly_once(server):
    processes, kiosk, db_url = server
    ticket = new_ticket(processes[0].url, kiosk)
    start = requests.post(f"{processes[0].url}/api/v1/invoices/{ticket['invoice']['id']}/vnpay", json={},
                          headers=kiosk, timeout=10).json()
    path = f"/api/v1/payments/vnpay/ipn?{ipn_query(start['txn_ref'], FEE)}"

    answers = race(50, lambda s, i: s.get(processes[i % 2].url + path, timeout=30).json()["RspCode"])
    assert Counter(answers) == {"00": 1, "02": 49}
    assert db_count(db_url, "SELECT COUNT(*) FROM invoice_events WHERE action = 'paid'") == 1
    assert db_count(db_url, "SELECT COUNT(*) FROM payment_attempts WHERE status = 'paid'") == 1
    assert db_count(db_url, "SELECT COUNT(*) FROM ticket_events WHERE action = 'paid'") == 1
    followed = requests.get(f"{processes[1].url}/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}",
                            timeout=10)
    assert followed.json()["paid"] is True and followed.json()["invoice"]["status"] == "paid"


def test_20_concurrent_deliveries_of_one_bank_transfer_settle_once(server):
    processes, kiosk, db_url = server
    ticket = new_ticket(processes[0].url, kiosk)
    raw = webhook_body(f"CK {ticket['invoice']['reference']}", FEE, "FT26327009999",
                       transferred_at=ticket["invoice"]["created_at"])
    headers = {"Content-Type": "application/json", "X-Signature": sign_webhook_body(raw, BANK_SECRET)}
    path = "/api/v1/payments/bank-webhook"

    decisions = race(20, lambda s, i: s.post(processes[i % 2].url + path, data=raw, headers=headers,
                                             timeout=30).json()["decision"])
    assert Counter(decisions) == {"settle": 1, "duplicate": 19}
    assert db_count(db_url, "SELECT COUNT(*) FROM bank_transfers") == 1
    assert db_count(db_url, "SELECT COUNT(*) FROM invoice_events WHERE action = 'paid'") == 1
    assert db_count(db_url, "SELECT COUNT(*) FROM reconciliation_items") == 0
