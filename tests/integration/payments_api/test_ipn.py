"""VNPay IPN over the REST API: VNPay's answer codes in VNPay's order, on SQLite and PostgreSQL."""
import logging

import pytest
from sqlalchemy import text

from tests.integration.payments_api.conftest import (
    FEE,
    VNPAY_SECRET,
    db_count,
    ipn_query,
    issue_self_pay,
    payment_url_params,
    start_vnpay,
)

IPN = "/api/v1/payments/vnpay/ipn?"


def open_payment(backend):
    ticket = issue_self_pay(backend)
    start = start_vnpay(backend, ticket["invoice"]["id"])
    return ticket, start


def ipn(backend, query):
    r = backend.client().get(IPN + query)
    assert r.status_code == 200  # VNPay reads the JSON body, never the HTTP status
    return r.get_json()


def invoice_of(backend, ticket):
    r = backend.client().get(f"/api/v1/invoices/{ticket['invoice']['id']}?token={ticket['track_token']}")
    assert r.status_code == 200
    return r.get_json()


def test_ipn_answer_codes_in_vnpay_order_and_a_replay_credits_nothing(backend):
    ticket, start = open_payment(backend)
    ref = start["txn_ref"]
    at = backend.clock.now

    forged = ipn_query(ref, FEE, pay_date=at, secret="NOT-THE-SECRET-0123456789ABCDEF")
    assert ipn(backend, forged) == {"RspCode": "97", "Message": "Invalid signature"}
    tampered = ipn_query(ref, FEE, pay_date=at).replace("vnp_Amount=3900000", "vnp_Amount=100")
    assert ipn(backend, tampered)["RspCode"] == "97"
    # Signature is checked first: a forged IPN for an unknown order is still 97, not 01.
    assert ipn(backend, ipn_query("TDUNKNOWN9-1", FEE, secret="x" * 32))["RspCode"] == "97"

    assert ipn(backend, ipn_query("TDUNKNOWN9-1", FEE, pay_date=at)) == {"RspCode": "01", "Message": "Order not found"}
    assert ipn(backend, ipn_query(ref, FEE + 1000, pay_date=at)) == {"RspCode": "04", "Message": "Invalid amount"}
    assert invoice_of(backend, ticket)["status"] == "pending"

    assert ipn(backend, ipn_query(ref, FEE, pay_date=at)) == {"RspCode": "00", "Message": "Confirm Success"}
    assert ipn(backend, ipn_query(ref, FEE, pay_date=at)) == {"RspCode": "02", "Message": "Order already confirmed"}
    # Amount is checked before "already confirmed", as VNPay specifies.
    assert ipn(backend, ipn_query(ref, FEE + 1, pay_date=at))["RspCode"] == "04"

    invoice = invoice_of(backend, ticket)
    assert invoice["status"] == "paid" and invoice["provider"] == "vnpay" and invoice["amount"] == FEE
    assert invoice["paid_at"].endswith("+07:00")
    assert [a["status"] for a in invoice["attempts"]] == ["paid"]
    assert db_count(backend.url, "SELECT COUNT(*) FROM invoice_events WHERE action = 'paid'") == 1
    followed = backend.client().get(f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}").get_json()
    assert followed["paid"] is True and followed["invoice"]["status"] == "paid"
    published = [body for kind, body in backend.publisher.events if kind == "invoice"]
    assert len(published) == 1 and published[0]["status"] == "paid" and published[0]["ticket_id"] == ticket["id"]


@pytest.mark.parametrize("code", ["24", "51"])
def test_failed_payment_is_confirmed_but_not_paid_and_a_new_attempt_can_pay(backend, code):
    ticket, start = open_payment(backend)
    at = backend.clock.now
    failed = ipn_query(start["txn_ref"], FEE, response_code=code, transaction_status="02", pay_date=at)
    assert ipn(backend, failed) == {"RspCode": "00", "Message": "Confirm Success"}
    assert ipn(backend, failed)["RspCode"] == "02"  # recorded once: VNPay stops retrying

    invoice = invoice_of(backend, ticket)
    assert invoice["status"] == "pending"
    assert invoice["attempts"][0]["status"] == "failed" and invoice["attempts"][0]["response_code"] == code
    assert invoice["attempts"][0]["message_vi"] and invoice["attempts"][0]["message_en"]
    kiosk_event = [body for kind, body in backend.publisher.events if kind == "invoice"][-1]
    assert kiosk_event["status"] == "pending" and kiosk_event["attempt"]["status"] == "failed"

    retry = start_vnpay(backend, ticket["invoice"]["id"])
    assert retry["txn_ref"] != start["txn_ref"]
    assert ipn(backend, ipn_query(retry["txn_ref"], FEE, pay_date=at))["RspCode"] == "00"
    assert invoice_of(backend, ticket)["status"] == "paid"


def test_success_code_with_a_failed_transaction_status_is_not_paid(backend):
    ticket, start = open_payment(backend)
    query = ipn_query(start["txn_ref"], FEE, response_code="00", transaction_status="02", pay_date=backend.clock.now)
    assert ipn(backend, query)["RspCode"] == "00"
    assert invoice_of(backend, ticket)["status"] == "pending"


def test_payment_url_is_signed_and_reused_while_open(backend):
    from backend.adapters.payments.vnpay.signing import verify_signature

    ticket = issue_self_pay(backend)
    first = start_vnpay(backend, ticket["invoice"]["id"])
    again = start_vnpay(backend, ticket["invoice"]["id"])
    assert again["payment_url"] == first["payment_url"] and again["qr_payload"] == first["payment_url"]
    params = payment_url_params(first["payment_url"])
    assert verify_signature(params, VNPAY_SECRET)
    assert params["vnp_Amount"] == str(FEE * 100) and params["vnp_BankCode"] == "VNPAYQR"
    assert params["vnp_CreateDate"] == "20261123090000" and params["vnp_ExpireDate"] == "20261123091500"
    assert params["vnp_TxnRef"] == first["txn_ref"] and params["vnp_OrderInfo"].isascii()
    other = start_vnpay(backend, ticket["invoice"]["id"], bank_code="VNBANK", locale="en")
    assert other["txn_ref"] != first["txn_ref"]


def test_ipn_logs_carry_no_signature_secret_or_query(backend, caplog):
    _, start = open_payment(backend)
    query = ipn_query(start["txn_ref"], FEE, pay_date=backend.clock.now)
    signature = query.rsplit("vnp_SecureHash=", 1)[1]
    with caplog.at_level(logging.DEBUG):
        ipn(backend, query)
        ipn(backend, query.replace(signature, "0" * len(signature)))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "rsp=00" in logged and "rsp=97" in logged
    for secret in (signature, VNPAY_SECRET, "vnp_SecureHash", "vnp_Amount", str(FEE * 100)):
        assert secret not in logged


def test_unexpected_database_error_answers_99_records_nothing_and_the_retry_succeeds(sqlite_backend):
    backend = sqlite_backend
    ticket, start = open_payment(backend)
    query = ipn_query(start["txn_ref"], FEE, pay_date=backend.clock.now)
    with backend.deps.uow.write() as uow:
        uow.conn.execute(text("CREATE TRIGGER refuse BEFORE UPDATE ON payment_attempts "
                              "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"))
        uow.commit()
    assert ipn(backend, query) == {"RspCode": "99", "Message": "Unknown error"}
    assert invoice_of(backend, ticket)["status"] == "pending"
    with backend.deps.uow.write() as uow:
        uow.conn.execute(text("DROP TRIGGER refuse"))
        uow.commit()
    assert ipn(backend, query)["RspCode"] == "00"  # VNPay's retry
    assert invoice_of(backend, ticket)["status"] == "paid"
