"""Invoices on a visit and the only state changes money allows. Pure: no I/O, no framework.

    pending ──pay──────────▶ paid ──refund──▶ refunded
       │  │                    ▲
       │  └──window closes──▶ expired   (──▶ paid only for money that moved before the window closed,
       │                          │       by a cashier's explicit decision on the reconciliation list,
       │                          │       or cash / card taken at the counter)
       └──ticket cancelled──▶ void ◀┘   (nothing is owed any more; money that still comes is held)

An invoice sent "to the cashier" (the patient chose to pay at the desk, or the kiosk's deadline
passed and the hospital keeps the number) stays pending: its QR window no longer closes it.

`needs_refund` is a flag beside the status, not a status: money reached us that we could not
accept (after expiry, or a second payment of a paid invoice). The invoice keeps its status, the
cashier sees the flag and the reconciliation item that explains it, and the flag clears when that
item is resolved (refunded through the gateway, handed back, or applied by the cashier).

Expiry is evaluated lazily: a pending invoice whose window has closed *is* expired for every
reader, whether or not a sweep has written it down yet (see `as_of`).

Functions here return `Change`s (the columns to write and the event to record) and leave writing
them to the service, inside its transaction.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from .errors import DomainError
from .payments.invoice_view import InvoiceView

# The largest sum one VNPay payment can carry; a bigger hospital bill is split into several invoices.
MAX_INVOICE_VND = 999_999_999
DESCRIPTION_MAX_LEN = 200


class InvoiceStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    VOID = "void"  # its ticket was cancelled before it was paid


class InvoiceKind(StrEnum):
    EXAM_FEE = "exam_fee"  # the self-pay fee of the service, created with the ticket
    CHARGE = "charge"  # anything pushed later by a cashier or the HIS


class Provider(StrEnum):
    VNPAY = "vnpay"
    VIETQR = "vietqr"  # bank transfer to the hospital's account (NAPAS 247)
    MANUAL = "manual"  # settled or handed back by a cashier outside the gateways
    CASH = "cash"  # taken at the cashier's desk, with a printed receipt number
    CARD = "card"  # the cashier's card terminal, with its receipt number


COUNTER_METHODS = (Provider.CASH.value, Provider.CARD.value)
RECEIPT_NO_MAX_LEN = 32


class AttemptStatus(StrEnum):
    """One VNPay payment URL (one vnp_TxnRef) and what became of it."""

    PENDING = "pending"  # URL handed out, no final answer from VNPay yet
    PAID = "paid"  # the money settled this invoice
    FAILED = "failed"  # VNPay reported a final failure (cancelled, insufficient balance, ...)
    LATE = "late"  # paid, but the invoice was no longer open: the money must go back
    REFUNDED = "refunded"  # a late or settled payment that was handed back


class RefundReason(StrEnum):
    """Reconciliation reasons that mean money is held that belongs to the payer."""

    LATE = "late"
    ALREADY_PAID = "already_paid"
    VOID = "void"  # the ticket was cancelled: the invoice no longer asks for money


REFUND_REASONS = frozenset(r.value for r in RefundReason)


@dataclass(frozen=True)
class Invoice:
    id: str
    amount: int  # integer VND
    status: InvoiceStatus
    reference: str  # short code for the VietQR purpose and bank transfer matching
    created_at: datetime
    expires_at: datetime
    kind: InvoiceKind = InvoiceKind.EXAM_FEE
    description: str = ""
    visit_id: str | None = None
    ticket_id: str | None = None
    needs_refund: bool = False
    paid_at: datetime | None = None
    refunded_at: datetime | None = None
    provider: str | None = None
    device_id: str | None = None  # the kiosk that last asked to pay it, for realtime delivery
    due_before_call: bool = False
    created_by: str | None = None
    at_cashier: bool = False  # to be paid at the cashier's desk: its QR window does not close it
    receipt_no: str | None = None  # the receipt's number, once paid
    payment_ref: str | None = None  # the payment's own reference (bank transaction, VNPay number)


@dataclass(frozen=True)
class CashierDesk:
    """Whether patients may pay at the cashier, where it is, and what a kiosk does when its payment
    deadline passes (hospital.toml [payments] cashier, cashier_where_vi/en, on_timeout)."""

    allowed: bool = False
    where_vi: str = ""
    where_en: str = ""
    on_timeout: str = "cancel"  # "cashier": keep the number, pay at the desk; "cancel": drop it


ON_TIMEOUT = ("cashier", "cancel")


@dataclass(frozen=True)
class Receipt:
    number: str
    amount: int
    method: str
    reference: str
    paid_at: datetime


@dataclass(frozen=True)
class Change:
    """What one transition writes: the new column values and the history event."""

    action: str
    from_status: InvoiceStatus
    to_status: InvoiceStatus
    values: dict = field(default_factory=dict)

    def applied_to(self, invoice: Invoice) -> Invoice:
        return replace(invoice, **self.values)


def validate_amount(amount: object) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_INVOICE_VND:
        raise DomainError("PAYMENT_AMOUNT_INVALID", max_vnd=MAX_INVOICE_VND)
    return amount


def clean_description(text: str | None) -> str:
    cleaned = " ".join(unicodedata.normalize("NFC", text or "").split())
    if len(cleaned) > DESCRIPTION_MAX_LEN:
        raise DomainError("VALIDATION_ERROR", field="description")
    return cleaned


def expiry_for(created_at: datetime, ttl_min: int) -> datetime:
    if ttl_min <= 0:
        raise ValueError("invoice lifetime must be positive")
    return created_at + timedelta(minutes=ttl_min)


def is_overdue(invoice: Invoice, now: datetime) -> bool:
    return invoice.status is InvoiceStatus.PENDING and not invoice.at_cashier and now >= invoice.expires_at


def effective_status(invoice: Invoice, now: datetime) -> InvoiceStatus:
    return InvoiceStatus.EXPIRED if is_overdue(invoice, now) else invoice.status


def as_of(invoice: Invoice, now: datetime) -> Invoice:
    """The invoice as every reader must see it at `now` (lazy expiry)."""
    status = effective_status(invoice, now)
    return invoice if status is invoice.status else replace(invoice, status=status)


def expire(invoice: Invoice, now: datetime) -> Change | None:
    """The write that makes a lazily expired invoice expired in the database too."""
    if not is_overdue(invoice, now):
        return None
    return Change("expired", InvoiceStatus.PENDING, InvoiceStatus.EXPIRED, {"status": InvoiceStatus.EXPIRED})


def require_payable(invoice: Invoice, now: datetime) -> None:
    """Raise unless a patient may still start paying `invoice` (URL, QR)."""
    status = effective_status(invoice, now)
    if status is InvoiceStatus.PAID:
        raise DomainError("INVOICE_ALREADY_PAID")
    if status is InvoiceStatus.REFUNDED:
        raise DomainError("INVOICE_REFUNDED")
    if status is InvoiceStatus.EXPIRED:
        raise DomainError("INVOICE_EXPIRED")
    if status is InvoiceStatus.VOID:
        raise DomainError("INVOICE_VOID")


def accepts_money_at(invoice: Invoice, moment: datetime) -> bool:
    """Could `invoice` take a payment made at `moment`?

    Judged at the moment the money moved (VNPay's vnp_PayDate, the bank's transfer time), not when
    the callback reached us: a patient who paid at 14:59 of a window closing at 15:00 has paid on
    time even if the IPN arrives at 15:01, or after a sweep already wrote the invoice off. An invoice
    sent to the cashier is still owed: money for it is welcome however it comes. A void one is
    owed by nobody.
    """
    if invoice.status is InvoiceStatus.PENDING and invoice.at_cashier:
        return True
    return invoice.status in (InvoiceStatus.PENDING, InvoiceStatus.EXPIRED) and moment < invoice.expires_at


def pay(invoice: Invoice, now: datetime, provider: str, *, moment: datetime | None = None,
        accept_expired: bool = False, payment_ref: str | None = None, receipt_no: str | None = None) -> Change:
    """Settle `invoice` with money that moved at `moment` (default: now).

    accept_expired is a cashier's explicit decision to keep money that came after the window.
    The receipt's number is the cashier's printed one, or else the invoice's own reference (one
    payment settles an invoice once); `payment_ref` is the payment's reference at its provider.
    """
    if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED, InvoiceStatus.VOID):
        require_payable(invoice, now)
    if not (accepts_money_at(invoice, moment or now) or accept_expired):
        raise DomainError("INVOICE_EXPIRED")
    return Change(
        "paid", invoice.status, InvoiceStatus.PAID,
        {"status": InvoiceStatus.PAID, "paid_at": now, "provider": str(provider),
         "receipt_no": receipt_no or invoice.reference, "payment_ref": payment_ref},
    )


def clean_receipt_no(raw: object) -> str:
    """A receipt number as printed on the cashier's receipt book or card slip: 1–32 visible characters."""
    text = unicodedata.normalize("NFC", raw).strip() if isinstance(raw, str) else ""
    if not text or len(text) > RECEIPT_NO_MAX_LEN or not text.isprintable():
        raise DomainError("VALIDATION_ERROR", field="receipt_no")
    return text


def pay_at_counter(invoice: Invoice, now: datetime, method: str, receipt_no: object) -> Change:
    """Cash or card taken by a cashier face to face. There is no payment window at a desk: an
    invoice whose QR expired is still taken; a void, paid or refunded one is not."""
    if method not in COUNTER_METHODS:
        raise DomainError("VALIDATION_ERROR", field="method")
    number = clean_receipt_no(receipt_no)
    return pay(invoice, now, method, accept_expired=True, receipt_no=number, payment_ref=invoice.reference)


def void(invoice: Invoice, now: datetime) -> Change | None:
    """Its ticket was cancelled: an unpaid invoice asks for nothing any more (paid ones stay paid)."""
    if invoice.status not in (InvoiceStatus.PENDING, InvoiceStatus.EXPIRED):
        return None
    return Change("voided", invoice.status, InvoiceStatus.VOID, {"status": InvoiceStatus.VOID, "at_cashier": False})


def send_to_cashier(invoice: Invoice, now: datetime, desk: CashierDesk) -> Change | None:
    """The patient will pay at the desk: the invoice stays (or is again) pending, whatever its QR
    window says. None when it already is marked so."""
    if not desk.allowed:
        raise DomainError("CASHIER_NOT_OFFERED")
    if invoice.status not in (InvoiceStatus.PENDING, InvoiceStatus.EXPIRED):
        raise DomainError("INVOICE_NOT_PENDING")
    if invoice.at_cashier and invoice.status is InvoiceStatus.PENDING:
        return None
    return Change("at_cashier", invoice.status, InvoiceStatus.PENDING,
                  {"status": InvoiceStatus.PENDING, "at_cashier": True})


def receipt_of(invoice: Invoice) -> Receipt | None:
    """What a receipt says about a settled invoice (also after a refund: the money did come)."""
    if invoice.paid_at is None or invoice.status not in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED):
        return None
    return Receipt(number=invoice.receipt_no or invoice.reference, amount=invoice.amount,
                   method=invoice.provider or "", reference=invoice.payment_ref or invoice.reference,
                   paid_at=invoice.paid_at)


def flag_refund(invoice: Invoice, reason: RefundReason) -> Change:
    """Money arrived that the invoice cannot take; its status stays, the flag goes up."""
    action = {RefundReason.LATE: "late_payment", RefundReason.VOID: "void_payment"}.get(reason, "duplicate_payment")
    return Change(action, invoice.status, invoice.status, {"needs_refund": True})


def clear_refund_flag(invoice: Invoice, still_owed: bool) -> Change | None:
    """After a reconciliation item closes: the flag stays while other refunds are still owed."""
    if not invoice.needs_refund or still_owed:
        return None
    return Change("refund_settled", invoice.status, invoice.status, {"needs_refund": False})


def refund(invoice: Invoice, now: datetime) -> Change:
    if invoice.status is not InvoiceStatus.PAID:
        raise DomainError("PAYMENT_NOT_REFUNDABLE")
    return Change("refunded", InvoiceStatus.PAID, InvoiceStatus.REFUNDED,
                  {"status": InvoiceStatus.REFUNDED, "refunded_at": now})


def payment_view(invoice: Invoice, attempt_amount: int, attempt_settled: bool, moment: datetime) -> InvoiceView:
    """What classify_ipn needs for one VNPay attempt on `invoice`, for money that moved at `moment`.

    `expired` is true for any invoice that could not take that money (window closed, or already
    paid by another attempt or a bank transfer): such a payment is confirmed to VNPay but handed back.
    """
    return InvoiceView(attempt_amount, settled=attempt_settled, expired=not accepts_money_at(invoice, moment))


def transfer_view(invoice: Invoice, moment: datetime) -> InvoiceView:
    """What match_transfer needs for an invoice found by its reference."""
    settled = invoice.status in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED)
    return InvoiceView(invoice.amount, settled=settled, expired=not settled and not accepts_money_at(invoice, moment))


def refund_reason_for(invoice: Invoice) -> RefundReason:
    """Why money that arrived for an invoice that could not take it must go back."""
    if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED):
        return RefundReason.ALREADY_PAID
    if invoice.status is InvoiceStatus.VOID:
        return RefundReason.VOID
    return RefundReason.LATE


def payment_moment(reported: datetime | None, now: datetime) -> datetime:
    """When the money moved: the provider's signed timestamp, but never later than our own clock."""
    return min(reported, now) if reported is not None else now


def txn_ref_for(reference: str, attempt_number: int) -> str:
    """vnp_TxnRef of the n-th VNPay attempt: the reference keeps it traceable by the cashier."""
    if attempt_number < 1:
        raise ValueError("attempt numbers start at 1")
    return f"{reference}-{attempt_number}"
