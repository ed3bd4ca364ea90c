"""How sure we are of who is at the kiosk, and what each level may do (DESIGN rule 9).

A CCCD number is printed on every photocopy of the card and its digits carry the birth year, so a
typed number proves only that someone knows it. Three levels, best first:

- ``card``: the card's QR was scanned at a kiosk or by staff (the card is in hand);
- ``confirmed``: a typed number whose name and birth date BHXH answered back identically;
- ``typed``: a typed number alone (BHXH refused, did not answer, or answered other details).

A lower level may get a new ticket but never sees, changes or shares what earlier visits stored.
"""
from __future__ import annotations

import unicodedata
from enum import Enum

from .bhyt_check import BhytCheckResult, CheckStatus


class Assurance(str, Enum):
    TYPED = "typed"
    CONFIRMED = "confirmed"
    CARD = "card"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: "Assurance") -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, value: object) -> "Assurance":
        """From a token: anything unknown or missing is the lowest level, never a higher one."""
        try:
            return cls(value)
        except ValueError:
            return cls.TYPED


_RANK = {Assurance.TYPED: 0, Assurance.CONFIRMED: 1, Assurance.CARD: 2}


def may_see_open_visit(level: Assurance) -> bool:
    """Today's tickets (with their track tokens and invoices), reprints, adding to the visit."""
    return level.at_least(Assurance.CONFIRMED)


def may_change_record(level: Assurance) -> bool:
    return level.at_least(Assurance.CONFIRMED)


def birth_date_verified(level: Assurance) -> bool:
    """Age-based priority is owed on a birth date read from the card or confirmed by BHXH."""
    return level.at_least(Assurance.CONFIRMED)


def may_share(level: Assurance) -> bool:
    """A kiosk share code links a phone to the record and moves it away from the holder's phone:
    only with the card in hand (a photocopy gives a stranger the name and birth date BHXH checks)."""
    return level is Assurance.CARD


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


# BHXH found no such card, or found it with another name or birth date: whatever else the answer
# carries, it does not vouch for the person who typed.
IDENTITY_MISMATCH_CODES = frozenset({"050", "051", "052", "053", "060", "061", "070"})


def holder_confirmed(check: BhytCheckResult, typed_name: str, typed_dob: str) -> bool:
    """BHXH answered, did not contradict, and named the same person: name (case and spacing aside)
    and birth date text both equal what was typed."""
    if check.status is CheckStatus.PENDING or check.code in IDENTITY_MISMATCH_CODES:
        return False
    if not check.holder_name or not check.holder_dob:
        return False
    same_name = _name_key(typed_name) == _name_key(check.holder_name)
    return same_name and typed_dob.strip() == check.holder_dob.strip()


def assess(*, scanned: bool, card_in_hand: bool, typed_name: str, typed_dob: str,
           check: BhytCheckResult) -> Assurance:
    """``scanned``: the identity came from a card QR; ``card_in_hand``: read where a person could see
    the card (kiosk, staff desk). A QR read by a phone camera is only as good as a photo of it."""
    if scanned and card_in_hand:
        return Assurance.CARD
    if holder_confirmed(check, typed_name, typed_dob):
        return Assurance.CONFIRMED
    return Assurance.TYPED


# Stored record keys → the field name an audit entry may show (never the values).
_FIELD_OF_KEY = {"dob_year": "dob", "dob_month": "dob", "dob_day": "dob"}


def changed_fields(stored: dict, update: dict) -> list[str]:
    """Names of the record's fields an update would change, sorted, each once."""
    names = {_FIELD_OF_KEY.get(k, k) for k, v in update.items() if stored.get(k) != v}
    return sorted(names)
