"""The few facts about an invoice (or one payment attempt on it) that payment decisions read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InvoiceView:
    """Read under the same database transaction that will record the decision.

    amount:  integer VND the patient owes for this payment attempt.
    settled: a final result is already recorded for it (paid, or a failed VNPay attempt).
    expired: the payment window has closed; money arriving now is late and must be handed back.
    """

    amount: int
    settled: bool
    expired: bool = False
