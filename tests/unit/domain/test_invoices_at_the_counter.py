"""Issue 17: the money rules at the cashier's desk, pure (domain.invoices)."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from backend.domain import invoices as rules
from backend.domain.errors import DomainError
from backend.domain.invoices import CashierDesk, Invoice, InvoiceStatus, RefundReason

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
DESK = CashierDesk(True, "Quầy thu ngân số 3, Sảnh A", "Cashier desk 3, Hall A", "cashier")


def invoice(**kw) -> Invoice:
    base = Invoice(id="i1", amount=39_000, status=InvoiceStatus.PENDING, reference="TD7K3M9QX2",
                   created_at=NOW, expires_at=NOW + timedelta(minutes=15), ticket_id="t1")
    return replace(base, **kw)


def code(fn, *args, **kw) -> str:
    with pytest.raises(DomainError) as caught:
        fn(*args, **kw)
    return caught.value.code


@pytest.mark.parametrize("status", [InvoiceStatus.PENDING, InvoiceStatus.EXPIRED])
def test_an_unpaid_invoice_is_voided_and_then_takes_no_money(status):
    change = rules.void(invoice(status=status), NOW)
    assert change.action == "voided" and change.to_status is InvoiceStatus.VOID
    void = change.applied_to(invoice(status=status))
    assert code(rules.require_payable, void, NOW) == "INVOICE_VOID"
    assert not rules.accepts_money_at(void, NOW)
    assert code(rules.pay, void, NOW, "vietqr", accept_expired=True) == "INVOICE_VOID"
    assert rules.refund_reason_for(void) is RefundReason.VOID
    assert rules.flag_refund(void, RefundReason.VOID).action == "void_payment"
    assert rules.transfer_view(void, NOW).expired


@pytest.mark.parametrize("status", [InvoiceStatus.PAID, InvoiceStatus.REFUNDED, InvoiceStatus.VOID])
def test_paid_refunded_or_void_invoices_are_not_voided(status):
    assert rules.void(invoice(status=status), NOW) is None


def test_sent_to_the_cashier_an_invoice_no_longer_expires_and_still_takes_money():
    change = rules.send_to_cashier(invoice(), NOW, DESK)
    sent = change.applied_to(invoice())
    later = NOW + timedelta(hours=3)
    assert sent.at_cashier and rules.as_of(sent, later).status is InvoiceStatus.PENDING
    assert rules.expire(sent, later) is None and rules.accepts_money_at(sent, later)
    assert rules.send_to_cashier(sent, later, DESK) is None  # asking twice changes nothing
    # An invoice whose QR window already closed may be sent to the desk too: it is pending again.
    revived = rules.send_to_cashier(invoice(status=InvoiceStatus.EXPIRED), later, DESK)
    assert revived.values == {"status": InvoiceStatus.PENDING, "at_cashier": True}


def test_sending_to_the_cashier_is_refused_without_a_desk_or_when_nothing_is_owed():
    assert code(rules.send_to_cashier, invoice(), NOW, CashierDesk()) == "CASHIER_NOT_OFFERED"
    for status in (InvoiceStatus.PAID, InvoiceStatus.REFUNDED, InvoiceStatus.VOID):
        assert code(rules.send_to_cashier, invoice(status=status), NOW, DESK) == "INVOICE_NOT_PENDING"


def test_cash_and_card_take_the_receipt_number_and_ignore_the_qr_window():
    expired = invoice(status=InvoiceStatus.EXPIRED)
    change = rules.pay_at_counter(expired, NOW + timedelta(hours=1), "card", "  POS-7781 ")
    paid = change.applied_to(expired)
    assert paid.status is InvoiceStatus.PAID and paid.provider == "card"
    receipt = rules.receipt_of(paid)
    assert (receipt.number, receipt.method, receipt.reference, receipt.amount) == (
        "POS-7781", "card", "TD7K3M9QX2", 39_000)
    assert code(rules.pay_at_counter, paid, NOW, "cash", "BL-1") == "INVOICE_ALREADY_PAID"
    assert code(rules.pay_at_counter, invoice(status=InvoiceStatus.VOID), NOW, "cash", "BL-1") == "INVOICE_VOID"


@pytest.mark.parametrize("method, receipt_no", [
    ("cheque", "BL-1"), ("vnpay", "BL-1"), ("cash", ""), ("cash", "   "), ("cash", None), ("cash", 123),
    ("cash", "x" * 33), ("cash", "BL\t1"),
])
def test_bad_counter_payments_are_refused(method, receipt_no):
    assert code(rules.pay_at_counter, invoice(), NOW, method, receipt_no) == "VALIDATION_ERROR"


def test_an_electronic_payment_gets_the_reference_as_its_receipt_number():
    paid = rules.pay(invoice(), NOW, "vietqr", payment_ref="FT26327ABCDEF1234").applied_to(invoice())
    receipt = rules.receipt_of(paid)
    assert (receipt.number, receipt.reference, receipt.paid_at) == ("TD7K3M9QX2", "FT26327ABCDEF1234", NOW)
    assert rules.receipt_of(invoice()) is None
    old = invoice(status=InvoiceStatus.PAID, paid_at=NOW, provider="vnpay")  # paid before migration 0009
    assert rules.receipt_of(old).number == rules.receipt_of(old).reference == "TD7K3M9QX2"
