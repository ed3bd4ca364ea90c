"""Manual entry on the kiosk keypad: card number, full name and date of birth.

It yields the same card types as a scan, with ``manual=True`` and only the typed fields. Nothing can be
said locally about a typed BHYT card's validity: BHXH decides (the check runs on every BHYT visit).
"""

from __future__ import annotations

from datetime import date, datetime

from backend.domain.cards.bhyt import is_valid_bhyt_code
from backend.domain.cards.cccd import birth_year_from_number, gender_from_number, is_valid_cccd_number
from backend.domain.cards.dates import BirthDate, as_plain_date, parse_birth_text
from backend.domain.cards.errors import CardErrorCode
from backend.domain.cards.model import (
    BhytCard,
    CardGeneration,
    CardKind,
    CccdCard,
    Gender,
    ParseResult,
)
from backend.domain.cards.text import clean_name, is_plausible_vietnamese_name, nfc

# People type numbers with spaces or dots in groups, as printed on the card.
_NUMBER_NOISE = str.maketrans("", "", " .-\t")


def parse_manual(
    id_type: CardKind | str,
    number: str,
    name: str,
    dob: BirthDate | date | str,
    today: date,
) -> ParseResult:
    """Validate a typed identity. ``dob``: a date, a BirthDate, or text ``dd/mm/yyyy``, ``ddmmyyyy``,
    ``yyyy-mm-dd`` or ``yyyy`` (year only, as some BHYT cards show it). Never raises."""
    today = as_plain_date(today)
    kind = _kind(id_type)
    if kind is None:
        return ParseResult.failure(CardErrorCode.CARD_UNKNOWN_TYPE)

    cleaned_number = nfc(number).translate(_NUMBER_NOISE).upper() if isinstance(number, str) else ""
    valid_number = (
        is_valid_cccd_number(cleaned_number) if kind is CardKind.CCCD else is_valid_bhyt_code(cleaned_number)
    )
    if not valid_number:
        return ParseResult.failure(CardErrorCode.CARD_INVALID_NUMBER)

    full_name = clean_name(name) if isinstance(name, str) else ""
    if not is_plausible_vietnamese_name(full_name):
        return ParseResult.failure(CardErrorCode.CARD_NAME_INVALID)

    birth = _birth_date(dob)
    if birth is None or not birth.is_plausible_on(today):
        return ParseResult.failure(CardErrorCode.CARD_INVALID_DATE)

    if kind is CardKind.CCCD:
        if birth_year_from_number(cleaned_number) != birth.year:
            return ParseResult.failure(CardErrorCode.CARD_DOB_MISMATCH)
        return ParseResult.success(
            CccdCard(
                number=cleaned_number,
                name=full_name,
                dob=birth,
                gender=gender_from_number(cleaned_number),
                manual=True,
            )
        )
    return ParseResult.success(
        BhytCard(
            card_code=cleaned_number,
            name=full_name,
            dob=birth,
            gender=Gender.UNKNOWN,
            generation=CardGeneration.UNKNOWN,
            manual=True,
        )
    )


def _kind(id_type: CardKind | str) -> CardKind | None:
    if isinstance(id_type, CardKind):
        return id_type
    if isinstance(id_type, str):
        try:
            return CardKind(id_type.strip().lower())
        except ValueError:
            return None
    return None


def _birth_date(dob: BirthDate | date | str) -> BirthDate | None:
    if isinstance(dob, BirthDate):
        return dob
    if isinstance(dob, datetime):
        return BirthDate.of(dob.date())
    if isinstance(dob, date):
        return BirthDate.of(dob)
    if isinstance(dob, str):
        return parse_birth_text(dob, allow_year_only=True)
    return None
