"""End to end over HTTP: kiosk → our API → VNPay simulator → our IPN, plus querydr and refunds.

The backend is the real Flask app served on a loopback port; the simulator speaks VNPay's wire
format and calls our IPN by itself, retries included.
"""
import time
from dataclasses import dataclass

import pytest
import requests
from click.testing import CliRunner

from backend.cli import main as cli
from backend.services.auth import device_for_token
from backend.simulators.vnpay import SimConfig, create_vnpay_simulator
from tests.integration.payments_api.conftest import (
    FEE,
    TMN_CODE,
    VNPAY_SECRET,
    db_count,
    payment_backend,
    payment_config,
)
from tests.support.app import TEST_PII_KEY, TEST_SECRET, FixedClock
from tests.support.pg import free_port


@dataclass
class World:
    backend: object
    url: str
    sim_url: str
    sim_app: object
    config_path: str

    def kiosk(self):
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {self.backend.device_token}"
        return s

    def sim(self, path, **json):
        return requests.post(f"{self.sim_url}{path}", json=json, timeout=5)

    def invoice(self, invoice_id):
        return self.kiosk().get(f"{self.url}/api/v1/invoices/{invoice_id}", timeout=5).json()

    def wait_status(self, invoice_id, status, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.invoice(invoice_id)
            if body["status"] == status:
                return body
            time.sleep(0.02)
        raise AssertionError(f"invoice not {status}: {body}")


def make_world(db_url, tmp_path, serve, clock=None) -> World:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sim_app = create_vnpay_simulator(TMN_CODE, VNPAY_SECRET, f"{url}/api/v1/payments/vnpay/ipn",
                                     config=SimConfig(ipn_max_attempts=3, ipn_backoff_s=0.05, ipn_timeout_s=5),
                                     clock=clock)
    sim_url = serve(sim_app)
    backend = payment_backend(db_url, tmp_path, clock, vnpay_payment_url=f"{sim_url}/paymentv2/vpcpay.html",
                              vnpay_api_url=f"{sim_url}/merchant_webapi/api/transaction",
                              vnpay_return_url=f"{url}/api/v1/payments/vnpay/return")
    serve(backend.app, port)
    return World(backend, url, sim_url, sim_app, payment_config(tmp_path))


@pytest.fixture
def world(sqlite_url, tmp_path, serve):
    w = make_world(sqlite_url, tmp_path, serve)
    yield w
    w.backend.app.extensions["tiepdon"].engine.dispose()


def self_pay_ticket_with_vnpay(world):
    kiosk = world.kiosk()
    ticket = kiosk.post(f"{world.url}/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                        timeout=5).json()
    start = kiosk.post(f"{world.url}/api/v1/invoices/{ticket['invoice']['id']}/vnpay", json={}, timeout=5).json()
    return ticket, start


def test_kiosk_ticket_paid_through_the_simulator_reaches_ipn_ticket_and_publisher(world):
    ticket, start = self_pay_ticket_with_vnpay(world)
    assert ticket["paid"] is False
    page = requests.get(start["payment_url"], timeout=5)
    assert page.status_code == 200 and "Thanh toán / Pay" in page.text and "39.000 ₫" in page.text

    paid = world.sim("/_sim/pay", txn_ref=start["txn_ref"]).json()
    assert paid["response_code"] == "00"
    invoice = world.wait_status(ticket["invoice"]["id"], "paid")
    assert invoice["provider"] == "vnpay" and invoice["attempts"][0]["status"] == "paid"
    followed = requests.get(f"{world.url}/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}", timeout=5)
    assert followed.json()["paid"] is True

    log = requests.get(f"{world.sim_url}/_sim/ipn-log?txn_ref={start['txn_ref']}", timeout=5).json()
    assert [a["rsp_code"] for a in log["attempts"]] == ["00"]
    kiosk_id = device_for_token(world.backend.deps, world.backend.device_token).id
    events = [b for k, b in world.backend.publisher.events if k == "invoice"]
    assert len(events) == 1
    assert events[0]["status"] == "paid" and events[0]["device_id"] == kiosk_id
    assert events[0]["ticket_id"] == ticket["id"] and events[0]["amount"] == FEE and events[0]["paid_at"]

    # The browser's return page only displays: Vietnamese first, and a forged one is not believed.
    page = requests.get(paid["return_url"], timeout=5).text
    assert "Bệnh viện đã ghi nhận" in page and page.index("Kết quả thanh toán") < page.index("Payment result")
    forged = requests.get(paid["return_url"].replace("vnp_ResponseCode=00", "vnp_ResponseCode=24"), timeout=5).text
    assert "Không xác minh được" in forged
    resend = requests.post(f"{world.sim_url}/_sim/ipn/{start['txn_ref']}/resend", timeout=5)
    assert resend.status_code == 202
    deadline = time.monotonic() + 5
    while len(requests.get(f"{world.sim_url}/_sim/ipn-log?txn_ref={start['txn_ref']}", timeout=5).json()["attempts"]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert db_count(world.backend.url, "SELECT COUNT(*) FROM invoice_events WHERE action = 'paid'") == 1


def test_patient_cancels_on_the_vnpay_page(world):
    ticket, start = self_pay_ticket_with_vnpay(world)
    requests.get(start["payment_url"], timeout=5)
    back = requests.post(f"{world.sim_url}/_sim/checkout/{start['txn_ref']}", data={"action": "cancel"}, timeout=5)
    assert back.status_code == 200 and "Khách hàng huỷ giao dịch" in back.text  # followed to our return page
    deadline = time.monotonic() + 5
    while world.invoice(ticket["invoice"]["id"])["attempts"][0]["status"] != "failed":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert world.invoice(ticket["invoice"]["id"])["status"] == "pending"


def test_querydr_settles_a_payment_whose_ipn_never_came(world):
    world.sim("/_sim/config", drop_ipn=True)
    ticket, start = self_pay_ticket_with_vnpay(world)
    never_paid, opened = self_pay_ticket_with_vnpay(world)
    requests.get(opened["payment_url"], timeout=5)
    assert world.sim("/_sim/pay", payment_url=start["payment_url"]).status_code == 200
    time.sleep(0.2)
    assert world.invoice(ticket["invoice"]["id"])["status"] == "pending"

    env = {"DATABASE_URL": world.backend.url, "SECRET_KEY": TEST_SECRET, "TIEPDON_PII_KEY": TEST_PII_KEY,
           "TIEPDON_CONFIG": world.config_path, "VNPAY_TMN_CODE": TMN_CODE, "VNPAY_HASH_SECRET": VNPAY_SECRET,
           "VNPAY_PAYMENT_URL": f"{world.sim_url}/paymentv2/vpcpay.html",
           "VNPAY_API_URL": f"{world.sim_url}/merchant_webapi/api/transaction"}
    run = CliRunner().invoke(cli, ["payments", "reconcile"], env=env)
    assert run.exit_code == 0 and "checked" not in run.output  # younger than querydr_after_min: IPN's turn
    run = CliRunner().invoke(cli, ["payments", "reconcile", "--min-age-min", "0"], env=env)
    assert run.exit_code == 0, run.output
    assert "checked=2" in run.output and "paid=1" in run.output

    invoice = world.invoice(ticket["invoice"]["id"])
    assert invoice["status"] == "paid" and invoice["attempts"][0]["status"] == "paid"
    assert world.invoice(never_paid["invoice"]["id"])["status"] == "pending"  # VNPay: not completed
    with world.backend.deps.uow.read() as uow:
        settled = [e for e in uow.invoices.events(ticket["invoice"]["id"]) if e["action"] == "paid"]
    assert settled[0]["detail"]["via"] == "querydr" and settled[0]["actor"] == "vnpay:querydr"


def test_cashier_refunds_a_vnpay_payment_through_the_gateway(world):
    world.backend.add_staff("thu", "cashier", ["TN1"])
    cashier = world.backend.login("thu")
    ticket, start = self_pay_ticket_with_vnpay(world)
    world.sim("/_sim/pay", payment_url=start["payment_url"])
    world.wait_status(ticket["invoice"]["id"], "paid")
    r = cashier.post(f"/api/v1/invoices/{ticket['invoice']['id']}/refund", json={"reason": "Bệnh nhân về"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "refunded" and r.get_json()["refunded_at"]
    sim_view = requests.get(f"{world.sim_url}/_sim/payments/{start['txn_ref']}", timeout=5).json()
    assert sim_view["refunded"] == FEE
    again = cashier.post(f"/api/v1/invoices/{ticket['invoice']['id']}/refund", json={})
    assert again.status_code == 409 and again.get_json()["code"] == "PAYMENT_NOT_REFUNDABLE"


def test_late_payment_is_refunded_through_the_gateway(sqlite_url, tmp_path, serve):
    clock = FixedClock()  # shared with the simulator, so both sides see the window close
    world = make_world(sqlite_url, tmp_path, serve, clock)
    world.backend.add_staff("thu", "cashier", ["TN1"])
    cashier = world.backend.login("thu")
    ticket, start = self_pay_ticket_with_vnpay(world)
    requests.get(start["payment_url"], timeout=5)
    clock.advance(minutes=16)
    assert world.sim("/_sim/pay", txn_ref=start["txn_ref"], force=True).status_code == 200
    deadline = time.monotonic() + 5
    while not world.invoice(ticket["invoice"]["id"])["needs_refund"]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    r = cashier.post(f"/api/v1/invoices/{ticket['invoice']['id']}/refund", json={})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "expired" and body["needs_refund"] is False
    assert body["attempts"][0]["status"] == "refunded"
    assert body["reconciliation"][0]["resolution"] == "refunded"
    assert requests.get(f"{world.sim_url}/_sim/payments/{start['txn_ref']}", timeout=5).json()["refunded"] == FEE
    world.backend.app.extensions["tiepdon"].engine.dispose()


def test_gateway_down_is_a_clear_503(world):
    world.backend.add_staff("thu", "cashier", ["TN1"])
    cashier = world.backend.login("thu")
    ticket, start = self_pay_ticket_with_vnpay(world)
    world.sim("/_sim/pay", payment_url=start["payment_url"])
    world.wait_status(ticket["invoice"]["id"], "paid")
    world.sim("/_sim/config", down=True)
    r = cashier.post(f"/api/v1/invoices/{ticket['invoice']['id']}/refund", json={})
    assert r.status_code == 503 and r.get_json()["code"] == "PAYMENT_GATEWAY_UNAVAILABLE"
    assert world.invoice(ticket["invoice"]["id"])["status"] == "paid"
