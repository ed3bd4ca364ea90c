from datetime import date, datetime

import pytest

from backend.domain.cards import (
    BhytCard,
    BirthDate,
    CardErrorCode,
    CardGeneration,
    CardKind,
    CccdCard,
    Gender,
    parse_manual,
    parse_scan,
)
from tests.unit.identification.card_samples import CCCD_AN, TODAY, assert_valid_card


def _error(*args):
    result = parse_manual(*args, TODAY)
    assert result.card is None
    return result.error_code


def test_cccd_entry_yields_a_cccd_card_marked_manual_with_gender_from_the_number():
    result = parse_manual("cccd", "001 090 012 345", "Nguyễn Văn An", "15/08/1990", TODAY)

    card = result.card
    assert isinstance(card, CccdCard)
    assert card.manual is True
    assert (card.number, card.name, card.dob, card.gender) == (
        "001090012345",
        "Nguyễn Văn An",
        BirthDate(1990, 8, 15),
        Gender.MALE,
    )
    assert card.address is None and card.issue_date is None and card.old_cmnd is None
    assert_valid_card(card, TODAY)


def test_manual_and_scanned_cccd_agree_on_identity():
    scanned = parse_scan(CCCD_AN, TODAY).card
    typed = parse_manual(CardKind.CCCD, "001090012345", "Nguyễn Văn An", date(1990, 8, 15), TODAY).card
    assert type(typed) is type(scanned)
    assert (typed.number, typed.name, typed.dob, typed.gender) == (
        scanned.number,
        scanned.name,
        scanned.dob,
        scanned.gender,
    )


@pytest.mark.parametrize("code", ["dn4010123456789", "DN40 1012 3456 789", "0123456789"])
def test_bhyt_entry_accepts_code_or_bhxh_number(code):
    card = parse_manual("BHYT", code, "Trần Thị Bình", "15/08/1990", TODAY).card

    assert isinstance(card, BhytCard)
    assert card.manual is True
    assert card.card_code == code.replace(" ", "").upper()
    assert card.gender is Gender.UNKNOWN and card.generation is CardGeneration.UNKNOWN
    assert card.valid_from is None and card.valid_to is None and card.ma_dkbd is None
    assert not card.is_open_ended  # unknown, not open-ended
    assert_valid_card(card, TODAY)


@pytest.mark.parametrize(
    "dob, expected",
    [
        ("15/08/1990", BirthDate(1990, 8, 15)),
        ("15081990", BirthDate(1990, 8, 15)),
        ("1990-08-15", BirthDate(1990, 8, 15)),
        (date(1990, 8, 15), BirthDate(1990, 8, 15)),
        (datetime(1990, 8, 15, 0, 0), BirthDate(1990, 8, 15)),
        (BirthDate(1990), BirthDate(1990)),
        ("1990", BirthDate(1990)),
    ],
)
def test_date_of_birth_forms(dob, expected):
    card = parse_manual("bhyt", "DN4010123456789", "Trần Thị Bình", dob, TODAY).card
    assert card is not None and card.dob == expected


def test_cccd_number_and_birth_year_that_disagree_are_reported_as_such():
    assert _error("cccd", "001090012345", "Nguyễn Văn An", "15/08/1991") is CardErrorCode.CARD_DOB_MISMATCH


@pytest.mark.parametrize(
    "id_type, number",
    [("cccd", "00109001234"), ("cccd", "097090012345"), ("bhyt", "DN6010123456789"), ("bhyt", "12345"), ("cccd", None)],
)
def test_invalid_numbers(id_type, number):
    assert _error(id_type, number, "Nguyễn Văn An", "15/08/1990") is CardErrorCode.CARD_INVALID_NUMBER


@pytest.mark.parametrize("name", ["", "A", "Nguyá»…n VÄƒn An", "Nguyen 1", None])
def test_invalid_names(name):
    assert _error("cccd", "001090012345", name, "15/08/1990") is CardErrorCode.CARD_NAME_INVALID


@pytest.mark.parametrize("dob", ["", "31/02/1990", "15/08/2030", "1850", "yesterday", None, 19900815])
def test_invalid_dates(dob):
    assert _error("bhyt", "DN4010123456789", "Trần Thị Bình", dob) is CardErrorCode.CARD_INVALID_DATE


@pytest.mark.parametrize("id_type", ["passport", "", None, 3])
def test_unknown_id_type(id_type):
    assert _error(id_type, "001090012345", "Nguyễn Văn An", "15/08/1990") is CardErrorCode.CARD_UNKNOWN_TYPE
