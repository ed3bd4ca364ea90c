"""A cashier's refunds and reconciliation decisions name them as every other staff action does:
`staff:<id>` (an id, not a username that can be renamed), in the audit log, the invoice history and
the resolved item."""
from datetime import timedelta

from tests.integration.payments_api.conftest import FEE, issue_self_pay, post_webhook, webhook_body


def test_refund_and_resolution_are_by_staff_id(backend):
    member = backend.add_staff("thu", "cashier", ["TN1"])
    cashier = backend.login("thu")
    backend.add_staff("quantri", "admin")
    admin = backend.login("quantri")
    late = issue_self_pay(backend)
    backend.clock.advance(minutes=20)
    body = webhook_body(late["invoice"]["reference"], FEE, "FT26327000200",
                        transferred_at="2026-11-23T09:19:00+07:00")
    assert post_webhook(backend, body).get_json()["reason"] == "late"
    refund = cashier.post(f"/api/v1/invoices/{late['invoice']['id']}/refund",
                          json={"method": "manual", "reason": "Trả tiền mặt tại quầy"})
    assert refund.status_code == 200, refund.get_json()
    staff = f"staff:{member.id}"
    returned = [e for e in refund.get_json()["events"] if e["action"] == "payment_returned"]
    assert [e["actor"] for e in returned] == [staff]

    assert post_webhook(backend, webhook_body("chuyen tien kham", FEE, "FT26327000201")).get_json()["reason"] \
        == "unknown_reference"
    item = cashier.get("/api/v1/payments/reconciliation").get_json()["items"][0]
    done = cashier.post(f"/api/v1/payments/reconciliation/{item['id']}/resolve",
                        json={"action": "returned", "note": "Đã chuyển trả"})
    assert done.status_code == 200 and done.get_json()["resolved_by"] == staff

    now = backend.clock.now
    entries = admin.get("/api/v1/audit", query_string={"from": (now - timedelta(hours=2)).isoformat(),
                                                        "to": (now + timedelta(hours=1)).isoformat()}).get_json()
    by_action = {e["action"]: (e["actor"], e["actor_name"]) for e in entries["entries"]}
    assert by_action["invoice.refund"] == (staff, "thu")
    assert by_action["payments.reconciliation.resolve"] == (staff, "thu")
