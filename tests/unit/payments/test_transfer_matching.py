from datetime import datetime, timedelta, timezone

from backend.domain.payments.invoice_view import InvoiceView
from backend.domain.payments.transfer_matching import (
    BankTransfer,
    ReconcileReason,
    TransferDecision,
    match_transfer,
)

ACCOUNT = "1012345678"
REF = "TD7K3M9QX2"
AT = datetime(2025, 1, 15, 9, 31, tzinfo=timezone(timedelta(hours=7)))


class InvoiceTable:
    """What the lead's repository would do: return the invoices among the candidate references."""

    def __init__(self, invoices):
        self.invoices = invoices
        self.asked = []

    def __call__(self, candidates):
        self.asked.append(list(candidates))
        return {ref: view for ref, view in self.invoices.items() if ref in candidates}


def transfer(content="MBVCB.1234.TD 7K3M 9QX2.CT tu 0123 NGUYEN VAN A", amount=150_000, account=ACCOUNT):
    return BankTransfer("FT25015000001", account, amount, content, AT)


def decide(t, invoices, already_recorded=False):
    return match_transfer(
        t, our_accounts={ACCOUNT}, already_recorded=already_recorded, find_invoices=InvoiceTable(invoices)
    )


OPEN = {REF: InvoiceView(150_000, settled=False), "TD22222222": InvoiceView(80_000, settled=False)}


def test_reference_with_bank_noise_and_spaces_settles():
    match = decide(transfer(), OPEN)
    assert match.decision is TransferDecision.SETTLE
    assert match.reference == REF and match.reason is None and match.expected_amount == 150_000


def test_candidates_offered_to_the_repository_include_the_reference():
    table = InvoiceTable(OPEN)
    match_transfer(transfer(), our_accounts={ACCOUNT}, already_recorded=False, find_invoices=table)
    assert len(table.asked) == 1 and REF in table.asked[0]


def test_wrong_amount_is_flagged_not_settled():
    match = decide(transfer(amount=100_000), OPEN)
    assert match.decision is TransferDecision.RECONCILE
    assert match.reason is ReconcileReason.WRONG_AMOUNT
    assert match.reference == REF and match.expected_amount == 150_000


def test_replayed_bank_transaction_is_a_duplicate_and_skips_lookup():
    table = InvoiceTable(OPEN)
    match = match_transfer(transfer(), our_accounts={ACCOUNT}, already_recorded=True, find_invoices=table)
    assert match.decision is TransferDecision.DUPLICATE and table.asked == []


def test_transfer_to_another_account_is_not_ours_to_settle():
    match = decide(transfer(account="9999999999"), OPEN)
    assert match.reason is ReconcileReason.WRONG_ACCOUNT


def test_account_comparison_ignores_spacing():
    match = match_transfer(
        transfer(), our_accounts={"1012 345 678"}, already_recorded=False, find_invoices=InvoiceTable(OPEN)
    )
    assert match.decision is TransferDecision.SETTLE


def test_unknown_reference_goes_to_reconciliation():
    match = decide(transfer(content="chuyen tien kham benh"), OPEN)
    assert match.decision is TransferDecision.RECONCILE and match.reason is ReconcileReason.UNKNOWN_REFERENCE


def test_two_references_are_ambiguous():
    match = decide(transfer(content=f"{REF} TD22222222"), OPEN)
    assert match.reason is ReconcileReason.AMBIGUOUS_REFERENCE


def test_second_payment_for_a_paid_invoice_is_flagged():
    match = decide(transfer(), {REF: InvoiceView(150_000, settled=True)})
    assert match.reason is ReconcileReason.ALREADY_PAID


def test_late_payment_after_expiry_is_flagged():
    match = decide(transfer(), {REF: InvoiceView(150_000, settled=False, expired=True)})
    assert match.reason is ReconcileReason.LATE


def test_prefix_stripped_reference_settles():
    match = decide(transfer(content="IBFT 7K3M9QX2 NGUYEN VAN A"), OPEN)
    assert match.decision is TransferDecision.SETTLE and match.reference == REF
