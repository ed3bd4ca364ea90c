"""Port to the BHXH card-check gateway (cổng giám định BHYT).

Two implementations: ``backend.adapters.bhxh.client.BhxhClient`` (real wire client) and, for
services tests, any fake with the same method. Every answer BHXH gives — including its error codes —
comes back as a ``BhytCheckResult``; only "no answer at all" raises ``BhxhUnavailable``, so the caller
registers the visit with ``bhyt_check = pending`` (``backend.domain.bhyt_check.gateway_unavailable()``)
instead of blocking the patient.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from backend.domain.bhyt_check import BhytCheckResult


class BhxhUnavailable(Exception):
    """The gateway gave no usable answer: timeout, connection error, 5xx or a garbled body.

    ``reason`` is one of ``timeout``, ``connection``, ``server_error``, ``bad_response``. The message
    never contains the request URL (which carries credentials) or personal data, so it is safe to log.
    """

    REASONS = frozenset({"timeout", "connection", "server_error", "bad_response"})

    def __init__(self, reason: str) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown BhxhUnavailable reason: {reason}")
        super().__init__(f"BHXH gateway unavailable ({reason})")
        self.reason = reason


@runtime_checkable
class CardChecker(Protocol):
    def check_card(self, card_code: str, full_name: str, dob_text: str) -> BhytCheckResult:
        """Ask BHXH about a card.

        ``card_code``: 15-character code, 10-digit BHXH number, or the 12-digit CCCD number of a
        patient who showed only their CCCD. ``dob_text``: ``dd/mm/yyyy`` or ``yyyy``
        (``BirthDate.to_bhxh_text()``). Raises ``BhxhUnavailable`` when there is no answer.
        """
        ...


class PreparedCardChecker(CardChecker, Protocol):
    def prepare(self) -> None:
        """Get ready before a patient is waiting (for BHXH: hold a valid token). Never raises."""
        ...
