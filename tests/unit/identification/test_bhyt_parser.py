from datetime import date

import pytest

from backend.domain.cards import BhytCard, BirthDate, CardErrorCode, CardGeneration, Gender, parse_scan
from tests.unit.identification.card_samples import (
    ADDRESS_HEX,
    BHYT_CODE_15,
    BHYT_NUMBER_10,
    BHYT_OLDEST_SHORT,
    NAME_BINH_HEX,
    TODAY,
    assert_valid_card,
    nfd,
    to_hex,
)

BINH = "Trần Thị Bình"
HANOI_ADDRESS = "Phường Hàng Bài, Quận Hoàn Kiếm, Thành phố Hà Nội"


def _card(text: str, today: date = TODAY) -> BhytCard:
    result = parse_scan(text, today)
    assert result.error_code is None, result.error_code
    assert isinstance(result.card, BhytCard)
    return result.card


def _error(text: str, today: date = TODAY):
    result = parse_scan(text, today)
    assert result.card is None
    return result.error_code


def _with_field(text: str, index: int, value: str) -> str:
    fields = text.split("|")
    fields[index] = value
    return "|".join(fields)


def test_older_card_with_15_character_code_yields_every_field():
    card = _card(BHYT_CODE_15)

    assert card.card_code == "DN4010123456789"
    assert card.bhxh_number == "0123456789"
    assert (card.beneficiary_group, card.benefit_level, card.province_code) == ("DN", 4, "01")
    assert card.name == BINH
    assert card.dob == BirthDate(1990, 8, 15)
    assert card.gender is Gender.FEMALE
    assert card.address == HANOI_ADDRESS
    assert card.ma_dkbd == "01001"
    assert card.valid_from == date(2025, 1, 1)
    assert card.valid_to == date(2025, 12, 31)
    assert card.issue_date == date(2024, 12, 20)
    assert card.management_code is None
    assert card.parent_name is None
    assert card.field11_code == "4"
    assert card.five_year_date == date(2028, 1, 1)
    assert card.check_string == "a1b2c3d4e5f60718-1234"
    assert card.field14_code is None
    assert card.issuing_place is None
    assert card.generation is CardGeneration.CODE_15
    assert card.manual is False
    assert_valid_card(card, TODAY)


def test_newer_card_with_10_digit_number_yields_every_field():
    card = _card(BHYT_NUMBER_10)

    assert card.card_code == "0123456789"
    assert card.bhxh_number == "0123456789"
    assert card.beneficiary_group is None and card.benefit_level is None and card.province_code is None
    assert card.name == BINH
    assert card.dob == BirthDate(1990, 8, 15)
    assert card.gender is Gender.FEMALE
    assert card.address is None  # "-" on newer cards
    assert card.ma_dkbd == "01001"
    assert card.valid_from == date(2025, 1, 1)
    assert card.valid_to is None and card.is_open_ended
    assert card.issue_date == date(2024, 12, 20)
    assert card.management_code == "01010123456789"
    assert card.five_year_date == date(2028, 1, 1)  # had a leading space
    assert card.check_string == "a1b2c3d4e5f60718-1234"
    assert card.field11_code == "4" and card.field14_code == "4"
    assert card.issuing_place == "Quận Hoàn Kiếm, Thành phố Hà Nội"
    assert card.generation is CardGeneration.BHXH_NUMBER_10
    assert_valid_card(card, TODAY)


def test_oldest_short_layout_stops_after_field_8():
    card = _card(BHYT_OLDEST_SHORT)

    assert card.generation is CardGeneration.OLDEST_SHORT
    assert (card.card_code, card.name, card.ma_dkbd, card.valid_to) == (
        "DN4010123456789",
        BINH,
        "01001",
        date(2025, 12, 31),
    )
    assert card.management_code is None and card.five_year_date is None and card.check_string is None


def test_hex_of_nfd_name_decodes_to_nfc():
    text = _with_field(BHYT_CODE_15, 1, to_hex(nfd(BINH)))
    assert to_hex(nfd(BINH)) != NAME_BINH_HEX
    assert _card(text).name == BINH


def test_upper_case_hex_and_trailing_line_ending_are_accepted():
    text = _with_field(BHYT_CODE_15, 1, NAME_BINH_HEX.upper()) + "\r\n"
    assert _card(text).name == BINH


def test_year_only_birth_date_is_kept_as_year_only():
    card = _card(_with_field(BHYT_CODE_15, 2, "1990"))
    assert card.dob == BirthDate(1990) and card.dob.is_year_only
    assert card.dob.to_bhxh_text() == "1990"


def test_male_code_and_facility_without_separator():
    text = _with_field(_with_field(BHYT_CODE_15, 3, "1"), 5, "79024")
    card = _card(text)
    assert card.gender is Gender.MALE and card.ma_dkbd == "79024"


def test_parent_name_is_decoded_on_a_childs_card():
    text = _with_field(BHYT_CODE_15, 10, to_hex("Nguyễn Văn Cha"))
    assert _card(text).parent_name == "Nguyễn Văn Cha"


@pytest.mark.parametrize(
    "today, expected",
    [
        (date(2024, 12, 31), CardErrorCode.CARD_NOT_YET_VALID),
        (date(2026, 1, 1), CardErrorCode.CARD_EXPIRED),
    ],
)
def test_outside_validity_window(today, expected):
    assert _error(BHYT_CODE_15, today) is expected


@pytest.mark.parametrize("today", [date(2025, 1, 1), date(2025, 12, 31)])
def test_validity_window_is_inclusive(today):
    assert _card(BHYT_CODE_15, today).valid_to == date(2025, 12, 31)


def test_open_ended_card_does_not_expire():
    assert _card(BHYT_NUMBER_10, date(2045, 1, 1)).valid_to is None


@pytest.mark.parametrize(
    "code",
    ["DN6010123456789", "DN0010123456789", "dn4010123456789", "D44010123456789", "DN401012345678", "012345678"],
    ids=["benefit-6", "benefit-0", "lower-case", "one-letter", "14-chars", "9-digits"],
)
def test_invalid_card_code(code):
    assert _error(_with_field(BHYT_CODE_15, 0, code)) is CardErrorCode.CARD_INVALID_NUMBER


@pytest.mark.parametrize(
    "name",
    ["Trần Thị Bình".encode("utf-8").decode("latin-1"), "Tr?n Th? B?nh", "Bình 2"],
)
def test_implausible_decoded_name(name):
    assert _error(_with_field(BHYT_CODE_15, 1, to_hex(name))) is CardErrorCode.CARD_NAME_INVALID


@pytest.mark.parametrize(
    "index, value",
    [
        (1, NAME_BINH_HEX[:-1]),  # odd number of hex digits: truncated
        (1, "c3"),  # not valid UTF-8
        (1, "Trần Thị Bình"),  # not hex at all
        (3, "3"),  # gender
        (3, "Nữ"),
        (4, ADDRESS_HEX[:-2] + "zz"),
        (5, "01 - 0001"),
        (5, "Hà Nội"),
    ],
)
def test_unreadable_fields(index, value):
    assert _error(_with_field(BHYT_CODE_15, index, value)) is CardErrorCode.CARD_UNREADABLE


@pytest.mark.parametrize(
    "index, value",
    [
        (2, "31/02/1990"),
        (2, "15-08-1990"),
        (2, "15/08/2090"),  # born in the future
        (2, "15/08/1850"),  # older than anyone alive
        (6, "-"),  # valid-from is required
        (7, "31/13/2025"),
        (7, "31/12/2024"),  # ends before it starts
        (8, "20/12/2025"),  # issued in the future
        (8, "-"),
    ],
)
def test_invalid_dates(index, value):
    assert _error(_with_field(BHYT_CODE_15, index, value)) is CardErrorCode.CARD_INVALID_DATE


def test_without_final_dollar_is_unreadable_even_when_otherwise_complete():
    assert _error(BHYT_CODE_15[: -len("|$")]) is CardErrorCode.CARD_UNREADABLE


def test_fewer_than_nine_fields_before_dollar_is_unreadable():
    fields = BHYT_OLDEST_SHORT.split("|")
    shortened = "|".join(fields[:8] + ["$"])
    assert _error(shortened) is CardErrorCode.CARD_UNREADABLE


def test_unknown_optional_field_shapes_do_not_reject_the_card():
    text = _with_field(_with_field(BHYT_CODE_15, 12, "not a date"), 11, "x")
    card = _card(text)
    assert card.five_year_date is None and card.field11_code is None
    assert card.card_code == "DN4010123456789"


def test_repr_of_a_card_masks_personal_data():
    text = repr(_card(BHYT_CODE_15))
    assert "DN4010123456789" not in text and BINH not in text
    assert "DN40*********89" in text
