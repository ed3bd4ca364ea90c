from datetime import date, datetime

import pytest

from backend.domain.cards import BirthDate, CardErrorCode, CccdCard, Gender, parse_scan
from tests.unit.identification.card_samples import (
    CCCD_AN,
    CCCD_AN_NO_CMND,
    CCCD_MAI,
    TODAY,
    assert_valid_card,
    nfd,
)

AN_ADDRESS = "Số 1 Phố Huế, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội"


def _scan(text: str, today: date = TODAY):
    return parse_scan(text, today)


def _error(text: str, today: date = TODAY):
    result = _scan(text, today)
    assert result.card is None
    return result.error_code


def test_spec_example_with_old_cmnd_yields_every_field():
    result = _scan(CCCD_AN)

    assert result.ok and result.error_code is None
    card = result.card
    assert isinstance(card, CccdCard)
    assert card.number == "001090012345"
    assert card.old_cmnd == "123456789"
    assert card.name == "Nguyễn Văn An"
    assert card.dob == BirthDate(1990, 8, 15)
    assert card.gender is Gender.MALE
    assert card.address == AN_ADDRESS
    assert card.issue_date == date(2021, 4, 20)
    assert card.manual is False
    assert_valid_card(card, TODAY)


def test_spec_example_with_empty_old_cmnd_is_a_woman_born_in_the_2000s():
    card = _scan(CCCD_MAI).card

    assert card is not None
    assert card.number == "079305001234"
    assert card.old_cmnd is None
    assert card.name == "Trần Thị Mai"
    assert card.dob == BirthDate(2005, 2, 2)
    assert card.gender is Gender.FEMALE
    assert card.address == "Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"
    assert card.issue_date == date(2022, 5, 10)


def test_reader_that_drops_the_old_cmnd_field_gives_the_same_person():
    with_cmnd = _scan(CCCD_AN).card
    without = _scan(CCCD_AN_NO_CMND).card

    assert without is not None and with_cmnd is not None
    assert without.old_cmnd is None
    assert (without.number, without.name, without.dob, without.gender, without.address, without.issue_date) == (
        with_cmnd.number,
        with_cmnd.name,
        with_cmnd.dob,
        with_cmnd.gender,
        with_cmnd.address,
        with_cmnd.issue_date,
    )


@pytest.mark.parametrize("example", [CCCD_AN, CCCD_MAI, CCCD_AN_NO_CMND])
def test_nfd_input_gives_the_same_nfc_card(example):
    decomposed = nfd(example)
    assert decomposed != example  # the test would prove nothing otherwise

    assert _scan(decomposed).card == _scan(example).card


def test_extra_trailing_fields_of_newer_cards_are_accepted():
    card = _scan(CCCD_AN + "|something new|01012030").card
    assert card is not None and card.issue_date == date(2021, 4, 20)


def test_scanner_line_ending_and_byte_order_mark_are_ignored():
    assert _scan("\ufeff" + CCCD_AN + "\r\n").card == _scan(CCCD_AN).card


def test_bytes_in_utf8_are_accepted_and_datetime_today_is_accepted():
    result = parse_scan(CCCD_AN.encode("utf-8"), datetime(2025, 6, 1, 8, 30))
    assert result.card == _scan(CCCD_AN).card


def test_upper_case_gender_word_is_accepted():
    assert _scan(CCCD_MAI.replace("|Nữ|", "|NỮ|")).card.gender is Gender.FEMALE


@pytest.mark.parametrize(
    "text",
    [
        CCCD_AN.replace("|Nam|", "|Nữ|"),  # digit 4 = 0: male
        CCCD_MAI.replace("|Nữ|", "|Nam|"),  # digit 4 = 3: female
        CCCD_AN.replace("|15081990|", "|15081991|"),  # digits 5–6 say 90
        CCCD_MAI.replace("|02022005|", "|02021905|"),  # digit 4 = 3 says the 2000s
    ],
    ids=["male-number-says-female", "female-number-says-male", "year-off-by-one", "wrong-century"],
)
def test_number_disagreeing_with_gender_or_birth_year_is_a_misscan(text):
    assert _error(text) is CardErrorCode.CARD_UNREADABLE


@pytest.mark.parametrize(
    "number",
    ["000090012345", "097090012345", "00109001234", "0010900123456", "00109001234A", "٠٠١٠٩٠٠١٢٣٤٥"],
    ids=["province-000", "province-097", "11-digits", "13-digits", "letter", "arabic-indic-digits"],
)
def test_invalid_numbers(number):
    text = CCCD_AN.replace("001090012345", number, 1)
    # Not a 12-digit ASCII number at all → not recognised as a CCCD; 12 digits with a bad province → invalid.
    expected = (
        CardErrorCode.CARD_INVALID_NUMBER
        if number.isascii() and len(number) == 12 and number.isdigit()
        else CardErrorCode.CARD_UNREADABLE
    )
    assert _error(text) is expected


def test_number_registered_abroad_is_accepted():
    # First digit not 0: born abroad; digit 4 and 5–6 still encode gender and year.
    card = _scan(CCCD_AN.replace("001090012345", "201090012345", 1)).card
    assert card is not None and card.birth_registration_code == "201"


@pytest.mark.parametrize(
    "name",
    [
        "Nguyá»…n VÄƒn An",  # UTF-8 read as Windows-1252: the classic wedge-mode result
        "Nguy?n V?n An",  # diacritics replaced
        "NguyÃªn Van An",  # "ê" as "Ãª"
        "Ngu\u1ec5n V\u0103n An\u0000",  # control character
        "Nguyen Van An 2",  # digit
        "",
        " ",
        "Nguyễn  Văn @n",
    ],
)
def test_wedge_mode_mangled_or_implausible_name_fails_clearly(name):
    assert _error(CCCD_AN.replace("Nguyễn Văn An", name)) is CardErrorCode.CARD_NAME_INVALID


def test_programmatic_latin1_mojibake_of_every_example_name_fails():
    for example, name in [(CCCD_AN, "Nguyễn Văn An"), (CCCD_MAI, "Trần Thị Mai")]:
        for encoding in ("latin-1", "cp1252"):
            mangled = name.encode("utf-8").decode(encoding, errors="replace")
            assert _error(example.replace(name, mangled)) is CardErrorCode.CARD_NAME_INVALID, (encoding, mangled)


@pytest.mark.parametrize(
    "name", ["H'Hen Niê", "Y-Ngông Niê Kdăm", "Mã Văn Tài", "MÃ VĂN TÀI", "Đặng Thị Ánh", "Lò Văn Pành"]
)
def test_genuine_names_with_rare_letters_or_joiners_are_accepted(name):
    card = _scan(CCCD_AN.replace("Nguyễn Văn An", name)).card
    assert card is not None and card.name == name


def test_name_spaces_are_collapsed():
    assert _scan(CCCD_AN.replace("Nguyễn Văn An", "  Nguyễn   Văn An ")).card.name == "Nguyễn Văn An"


@pytest.mark.parametrize(
    "dob, issue",
    [
        ("31021990", "20042021"),  # no 31 February
        ("1508199", "20042021"),  # 7 digits
        ("15/08/1990", "20042021"),  # CCCD dates have no slashes
        ("15081990", "20042031"),  # issued in the future
        ("15081990", "20041989"),  # issued before birth
        ("15081990", ""),  # issue date missing
    ],
)
def test_invalid_dates(dob, issue):
    text = CCCD_AN.replace("15081990", dob).replace("20042021", issue)
    assert _error(text) is CardErrorCode.CARD_INVALID_DATE


def test_birth_date_in_the_future_is_invalid():
    # Born 2005, scanned "in 2004".
    assert _error(CCCD_MAI, today=date(2004, 1, 1)) is CardErrorCode.CARD_INVALID_DATE


@pytest.mark.parametrize(
    "text",
    [
        "001090012345|123456789|Nguyễn Văn An|15081990|Nam|Số 1 Phố Huế",  # 6 fields, 2nd is a CMND
        "001090012345|Nguyễn Văn An|15081990|Nam|Hà Nội",  # 5 fields
        CCCD_AN.replace("|123456789|", "|12345678|"),  # 8-digit old CMND
        CCCD_AN.replace("|Nam|", "|M|"),  # gender not Nam/Nữ
        CCCD_AN.replace(CCCD_AN.split("|")[5], "Sá»‘ 1 Phá»‘ Huáº¿"),  # mojibake address
        "001090012345",
        "",
        "hello world",
    ],
)
def test_unreadable(text):
    assert _error(text) is CardErrorCode.CARD_UNREADABLE


def test_repr_of_a_card_masks_personal_data():
    card = _scan(CCCD_AN).card
    text = repr(card)
    assert "001090012345" not in text and "Nguyễn Văn An" not in text and "Huế" not in text
    assert "0010******45" in text and "Nguyễn V. A" in text
