"""What an incoming VietQR bank transfer means for our invoices.

A transfer settles an invoice only when its content carries exactly one open invoice's reference,
the amount is exactly the invoice amount, the invoice is neither settled nor expired, and the bank
transaction id has not been seen before. Everything else goes to the cashier's reconciliation list:
the money is real even when we cannot match it, so it is never silently dropped.

Typical use inside the lead's webhook route, in one database transaction:

    match = match_transfer(
        transfer,
        our_accounts={config.account},
        already_recorded=transfers.exists(transfer.transaction_id),
        find_invoices=invoices.views_by_reference,   # list[str] -> {reference: InvoiceView}
    )
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from backend.domain.payments.invoice_view import InvoiceView
from backend.domain.payments.reference import REFERENCE_PREFIX, find_references, reference_candidates


@dataclass(frozen=True)
class BankTransfer:
    """One credit to the hospital's account, as the bank (or aggregator) reports it."""

    transaction_id: str  # the bank's id; settlement is idempotent on it
    account: str  # the credited account
    amount: int  # VND
    content: str  # the transfer description typed or pre-filled in the payer's banking app
    transferred_at: datetime
    bank_bin: str | None = None
    sender_account: str | None = None
    sender_name: str | None = None


class TransferDecision(StrEnum):
    SETTLE = "settle"  # mark the invoice paid
    DUPLICATE = "duplicate"  # this bank transaction was already handled: do nothing, answer OK
    RECONCILE = "reconcile"  # record the transfer for the cashier; the invoice is not touched


class ReconcileReason(StrEnum):
    WRONG_ACCOUNT = "wrong_account"
    UNKNOWN_REFERENCE = "unknown_reference"
    AMBIGUOUS_REFERENCE = "ambiguous_reference"
    WRONG_AMOUNT = "wrong_amount"
    ALREADY_PAID = "already_paid"
    LATE = "late"


@dataclass(frozen=True)
class TransferMatch:
    decision: TransferDecision
    reference: str | None = None
    reason: ReconcileReason | None = None
    expected_amount: int | None = None  # the invoice amount, when a reference was found


def _account_key(account: str) -> str:
    return "".join(account.split()).upper()


def match_transfer(
    transfer: BankTransfer,
    *,
    our_accounts: Collection[str],
    already_recorded: bool,
    find_invoices: Callable[[list[str]], Mapping[str, InvoiceView]],
    prefix: str = REFERENCE_PREFIX,
) -> TransferMatch:
    """Decide what to do with `transfer`.

    find_invoices receives the candidate references found in the content and returns the invoices
    that exist among them; it is not called for duplicates or transfers to other accounts.
    """
    if already_recorded:
        return TransferMatch(TransferDecision.DUPLICATE)
    if _account_key(transfer.account) not in {_account_key(a) for a in our_accounts}:
        return TransferMatch(TransferDecision.RECONCILE, reason=ReconcileReason.WRONG_ACCOUNT)

    candidates = reference_candidates(transfer.content, prefix, include_prefixless=True)
    invoices = find_invoices(candidates) if candidates else {}
    matches = find_references(transfer.content, invoices.keys(), prefix)
    if not matches:
        return TransferMatch(TransferDecision.RECONCILE, reason=ReconcileReason.UNKNOWN_REFERENCE)
    if len(matches) > 1:
        return TransferMatch(TransferDecision.RECONCILE, reason=ReconcileReason.AMBIGUOUS_REFERENCE)

    reference = matches[0]
    invoice = invoices[reference]
    if transfer.amount != invoice.amount:
        reason = ReconcileReason.WRONG_AMOUNT
    elif invoice.settled:
        reason = ReconcileReason.ALREADY_PAID
    elif invoice.expired:
        reason = ReconcileReason.LATE
    else:
        return TransferMatch(TransferDecision.SETTLE, reference=reference, expected_amount=invoice.amount)
    return TransferMatch(
        TransferDecision.RECONCILE, reference=reference, reason=reason, expected_amount=invoice.amount
    )
