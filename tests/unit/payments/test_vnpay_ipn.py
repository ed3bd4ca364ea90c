from datetime import datetime, timezone

import pytest

from backend.domain.payments.invoice_view import InvoiceView
from backend.adapters.payments.vnpay import classify_ipn, sign_params, unknown_error_outcome

SECRET = "IPNSECRET-0123456789abcdefghijkl"
REF = "KIOSK20250115093000001"


def ipn(secret=SECRET, **overrides):
    params = {
        "vnp_Amount": "15000000",
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14422574",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan vien phi HS 123456",
        "vnp_PayDate": "20250115093512",
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": "DEMO0001",
        "vnp_TransactionNo": "14422574",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": REF,
    }
    params.update(overrides)
    params["vnp_SecureHash"] = sign_params(params, secret)
    return params


OPEN = InvoiceView(amount=150_000, settled=False)


class Invoices:
    """An in-memory lookup that remembers whether it was consulted."""

    def __init__(self, views):
        self.views = views
        self.looked_up = []

    def __call__(self, txn_ref):
        self.looked_up.append(txn_ref)
        return self.views.get(txn_ref)


def test_success_is_confirmed_and_paid_with_gateway_facts():
    outcome = classify_ipn(ipn(), SECRET, Invoices({REF: OPEN}))
    assert outcome.response_body() == {"RspCode": "00", "Message": "Confirm Success"}
    assert outcome.paid is True and outcome.should_record and not outcome.needs_refund
    assert outcome.reason == "paid"
    assert outcome.txn_ref == REF and outcome.amount == 150_000
    assert outcome.transaction_no == "14422574" and outcome.bank_code == "NCB"
    assert outcome.pay_date == datetime(2025, 1, 15, 2, 35, 12, tzinfo=timezone.utc)


def test_wrong_signature_is_97_and_never_touches_the_invoices():
    invoices = Invoices({REF: OPEN})
    outcome = classify_ipn(ipn(secret="someone-else"), SECRET, invoices)
    assert outcome.response_body() == {"RspCode": "97", "Message": "Invalid signature"}
    assert outcome.paid is None and not outcome.should_record
    assert invoices.looked_up == []


def test_tampered_amount_is_97_not_04():
    params = ipn()
    params["vnp_Amount"] = "100"
    assert classify_ipn(params, SECRET, Invoices({REF: OPEN})).rsp_code == "97"


def test_unknown_order_is_01():
    outcome = classify_ipn(ipn(vnp_TxnRef="NOPE"), SECRET, Invoices({REF: OPEN}))
    assert outcome.response_body() == {"RspCode": "01", "Message": "Order not found"}
    assert outcome.paid is None


def test_wrong_amount_is_04():
    outcome = classify_ipn(ipn(vnp_Amount="14999900"), SECRET, Invoices({REF: OPEN}))
    assert outcome.response_body() == {"RspCode": "04", "Message": "Invalid amount"}
    assert outcome.paid is None


def test_fractional_vnd_amount_is_04():
    assert classify_ipn(ipn(vnp_Amount="15000050"), SECRET, Invoices({REF: OPEN})).rsp_code == "04"


def test_already_settled_is_02_so_replays_never_double_credit():
    settled = InvoiceView(amount=150_000, settled=True)
    outcome = classify_ipn(ipn(), SECRET, Invoices({REF: settled}))
    assert outcome.response_body() == {"RspCode": "02", "Message": "Order already confirmed"}
    assert outcome.paid is None and not outcome.should_record


def test_checks_run_in_spec_order():
    # amount wrong AND already settled -> amount wins (04 before 02)
    settled = InvoiceView(amount=150_000, settled=True)
    assert classify_ipn(ipn(vnp_Amount="100"), SECRET, Invoices({REF: settled})).rsp_code == "04"
    # bad signature AND unknown -> 97
    assert classify_ipn(ipn(secret="x", vnp_TxnRef="NOPE"), SECRET, Invoices({})).rsp_code == "97"


@pytest.mark.parametrize("code", ["24", "51", "11", "99"])
def test_failed_payment_is_confirmed_but_not_paid(code):
    outcome = classify_ipn(
        ipn(vnp_ResponseCode=code, vnp_TransactionStatus="02", vnp_TransactionNo="0"),
        SECRET,
        Invoices({REF: OPEN}),
    )
    assert outcome.response_body() == {"RspCode": "00", "Message": "Confirm Success"}
    assert outcome.paid is False and outcome.should_record
    assert outcome.reason == "payment_failed" and outcome.response_code == code


def test_response_00_with_failed_transaction_status_is_not_paid():
    outcome = classify_ipn(ipn(vnp_TransactionStatus="02"), SECRET, Invoices({REF: OPEN}))
    assert outcome.rsp_code == "00" and outcome.paid is False


def test_late_payment_after_expiry_is_confirmed_and_flagged_for_refund():
    expired = InvoiceView(amount=150_000, settled=False, expired=True)
    outcome = classify_ipn(ipn(), SECRET, Invoices({REF: expired}))
    assert outcome.rsp_code == "00"
    assert outcome.paid is True and outcome.needs_refund is True
    assert outcome.reason == "paid_after_expiry"


def test_failed_attempt_after_expiry_needs_no_refund():
    expired = InvoiceView(amount=150_000, settled=False, expired=True)
    outcome = classify_ipn(ipn(vnp_ResponseCode="24", vnp_TransactionStatus="02"), SECRET, expired)
    assert outcome.paid is False and outcome.needs_refund is False


def test_invoice_may_be_passed_directly():
    assert classify_ipn(ipn(), SECRET, OPEN).paid is True
    assert classify_ipn(ipn(), SECRET, None).rsp_code == "01"


def test_bad_pay_date_does_not_block_confirmation():
    outcome = classify_ipn(ipn(vnp_PayDate="2025-01-15"), SECRET, OPEN)
    assert outcome.rsp_code == "00" and outcome.pay_date is None


def test_unknown_error_answer():
    assert unknown_error_outcome(REF).response_body() == {"RspCode": "99", "Message": "Unknown error"}
    assert unknown_error_outcome().paid is None

