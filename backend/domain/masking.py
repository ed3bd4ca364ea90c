"""Masking of personal data for screens, tickets, the lobby TV and logs (Nghị định 13/2023/NĐ-CP).

- ``mask_id("001090012345") == "0010******45"``: first 4 and last 2 characters stay, so staff can tell
  two patients apart without the number being readable; identifiers shorter than 8 are fully masked.
- ``mask_name("Nguyễn Văn An") == "Nguyễn V. A"``: family name, then initials. The given name (last
  word) is an initial without a dot, matching how the product shows names on public screens.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.domain.cards.dates import BirthDate

_KEEP_HEAD = 4
_KEEP_TAIL = 2
_MIN_LENGTH_TO_SHOW_ANY = _KEEP_HEAD + _KEEP_TAIL + 2


def mask_id(identifier: str | None) -> str:
    if not identifier:
        return ""
    value = "".join(identifier.split())
    if len(value) < _MIN_LENGTH_TO_SHOW_ANY:
        return "*" * len(value)
    hidden = len(value) - _KEEP_HEAD - _KEEP_TAIL
    return value[:_KEEP_HEAD] + "*" * hidden + value[-_KEEP_TAIL:]


def mask_name(full_name: str | None) -> str:
    if not full_name:
        return ""
    words = unicodedata.normalize("NFC", full_name).split()
    if not words:
        return ""
    if len(words) == 1:
        # A single word is the whole name: showing it would show everything.
        return words[0][0]
    middle = [f"{word[0]}." for word in words[1:-1]]
    return " ".join([words[0], *middle, words[-1][0]])


def age_on(dob: BirthDate | date | int, day: date) -> int:
    """Completed years on ``day``; see ``backend.domain.cards.dates.age_on`` (year-only rule)."""
    from backend.domain.cards.dates import age_on as _age_on  # lazy: cards.model imports this module

    return _age_on(dob, day)


def mask_account(account: str | None) -> str:
    """A bank account like a card number: only the last 4 digits, ``"0123456789" -> "******6789"``."""
    if not account:
        return ""
    value = "".join(account.split())
    if len(value) < _MIN_LENGTH_TO_SHOW_ANY:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


# Four or more digits, possibly broken up by single spaces, dots or dashes ("0912 345 678"): ID card
# numbers, phones and accounts as people type them into a transfer note.
_DIGIT_RUN = re.compile(r"\d(?:[ .\-/]?\d){3,}")


def mask_digit_runs(text: str | None, keep: tuple[str, ...] = ()) -> str:
    """Free text with every run of 4+ digits starred out, except inside the strings in ``keep``
    (a payment reference the cashier must read): ``"CCCD 001090012345" -> "CCCD ************"``."""
    if not text:
        return ""
    kept: list[tuple[int, int]] = []
    folded = text.upper()
    for word in keep:
        if word:
            kept += [(m.start(), m.end()) for m in re.finditer(re.escape(word.upper()), folded)]

    def star(match: re.Match) -> str:
        if any(start <= match.start() and match.end() <= end for start, end in kept):
            return match.group(0)
        return re.sub(r"\d", "*", match.group(0))

    return _DIGIT_RUN.sub(star, text)
