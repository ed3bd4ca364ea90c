"""Invoices over the REST API: the ticket's fee, who may see and pay it, staff charges, QR images,
the queue holding unpaid tickets, and the published contract."""
from openapi_spec_validator import validate

from tests.integration.payments_api.conftest import (
    FEE,
    issue_self_pay,
    post_webhook,
    start_vnpay,
    webhook_body,
)


def test_self_pay_ticket_is_issued_unpaid_with_its_invoice_and_bhyt_has_none(sqlite_backend):
    b = sqlite_backend
    ticket = issue_self_pay(b)
    assert ticket["paid"] is False and ticket["payment_required"] is True
    inv = ticket["invoice"]
    assert inv["status"] == "pending" and inv["amount"] == FEE and inv["currency"] == "VND"
    assert inv["due_before_call"] is True and inv["kind"] == "exam_fee" and inv["reference"].startswith("TD")
    assert inv["expires_at"] == "2026-11-23T09:15:00+07:00"
    # A service without payment_before_call: unpaid, but not held from the call.
    later = issue_self_pay(b, "KHAM-MAT")
    assert later["paid"] is False and later["payment_required"] is False
    assert later["invoice"]["due_before_call"] is False
    free = issue_self_pay(b, "TD-DV")  # fee 0: nothing to pay
    assert free["invoice"] is None and free["paid"] is True


def test_call_next_skips_an_unpaid_ticket_until_its_invoice_is_paid(sqlite_backend):
    b = sqlite_backend
    b.add_staff("bs", "room", ["P101"])
    room = b.login("bs")
    ticket = issue_self_pay(b)
    assert room.post("/api/v1/service-points/P101/call-next").status_code == 204
    raw = webhook_body(ticket["invoice"]["reference"], FEE, "FT26327000200")
    assert post_webhook(b, raw).get_json()["decision"] == "settle"
    called = room.post("/api/v1/service-points/P101/call-next")
    assert called.status_code == 200 and called.get_json()["id"] == ticket["id"]
    assert ("paid", ticket["id"]) in [(k, getattr(v, "id", None)) for k, v in b.publisher.events]


def test_who_may_read_and_pay_an_invoice(sqlite_backend):
    b = sqlite_backend
    ticket = issue_self_pay(b)
    other = issue_self_pay(b)
    url = f"/api/v1/invoices/{ticket['invoice']['id']}"
    c = b.client()
    assert c.get(f"{url}?token={ticket['track_token']}").status_code == 200
    # Another ticket's token proves nothing about this invoice: same answer as a missing one.
    wrong = c.get(f"{url}?token={other['track_token']}")
    assert wrong.status_code == 404 and wrong.get_json()["code"] == "INVOICE_NOT_FOUND"
    assert c.get(url).status_code == 401
    assert c.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    kiosk = c.get(url, headers=b.kiosk_headers()).get_json()
    assert "events" not in kiosk and kiosk["ticket_id"] == ticket["id"]
    b.add_staff("hoa", "reception")
    staff = b.login("hoa").get(url).get_json()
    assert [e["action"] for e in staff["events"]] == ["created"]
    phone = c.post(f"{url}/vnpay?token={ticket['track_token']}", json={"locale": "en"})
    assert phone.status_code == 200 and "vnp_Locale=en" in phone.get_json()["payment_url"]
    bad = c.post(f"{url}/vnpay", json={"bank_code": "BITCOIN"}, headers=b.kiosk_headers())
    assert bad.status_code == 422 and bad.get_json()["code"] == "VALIDATION_ERROR"


def test_cashier_pushes_a_charge_on_the_visit_and_the_phone_can_pay_it(sqlite_backend):
    b = sqlite_backend
    ticket = issue_self_pay(b)
    b.add_staff("thu", "cashier", ["TN1"])
    b.add_staff("hoa", "reception")
    cashier = b.login("thu")
    body = {"ticket_id": ticket["id"], "amount": 120_000, "description": "Xét nghiệm  công thức máu"}
    assert b.login("hoa").post("/api/v1/invoices", json=body).status_code == 403
    assert cashier.post("/api/v1/invoices", json={**body, "amount": 120000.5}).status_code == 422
    assert cashier.post("/api/v1/invoices", json={**body, "amount": 0}).status_code == 422
    r = cashier.post("/api/v1/invoices", json=body)
    assert r.status_code == 201
    charge = r.get_json()
    assert charge["kind"] == "charge" and charge["amount"] == 120_000 and charge["visit_id"] == ticket["visit_id"]
    assert charge["description"] == "Xét nghiệm công thức máu" and charge["due_before_call"] is False
    seen = b.client().get(f"/api/v1/invoices/{charge['id']}?token={ticket['track_token']}")
    assert seen.status_code == 200 and seen.get_json()["status"] == "pending"
    missing = cashier.post("/api/v1/invoices", json={**body, "ticket_id": "nope"})
    assert missing.status_code == 404 and missing.get_json()["code"] == "TICKET_NOT_FOUND"


def test_qr_images_for_screens(sqlite_backend):
    b = sqlite_backend
    ticket = issue_self_pay(b)
    url = f"/api/v1/invoices/{ticket['invoice']['id']}"
    png = b.client().get(f"{url}/qr.png?provider=vietqr&token={ticket['track_token']}")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.headers["Cache-Control"] == "no-store"
    not_started = b.client().get(f"{url}/qr.svg?provider=vnpay", headers=b.kiosk_headers())
    assert not_started.status_code == 409 and not_started.get_json()["code"] == "PAYMENT_NOT_STARTED"
    start_vnpay(b, ticket["invoice"]["id"])
    svg = b.client().get(f"{url}/qr.svg?provider=vnpay", headers=b.kiosk_headers())
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_problem_titles_follow_accept_language(sqlite_backend):
    b = sqlite_backend
    missing = "/api/v1/invoices/nope?token=x"
    vi = b.client().get(missing).get_json()
    en = b.client().get(missing, headers={"Accept-Language": "en"}).get_json()
    assert vi["code"] == en["code"] == "INVOICE_NOT_FOUND"
    assert vi["title"] == "Không tìm thấy hoá đơn" and en["title"] == "Invoice not found"


def test_openapi_documents_every_payment_route(sqlite_backend):
    spec = sqlite_backend.client().get("/api/v1/openapi.json").get_json()
    validate(spec)
    for method, path in [
        ("post", "/api/v1/invoices"), ("get", "/api/v1/invoices/{invoice_id}"),
        ("post", "/api/v1/invoices/{invoice_id}/vnpay"), ("post", "/api/v1/invoices/{invoice_id}/vietqr"),
        ("get", "/api/v1/invoices/{invoice_id}/qr.png"), ("get", "/api/v1/invoices/{invoice_id}/qr.svg"),
        ("post", "/api/v1/invoices/{invoice_id}/refund"), ("get", "/api/v1/payments/vnpay/ipn"),
        ("get", "/api/v1/payments/vnpay/return"), ("post", "/api/v1/payments/bank-webhook"),
        ("get", "/api/v1/payments/reconciliation"),
        ("post", "/api/v1/payments/reconciliation/{item_id}/resolve"),
    ]:
        operation = spec["paths"][path][method]
        assert "200" in operation["responses"] or "201" in operation["responses"], (method, path)
    schemas = spec["components"]["schemas"]
    for name, fields in [("Invoice", ["status", "needs_refund", "amount", "paid_at", "provider"]),
                         ("VnpayPayment", ["payment_url", "qr_payload", "expires_at"]),
                         ("VietQr", ["qr_payload", "bank_bin", "account", "amount", "reference", "expires_at"])]:
        assert set(fields) <= set(schemas[name]["properties"]), name
    png = spec["paths"]["/api/v1/invoices/{invoice_id}/qr.png"]["get"]["responses"]["200"]
    assert "image/png" in png["content"]


def test_the_ticket_is_paid_only_when_nothing_payable_is_left_on_it(sqlite_backend):
    b = sqlite_backend
    b.add_staff("thu", "cashier", ["TN1"])
    cashier = b.login("thu")
    ticket = issue_self_pay(b)
    charge = cashier.post("/api/v1/invoices", json={"ticket_id": ticket["id"], "amount": 50_000,
                                                    "description": "Siêu âm"}).get_json()
    follow = f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}"
    assert post_webhook(b, webhook_body(charge["reference"], 50_000, "FT26327000300")).get_json()["decision"] == "settle"
    assert b.client().get(follow).get_json()["paid"] is False  # the exam fee is still open
    assert post_webhook(b, webhook_body(ticket["invoice"]["reference"], FEE, "FT26327000301")).status_code == 200
    assert b.client().get(follow).get_json()["paid"] is True

    # An expired fee replaced by the cashier's charge: paying the replacement releases the ticket.
    late = issue_self_pay(b)
    b.clock.advance(minutes=20)
    replacement = cashier.post("/api/v1/invoices", json={"ticket_id": late["id"], "amount": FEE,
                                                         "description": "Phí khám (thu lại)"}).get_json()
    assert post_webhook(b, webhook_body(replacement["reference"], FEE, "FT26327000302",
                                        transferred_at="2026-11-23T09:21:00+07:00")).get_json()["decision"] == "settle"
    assert b.client().get(f"/api/v1/tickets/{late['id']}?token={late['track_token']}").get_json()["paid"] is True

