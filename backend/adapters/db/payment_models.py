"""Tables for cashless payment: invoices with their full history, VNPay attempts, bank transfers and
the cashier's reconciliation list. Money columns are integer VND (BigInteger: no float ever)."""
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base
from .types import UtcDateTime


class InvoiceRow(Base):
    __tablename__ = "invoices"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"), nullable=True)
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(200), default="")
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    needs_refund: Mapped[bool] = mapped_column(Boolean, default=False)
    # The code patients carry in a bank transfer; unique so a transfer can never match two invoices.
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(16), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    due_before_call: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # To be paid at the cashier's desk: the QR window no longer closes it (migration 0009_h17b).
    at_cashier: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    receipt_no: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the receipt's number
    payment_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)  # bank txn, VNPay number
    __table_args__ = (
        # (ticket_id, status, expires_at), not ticket_id alone: "does this ticket have another
        # open invoice" must not walk the whole day's open invoices (see migration 0006).
        Index("ix_invoice_ticket_open", "ticket_id", "status", "expires_at"),
        Index("ix_invoice_visit", "visit_id"),
        Index("ix_invoice_status_expiry", "status", "expires_at"),
    )


class InvoiceEventRow(Base):
    __tablename__ = "invoice_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    provider: Mapped[str | None] = mapped_column(String(16), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON; never secrets or signatures
    __table_args__ = (
        Index("ix_invoice_events_invoice", "invoice_id", "id"),
        # The last line of defence against a double credit: whatever path settles an invoice,
        # the database accepts only one "paid" event for it.
        Index(
            "uq_invoice_paid_once",
            "invoice_id",
            unique=True,
            sqlite_where=text("action = 'paid'"),
            postgresql_where=text("action = 'paid'"),
        ),
    )


class PaymentAttemptRow(Base):
    """One VNPay payment URL. txn_ref is vnp_TxnRef; created_at is the vnp_CreateDate that querydr
    and refund must quote back as vnp_TransactionDate."""

    __tablename__ = "payment_attempts"
    txn_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"))
    provider: Mapped[str] = mapped_column(String(16), default="vnpay")
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    bank_code: Mapped[str | None] = mapped_column(String(16), nullable=True)  # asked for (VNPAYQR...)
    locale: Mapped[str] = mapped_column(String(4), default="vn")
    ip_addr: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    settled_via: Mapped[str | None] = mapped_column(String(16), nullable=True)  # ipn | querydr | cashier
    response_code: Mapped[str | None] = mapped_column(String(8), nullable=True)
    transaction_status: Mapped[str | None] = mapped_column(String(8), nullable=True)
    transaction_no: Mapped[str | None] = mapped_column(String(32), nullable=True)
    pay_bank_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    pay_date: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    queried_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    __table_args__ = (
        Index("ix_attempt_invoice", "invoice_id"),
        Index("ix_attempt_status_created", "status", "created_at"),
    )


class BankTransferRow(Base):
    """Every incoming transfer the bank told us about, matched or not. The primary key is the
    bank's transaction id: a replayed webhook cannot insert it twice, even across processes.

    Who paid and what they wrote (payer name, account, free-text content: people type their ID
    card or phone number into it) is personal data: only in payer_enc, encrypted with the PII
    vault. The clear columns date from before migration 0007 and are written empty; `reference`
    (ours, not personal) is what matching and the cashier need in clear."""

    __tablename__ = "bank_transfers"
    transaction_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[str] = mapped_column(Text)
    transferred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    bank_bin: Mapped[str | None] = mapped_column(String(8), nullable=True)
    sender_account: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sender_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    payer_enc: Mapped[str | None] = mapped_column(Text, nullable=True)  # {content, sender_name, sender_account}
    decision: Mapped[str] = mapped_column(String(16))  # settle | reconcile
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(24), nullable=True)
    __table_args__ = (Index("ix_bank_transfer_invoice", "invoice_id"),)


class ReconciliationItemRow(Base):
    """Money the system could not apply by itself, waiting for a cashier's decision."""

    __tablename__ = "reconciliation_items"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # vnpay | vietqr
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # open | resolved
    amount: Mapped[int] = mapped_column(BigInteger)
    expected_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(24), nullable=True)
    bank_transaction_id: Mapped[str | None] = mapped_column(
        ForeignKey("bank_transfers.transaction_id"), nullable=True)
    txn_ref: Mapped[str | None] = mapped_column(ForeignKey("payment_attempts.txn_ref"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    __table_args__ = (
        Index("ix_reconciliation_status", "status", "created_at"),
        Index("ix_reconciliation_invoice", "invoice_id"),
    )
