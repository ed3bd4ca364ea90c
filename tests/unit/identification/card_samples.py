"""Spec examples (specs/cards.md) and an independent checker of what a parsed card must satisfy.

The checker deliberately does not reuse the parser's helpers: it restates the rules with plain regexes
and ``unicodedata`` so a bug in the parser's validation cannot hide behind the same bug here.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from backend.domain.cards import BhytCard, CccdCard, Gender

TODAY = date(2025, 6, 1)  # inside the example BHYT card's validity (01/01/2025–31/12/2025)

CCCD_AN = (
    "001090012345|123456789|Nguyễn Văn An|15081990|Nam|"
    "Số 1 Phố Huế, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội|20042021"
)
CCCD_MAI = "079305001234||Trần Thị Mai|02022005|Nữ|Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|10052022"
CCCD_AN_NO_CMND = (
    "001090012345|Nguyễn Văn An|15081990|Nam|Số 1 Phố Huế, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội|20042021"
)

NAME_BINH_HEX = "5472e1baa76e205468e1bb8b2042c3ac6e68"
ADDRESS_HEX = (
    "5068c6b0e1bb9d6e672048c3a06e672042c3a0692c205175e1baad6e20486fc3a06e204b69e1babf6d2c20"
    "5468c3a06e68207068e1bb912048c3a0204ee1bb9969"
)
PLACE_HEX = "5175e1baad6e20486fc3a06e204b69e1babf6d2c205468c3a06e68207068e1bb912048c3a0204ee1bb9969"

BHYT_CODE_15 = (
    f"DN4010123456789|{NAME_BINH_HEX}|15/08/1990|2|{ADDRESS_HEX}|01 - 001|01/01/2025|31/12/2025|"
    "20/12/2024|-|-|4|01/01/2028|a1b2c3d4e5f60718-1234|$"
)
BHYT_NUMBER_10 = (
    f"0123456789|{NAME_BINH_HEX}|15/08/1990|2|-|01 - 001|01/01/2025|-|20/12/2024|01010123456789|-|4|"
    f" 01/01/2028|a1b2c3d4e5f60718-1234|4|{PLACE_HEX}|$"
)
# The oldest layout: fields 0–8, then "$".
BHYT_OLDEST_SHORT = (
    f"DN4010123456789|{NAME_BINH_HEX}|15/08/1990|2|{ADDRESS_HEX}|01 - 001|01/01/2025|31/12/2025|20/12/2024|$"
)

ALL_SPEC_SCANS = (CCCD_AN, CCCD_MAI, CCCD_AN_NO_CMND, BHYT_CODE_15, BHYT_NUMBER_10, BHYT_OLDEST_SHORT)


def to_hex(text: str) -> str:
    return text.encode("utf-8").hex()


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


_MOJIBAKE_MARKS = set("»…º§ª¢£¤¥¦¨©«¬®¯°±²³´µ¶·¸¹¼½¾¿ƒ€‚„†‡ˆ‰‹›\xa0\xad")


def name_looks_like_a_person(name: str) -> bool:
    if len(name) < 2 or name != unicodedata.normalize("NFC", name) or name != name.strip():
        return False
    if "  " in name or any(char in _MOJIBAKE_MARKS for char in name):
        return False
    return all(unicodedata.category(char).startswith("L") or char in " '’-" for char in name)


def assert_valid_card(card: CccdCard | BhytCard, today: date) -> None:
    """Every field a patient record needs is present and valid (manual cards: the typed fields)."""
    assert name_looks_like_a_person(card.name), card
    dob_full = card.dob.as_date()
    assert card.dob.year <= today.year and card.dob.year >= today.year - 130
    if dob_full is not None:
        assert dob_full <= today

    if isinstance(card, CccdCard):
        assert re.fullmatch(r"[0-9]{12}", card.number)
        century_gender_digit = int(card.number[3])
        assert card.gender is (Gender.MALE if century_gender_digit % 2 == 0 else Gender.FEMALE)
        assert (century_gender_digit // 2 + 19) * 100 + int(card.number[4:6]) == card.dob.year
        if not card.manual:
            assert dob_full is not None
            assert card.old_cmnd is None or re.fullmatch(r"[0-9]{9}|[0-9]{12}", card.old_cmnd)
            assert card.address and card.address == card.address.strip()
            assert isinstance(card.issue_date, date) and dob_full <= card.issue_date <= today
        return

    assert isinstance(card, BhytCard)
    assert re.fullmatch(r"[A-Z]{2}[1-5][0-9]{2}[0-9]{10}|[0-9]{10}", card.card_code)
    if card.manual:
        assert card.gender is Gender.UNKNOWN
        return
    assert card.gender in (Gender.MALE, Gender.FEMALE)
    assert card.ma_dkbd is not None and re.fullmatch(r"[0-9]{2}[0-9A-Z]{3}", card.ma_dkbd)
    assert isinstance(card.valid_from, date) and card.valid_from <= today
    assert card.valid_to is None or (card.valid_from <= card.valid_to and today <= card.valid_to)
    assert isinstance(card.issue_date, date) and card.issue_date <= today
    assert card.address is None or (card.address != "" and card.address == card.address.strip())
