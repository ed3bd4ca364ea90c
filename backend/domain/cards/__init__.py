"""Identity cards read at the kiosk: CCCD and BHYT QR text, and manual entry.

Pure domain (stdlib only). Failures are values, not exceptions: ``parse_scan`` and ``parse_manual``
always return a ``ParseResult`` holding either a fully valid card or one ``CardErrorCode``.

    result = parse_scan(raw_text, today)
    if result.ok:
        card = result.card          # CccdCard | BhytCard
    else:
        code = result.error_code    # e.g. CardErrorCode.CARD_EXPIRED (words: backend.messages)
"""

from backend.domain.cards.bhyt import is_valid_bhyt_code
from backend.domain.cards.cccd import (
    birth_year_from_number,
    gender_from_number,
    is_valid_cccd_number,
)
from backend.domain.cards.dates import BirthDate, age_on
from backend.domain.cards.errors import CardErrorCode
from backend.domain.cards.manual import parse_manual
from backend.domain.cards.model import (
    BhytCard,
    Card,
    CardGeneration,
    CardKind,
    CccdCard,
    Gender,
    ParseResult,
)
from backend.domain.cards.scan import parse_scan
from backend.domain.cards.text import is_plausible_vietnamese_name

__all__ = [
    "BhytCard",
    "BirthDate",
    "Card",
    "CardErrorCode",
    "CardGeneration",
    "CardKind",
    "CccdCard",
    "Gender",
    "ParseResult",
    "age_on",
    "birth_year_from_number",
    "gender_from_number",
    "is_plausible_vietnamese_name",
    "is_valid_bhyt_code",
    "is_valid_cccd_number",
    "parse_manual",
    "parse_scan",
]
