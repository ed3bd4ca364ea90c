"""Issue 17 (money at the counter): cancelling a ticket voids its unpaid invoices, money that comes
for a void invoice is flagged for refund on every path it can arrive by; the cashier takes cash or
card with a receipt number; "pay at the cashier"; every paid invoice carries its receipt."""
from datetime import timedelta

import pytest

from tests.integration.payments_api.conftest import (
    FEE,
    db_count,
    ipn_query,
    issue_self_pay,
    payment_backend,
    post_webhook,
    start_vnpay,
    webhook_body,
)


def invoice_of(backend, ticket) -> dict:
    r = backend.client().get(f"/api/v1/invoices/{ticket['invoice']['id']}", headers=backend.kiosk_headers())
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def cancel_by_kiosk(backend, ticket):
    # The kiosk cancels (button or timeout) with the ticket's track token, like the phone's "leave".
    r = backend.client().post(f"/api/v1/tickets/{ticket['id']}/cancel?token={ticket['track_token']}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def open_items(backend, username="thu"):
    return backend.login(username).get("/api/v1/payments/reconciliation").get_json()["items"]


@pytest.fixture
def cashier(backend):
    member = backend.add_staff("thu", "cashier", ["TN1"])
    return member, backend.login("thu")


# -- item 6: void ---------------------------------------------------------------------------------


def test_cancelling_a_ticket_voids_its_invoice_and_a_void_invoice_cannot_be_paid(backend):
    ticket = issue_self_pay(backend)
    cancelled = cancel_by_kiosk(backend, ticket)
    assert cancelled["status"] == "cancelled"
    invoice = invoice_of(backend, ticket)
    assert invoice["status"] == "void" and invoice["needs_refund"] is False and invoice.get("receipt") is None
    for path, body in (("vietqr", None), ("vnpay", {}), ("pay", {"method": "vietqr"})):
        r = backend.client().post(f"/api/v1/invoices/{invoice['id']}/{path}", json=body,
                                  headers=backend.kiosk_headers())
        assert r.status_code == 409, (path, r.get_json())
        assert r.get_json()["code"] == "INVOICE_VOID"
        assert r.get_json()["title"].startswith("Hoá đơn đã bị huỷ")
    r = backend.client().get(f"/api/v1/invoices/{invoice['id']}/qr.png?provider=vietqr",
                             headers=backend.kiosk_headers())
    assert r.status_code == 409 and r.get_json()["code"] == "INVOICE_VOID"


def test_staff_cancel_voids_too_and_the_history_says_who(backend):
    member = backend.add_staff("letan", "reception")
    staff = backend.login("letan")
    ticket = issue_self_pay(backend)
    assert staff.post(f"/api/v1/tickets/{ticket['id']}/cancel").status_code == 200
    backend.add_staff("thu", "cashier", ["TN1"])
    body = backend.login("thu").get(f"/api/v1/invoices/{ticket['invoice']['id']}").get_json()
    assert body["status"] == "void"
    assert [(e["action"], e["actor"]) for e in body["events"] if e["action"] == "voided"] == [
        ("voided", f"staff:{member.id}")]


def test_a_transfer_for_a_void_invoice_is_flagged_for_refund_and_listed(backend, cashier):
    ticket = issue_self_pay(backend)
    cancel_by_kiosk(backend, ticket)
    r = post_webhook(backend, webhook_body(ticket["invoice"]["reference"], FEE, "FT26327000900"))
    assert r.status_code == 200 and r.get_json() == {"ok": True, "decision": "reconcile", "reason": "void"}
    invoice = invoice_of(backend, ticket)
    assert invoice["status"] == "void" and invoice["needs_refund"] is True
    items = open_items(backend)
    assert [(i["reason"], i["invoice_id"], i["amount"], i["bank_transaction_id"]) for i in items] == [
        ("void", invoice["id"], FEE, "FT26327000900")]
    assert items[0]["category"] == "void"


def test_a_vnpay_ipn_for_a_void_invoice_is_confirmed_but_flagged(backend, cashier):
    ticket = issue_self_pay(backend)
    payment = start_vnpay(backend, ticket["invoice"]["id"])
    # The phone's "leave the queue" after the patient opened VNPay on the kiosk.
    r = backend.client().post(f"/api/v1/tickets/{ticket['id']}/cancel", json={"token": ticket["track_token"]})
    assert r.status_code == 200
    answer = backend.client().get(f"/api/v1/payments/vnpay/ipn?{ipn_query(payment['txn_ref'], FEE)}").get_json()
    assert answer["RspCode"] == "00"  # the money is real: VNPay must stop retrying
    invoice = invoice_of(backend, ticket)
    assert invoice["status"] == "void" and invoice["needs_refund"] is True
    assert [a["status"] for a in invoice["attempts"]] == ["late"]
    assert [(i["reason"], i["txn_ref"]) for i in open_items(backend)] == [("void", payment["txn_ref"])]


def test_a_paid_invoice_is_not_voided_by_a_later_cancel(backend):
    ticket = issue_self_pay(backend)
    post_webhook(backend, webhook_body(ticket["invoice"]["reference"], FEE, "FT26327000901"))
    cancel_by_kiosk(backend, ticket)
    assert invoice_of(backend, ticket)["status"] == "paid"


# -- item 7: cash, card, pay at the cashier --------------------------------------------------------


def test_cashier_records_cash_with_a_receipt_number_audited(backend, cashier):
    member, session = cashier
    ticket = issue_self_pay(backend)
    r = session.post(f"/api/v1/invoices/{ticket['invoice']['id']}/cash",
                     json={"method": "cash", "receipt_no": " BL-000123 "})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "paid" and body["provider"] == "cash"
    receipt = body["receipt"]
    assert receipt["number"] == "BL-000123" and receipt["amount"] == FEE and receipt["method"] == "cash"
    assert receipt["reference"] == ticket["invoice"]["reference"] and receipt["paid_at"] == body["paid_at"]
    paid = [e for e in body["events"] if e["action"] == "paid"]
    assert [(e["actor"], e["provider"], e["detail"]["receipt_no"]) for e in paid] == [
        (f"staff:{member.id}", "cash", "BL-000123")]
    followed = backend.client().get(f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}").get_json()
    assert followed["paid"] is True and followed["invoice"]["receipt"]["number"] == "BL-000123"
    assert db_count(backend.url, "SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.cash' AND actor = :a",
                    a=f"staff:{member.id}") == 1
    again = session.post(f"/api/v1/invoices/{ticket['invoice']['id']}/cash",
                         json={"method": "card", "receipt_no": "BL-000124"})
    assert again.status_code == 409 and again.get_json()["code"] == "INVOICE_ALREADY_PAID"


def test_card_on_an_expired_invoice_is_taken_at_the_counter(backend, cashier):
    _, session = cashier
    ticket = issue_self_pay(backend)
    backend.clock.advance(minutes=40)  # the QR window closed long ago; the patient is at the desk
    r = session.post(f"/api/v1/invoices/{ticket['invoice']['id']}/cash",
                     json={"method": "card", "receipt_no": "POS-7781"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "paid" and r.get_json()["receipt"]["method"] == "card"


@pytest.mark.parametrize("body, field", [
    ({"method": "cheque", "receipt_no": "1"}, "method"),
    ({"method": "cash", "receipt_no": "   "}, "receipt_no"),
    ({"method": "cash"}, "receipt_no"),
    ({"method": "cash", "receipt_no": "x" * 33}, "receipt_no"),
    ({"method": "cash", "receipt_no": "BL\n1"}, "receipt_no"),
])
def test_bad_cash_bodies_are_refused_and_change_nothing(backend, cashier, body, field):
    _, session = cashier
    ticket = issue_self_pay(backend)
    r = session.post(f"/api/v1/invoices/{ticket['invoice']['id']}/cash", json=body)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["code"] == "VALIDATION_ERROR" and field in str(r.get_json())
    assert invoice_of(backend, ticket)["status"] == "pending"


def test_only_cashier_and_admin_record_cash(backend):
    ticket = issue_self_pay(backend)
    backend.add_staff("letan", "reception")
    backend.add_staff("bs", "room", ["P101"])
    for who in ("letan", "bs"):
        r = backend.login(who).post(f"/api/v1/invoices/{ticket['invoice']['id']}/cash",
                                    json={"method": "cash", "receipt_no": "BL-1"})
        assert r.status_code == 403 and r.get_json()["code"] == "FORBIDDEN"
    r = backend.client().post(f"/api/v1/invoices/{ticket['invoice']['id']}/cash",
                              json={"method": "cash", "receipt_no": "BL-1"}, headers=backend.kiosk_headers())
    assert r.status_code in (401, 403)
    backend.add_staff("quantri", "admin")
    r = backend.login("quantri").post(f"/api/v1/invoices/{ticket['invoice']['id']}/cash",
                                      json={"method": "cash", "receipt_no": "BL-1"})
    assert r.status_code == 200


def test_cash_for_a_void_invoice_is_refused(backend, cashier):
    _, session = cashier
    ticket = issue_self_pay(backend)
    cancel_by_kiosk(backend, ticket)
    r = session.post(f"/api/v1/invoices/{ticket['invoice']['id']}/cash", json={"method": "cash", "receipt_no": "1"})
    assert r.status_code == 409 and r.get_json()["code"] == "INVOICE_VOID"


def test_invoice_json_says_where_the_cashier_is_and_what_a_timeout_does(backend):
    ticket = issue_self_pay(backend)
    expected = {"allowed": True, "where": {"vi": "Quầy thu ngân số 3, Sảnh A", "en": "Cashier desk 3, Hall A"},
                "on_timeout": "cashier"}
    assert ticket["invoice"]["cashier"] == expected
    assert invoice_of(backend, ticket)["cashier"] == expected


def test_pay_at_cashier_keeps_the_invoice_pending_past_its_window(backend, cashier):
    _, session = cashier
    ticket = issue_self_pay(backend)
    r = backend.client().post(f"/api/v1/invoices/{ticket['invoice']['id']}/pay-at-cashier",
                              headers=backend.kiosk_headers())
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "pending" and r.get_json()["at_cashier"] is True
    backend.clock.advance(hours=2)
    assert invoice_of(backend, ticket)["status"] == "pending"
    followed = backend.client().get(f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}").get_json()
    assert followed["status"] == "waiting"
    pending = session.get("/api/v1/cashier/pending").get_json()["items"]
    assert [(p["invoice_id"], p["at_cashier"]) for p in pending] == [(ticket["invoice"]["id"], True)]
    # A phone may send itself to the cashier too, with the ticket's token; asking twice is harmless.
    r = backend.client().post(f"/api/v1/invoices/{ticket['invoice']['id']}/pay-at-cashier?token={ticket['track_token']}")
    assert r.status_code == 200
    session.post(f"/api/v1/invoices/{ticket['invoice']['id']}/cash", json={"method": "cash", "receipt_no": "BL-9"})
    r = backend.client().post(f"/api/v1/invoices/{ticket['invoice']['id']}/pay-at-cashier",
                              headers=backend.kiosk_headers())
    assert r.status_code == 409 and r.get_json()["code"] == "INVOICE_NOT_PENDING"


def test_pay_at_cashier_refused_when_the_hospital_has_no_cashier(sqlite_url, tmp_path, clock):
    b = payment_backend(sqlite_url, tmp_path, clock, cashier=False, on_timeout="cancel")
    try:
        ticket = issue_self_pay(b)
        assert ticket["invoice"]["cashier"]["allowed"] is False
        assert ticket["invoice"]["cashier"]["on_timeout"] == "cancel"
        r = b.client().post(f"/api/v1/invoices/{ticket['invoice']['id']}/pay-at-cashier", headers=b.kiosk_headers())
        assert r.status_code == 409 and r.get_json()["code"] == "CASHIER_NOT_OFFERED"
        assert invoice_of(b, ticket)["at_cashier"] is False
    finally:
        b.app.extensions["tiepdon"].engine.dispose()


def test_cashier_pending_lists_unpaid_invoices_oldest_first_and_is_audited(backend, cashier):
    member, session = cashier
    first = issue_self_pay(backend)
    backend.clock.advance(minutes=3)
    second = issue_self_pay(backend, "KHAM-NGOAI")
    backend.clock.advance(minutes=3)
    gone = issue_self_pay(backend)
    cancel_by_kiosk(backend, gone)
    paid = issue_self_pay(backend)
    session.post(f"/api/v1/invoices/{paid['invoice']['id']}/cash", json={"method": "cash", "receipt_no": "BL-2"})
    items = session.get("/api/v1/cashier/pending").get_json()["items"]
    assert [i["invoice_id"] for i in items] == [first["invoice"]["id"], second["invoice"]["id"]]
    head = items[0]
    assert head["ticket_number"] == first["display_number"] and head["amount"] == FEE
    assert head["service"]["code"] == "KHAM-NOI" and head["service"]["name_vi"]
    assert head["since"] == first["invoice"]["created_at"] and head["name_masked"] is None
    assert head["reference"] == first["invoice"]["reference"]
    assert db_count(backend.url, "SELECT COUNT(*) FROM audit_log WHERE action = 'cashier.pending.read'") == 1
    backend.add_staff("bs", "room", ["P101"])
    assert backend.login("bs").get("/api/v1/cashier/pending").status_code == 403


# -- item 8: receipts ------------------------------------------------------------------------------


def test_a_bank_transfer_leaves_a_receipt(backend):
    ticket = issue_self_pay(backend)
    post_webhook(backend, webhook_body(ticket["invoice"]["reference"], FEE, "FT26327000950"))
    invoice = invoice_of(backend, ticket)
    assert invoice["receipt"] == {"number": ticket["invoice"]["reference"], "amount": FEE, "method": "vietqr",
                                  "reference": "FT26327000950", "paid_at": invoice["paid_at"]}
    assert backend.publisher.events[-1][1]["receipt"]["reference"] == "FT26327000950"


def test_a_vnpay_payment_leaves_a_receipt(backend):
    ticket = issue_self_pay(backend)
    payment = start_vnpay(backend, ticket["invoice"]["id"])
    backend.client().get(f"/api/v1/payments/vnpay/ipn?{ipn_query(payment['txn_ref'], FEE, transaction_no='14400777')}")
    receipt = invoice_of(backend, ticket)["receipt"]
    assert receipt["method"] == "vnpay" and receipt["reference"] == "14400777" and receipt["amount"] == FEE


def test_a_transfer_hours_later_still_pays_an_invoice_sent_to_the_cashier(backend):
    ticket = issue_self_pay(backend)
    backend.client().post(f"/api/v1/invoices/{ticket['invoice']['id']}/pay-at-cashier", headers=backend.kiosk_headers())
    backend.clock.advance(hours=2)  # the patient paid from the queue with their phone after all
    body = webhook_body(ticket["invoice"]["reference"], FEE, "FT26327000960", transferred_at="2026-11-23T11:00:00+07:00")
    assert post_webhook(backend, body).get_json()["decision"] == "settle"
    assert invoice_of(backend, ticket)["status"] == "paid"


def test_cash_goes_back_by_hand_not_through_a_gateway(backend, cashier):
    _, session = cashier
    ticket = issue_self_pay(backend)
    session.post(f"/api/v1/invoices/{ticket['invoice']['id']}/cash", json={"method": "cash", "receipt_no": "BL-77"})
    r = session.post(f"/api/v1/invoices/{ticket['invoice']['id']}/refund", json={"method": "gateway"})
    assert r.status_code == 409 and r.get_json()["code"] == "PAYMENT_NOT_REFUNDABLE"
    r = session.post(f"/api/v1/invoices/{ticket['invoice']['id']}/refund", json={"method": "manual", "reason": "Huỷ khám"})
    assert r.status_code == 200 and r.get_json()["status"] == "refunded"
    assert r.get_json()["receipt"]["number"] == "BL-77"  # the receipt of the money that came stays readable
