"""BHYT (health-insurance card / VssID) QR text (specs/cards.md).

Fields 0–8 are read by position and must all be valid. Fields 9 and later differ between card
generations and are read leniently: a field we cannot make sense of becomes None rather than rejecting
a card BHXH would accept. The text must end with the ``$`` field — that is also what tells a complete
scan from a truncated one.
"""

from __future__ import annotations

import re
from datetime import date

from backend.domain.cards.dates import BirthDate, parse_birth_text, parse_card_date
from backend.domain.cards.errors import CardErrorCode
from backend.domain.cards.model import BhytCard, CardGeneration, Gender, ParseResult
from backend.domain.cards.text import (
    clean_name,
    decode_hex_text,
    is_plausible_free_text,
    is_plausible_vietnamese_name,
)

CARD_CODE_15 = re.compile(r"[A-Z]{2}[1-5][0-9]{2}[0-9]{10}")
BHXH_NUMBER_10 = re.compile(r"[0-9]{10}")
_FACILITY = re.compile(r"([0-9]{2})\s*-\s*([0-9A-Z]{3})|([0-9]{2})([0-9A-Z]{3})")
_ONE_DIGIT = re.compile(r"[0-9]")

END_MARK = "$"
EMPTY = "-"
_REQUIRED_FIELD_COUNT = 9  # fields 0–8

_GENDER_CODES = {"1": Gender.MALE, "2": Gender.FEMALE}


class _Reject(Exception):
    """Internal short-circuit; never leaves this module."""

    def __init__(self, code: CardErrorCode) -> None:
        self.code = code


def is_valid_bhyt_code(code: str) -> bool:
    return bool(CARD_CODE_15.fullmatch(code) or BHXH_NUMBER_10.fullmatch(code))


def parse_bhyt_fields(fields: list[str], today: date) -> ParseResult:
    """``fields`` is the whole ``|``-split text, including the final ``$``."""
    try:
        return ParseResult.success(_parse(fields, today))
    except _Reject as reject:
        return ParseResult.failure(reject.code)


def _parse(raw_fields: list[str], today: date) -> BhytCard:
    # Field 12 may carry a leading space, and scanners add CR/LF: strip every field.
    fields = [field.strip() for field in raw_fields]
    if not fields or fields[-1] != END_MARK:
        raise _Reject(CardErrorCode.CARD_UNREADABLE)
    body = fields[:-1]
    if len(body) < _REQUIRED_FIELD_COUNT:
        raise _Reject(CardErrorCode.CARD_UNREADABLE)

    card_code = body[0]
    if not is_valid_bhyt_code(card_code):
        raise _Reject(CardErrorCode.CARD_INVALID_NUMBER)

    decoded_name = decode_hex_text(body[1])
    if decoded_name is None:
        raise _Reject(CardErrorCode.CARD_UNREADABLE)
    name = clean_name(decoded_name)
    if not is_plausible_vietnamese_name(name):
        raise _Reject(CardErrorCode.CARD_NAME_INVALID)

    dob = parse_birth_text(body[2], allow_year_only=True)
    if dob is None or not dob.is_plausible_on(today):
        raise _Reject(CardErrorCode.CARD_INVALID_DATE)

    gender = _GENDER_CODES.get(body[3])
    if gender is None:
        raise _Reject(CardErrorCode.CARD_UNREADABLE)

    address = _required_hex_or_empty(body[4])
    ma_dkbd = _parse_facility(body[5])

    valid_from, valid_to, issue_date = _parse_validity(body[6], body[7], body[8], dob, today)

    # Checked last so that a card with another defect reports that defect, not its dates.
    if today < valid_from:
        raise _Reject(CardErrorCode.CARD_NOT_YET_VALID)
    if valid_to is not None and today > valid_to:
        raise _Reject(CardErrorCode.CARD_EXPIRED)

    return BhytCard(
        card_code=card_code,
        name=name,
        dob=dob,
        gender=gender,
        generation=_generation(card_code, body),
        ma_dkbd=ma_dkbd,
        valid_from=valid_from,
        valid_to=valid_to,
        issue_date=issue_date,
        address=address,
        **_parse_optional(body),
    )


def _required_hex_or_empty(field: str) -> str | None:
    if field == EMPTY:
        return None
    text = decode_hex_text(field)
    if text is None or not is_plausible_free_text(text.strip()):
        raise _Reject(CardErrorCode.CARD_UNREADABLE)
    return text.strip()


def _parse_facility(field: str) -> str:
    match = _FACILITY.fullmatch(field)
    if not match:
        raise _Reject(CardErrorCode.CARD_UNREADABLE)
    return "".join(part for part in match.groups() if part)


def _parse_validity(
    raw_from: str, raw_to: str, raw_issue: str, dob: BirthDate, today: date
) -> tuple[date, date | None, date]:
    valid_from = parse_card_date(raw_from)
    valid_to = None if raw_to == EMPTY else parse_card_date(raw_to)
    issue_date = parse_card_date(raw_issue)
    if valid_from is None or issue_date is None or (raw_to != EMPTY and valid_to is None):
        raise _Reject(CardErrorCode.CARD_INVALID_DATE)
    if valid_to is not None and valid_to < valid_from:
        raise _Reject(CardErrorCode.CARD_INVALID_DATE)
    # A card is never issued in the future, nor before its holder was born.
    if issue_date > today or issue_date.year < dob.year:
        raise _Reject(CardErrorCode.CARD_INVALID_DATE)
    if valid_to is not None and valid_to.year < dob.year:
        raise _Reject(CardErrorCode.CARD_INVALID_DATE)
    return valid_from, valid_to, issue_date


def _generation(card_code: str, body: list[str]) -> CardGeneration:
    if BHXH_NUMBER_10.fullmatch(card_code):
        return CardGeneration.BHXH_NUMBER_10
    if len(body) == _REQUIRED_FIELD_COUNT:
        return CardGeneration.OLDEST_SHORT
    return CardGeneration.CODE_15


def _field(body: list[str], index: int) -> str | None:
    if index >= len(body) or body[index] in ("", EMPTY):
        return None
    return body[index]


def _optional_hex(body: list[str], index: int) -> str | None:
    raw = _field(body, index)
    text = decode_hex_text(raw) if raw else None
    if text is None or not is_plausible_free_text(text.strip()):
        return None
    return text.strip()


def _optional_digit(body: list[str], index: int) -> str | None:
    raw = _field(body, index)
    return raw if raw and _ONE_DIGIT.fullmatch(raw) else None


def _optional_printable(body: list[str], index: int) -> str | None:
    raw = _field(body, index)
    return raw if raw and raw.isascii() and raw.isprintable() else None


def _parse_optional(body: list[str]) -> dict[str, object]:
    five_year = _field(body, 12)
    return {
        "management_code": _optional_printable(body, 9),
        "parent_name": _optional_hex(body, 10),
        "field11_code": _optional_digit(body, 11),
        "five_year_date": parse_card_date(five_year) if five_year else None,
        "check_string": _optional_printable(body, 13),
        "field14_code": _optional_digit(body, 14),
        "issuing_place": _optional_hex(body, 15),
    }
