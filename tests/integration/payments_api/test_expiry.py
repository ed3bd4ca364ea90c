"""Invoice expiry: lazy on read, written by the sweep, and money that comes too late."""
from datetime import timedelta

from backend.services.payments import expire_overdue
from tests.integration.payments_api.conftest import (
    FEE,
    db_count,
    ipn_query,
    issue_self_pay,
    post_webhook,
    start_vnpay,
    webhook_body,
)

IPN = "/api/v1/payments/vnpay/ipn?"


def invoice(backend, ticket, client=None):
    c = client or backend.client()
    return c.get(f"/api/v1/invoices/{ticket['invoice']['id']}?token={ticket['track_token']}").get_json()


def test_late_vnpay_payment_is_confirmed_but_held_for_refund_visibly(backend):
    backend.add_staff("thu", "cashier", ["TN1"])
    cashier = backend.login("thu")
    ticket = issue_self_pay(backend)
    start = start_vnpay(backend, ticket["invoice"]["id"])
    backend.clock.advance(minutes=16)

    late = ipn_query(start["txn_ref"], FEE, pay_date=backend.clock.now)
    # The money is real, so VNPay gets 00 (it must stop retrying), but the invoice is not paid.
    assert backend.client().get(IPN + late).get_json()["RspCode"] == "00"
    seen = invoice(backend, ticket)
    assert seen["status"] == "expired" and seen["needs_refund"] is True and seen["paid_at"] is None
    assert seen["attempts"][0]["status"] == "late"
    assert seen["reconciliation"][0]["reason"] == "late" and seen["reconciliation"][0]["category"] == "late"
    followed = backend.client().get(f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}").get_json()
    assert followed["paid"] is False and followed["invoice"]["needs_refund"] is True

    items = cashier.get("/api/v1/payments/reconciliation").get_json()["items"]
    assert [(i["source"], i["reason"], i["txn_ref"], i["amount"]) for i in items] == [
        ("vnpay", "late", start["txn_ref"], FEE)]
    assert backend.client().get(IPN + late).get_json()["RspCode"] == "02"  # replay: still once
    history = [e["action"] for e in cashier.get(f"/api/v1/invoices/{ticket['invoice']['id']}").get_json()["events"]]
    assert history == ["created", "vnpay_started", "expired", "late_payment"]
    published = [b for k, b in backend.publisher.events if k == "invoice"][-1]
    assert published["status"] == "expired" and published["needs_refund"] is True


def test_money_that_moved_before_expiry_counts_even_if_the_ipn_comes_after_the_sweep(backend):
    ticket = issue_self_pay(backend)
    start = start_vnpay(backend, ticket["invoice"]["id"])
    paid_at = backend.clock.now + timedelta(minutes=14, seconds=50)
    backend.clock.advance(minutes=16)
    assert expire_overdue(backend.deps) == 1
    assert invoice(backend, ticket)["status"] == "expired"
    assert backend.client().get(IPN + ipn_query(start["txn_ref"], FEE, pay_date=paid_at)).get_json()["RspCode"] == "00"
    seen = invoice(backend, ticket)
    assert seen["status"] == "paid" and seen["needs_refund"] is False


def test_expiry_is_lazy_on_read_and_written_once_by_the_sweep(backend):
    ticket = issue_self_pay(backend)
    backend.clock.advance(minutes=15)
    assert invoice(backend, ticket)["status"] == "expired"
    assert db_count(backend.url, "SELECT COUNT(*) FROM invoices WHERE status = 'pending'") == 1
    refused = backend.client().post(f"/api/v1/invoices/{ticket['invoice']['id']}/vnpay", json={},
                                    headers=backend.kiosk_headers())
    assert refused.status_code == 409 and refused.get_json()["code"] == "INVOICE_EXPIRED"
    qr = backend.client().post(f"/api/v1/invoices/{ticket['invoice']['id']}/vietqr", headers=backend.kiosk_headers())
    assert qr.status_code == 409

    assert expire_overdue(backend.deps) == 1
    assert expire_overdue(backend.deps) == 0
    assert db_count(backend.url, "SELECT COUNT(*) FROM invoices WHERE status = 'expired'") == 1
    assert db_count(backend.url, "SELECT COUNT(*) FROM invoice_events WHERE action = 'expired'") == 1
    assert [b["status"] for k, b in backend.publisher.events if k == "invoice"] == ["expired"]


def test_late_bank_transfer_is_held_for_refund_and_returned_by_the_cashier(backend):
    backend.add_staff("thu", "cashier", ["TN1"])
    cashier = backend.login("thu")
    ticket = issue_self_pay(backend)
    reference = ticket["invoice"]["reference"]
    backend.clock.advance(minutes=20)
    late = webhook_body(reference, FEE, "FT26327000100", transferred_at="2026-11-23T09:19:00+07:00")
    assert post_webhook(backend, late).get_json()["reason"] == "late"
    assert invoice(backend, ticket)["needs_refund"] is True

    gateway = cashier.post(f"/api/v1/invoices/{ticket['invoice']['id']}/refund", json={"method": "gateway"})
    assert gateway.status_code == 409 and gateway.get_json()["code"] == "PAYMENT_NOT_REFUNDABLE"
    manual = cashier.post(f"/api/v1/invoices/{ticket['invoice']['id']}/refund",
                          json={"method": "manual", "reason": "Trả tiền mặt tại quầy"})
    assert manual.status_code == 200
    body = manual.get_json()
    assert body["status"] == "expired" and body["needs_refund"] is False
    assert "payment_returned" in [e["action"] for e in body["events"]]
    assert cashier.get("/api/v1/payments/reconciliation").get_json()["items"] == []
