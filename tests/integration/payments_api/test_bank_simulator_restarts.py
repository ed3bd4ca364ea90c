"""Issue 17 item 9 and item 6 over real HTTP: the bank simulator, speaking the real webhook format to
the real backend on a loopback port. Transaction ids stay unique after the simulator restarts (and
between two simulators), so a demo restart never turns real transfers into "duplicates"; a transfer
for a ticket cancelled at the kiosk is flagged for refund."""
import requests

from backend.simulators.bank import create_bank_simulator
from tests.integration.payments_api.conftest import ACCOUNT, BANK_SECRET, FEE, payment_backend
from tests.support.pg import free_port


def _world(sqlite_url, tmp_path, serve):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    backend = payment_backend(sqlite_url, tmp_path)
    serve(backend.app, port)
    return backend, url


def _bank(serve, url):
    return serve(create_bank_simulator(f"{url}/api/v1/payments/bank-webhook", BANK_SECRET, ACCOUNT))


def _kiosk(backend):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {backend.device_token}"
    return s


def _ticket(url, kiosk):
    r = kiosk.post(f"{url}/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def _pay(bank_url, reference):
    r = requests.post(f"{bank_url}/_sim/transfer", json={"amount": FEE, "content": reference, "decorate": True},
                      timeout=10)
    assert r.status_code == 200 and r.json()["delivered"], r.text
    return r.json()


def test_transfers_after_a_simulator_restart_are_credited(sqlite_url, tmp_path, serve):
    backend, url = _world(sqlite_url, tmp_path, serve)
    kiosk = _kiosk(backend)
    try:
        before = _bank(serve, url)
        first = [_pay(before, _ticket(url, kiosk)["invoice"]["reference"]) for _ in range(3)]
        assert [t["delivery"]["response"]["decision"] for t in first] == ["settle"] * 3
        # The demo restarts: a new simulator process (here: a new instance), and a second one beside it.
        after, beside = _bank(serve, url), _bank(serve, url)
        later = [_pay(sim, _ticket(url, kiosk)["invoice"]["reference"]) for sim in (after, after, after, beside)]
        assert [t["delivery"]["response"]["decision"] for t in later] == ["settle"] * 4
        ids = [t["transaction_id"] for t in first + later]
        assert len(set(ids)) == len(ids)
        assert all(i.startswith("FT") and i.isalnum() and len(i) <= 20 for i in ids)
    finally:
        backend.app.extensions["tiepdon"].engine.dispose()


def test_a_transfer_for_a_ticket_cancelled_at_the_kiosk_is_flagged(sqlite_url, tmp_path, serve):
    backend, url = _world(sqlite_url, tmp_path, serve)
    kiosk = _kiosk(backend)
    try:
        bank = _bank(serve, url)
        ticket = _ticket(url, kiosk)
        qr = kiosk.post(f"{url}/api/v1/invoices/{ticket['invoice']['id']}/vietqr", timeout=10).json()
        r = requests.post(f"{url}/api/v1/tickets/{ticket['id']}/cancel", params={"token": ticket["track_token"]},
                          timeout=10)
        assert r.status_code == 200
        sent = _pay(bank, qr["reference"])
        assert sent["delivery"]["response"] == {"ok": True, "decision": "reconcile", "reason": "void"}
        invoice = kiosk.get(f"{url}/api/v1/invoices/{ticket['invoice']['id']}", timeout=10).json()
        assert invoice["status"] == "void" and invoice["needs_refund"] is True
        assert [i["bank_transaction_id"] for i in invoice["reconciliation"]] == [sent["transaction_id"]]
    finally:
        backend.app.extensions["tiepdon"].engine.dispose()
