"""Entry point for raw scanner text: decide CCCD or BHYT, then hand over to that parser.

Recognition is by shape, not by trust: a BHYT QR always ends with the ``$`` field, a CCCD QR always
starts with a 12-digit number. Anything else — including a BHYT scan cut before its ``$`` — is
``CARD_UNREADABLE``, so a partial scan can never become a patient.
"""

from __future__ import annotations

from datetime import date

from backend.domain.cards.bhyt import END_MARK, parse_bhyt_fields
from backend.domain.cards.cccd import CCCD_NUMBER, parse_cccd_fields
from backend.domain.cards.dates import as_plain_date
from backend.domain.cards.errors import CardErrorCode
from backend.domain.cards.model import ParseResult
from backend.domain.cards.text import nfc

# A real QR payload is a few hundred characters; anything far longer is not a card.
MAX_SCAN_LENGTH = 4096
_SEPARATOR = "|"
# Byte-order mark and line endings that some scanners wrap around the payload.
_WRAPPING = "\ufeff\r\n\t "


def parse_scan(text: str | bytes, today: date) -> ParseResult:
    """Parse raw QR text from a CCCD or a BHYT card. Never raises for any ``text``."""
    today = as_plain_date(today)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return ParseResult.failure(CardErrorCode.CARD_UNREADABLE)
    if not isinstance(text, str) or len(text) > MAX_SCAN_LENGTH:
        return ParseResult.failure(CardErrorCode.CARD_UNREADABLE)

    fields = nfc(text).strip(_WRAPPING).split(_SEPARATOR)
    if fields[-1].strip() == END_MARK:
        return parse_bhyt_fields(fields, today)
    if CCCD_NUMBER.fullmatch(fields[0].strip()):
        return parse_cccd_fields(fields, today)
    return ParseResult.failure(CardErrorCode.CARD_UNREADABLE)
