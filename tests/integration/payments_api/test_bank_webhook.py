"""VietQR and the bank-transfer webhook: authentication, matching, settling once, reconciliation."""
from backend.adapters.payments.vietqr.webhook import sign_webhook_body
from backend.adapters.payments.vietqr.payload import parse_vietqr
from tests.integration.payments_api.conftest import (
    ACCOUNT,
    BANK_SECRET,
    FEE,
    db_count,
    issue_self_pay,
    post_webhook,
    webhook_body,
)


def vietqr(backend, ticket):
    r = backend.client().post(f"/api/v1/invoices/{ticket['invoice']['id']}/vietqr", headers=backend.kiosk_headers())
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def invoice_status(backend, ticket):
    r = backend.client().get(f"/api/v1/invoices/{ticket['invoice']['id']}?token={ticket['track_token']}")
    return r.get_json()


def spaced(reference: str) -> str:
    """How a patient types it, or a bank rewrites it: lower case, broken up by spaces."""
    return f"{reference[:2].lower()} {reference[2:6].lower()} {reference[6:]}"


def test_vietqr_payload_carries_the_account_exact_amount_and_reference(backend):
    ticket = issue_self_pay(backend)
    qr = vietqr(backend, ticket)
    decoded = parse_vietqr(qr["qr_payload"])
    assert (decoded.bank_bin, decoded.account, decoded.amount) == ("970436", ACCOUNT, FEE)
    assert decoded.dynamic and decoded.purpose == qr["reference"] == ticket["invoice"]["reference"]
    assert qr["bank_bin"] == "970436" and qr["account"] == ACCOUNT and qr["amount"] == FEE
    assert qr["bank_name"] == "Vietcombank" and qr["expires_at"] == ticket["invoice"]["expires_at"]


def test_forged_signature_is_rejected_and_records_nothing(backend):
    ticket = issue_self_pay(backend)
    reference = vietqr(backend, ticket)["reference"]
    raw = webhook_body(reference, FEE, "FT26327000001")
    for signature in ("0" * 64, "sha256=" + "f" * 64, ""):
        r = post_webhook(backend, raw, signature=signature or " ")
        assert r.status_code == 401 and r.get_json()["code"] == "UNAUTHORIZED"
    # A body changed after the bank signed it: the signature of the original no longer fits.
    tampered = raw.replace(b'"amount": 39000', b'"amount": 39001')
    assert tampered != raw
    r = post_webhook(backend, tampered, signature=sign_webhook_body(raw, BANK_SECRET))
    assert r.status_code == 401
    assert db_count(backend.url, "SELECT COUNT(*) FROM bank_transfers") == 0
    assert invoice_status(backend, ticket)["status"] == "pending"


def test_reference_with_spaces_and_bank_prefix_settles_the_invoice_and_the_ticket(backend):
    ticket = issue_self_pay(backend)
    reference = vietqr(backend, ticket)["reference"]
    content = f"MBVCB.8812345.{spaced(reference)}.CT tu 0123456789 NGUYEN VAN AN"
    r = post_webhook(backend, webhook_body(content, FEE, "FT26327000002"))
    assert r.status_code == 200 and r.get_json() == {"ok": True, "decision": "settle", "reason": None}
    invoice = invoice_status(backend, ticket)
    assert invoice["status"] == "paid" and invoice["provider"] == "vietqr"
    followed = backend.client().get(f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}").get_json()
    assert followed["paid"] is True
    assert [b["status"] for k, b in backend.publisher.events if k == "invoice"] == ["paid"]


def test_prefix_stripped_by_the_bank_still_matches(backend):
    ticket = issue_self_pay(backend)
    reference = vietqr(backend, ticket)["reference"]
    r = post_webhook(backend, webhook_body(f"IBFT {reference[2:]} kham benh", FEE, "FT26327000003"))
    assert r.get_json()["decision"] == "settle"
    assert invoice_status(backend, ticket)["status"] == "paid"


def test_duplicate_bank_transaction_settles_once(backend):
    ticket = issue_self_pay(backend)
    reference = vietqr(backend, ticket)["reference"]
    raw = webhook_body(reference, FEE, "FT26327000004")
    decisions = [post_webhook(backend, raw).get_json()["decision"] for _ in range(3)]
    assert decisions == ["settle", "duplicate", "duplicate"]
    assert db_count(backend.url, "SELECT COUNT(*) FROM bank_transfers") == 1
    assert db_count(backend.url, "SELECT COUNT(*) FROM invoice_events WHERE action = 'paid'") == 1
    # A *different* bank transaction for the same, already paid invoice is money to hand back.
    second = post_webhook(backend, webhook_body(reference, FEE, "FT26327000005")).get_json()
    assert second == {"ok": True, "decision": "reconcile", "reason": "already_paid"}
    invoice = invoice_status(backend, ticket)
    assert invoice["status"] == "paid" and invoice["needs_refund"] is True


def test_wrong_amount_goes_to_reconciliation_not_to_paid_and_the_cashier_resolves_it(backend):
    backend.add_staff("thu", "cashier", ["TN1"])
    cashier = backend.login("thu")
    ticket = issue_self_pay(backend)
    reference = vietqr(backend, ticket)["reference"]
    r = post_webhook(backend, webhook_body(f"thanh toan {reference}", FEE - 9_000, "FT26327000006"))
    assert r.get_json() == {"ok": True, "decision": "reconcile", "reason": "wrong_amount"}
    assert invoice_status(backend, ticket)["status"] == "pending"

    items = cashier.get("/api/v1/payments/reconciliation").get_json()["items"]
    assert len(items) == 1
    item = items[0]
    assert item["category"] == "wrong_amount" and item["amount"] == FEE - 9_000 and item["expected_amount"] == FEE
    assert item["invoice_id"] == ticket["invoice"]["id"] and item["bank_transaction_id"] == "FT26327000006"
    assert item["sender_name"] == "NGUYEN V. A" and "NGUYEN VAN AN" not in str(item)

    # Applying money of another amount is refused; returning it closes the item.
    refused = cashier.post(f"/api/v1/payments/reconciliation/{item['id']}/resolve", json={"action": "apply"})
    assert refused.status_code == 409 and refused.get_json()["code"] == "PAYMENT_AMOUNT_MISMATCH"
    done = cashier.post(f"/api/v1/payments/reconciliation/{item['id']}/resolve",
                        json={"action": "returned", "note": "Đã chuyển trả"})
    assert done.status_code == 200 and done.get_json()["status"] == "resolved"
    assert cashier.get("/api/v1/payments/reconciliation").get_json()["items"] == []
    again = cashier.post(f"/api/v1/payments/reconciliation/{item['id']}/resolve", json={"action": "returned"})
    assert again.status_code == 409 and again.get_json()["code"] == "RECONCILIATION_ALREADY_RESOLVED"


def test_unmatched_transfer_is_kept_and_can_be_applied_by_the_cashier(backend):
    backend.add_staff("thu", "cashier", ["TN1"])
    cashier = backend.login("thu")
    ticket = issue_self_pay(backend)
    r = post_webhook(backend, webhook_body("chuyen tien kham benh cho me", FEE, "FT26327000007"))
    assert r.get_json()["reason"] == "unknown_reference"
    other = post_webhook(backend, webhook_body("x", FEE, "FT26327000008", account="9999999999")).get_json()
    assert other["reason"] == "wrong_account"
    items = {i["bank_transaction_id"]: i for i in cashier.get("/api/v1/payments/reconciliation").get_json()["items"]}
    assert {i["category"] for i in items.values()} == {"unmatched"}
    applied = cashier.post(f"/api/v1/payments/reconciliation/{items['FT26327000007']['id']}/resolve",
                           json={"action": "apply", "invoice_id": ticket["invoice"]["id"]})
    assert applied.status_code == 200 and applied.get_json()["resolution"] == "apply"
    assert invoice_status(backend, ticket)["status"] == "paid"
    dismissed = cashier.post(f"/api/v1/payments/reconciliation/{items['FT26327000008']['id']}/resolve",
                             json={"action": "dismiss"})
    assert dismissed.status_code == 422  # a dismissal must say why


def test_malformed_but_authentic_body_is_400_and_reception_cannot_see_reconciliation(backend):
    raw = b'{"transaction_id": "FT1", "amount": 1.5}'
    r = post_webhook(backend, raw)
    assert r.status_code == 400 and r.get_json()["code"] == "PAYMENT_WEBHOOK_MALFORMED"
    backend.add_staff("le", "reception")
    assert backend.login("le").get("/api/v1/payments/reconciliation").status_code == 403
    assert backend.client().get("/api/v1/payments/reconciliation").status_code == 401
