"""Deciding what to answer VNPay's IPN and what, if anything, to record.

The checks run in the order VNPay prescribes (signature, order, amount, already confirmed) so that
our RspCode tells VNPay whether to retry: it retries everything except 00 and 02, which is why a
replay of an IPN we already recorded answers 02 and changes nothing.

Typical use inside the lead's IPN route, in one database transaction:

    outcome = classify_ipn(request.args, secret, lambda ref: invoices.view_for_update(ref))
    if outcome.should_record:
        invoices.record_vnpay_result(outcome)        # paid / failed / needs_refund
    return outcome.response_body()
    # on any exception: roll back and return unknown_error_outcome().response_body()
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from backend.domain.payments.invoice_view import InvoiceView
from backend.adapters.payments.vnpay.signing import (
    VnpayFormatError,
    from_vnp_amount,
    parse_vnp_datetime,
    verify_signature,
)

RSP_CONFIRM_SUCCESS = "00"
RSP_ORDER_NOT_FOUND = "01"
RSP_ALREADY_CONFIRMED = "02"
RSP_INVALID_AMOUNT = "04"
RSP_INVALID_SIGNATURE = "97"
RSP_UNKNOWN_ERROR = "99"

IPN_MESSAGES = {
    RSP_CONFIRM_SUCCESS: "Confirm Success",
    RSP_ORDER_NOT_FOUND: "Order not found",
    RSP_ALREADY_CONFIRMED: "Order already confirmed",
    RSP_INVALID_AMOUNT: "Invalid amount",
    RSP_INVALID_SIGNATURE: "Invalid signature",
    RSP_UNKNOWN_ERROR: "Unknown error",
}

# Answers after which VNPay stops retrying.
FINAL_RSP_CODES = frozenset({RSP_CONFIRM_SUCCESS, RSP_ALREADY_CONFIRMED})

InvoiceLookup = Callable[[str], "InvoiceView | None"]


@dataclass(frozen=True)
class IpnOutcome:
    """What to answer VNPay and what to record.

    paid:          None = record nothing; True = the money moved (vnp_ResponseCode and
                   vnp_TransactionStatus both "00"); False = the attempt failed.
    needs_refund:  paid, but after the invoice expired: confirmed to VNPay (the money is real), so
                   record the payment as received yet leave the invoice unpaid and put it on the
                   cashier's refund/reconciliation list.
    reason:        stable snake_case code for logs and metrics; carries no secret or full query.
    """

    rsp_code: str
    reason: str
    txn_ref: str | None = None
    paid: bool | None = None
    needs_refund: bool = False
    amount: int | None = None
    transaction_no: str | None = None
    bank_code: str | None = None
    bank_tran_no: str | None = None
    card_type: str | None = None
    pay_date: datetime | None = None
    response_code: str | None = None
    transaction_status: str | None = None

    @property
    def message(self) -> str:
        return IPN_MESSAGES[self.rsp_code]

    @property
    def should_record(self) -> bool:
        return self.paid is not None

    def response_body(self) -> dict[str, str]:
        return {"RspCode": self.rsp_code, "Message": self.message}


def unknown_error_outcome(txn_ref: str | None = None) -> IpnOutcome:
    """The 99 answer for an unexpected exception: VNPay will retry, so nothing may have been recorded."""
    return IpnOutcome(RSP_UNKNOWN_ERROR, "unexpected_error", txn_ref=txn_ref)


def _text(params: Mapping[str, object], key: str) -> str | None:
    value = params.get(key)
    return value if isinstance(value, str) and value != "" else None


def classify_ipn(
    params: Mapping[str, object],
    secret: str,
    invoice: InvoiceView | None | InvoiceLookup,
) -> IpnOutcome:
    """Classify one IPN query (the vnp_* GET parameters as received).

    `invoice` is either the InvoiceView already loaded for vnp_TxnRef (None if there is none), or a
    function txn_ref -> InvoiceView | None, which is only called once the signature is good so that
    forged requests never reach the database.
    """
    txn_ref = _text(params, "vnp_TxnRef")
    if not verify_signature(params, secret):
        return IpnOutcome(RSP_INVALID_SIGNATURE, "bad_signature")
    if txn_ref is None:
        return IpnOutcome(RSP_ORDER_NOT_FOUND, "missing_txn_ref")
    view = invoice(txn_ref) if callable(invoice) else invoice
    if view is None:
        return IpnOutcome(RSP_ORDER_NOT_FOUND, "unknown_txn_ref", txn_ref=txn_ref)
    try:
        amount = from_vnp_amount(params.get("vnp_Amount"))
    except VnpayFormatError:
        return IpnOutcome(RSP_INVALID_AMOUNT, "unreadable_amount", txn_ref=txn_ref)
    if amount != view.amount:
        return IpnOutcome(RSP_INVALID_AMOUNT, "amount_mismatch", txn_ref=txn_ref, amount=amount)
    if view.settled:
        return IpnOutcome(RSP_ALREADY_CONFIRMED, "already_settled", txn_ref=txn_ref, amount=amount)

    response_code = _text(params, "vnp_ResponseCode")
    transaction_status = _text(params, "vnp_TransactionStatus")
    paid = response_code == "00" and transaction_status == "00"
    late = paid and view.expired
    try:
        pay_date = parse_vnp_datetime(params.get("vnp_PayDate")) if params.get("vnp_PayDate") else None
    except VnpayFormatError:
        # Display-only field: a bad date must not make VNPay retry a payment that is settled.
        pay_date = None
    if late:
        reason = "paid_after_expiry"
    elif paid:
        reason = "paid"
    else:
        reason = "payment_failed"
    return IpnOutcome(
        RSP_CONFIRM_SUCCESS,
        reason,
        txn_ref=txn_ref,
        paid=paid,
        needs_refund=late,
        amount=amount,
        transaction_no=_text(params, "vnp_TransactionNo"),
        bank_code=_text(params, "vnp_BankCode"),
        bank_tran_no=_text(params, "vnp_BankTranNo"),
        card_type=_text(params, "vnp_CardType"),
        pay_date=pay_date,
        response_code=response_code,
        transaction_status=transaction_status,
    )
