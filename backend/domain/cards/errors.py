"""Reason codes for a card that cannot be used. The words for each are in backend/messages.py.

Parsers never raise for bad input: they return a ``ParseResult`` carrying one of these codes
(see ``backend.domain.cards.model.ParseResult``). The codes are stable API strings
(``CARD_EXPIRED`` …) because the REST layer returns them verbatim as problem ``code``.
"""

from __future__ import annotations

from enum import Enum


class CardErrorCode(str, Enum):
    # Garbled, truncated, mis-scanned or of a format we do not know. Also a CCCD whose number
    # contradicts its own gender or birth year: that is almost always a mis-scan.
    CARD_UNREADABLE = "CARD_UNREADABLE"
    CARD_EXPIRED = "CARD_EXPIRED"
    CARD_NOT_YET_VALID = "CARD_NOT_YET_VALID"
    CARD_INVALID_NUMBER = "CARD_INVALID_NUMBER"
    CARD_INVALID_DATE = "CARD_INVALID_DATE"
    # Not plausible Vietnamese: typically a keyboard-wedge scanner that mangled the diacritics.
    CARD_NAME_INVALID = "CARD_NAME_INVALID"
    # Manual entry only: the typed CCCD number encodes another birth year than the typed date.
    CARD_DOB_MISMATCH = "CARD_DOB_MISMATCH"
    # Manual entry only: id_type is neither "cccd" nor "bhyt".
    CARD_UNKNOWN_TYPE = "CARD_UNKNOWN_TYPE"
