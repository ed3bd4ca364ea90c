"""CCCD (chip citizen ID) QR text and number structure (specs/cards.md, Thông tư 07/2016/TT-BCA).

Layout: ``number|old CMND|name|dob ddmmyyyy|Nam/Nữ|address|issue date ddmmyyyy[|extra…]``; some
readers drop the old-CMND field, which we recognise by a name in the second position.
"""

from __future__ import annotations

import re
from datetime import date

from backend.domain.cards.dates import BirthDate, parse_compact_date
from backend.domain.cards.errors import CardErrorCode
from backend.domain.cards.model import CccdCard, Gender, ParseResult
from backend.domain.cards.text import clean_name, is_plausible_free_text, is_plausible_vietnamese_name, nfc

CCCD_NUMBER = re.compile(r"\d{12}", re.ASCII)
_OLD_CMND = re.compile(r"\d{9}|\d{12}", re.ASCII)  # 12-digit CMNDs were issued 2012–2016
_HIGHEST_PROVINCE_CODE = 96

_GENDER_WORDS = {"nam": Gender.MALE, "nữ": Gender.FEMALE}


class _Reject(Exception):
    """Internal short-circuit; never leaves this module."""

    def __init__(self, code: CardErrorCode) -> None:
        self.code = code


def is_valid_cccd_number(number: str) -> bool:
    if not CCCD_NUMBER.fullmatch(number):
        return False
    province = int(number[:3])
    # First digit 0: born in Vietnam, province 001–096. Otherwise: registered abroad.
    return number[0] != "0" or 1 <= province <= _HIGHEST_PROVINCE_CODE


def gender_from_number(number: str) -> Gender:
    return Gender.MALE if int(number[3]) % 2 == 0 else Gender.FEMALE


def birth_year_from_number(number: str) -> int:
    century_digit = int(number[3])
    return (century_digit // 2 + 19) * 100 + int(number[4:6])


def parse_cccd_fields(fields: list[str], today: date) -> ParseResult:
    try:
        return ParseResult.success(_parse(fields, today))
    except _Reject as reject:
        return ParseResult.failure(reject.code)


def _split_layout(fields: list[str]) -> tuple[str | None, list[str]]:
    """Return (old CMND or None, [name, dob, gender, address, issue date])."""
    second = fields[1]
    if second == "" or (second.isascii() and second.isdigit()):
        if len(fields) < 7:
            raise _Reject(CardErrorCode.CARD_UNREADABLE)
        if second and not _OLD_CMND.fullmatch(second):
            raise _Reject(CardErrorCode.CARD_UNREADABLE)
        return (second or None), fields[2:7]
    # Old CMND dropped by the reader: the second field is already the name.
    if len(fields) < 6:
        raise _Reject(CardErrorCode.CARD_UNREADABLE)
    return None, fields[1:6]


def _parse(raw_fields: list[str], today: date) -> CccdCard:
    fields = [nfc(field).strip() for field in raw_fields]
    if len(fields) < 6:
        raise _Reject(CardErrorCode.CARD_UNREADABLE)
    number = fields[0]
    if not is_valid_cccd_number(number):
        raise _Reject(CardErrorCode.CARD_INVALID_NUMBER)
    old_cmnd, (raw_name, raw_dob, raw_gender, address, raw_issue) = _split_layout(fields)

    name = clean_name(raw_name)
    if not is_plausible_vietnamese_name(name):
        raise _Reject(CardErrorCode.CARD_NAME_INVALID)

    born = parse_compact_date(raw_dob)
    if born is None:
        raise _Reject(CardErrorCode.CARD_INVALID_DATE)
    dob = BirthDate.of(born)
    if not dob.is_plausible_on(today):
        raise _Reject(CardErrorCode.CARD_INVALID_DATE)

    gender = _GENDER_WORDS.get(raw_gender.casefold())
    if gender is None:
        raise _Reject(CardErrorCode.CARD_UNREADABLE)

    if not is_plausible_free_text(address):
        raise _Reject(CardErrorCode.CARD_UNREADABLE)

    issue_date = parse_compact_date(raw_issue)
    if issue_date is None or not born <= issue_date <= today:
        raise _Reject(CardErrorCode.CARD_INVALID_DATE)

    # The number encodes gender and birth year; disagreement means a mis-scan (spec: CARD_UNREADABLE).
    if gender_from_number(number) is not gender or birth_year_from_number(number) != born.year:
        raise _Reject(CardErrorCode.CARD_UNREADABLE)

    return CccdCard(
        number=number,
        name=name,
        dob=dob,
        gender=gender,
        old_cmnd=old_cmnd,
        address=address,
        issue_date=issue_date,
    )
